"""The monthly assessment: scoring a street's communities, grids and departments on its scheme,
freezing a month on the 1st of the next, and recomputing a frozen month (logged, with a reason).

Scores come from the figures of :mod:`casework.stats.figures` as counted by
:mod:`casework.stats.compute` — the dashboard's numbers, not a second definition. A computed
item gets its full marks at its target or better and a proportional share below it (for the
handling time: at the target hours or fewer); a month without anything to count for an item
gets its full marks (nothing went wrong). A manual item takes the center's score for the month,
full marks when none was entered. The total is out of 100 (the weights, scaled to 100).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.stats import compute, rollup
from casework.stats.models import (
    AssessmentItem,
    AssessmentMonth,
    AssessmentRecompute,
    AssessmentResult,
    AssessmentScheme,
    ManualScore,
    SubjectKind,
)
from casework.stats.periods import month as month_period
from governance.models import Department
from grids.models import Area, AreaKind

TWO = Decimal("0.01")
# Kept with each result, for the bulletin and the ranking's detail.
KEPT_FIGURES = (
    "reported",
    "closed",
    "went_overdue",
    "returned",
    "reworked",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "on_time_rate",
    "on_spot_share",
    "handling_hours",
)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def previous_month(day: date) -> date:
    return (first_of_month(day) - timedelta(days=1)).replace(day=1)


def item_score(item: AssessmentItem, value) -> Decimal:
    """The score of a computed item for a figure value (None: nothing to count)."""
    full = item.full_marks
    if value is None:
        return full
    value = Decimal(str(value))
    if item.figure == "handling_hours":
        share = Decimal(1) if value <= item.target else item.target / value
    else:
        share = min(value / item.target, Decimal(1))
    return (full * share).quantize(TWO, ROUND_HALF_UP)


@dataclass
class _Subject:
    kind: str
    name: str
    figures: compute.Figures
    area: Area | None = None
    department: Department | None = None


def _subjects(scheme: AssessmentScheme, month: date, now: datetime) -> list[_Subject]:
    """Every community and grid of the street, and every department with a case there in the
    month, with their figures: a fixed number of queries. The month's figures only: no item
    and no kept figure is a snapshot (open, overdue now...), which would read the open cases
    due today at every freeze and ranking (bench/results/stats.md)."""
    street = scheme.street
    period = month_period(month.year, month.month)
    cases = rollup.Subtree.of(street)
    handled = compute.handling_times(cases, period, now)
    counted = compute.count_by(
        cases, period, now, ("area_id", "department_id"), handled=handled, snapshot=False
    )
    by_leaf = compute.regroup(counted, 0)
    below = Area.objects.within(street, include_self=False)
    subjects: list[_Subject] = []
    for kind in (AreaKind.COMMUNITY, AreaKind.GRID):
        containers = list(below.filter(kind=kind).order_by(*Area.tree_order()))
        owner = Area.enclosing(below, below.filter(kind=kind))
        sums = {area.pk: compute.Figures() for area in containers}
        for leaf, figures in by_leaf.items():
            if owner.get(leaf) in sums:
                sums[owner[leaf]].add(figures)
        subjects += [_Subject(kind, a.name, sums[a.pk], area=a) for a in containers]
    by_department = compute.regroup(counted, 1)
    departments = Department.objects.in_bulk([pk for pk in by_department if pk is not None])
    subjects += [
        _Subject(SubjectKind.DEPARTMENT, d.name, by_department[pk], department=d)
        for pk, d in sorted(departments.items(), key=lambda kv: kv[1].name)
    ]
    return subjects


def compute_results(
    scheme: AssessmentScheme, month: date, now: datetime | None = None
) -> list[AssessmentResult]:
    """The month's results (unsaved, ``assessment`` unset), ranked within each kind."""
    now = now or timezone.now()
    items = list(scheme.items.order_by("order", "pk"))
    weights = sum((i.weight for i in items), Decimal(0)) or Decimal(1)
    manual = {
        (m.item_id, m.area_id, m.department_id): m
        for m in ManualScore.objects.filter(item__scheme=scheme, month=month)
    }
    results = []
    for subject in _subjects(scheme, month, now):
        total = Decimal(0)
        lines = []
        for item in items:
            if item.kind == AssessmentItem.Kind.MANUAL:
                entry = manual.get(
                    (
                        item.pk,
                        subject.area.pk if subject.area else None,
                        subject.department.pk if subject.department else None,
                    )
                )
                score = entry.score if entry else item.full_marks
                value, note = None, (entry.note if entry else _("Not entered: full marks."))
            else:
                value = subject.figures[item.figure]
                score, note = item_score(item, value), ""
            total += item.weight * score / item.full_marks
            lines.append(
                {
                    "item": item.pk,
                    "name": item.name,
                    "value": value,
                    "score": str(score),
                    "full_marks": str(item.full_marks),
                    "note": note,
                }
            )
        results.append(
            AssessmentResult(
                subject_kind=subject.kind,
                area=subject.area,
                department=subject.department,
                name=subject.name,
                total=(total * 100 / weights).quantize(TWO, ROUND_HALF_UP),
                rank=0,
                detail={
                    "figures": {k: subject.figures[k] for k in KEPT_FIGURES},
                    "items": lines,
                },
            )
        )
    _rank(results)
    return results


