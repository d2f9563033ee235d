"""Reads of field work: patrols, hidden dangers, mobilization tasks and their coverage.

Every queryset is scoped (:func:`governance.scopes.visible`) and names its joins here, so that the
pages and the API share them. Coverage is counted with GROUP BY over the targets of a task, never
with a query per building.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.db import chunked
from governance.scopes import scope_of, visible
from grids.models import (
    OPEN_DANGER_STATES,
    Area,
    AreaKind,
    Capacity,
    HiddenDanger,
    HiddenDangerEvent,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    MobilizationTask,
    Patrol,
    PatrolFinding,
    TargetStatus,
    TaskStatus,
)

# Hidden dangers due within this many hours are listed as "due soon".
DUE_SOON_HOURS = 24


# -- patrols --------------------------------------------------------------------------------
def _finding_count() -> Coalesce:
    counted = (
        PatrolFinding.objects.filter(patrol=OuterRef("pk"))
        .order_by()
        .values("patrol")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def patrol_list_for(user) -> QuerySet[Patrol]:
    return (
        visible(user, Patrol.objects.all())
        .select_related("worker", "area")
        .annotate(finding_count=_finding_count())
        .order_by("-started_at", "-pk")
    )


def patrol_detail_for(user, pk: int) -> Patrol | None:
    return patrol_list_for(user).filter(pk=pk).first()


def open_patrol_for(user) -> Patrol | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Patrol.objects.filter(worker=user, ended_at__isnull=True)
        .select_related("area")
        .annotate(finding_count=_finding_count())
        .first()
    )


def route_of(patrol: Patrol) -> list[tuple]:
    """The route as (latitude, longitude) in time order: one query, bounded by the point cap."""
    return list(patrol.points.order_by("recorded_at", "pk").values_list("latitude", "longitude"))


def findings_for(user, patrol: Patrol | None = None) -> QuerySet[PatrolFinding]:
    qs = visible(user, PatrolFinding.objects.all()).select_related("area", "case", "patrol__worker")
    if patrol is not None:
        qs = qs.filter(patrol=patrol)
    return qs.order_by("-found_at", "-pk")


def finding_detail_for(user, pk: int) -> PatrolFinding | None:
    return findings_for(user).filter(pk=pk).first()


# -- hidden dangers -------------------------------------------------------------------------
def danger_list_for(user) -> QuerySet[HiddenDanger]:
    return (
        visible(user, HiddenDanger.objects.all())
        .select_related("area", "assignee", "reported_by", "case")
        .order_by("-found_at", "-pk")
    )


def danger_detail_for(user, pk: int) -> HiddenDanger | None:
    return danger_list_for(user).filter(pk=pk).first()


def danger_events(danger: HiddenDanger) -> QuerySet[HiddenDangerEvent]:
    return danger.events.select_related("actor").order_by("created_at", "pk")


def overdue_q(now: datetime | None = None) -> Q:
    """Dangers whose running deadline has passed (the one definition of "overdue")."""
    return Q(due_at__lt=now or timezone.now())


def due_soon_q(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(due_at__gte=now, due_at__lt=now + timedelta(hours=DUE_SOON_HOURS))


def danger_counts(qs: QuerySet[HiddenDanger], now: datetime | None = None) -> dict[str, int]:
    """Open, due soon and overdue dangers of ``qs``, in one aggregate query."""
    now = now or timezone.now()
    return qs.order_by().aggregate(
        open=Count("pk", filter=Q(state__in=list(OPEN_DANGER_STATES))),
        due_soon=Count("pk", filter=due_soon_q(now)),
        overdue=Count("pk", filter=overdue_q(now)),
    )


# -- mobilization ---------------------------------------------------------------------------
def _done_count() -> Coalesce:
    counted = (
        MobilizationTarget.objects.filter(task=OuterRef("pk"), status=TargetStatus.DONE)
        .order_by()
        .values("task")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def task_list_for(user) -> QuerySet[MobilizationTask]:
    return (
        visible(user, MobilizationTask.objects.all())
        .select_related("area", "issued_by")
        .annotate(done_count=_done_count())
        .order_by("status", "-created_at", "-pk")
    )


def task_detail_for(user, pk: int) -> MobilizationTask | None:
    return task_list_for(user).filter(pk=pk).first()


def reaches_task(user, task: MobilizationTask) -> bool:
    """Does ``user`` work inside the task's area (a role whose scope meets it), as opposed to
    seeing it only as a public call?"""
    scope = scope_of(user)
    return scope.is_superuser or any(
        a.is_within(task.area) or task.area.is_within(a) for a in scope.areas()
    )


def targets_for(user, task: MobilizationTask) -> QuerySet[MobilizationTarget]:
    return (
        visible(user, MobilizationTarget.objects.filter(task=task))
        .select_related("building", "grid", "community", "done_by")
        .order_by("building__code")
    )


def target_detail_for(user, task: MobilizationTask, pk: int) -> MobilizationTarget | None:
    target = targets_for(user, task).filter(pk=pk).first()
    if target is not None:
        target.task = task
    return target


def with_participants(qs: QuerySet[MobilizationTarget]) -> QuerySet[MobilizationTarget]:
    """Targets with their sign-ups and users (one more query for the whole page)."""
    return qs.prefetch_related(
        Prefetch(
            "signups",
            queryset=MobilizationSignup.objects.select_related("user").order_by("created_at"),
        )
    )


def signups_of(user, *, open_only: bool = True) -> QuerySet[MobilizationSignup]:
    """``user``'s own sign-ups with their buildings and tasks, newest task first."""
    qs = MobilizationSignup.objects.filter(user=user).select_related(
        "target__building", "target__grid", "target__task"
    )
    if open_only:
        qs = qs.filter(target__task__status=TaskStatus.OPEN)
    return qs.order_by("-target__task__created_at", "target__building__code")


