"""What casework tells webhook endpoints: a case filed, a step taken, a case overdue.

Every event written to a case's log is looked at once, in the transaction that writes it (a
step's ``post_save``, the deadline scan's :data:`~casework.signals.case_events_recorded`), and
emitted through :mod:`governance.webhooks` for the endpoints of the case's street (or above it).
The payload carries what a partner system needs to follow the case — number, states, category,
place, department, the step and its public comment — and nothing personal: no reporter's name or
phone, no description, no internal comment.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from casework import workflow
from casework.models import Case, CaseEvent
from casework.open311.selectors import open311_status
from casework.open311.w3c import format_w3c
from casework.signals import case_events_recorded
from governance import webhooks

CASE_FILED = "case.filed"
STEP_TAKEN = "case.step"
CASE_OVERDUE = "case.overdue"
OVERDUE_STEPS = frozenset({"overdue", "escalate_overdue"})


def connect() -> None:
    """Register casework's events and follow every event written to a case's log."""
    webhooks.register_event(CASE_FILED, _("Case filed"))
    webhooks.register_event(STEP_TAKEN, _("Step taken on a case"))
    webhooks.register_event(CASE_OVERDUE, _("Case overdue"))
    post_save.connect(on_event_saved, sender=CaseEvent, dispatch_uid="casework.webhooks.saved")
    case_events_recorded.connect(on_events_recorded, dispatch_uid="casework.webhooks.recorded")


def event_for(step: str) -> str | None:
    """The webhook event a logged step is, if any (deadline requests and orders are not)."""
    if step in OVERDUE_STEPS:
        return CASE_OVERDUE
    spec = workflow.STEPS.get(step)
    if spec is None:
        return None
    return CASE_FILED if spec.creates else STEP_TAKEN


def on_event_saved(sender, instance: CaseEvent, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        publish([instance])


def on_events_recorded(sender, events, **kwargs):
    publish(events)


def publish(events) -> None:
    """Emit the webhook event of each case event (one query for all when nobody listens)."""
    emissions = []
    for event in events:
        code = event_for(event.step)
        if code is None:
            continue
        case = event.case
        key = (
            f"case_event:{event.pk}"
            if event.pk
            else f"case_event:{case.pk}:{event.step}:{event.created_at.isoformat()}"
        )
        emissions.append(
            webhooks.Emission(
                event=code,
                key=key,
                # Endpoints belong to streets or districts: the case's street decides.
                area=lambda case=case: case.street,
                payload=lambda case=case, event=event: payload(case, event),
                at=event.created_at,
            )
        )
    if emissions:
        webhooks.emit(*emissions)


def payload(case: Case, event: CaseEvent) -> dict:
    """The ``data`` of a case event, with labels in the portal's language."""
    with translation.override(settings.LANGUAGE_CODE):
        base = settings.PORTAL_BASE_URL.rstrip("/")
        return {
            "case": {
                "id": case.pk,
                "service_request_id": str(case.pk),
                "number": case.number,
                "title": case.title,
                "status": case.status,
                "status_label": str(case.get_status_display()),
                "open311_status": open311_status(case.status),
                "holder": case.holder,
                "category": {"code": case.category.code, "name": case.category.name},
                "street": {"code": case.street.code, "name": case.street.name},
                "area": {"code": case.area.code, "name": case.area.name},
                "department": case.department.name if case.department_id else None,
                "source": case.source,
                "priority": case.priority,
                "reported_at": format_w3c(case.reported_at),
                "due_at": format_w3c(case.due_at),
                "closed_at": format_w3c(case.closed_at),
                "url": f"{base}{reverse('casework:detail', args=[case.pk])}",
            },
            "step": {
                "name": event.step,
                "label": str(workflow.step_label(event.step)),
                "from_status": event.from_status,
                "to_status": event.to_status,
                "public": event.is_public,
                "comment": event.comment if event.is_public else "",
                "at": format_w3c(event.created_at),
            },
        }
