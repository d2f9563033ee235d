"""Deadline words for case pages: ``{% load deadline_tags %}``.

``{% case_deadline case as d %}`` gives ``d.words`` (time left, overdue, or suspended, in
words), ``d.is_overdue``, ``d.is_suspended`` and ``d.url`` (the case's deadline page).
``{{ event.step|event_label }}`` names any step in the case log (``workflow.step_label``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import workflow
from casework.deadline_models import DeadlineRequest
from governance.workclock import describe_remaining

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
    if not case.is_open:
        return Deadline("", False, False, url)
    if case.due_at is None:
        suspended = DeadlineRequest.objects.filter(
            case=case,
            kind=DeadlineRequest.Kind.SUSPENSION,
            status=DeadlineRequest.Status.APPROVED,
            resumed_at__isnull=True,
        ).exists()
        return Deadline(
            _("Suspended: the clock is stopped") if suspended else "", False, suspended, url
        )
    words = describe_remaining(
        case.due_at, now, area=case.street, around_the_clock=case.category.around_the_clock
    )
    return Deadline(words, case.due_at < now, False, url)


@register.filter
def event_label(step: str) -> str:
    return workflow.step_label(step)
