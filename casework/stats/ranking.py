"""Reads of the assessment pages: the scheme a user's ranking shows, and a month's ranking with
the change from the month before (frozen results when the month is frozen, else computed now)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils import timezone

from casework.stats import assessment
from casework.stats.models import AssessmentMonth, AssessmentResult, AssessmentScheme
from casework.stats.selectors import dashboard_roots
from grids.models import Area


def schemes_for(user) -> list[AssessmentScheme]:
    """Schemes in use whose whole street lies in the user's dashboard scope (a ranking compares
    communities: it is for who sees the street)."""
    roots = dashboard_roots(user)
    if not roots:
        return []
    q = Q(pk__in=[])
    for root in roots:
        q |= Area.subtree_q(root, prefix="street__")
    return list(
        AssessmentScheme.objects.filter(q, is_active=True).select_related("street").order_by("pk")
    )


def parse_month(value: str | None) -> date | None:
    """``YYYY-MM`` as the first day of that month (None when it is not one)."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


@dataclass
class Row:
    result: AssessmentResult
    previous: AssessmentResult | None

    @property
    def rank_change(self) -> int | None:
        """Places gained since last month (negative: lost)."""
        return None if self.previous is None else self.previous.rank - self.result.rank

    @property
    def total_change(self):
        return None if self.previous is None else self.result.total - self.previous.total


@dataclass
class Ranking:
    scheme: AssessmentScheme
    month: date
    frozen_at: object
    rows: list[Row]


def month_results(scheme: AssessmentScheme, month: date) -> tuple[list[AssessmentResult], object]:
    """The month's results: the frozen ones, or computed now for a month not frozen yet."""
    frozen = AssessmentMonth.objects.filter(
        scheme=scheme, month=month, frozen_at__isnull=False
    ).first()
    if frozen is not None:
        results = list(
            AssessmentResult.objects.filter(assessment=frozen).order_by(
                "subject_kind", "rank", "pk"
            )
        )
        return results, frozen.frozen_at
    if month > timezone.localdate():
        return [], None
    return assessment.compute_results(scheme, month), None


def ranking(scheme: AssessmentScheme, month: date) -> Ranking:
    results, frozen_at = month_results(scheme, month)
    previous, _at = month_results(scheme, assessment.previous_month(month))
    before = {(r.subject_kind, r.area_id, r.department_id): r for r in previous}
    rows = [
        Row(r, before.get((r.subject_kind, r.area_id, r.department_id)))
        for r in sorted(results, key=lambda r: (r.subject_kind, r.rank, r.name))
    ]
    return Ranking(scheme, month, frozen_at, rows)
