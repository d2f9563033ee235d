"""Reads around deadlines: requests, supervision orders, the figures of the supervision desk, and
the people to tell about a case. Every queryset is scoped and names its joins here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from casework.deadlines.models import DeadlineRequest, Reminder, SupervisionOrder
from casework.models import Case, Holder
from casework.workflow import CENTER_ROLES, HOLDER_ROLES
from governance.models import DEPARTMENT_ROLES, Role, RoleAssignment
from governance.scopes import assignments_over, reachable, scope_of, visible


# -- requests and orders --------------------------------------------------------------------
def orders_for(user, *, status: str = "") -> QuerySet[SupervisionOrder]:
    """Supervision orders on cases ``user`` may see, open ones first by answer due time."""
    cases = visible(user, Case.objects.all()).values("pk")
    qs = SupervisionOrder.objects.filter(case__in=cases).select_related(
        "case", "case__area", "department", "issued_by", "replied_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-status", "reply_due_at", "pk")


def order_detail_for(user, pk: int) -> SupervisionOrder | None:
    return orders_for(user).select_related("case__street", "case__category").filter(pk=pk).first()


def orders_of(case: Case) -> QuerySet[SupervisionOrder]:
    """The orders issued on ``case`` (already checked visible), newest first."""
    return (
        SupervisionOrder.objects.filter(case=case)
        .select_related("issued_by", "replied_by", "department")
        .order_by("-created_at", "-pk")
    )


def requests_for(user, *, status: str = "") -> QuerySet[DeadlineRequest]:
    """Extension and suspension requests on cases ``user`` may see, newest first."""
    cases = visible(user, Case.objects.all()).values("pk")
    qs = DeadlineRequest.objects.filter(case__in=cases).select_related(
        "case", "requested_by", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def request_detail_for(user, pk: int) -> DeadlineRequest | None:
    return requests_for(user).filter(pk=pk).first()


def pending_requests_for(user) -> QuerySet[DeadlineRequest]:
    """Waiting requests on cases in the user's center scope, oldest first."""
    cases = reachable(user, Case.objects.all(), CENTER_ROLES)
    return (
        DeadlineRequest.objects.filter(status=DeadlineRequest.Status.PENDING, case__in=cases)
        .select_related("case", "case__area", "requested_by")
        .order_by("created_at", "pk")
    )


def requests_of(case: Case) -> QuerySet[DeadlineRequest]:
    """The requests made on ``case`` (already checked visible), newest first."""
    return (
        DeadlineRequest.objects.filter(case=case)
        .select_related("requested_by", "decided_by")
        .order_by("-created_at", "-pk")
    )


def deadline_stats(user, *, since: datetime | None = None) -> dict:
    """The share of cases (reported since ``since``, default the last 30 days) extended or
    suspended, overdue and escalated, over the cases ``user`` may see. One query."""
    since = since or timezone.now() - timedelta(days=30)

    def approved(kind: str):
        return Exists(
            DeadlineRequest.objects.filter(
                case=OuterRef("pk"), kind=kind, status=DeadlineRequest.Status.APPROVED
            )
        )

    def reminded(tier: int):
        return Exists(
            Reminder.objects.filter(case=OuterRef("pk"), kind=Reminder.Kind.OVERDUE, tier=tier)
        )

    counts = visible(user, Case.objects.filter(reported_at__gte=since)).aggregate(
        total=Count("pk"),
        extended=Count("pk", filter=Q(approved(DeadlineRequest.Kind.EXTENSION))),
        suspended=Count("pk", filter=Q(approved(DeadlineRequest.Kind.SUSPENSION))),
        overdue=Count("pk", filter=Q(reminded(1))),
        escalated=Count("pk", filter=Q(reminded(2))),
    )
    total = counts["total"]
    for key in ("extended", "suspended", "overdue", "escalated"):
        counts[f"{key}_share"] = round(100 * counts[key] / total, 1) if total else 0.0
    counts["since"] = since
    return counts


def desk_badge(user) -> int | None:
    """The number on the supervision menu: requests waiting for the center, or orders waiting
    for the user's answer."""
    if scope_of(user).has_role(*CENTER_ROLES):
        return pending_requests_for(user).count() or None
    return orders_for(user, status=SupervisionOrder.Status.ISSUED).count() or None


# -- whom to tell ---------------------------------------------------------------------------
def people_in_roles(*, area, department_id: int | None, roles: Iterable[str]) -> list:
    """The users who reach a case at ``area`` (held by the department ``department_id``, if
    any) through ``roles``: area roles whose scope contains the area, department roles of the
    department. At most two queries; each user once, by id."""
    roles = set(roles)
    users = {a.user for a in assignments_over(area, roles - DEPARTMENT_ROLES)}
    if department_id is not None and roles & DEPARTMENT_ROLES:
        users |= {
            a.user
            for a in RoleAssignment.objects.filter(
                role__in=sorted(roles & DEPARTMENT_ROLES), department_id=department_id
            ).select_related("user")
        }
    return sorted(users, key=lambda u: u.pk)


def holder_people(case: Case) -> list:
    """Who acts for the case's holder now (the roles of ``workflow.HOLDER_ROLES``)."""
    return people_in_roles(
        area=case.area,
        department_id=case.department_id if case.holder == Holder.DEPARTMENT else None,
        roles=HOLDER_ROLES.get(case.holder, ()),
    )


def center_people(case: Case) -> list:
    """The center's supervisors over the case: they are told of requests and answers (street
    administrators find them on the supervision desk)."""
    return people_in_roles(area=case.area, department_id=None, roles=[Role.CENTER_SUPERVISOR])