def reports_of(user, target: MobilizationTarget) -> QuerySet[MobilizationReport]:
    """The reports of ``target`` that ``user`` may read: all of them for staff in scope, their
    own for a volunteer (an open call shows its buildings, not what others answered)."""
    return (
        visible(user, target.reports.all())
        .select_related("reporter")
        .order_by("-created_at", "-pk")
    )


def report_list_for(user) -> QuerySet[MobilizationReport]:
    return (
        visible(user, MobilizationReport.objects.all())
        .select_related("target__building", "target__task", "reporter")
        .order_by("-created_at", "-pk")
    )


def signup_list_for(user) -> QuerySet[MobilizationSignup]:
    return (
        visible(user, MobilizationSignup.objects.all())
        .select_related("target__building", "target__task", "user")
        .order_by("-created_at", "-pk")
    )


def export_rows(task: MobilizationTask):
    """Every report of ``task`` with its building, grid, community and reporter, in building
    order, read in chunks (an export of a district's reports holds one chunk at a time)."""
    return chunked(
        MobilizationReport.objects.filter(target__task=task)
        .select_related("target__building", "target__grid", "target__community", "reporter")
        .order_by("target__building__code", "household", "pk"),
        2000,
    )


def capacities_of(task: MobilizationTask) -> dict[tuple[int, int], str]:
    """(target, user) → capacity for every sign-up of ``task`` (one query)."""
    return {
        (target_id, user_id): capacity
        for target_id, user_id, capacity in MobilizationSignup.objects.filter(
            target__task=task
        ).values_list("target_id", "user_id", "capacity")
    }


# -- coverage -------------------------------------------------------------------------------
def group_level(task: MobilizationTask, focus: Area) -> str | None:
    """How the coverage under ``focus`` is grouped: by community above communities, by grid
    inside a community, by building (None) inside a grid."""
    if focus.kind in (AreaKind.DISTRICT, AreaKind.STREET):
        return "community"
    if focus.kind == AreaKind.COMMUNITY:
        return "grid"
    return None


def _within(focus: Area, prefix: str = "") -> Q:
    """Targets (reached through ``prefix``) under ``focus``: by their stored community or grid
    where the focus is one, else by the building's place in the tree."""
    if focus.kind == AreaKind.COMMUNITY:
        return Q(**{f"{prefix}community": focus})
    if focus.kind == AreaKind.GRID:
        return Q(**{f"{prefix}grid": focus})
    return Area.subtree_q(focus, prefix=f"{prefix}building__")


def _counts(qs: QuerySet[MobilizationTarget]) -> dict:
    return {
        "total": Count("pk"),
        "done": Count("pk", filter=Q(status=TargetStatus.DONE)),
        "started": Count("pk", filter=Q(status=TargetStatus.STARTED)),
        "reports": Coalesce(Sum("report_count"), 0),
        "signups": Coalesce(Sum("signup_count"), 0),
        "last_report_at": Max("last_report_at"),
    }


def coverage_totals(task: MobilizationTask, focus: Area | None = None) -> dict:
    """Buildings, checked, being checked, reports and participants of ``task`` (under
    ``focus``), in one aggregate query."""
    qs = MobilizationTarget.objects.filter(task=task)
    if focus is not None and focus.pk != task.area_id:
        qs = qs.filter(_within(focus))
    return qs.order_by().aggregate(**_counts(qs))


def people_count(task: MobilizationTask, focus: Area | None = None) -> int:
    """How many different people signed up for buildings of ``task`` (under ``focus``)."""
    qs = MobilizationSignup.objects.filter(target__task=task)
    if focus is not None and focus.pk != task.area_id:
        qs = qs.filter(_within(focus, prefix="target__"))
    return qs.values("user").distinct().count()


