"""Demo deadlines: the scan run once over the demo year (reminders, overdue records, orders by
rule and the notifications they send), plus requests for more time and supervision orders taken
through the services by the demo users. Runs once per street."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from casework.deadlines import reminders, services
from casework.deadlines.models import DeadlineRequest, Reminder
from casework.models import Case, Holder, Status
from governance.demo import DemoContext
from governance.models import Role


def seed_deadlines(ctx: DemoContext) -> None:
    street = ctx.data["street"]
    if Reminder.objects.filter(case__street=street).exists():
        ctx.say("  deadlines exist already: left as they are")
        return
    users = ctx.data["users"]
    center = users[Role.CENTER_SUPERVISOR]
    handler = users[Role.DEPARTMENT_HANDLER]
    now = timezone.now()

    with transaction.atomic():
        result = reminders.scan_deadlines(now=now)
        told = sum(reminders.notify_reminder(reminder_id=pk, now=now) for pk in result.reminder_ids)
    ctx.say(
        f"  {result.near_due} near due, {result.overdue} overdue, {result.escalated} escalated; "
        f"{told} notifications"
    )

    department = (
        Case.objects.filter(street=street, holder=Holder.DEPARTMENT, due_at__isnull=False)
        .filter(department__role_assignments__user=handler)
        .select_related("area", "street", "category", "department")
    )
    running = list(
        department.filter(status=Status.IN_PROGRESS, due_at__gt=now).order_by("due_at")[:2]
    )
    late = list(department.filter(due_at__lt=now).order_by("-due_at")[:2])
    if running:
        services.deadline_request_create(
            case=running[0],
            actor=handler,
            kind=DeadlineRequest.Kind.EXTENSION,
            hours=16,
            reason="需协调产权单位到场，预计两个工作日内完成",
        )
    if len(running) > 1:
        request = services.deadline_request_create(
            case=running[1],
            actor=handler,
            kind=DeadlineRequest.Kind.SUSPENSION,
            reason="业主在国外，需待其回国后入户处置",
        )
        services.deadline_request_decide(
            request=request, actor=center, approve=True, comment="同意缓办，业主回国后立即恢复"
        )
    for i, case in enumerate(late):
        order = services.supervision_issue(
            case=case,
            actor=center,
            demand="该案件已超期，请立即组织处置，并书面答复处置进度及预计完成时间。",
            reply_hours=8,
        )
        if i == 0:
            services.supervision_answer(
                order=order,
                actor=handler,
                reply="已安排执法队员今日下午到场处置，预计明日上午完成并上传处置照片。",
            )
    ctx.say(f"  requests for more time and {len(late)} supervision orders by the center")
