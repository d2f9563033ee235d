"""The assessment pages: the monthly ranking (考核排名) with the change from the month before and
each item's detail, and the monthly bulletin (通报) as a printable A4 page and as Excel."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casework.stats import assessment, ranking
from casework.stats.models import SubjectKind
from governance import exports

BEST_AND_WORST = 3


def _context(request):
    schemes = ranking.schemes_for(request.user)
    if not schemes:
        raise PermissionDenied(_("The ranking is for who sees the whole street."))
    scheme = schemes[0]
    wanted = request.GET.get("scheme")
    if wanted:
        scheme = next((s for s in schemes if str(s.pk) == wanted), None)
        if scheme is None:
            raise Http404(_("No such scheme, or it is outside your scope."))
    month_error = ""
    month = ranking.parse_month(request.GET.get("month"))
    if request.GET.get("month") and month is None:
        month_error = _("Give the month as YYYY-MM.")
    if month is None:
        month = assessment.previous_month(timezone.localdate())
    return schemes, scheme, month, month_error


def _by_kind(rows):
    return [
        (kind, label, [row for row in rows if row.result.subject_kind == kind])
        for kind, label in SubjectKind.choices
    ]


@login_required
@require_GET
def ranking_page(request):
    schemes, scheme, month, month_error = _context(request)
    result = ranking.ranking(scheme, month)
    kind = request.GET.get("kind") or SubjectKind.COMMUNITY
    if kind not in SubjectKind.values:
        kind = SubjectKind.COMMUNITY
    rows = [row for row in result.rows if row.result.subject_kind == kind]
    items = [line["name"] for line in rows[0].result.detail["items"]] if rows else []
    return render(
        request,
        "casework/stats/ranking.html",
        {
            "schemes": schemes,
            "scheme": scheme,
            "ranking": result,
            "rows": rows,
            "items": items,
            "kind": kind,
            "kinds": SubjectKind.choices,
            "month_value": f"{month:%Y-%m}",
            "previous_value": f"{assessment.previous_month(month):%Y-%m}",
            "month_error": month_error,
        },
    )


@login_required
@require_GET
def bulletin(request):
    schemes, scheme, month, month_error = _context(request)
    result = ranking.ranking(scheme, month)
    sections = []
    for kind, label, rows in _by_kind(result.rows):
        # The best and the last never overlap: at most half of a short list each.
        n = min(BEST_AND_WORST, max(1, len(rows) // 2))
        sections.append(
            {
                "kind": kind,
                "label": label,
                "rows": rows,
                "best": rows[:n],
                "worst": list(reversed(rows[-n:])) if len(rows) > n else [],
            }
        )
    departments = next(s for s in sections if s["kind"] == SubjectKind.DEPARTMENT)["rows"]
    overdue = sorted(
        (
            (row.result.name, row.result.detail["figures"]["went_overdue"])
            for row in departments
            if row.result.detail["figures"]["went_overdue"]
        ),
        key=lambda pair: -pair[1],
    )
    return render(
        request,
        "casework/stats/bulletin.html",
        {
            "schemes": schemes,
            "scheme": scheme,
            "ranking": result,
            "sections": sections,
            "overdue": overdue,
            "month_value": f"{month:%Y-%m}",
            "month_error": month_error,
        },
    )


@login_required
@require_GET
def bulletin_export(request):
    _schemes, scheme, month, _error = _context(request)
    result = ranking.ranking(scheme, month)
    items = [line["name"] for line in result.rows[0].result.detail["items"]] if result.rows else []
    headers = [
        _("Assessed"),
        _("Rank"),
        _("Name"),
        _("Total"),
        _("Change of rank"),
        *items,
        _("Reported"),
        _("Closed"),
        _("Went overdue"),
        _("Response rate"),
        _("Resolution rate"),
        _("Satisfaction rate"),
    ]
    labels = dict(SubjectKind.choices)
    rows = []
    for row in result.rows:
        r = row.result
        figures = r.detail["figures"]
        rows.append(
            [
                str(labels.get(r.subject_kind, r.subject_kind)),
                r.rank,
                r.name,
                r.total,
                row.rank_change,
                *(float(line["score"]) for line in r.detail["items"]),
                figures["reported"],
                figures["closed"],
                figures["went_overdue"],
                figures["response_rate"],
                figures["resolution_rate"],
                figures["satisfaction_rate"],
            ]
        )
    return exports.spreadsheet_response(
        filename=f"{scheme.street.name}-{month:%Y-%m}-{_('bulletin')}",
        sheet_title=f"{month:%Y-%m}",
        headers=headers,
        rows=rows,
        widths=[10, 6, 22, 8, 8, *([10] * len(items)), 8, 8, 8, 10, 10, 10],
    )