def coverage_stamp(task: MobilizationTask) -> str:
    """A short value that changes whenever a report, a sign-up or the task's status (as read
    for this request) does, so that the live board asks for the figures only when something
    moved (one query)."""
    totals = coverage_totals(task)
    last = totals["last_report_at"]
    return "-".join(
        str(v)
        for v in (
            totals["reports"],
            totals["done"],
            totals["signups"],
            last.timestamp() if last else 0,
            task.status,
        )
    )


def coverage_groups(task: MobilizationTask, focus: Area, level: str) -> list[dict]:
    """One row per community (or grid) under ``focus``: its counts from one GROUP BY query and
    its name from one more; groups with no building are left out."""
    field = f"{level}_id"
    qs = MobilizationTarget.objects.filter(task=task)
    if focus.pk != task.area_id:
        qs = qs.filter(_within(focus))
    rows = list(qs.order_by().values(field).annotate(**_counts(qs)))
    areas = {
        a.pk: a
        for a in Area.objects.filter(pk__in=[r[field] for r in rows if r[field]]).only(
            "pk", "name", "code", "kind"
        )
    }
    result = []
    for row in rows:
        area = areas.get(row[field])
        result.append(
            {
                "id": row[field],
                "name": area.name if area else "—",
                "code": area.code if area else "",
                **{k: row[k] for k in ("total", "done", "started", "reports", "signups")},
                "last_report_at": row["last_report_at"],
                "left": row["total"] - row["done"],
                "percent": percent(row["done"], row["total"]),
            }
        )
    return sorted(result, key=lambda r: r["code"])


def percent(done: int, total: int) -> int:
    return int(done * 100 / total) if total else 0


def focus_targets(user, task: MobilizationTask, focus: Area) -> QuerySet[MobilizationTarget]:
    """The buildings under ``focus`` (a grid or below) with their participants."""
    return with_participants(targets_for(user, task).filter(_within(focus)))


def open_targets_for(user, task: MobilizationTask, grid: Area | None) -> QuerySet:
    """Buildings of ``task`` a participant may still take: not checked, with room for one more
    participant, not taken by ``user`` already (in ``grid`` when given)."""
    mine = MobilizationSignup.objects.filter(target=OuterRef("pk"), user=user)
    qs = targets_for(user, task).exclude(status=TargetStatus.DONE).filter(~Exists(mine))
    if grid is not None:
        qs = qs.filter(grid=grid)
    return qs


def open_grids_for(user, task: MobilizationTask) -> list[dict]:
    """The grids of ``task`` that still have buildings to check, with how many (one query for
    the counts, one for the names)."""
    rows = list(
        visible(user, MobilizationTarget.objects.filter(task=task))
        .exclude(status=TargetStatus.DONE)
        .order_by()
        .values("grid_id")
        .annotate(left=Count("pk"))
    )
    names = dict(
        Area.objects.filter(pk__in=[r["grid_id"] for r in rows if r["grid_id"]]).values_list(
            "pk", "name"
        )
    )
    return sorted(
        (
            {"id": r["grid_id"], "name": names.get(r["grid_id"], "—"), "left": r["left"]}
            for r in rows
            if r["grid_id"]
        ),
        key=lambda r: r["name"],
    )


def board_payload(user, task: MobilizationTask, focus: Area, *, stamp: str = "") -> dict:
    """The board's figures under ``focus``: totals, a row per group (community or grid) or per
    building, and the stamp. A fixed number of queries whatever the size of the task."""
    level = group_level(task, focus)
    totals = coverage_totals(task, focus)
    payload = {
        "stamp": stamp or coverage_stamp(task),
        "status": task.status,
        "totals": {
            **{k: totals[k] for k in ("total", "done", "started", "reports", "signups")},
            "people": people_count(task, focus),
            "left": totals["total"] - totals["done"],
            "percent": percent(totals["done"], totals["total"]),
        },
        "groups": [],
        "buildings": [],
    }
    if level:
        payload["groups"] = [
            {**g, "last_report_at": _when(g["last_report_at"])}
            for g in coverage_groups(task, focus, level)
        ]
        if level == "community" and focus.kind == AreaKind.STREET:
            payload["grids"] = [
                {**g, "last_report_at": _when(g["last_report_at"])}
                for g in coverage_groups(task, focus, "grid")
            ]
    else:
        labels = dict(Capacity.choices)
        payload["buildings"] = [
            {
                "id": t.pk,
                "area": t.building_id,
                "name": t.building.name,
                "status": t.status,
                "statusLabel": str(t.get_status_display()),
                "reports": t.report_count,
                "households": t.households,
                "people": [
                    f"{s.user.display_name}（{labels.get(s.capacity, '')}）"
                    for s in t.signups.all()
                ],
                "doneBy": t.done_by.display_name if t.done_by_id else "",
                "last_report_at": _when(t.last_report_at),
            }
            for t in focus_targets(user, task, focus)
        ]
    return payload


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else ""
