"""The API's JSON parser: DRF's, refusing a document nested too deeply with a 400.

Python's decoder recurses once per level and raises RecursionError near a thousand levels (a
500 otherwise); below that, a deep document only costs time in every validator that walks it.
No input of the portal nests more than a few levels, so the limit is low.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON document is nested too deeply.")) from None
        if depth_exceeds(data, MAX_DEPTH):
            raise ParseError(
                _("The JSON document is nested more than %(n)d levels deep.") % {"n": MAX_DEPTH}
            )
        return data


def depth_exceeds(data, limit: int) -> bool:
    """Whether ``data`` nests lists and objects more than ``limit`` levels (no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