def _rank(results: list[AssessmentResult]) -> None:
    """Rank within each kind by total, equal totals sharing a rank (1, 2, 2, 4)."""
    for kind in SubjectKind.values:
        rows = sorted((r for r in results if r.subject_kind == kind), key=lambda r: -r.total)
        for index, row in enumerate(rows):
            same = index and rows[index - 1].total == row.total
            row.rank = rows[index - 1].rank if same else index + 1


def _write(assessment: AssessmentMonth, now: datetime) -> int:
    results = compute_results(assessment.scheme, assessment.month, now)
    for result in results:
        result.assessment = assessment
    AssessmentResult.objects.bulk_create(results)
    return len(results)


def assessment_freeze(
    *, scheme: AssessmentScheme, month: date, now: datetime | None = None
) -> AssessmentMonth | None:
    """Freeze ``month`` of ``scheme``: compute and store its results once. Any number of
    workers may run it; the one whose conditional update claims the month writes the results,
    the others (and every later run) return None. All or nothing."""
    now = now or timezone.now()
    month = first_of_month(month)
    with transaction.atomic():
        assessment, _created = AssessmentMonth.objects.get_or_create(scheme=scheme, month=month)
        claimed = AssessmentMonth.objects.filter(pk=assessment.pk, frozen_at__isnull=True).update(
            frozen_at=now
        )
        if not claimed:
            return None
        assessment.frozen_at = now
        _write(assessment, now)
    return assessment


def assessment_recompute(
    *, assessment: AssessmentMonth, actor, reason: str, now: datetime | None = None
) -> AssessmentMonth:
    """Compute a month again from today's cases, replacing its results; logged with ``actor``
    and ``reason`` (required). Locks the month; all or nothing."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the month is computed again.")]})
    now = now or timezone.now()
    with transaction.atomic():
        locked = AssessmentMonth.objects.select_for_update().get(pk=assessment.pk)
        AssessmentResult.objects.filter(assessment=locked).delete()
        _write(locked, now)
        locked.frozen_at = now
        locked.save(update_fields=["frozen_at", "updated_at"])
        AssessmentRecompute.objects.create(
            assessment=locked, actor=actor, reason=reason, created_at=now
        )
    return locked


def freeze_previous_month(now: datetime | None = None) -> int:
    """Freeze last month for every scheme in use (the task on the 1st); returns how many months
    this run froze."""
    now = now or timezone.now()
    month = previous_month(timezone.localtime(now).date())
    frozen = 0
    for scheme in AssessmentScheme.objects.filter(is_active=True).select_related("street"):
        if assessment_freeze(scheme=scheme, month=month, now=now) is not None:
            frozen += 1
    return frozen
