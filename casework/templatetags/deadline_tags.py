"""Deadline words for case pages: ``{% load deadline_tags %}``.

``{% case_deadline case as d %}`` gives ``d.words`` (time left, overdue, or suspended, in
words), ``d.is_overdue``, ``d.is_suspended`` and ``d.url`` (the case's deadline page), from
the case's own rules (``Case.is_overdue``, ``Case.is_suspended``) and its clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clock

register = template.Library()


@dataclass(frozen=True)
class Deadline:
    words: str
    is_overdue: bool
    is_suspended: bool
    url: str


@register.simple_tag
def case_deadline(case, now=None) -> Deadline:
    """No query for a case with a due time; one for an open case without one (suspended?)."""
    now = now or timezone.now()
    url = reverse("deadlines:case", args=[case.pk])
    if case.is_open and case.due_at is None and case.is_suspended:
        return Deadline(_("Suspended: the clock is stopped"), False, True, url)
    return Deadline(clock.remaining(case, now), case.is_overdue(now), False, url)
