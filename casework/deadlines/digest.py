"""The daily digest: at 8:30 on working days each community dispatcher and each department is
told what waits for them, what is near its due time and what is overdue."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import OPEN_STATUSES, Case, Holder, Status
from casework.selectors import COMMUNITY_WAITING, near_due_q
from casework.workflow import HOLDER_ROLES
from governance.models import Department, RoleAssignment
from governance.notifications import notify
from governance.workclock import is_working_day
from grids.models import Area


def send_daily_digest(*, now: datetime | None = None) -> int:
    """One digest notification per dispatcher and department member (handlers and the head),
    at most once a day per person (keyed by the date). Nothing on days off. Returns how many
    people were told now. One count query per community dispatched and per department."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not is_working_day(today):
        return 0
    lines: dict[int, list[str]] = defaultdict(list)
    users: dict[int, object] = {}

    dispatchers = RoleAssignment.objects.filter(
        role__in=HOLDER_ROLES[Holder.COMMUNITY], user__is_active=True, area__isnull=False
    ).select_related("user", "area")
    for assignment in dispatchers:
        counts = _counts(
            Area.subtree_q(assignment.area, prefix="area__"), waiting=COMMUNITY_WAITING, now=now
        )
        users[assignment.user_id] = assignment.user
        lines[assignment.user_id].append(_line(assignment.area.name, counts))

    members: dict[int, set] = defaultdict(set)
    for assignment in RoleAssignment.objects.filter(
        role__in=HOLDER_ROLES[Holder.DEPARTMENT], user__is_active=True, department__is_active=True
    ).select_related("user"):
        members[assignment.department_id].add(assignment.user)
    for department in Department.objects.filter(is_active=True).select_related("head"):
        people = set(members.get(department.pk, ()))
        if department.head is not None and department.head.is_active:
            people.add(department.head)
        if not people:
            continue
        counts = _counts(
            Q(department=department, holder=Holder.DEPARTMENT),
            waiting=Q(status=Status.DISPATCHED),
            now=now,
        )
        for user in people:
            users[user.pk] = user
            lines[user.pk].append(_line(department.name, counts))

    told = 0
    title = _("Daily digest %(date)s") % {"date": today.strftime("%Y-%m-%d")}
    for pk, user in users.items():
        told += len(
            notify(
                recipients=[user],
                kind="case.digest",
                title=title,
                body="\n".join(lines[pk]),
                url=reverse("casework:inbox"),
                key=f"digest:{today.isoformat()}",
                now=now,
            )
        )
    return told


def _counts(scope: Q, *, waiting: Q, now: datetime) -> dict[str, int]:
    return Case.objects.filter(scope, status__in=sorted(OPEN_STATUSES)).aggregate(
        waiting=Count("pk", filter=waiting),
        near_due=Count("pk", filter=near_due_q(now)),
        overdue=Count("pk", filter=Case.overdue_q(now)),
    )


def _line(name: str, counts: dict[str, int]) -> str:
    return _("%(name)s: %(waiting)d waiting, %(near_due)d near due, %(overdue)d overdue") % {
        "name": name,
        **counts,
    }
