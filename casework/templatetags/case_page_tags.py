"""The case page's step forms, drawn in Python: ``{% load case_page_tags %}``.

``{% step_forms forms %}`` draws the forms as ``casework.case_page.step_forms_html`` does, with
the page's own CSRF token (the one its other forms carry).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from casework import case_page

register = template.Library()


@register.simple_tag(takes_context=True)
def step_forms(context, forms) -> SafeString:
    return case_page.step_forms_html(
        forms,
        case=context["case"],
        csrf_token=context.get("csrf_token"),
        photo_max_bytes=context["photo_max_bytes"],
    )
