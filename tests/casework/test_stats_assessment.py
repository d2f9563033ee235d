"""The monthly assessment on the hand-computed October of test_stats_figures: scores, ranks,
the frozen month that later edits don't change, and the logged recompute."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from casework.models import Case, Status
from casework.stats import assessment, rollup
from casework.stats.models import (
    AssessmentItem,
    AssessmentMonth,
    AssessmentRecompute,
    AssessmentResult,
    AssessmentScheme,
    ManualScore,
)
from tests.casework.factories import CaseFactory
from tests.casework.test_stats_figures import at, calendar, october  # noqa: F401 (fixtures)

OCTOBER_1 = date(2026, 10, 1)


@pytest.fixture
def scheme(tree, crew):
    scheme = AssessmentScheme.objects.create(street=tree.street, name="网格化考核办法")
    computed = AssessmentItem.Kind.COMPUTED
    for order, (name, figure, weight) in enumerate(
        (("响应率", "response_rate", 30), ("解决率", "resolution_rate", 30)), start=1
    ):
        AssessmentItem.objects.create(
            scheme=scheme,
            name=name,
            kind=computed,
            figure=figure,
            target=100,
            weight=weight,
            order=order,
        )
    AssessmentItem.objects.create(
        scheme=scheme,
        name="满意率",
        kind=computed,
        figure="satisfaction_rate",
        target=90,
        weight=20,
        order=3,
    )
    discipline = AssessmentItem.objects.create(
        scheme=scheme,
        name="工作纪律",
        kind=AssessmentItem.Kind.MANUAL,
        weight=20,
        full_marks=10,
        order=4,
    )
    ManualScore.objects.create(
        item=discipline,
        month=OCTOBER_1,
        area=tree.community_a,
        score=8,
        note="例会缺席一次",
        entered_by=crew.center,
    )
    return scheme


def _community(results, area):
    return next(r for r in results if r.area_id == area.pk)


def test_october_scores_and_ranks(october, scheme, tree):  # noqa: F811
    results = assessment.compute_results(scheme, OCTOBER_1, at(11, 3, 12))
    a = _community(results, tree.community_a)
    # 30 × 66.7 % + 30 × 60 % + 20 × min(50 / 90, 1) + 20 × 8 / 10
    assert a.total == Decimal("20.01") + Decimal("18.00") + Decimal("11.11") + Decimal("16.00")
    items = {line["name"]: line for line in a.detail["items"]}
    assert items["满意率"]["score"] == "55.56"
    assert items["工作纪律"]["note"] == "例会缺席一次"
    # Community B had nothing to count (its building moved to A): full marks, first place.
    b = _community(results, tree.community_b)
    assert b.total == Decimal("100.00")
    assert (b.rank, a.rank) == (1, 2)
    kinds = {r.subject_kind for r in results}
    assert kinds == {"community", "grid", "department"}


def test_the_assessment_reads_the_months_figures_only(october, scheme, tree):  # noqa: F811
    """No item and no kept figure is a snapshot (open, overdue now...), so the freeze and the
    ranking read the month's rollups and never the open cases of today."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework.stats.figures import FIGURES, RATES
    from casework.stats.models import ITEM_FIGURES

    used = set(assessment.KEPT_FIGURES) | {figure for figure, _label in ITEM_FIGURES}
    parts = {k for k in used if k in FIGURES} | {
        part for k in used if k in RATES for part in (RATES[k].numerator, RATES[k].denominator)
    }
    assert parts and not [k for k in parts if FIGURES[k].snapshot]
    rollup.catch_up()  # the first one builds the rollups (all five tables)
    with CaptureQueriesContext(connection) as ctx:
        results = assessment.compute_results(scheme, OCTOBER_1, at(11, 3, 12))
    assert _community(results, tree.community_a).total == Decimal("65.12")
    read = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "casework_caserollupmonth" in read
    assert "casework_caserollupopen" not in read


def test_a_frozen_month_does_not_change_with_later_edits(october, scheme, tree, crew):  # noqa: F811
    frozen = assessment.assessment_freeze(scheme=scheme, month=OCTOBER_1, now=at(11, 1, 0, 30))
    assert frozen is not None
    before = _community(frozen.results.all(), tree.community_a).total
    # A late entry for October lowers community A's resolution rate.
    CaseFactory(
        area=tree.building_a1,
        category=Case.objects.first().category,
        reported_at=at(10, 30, 9),
        status=Status.REPORTED,
    )
    live = _community(
        assessment.compute_results(scheme, OCTOBER_1, at(11, 3, 12)), tree.community_a
    )
    assert live.total < before
    # The task runs again (another worker, a redelivery): nothing changes.
    assert assessment.assessment_freeze(scheme=scheme, month=OCTOBER_1) is None
    assert assessment.freeze_previous_month(at(11, 1, 0, 31)) == 0
    assert _community(AssessmentResult.objects.all(), tree.community_a).total == before

    with pytest.raises(ValidationError):
        assessment.assessment_recompute(assessment=frozen, actor=crew.center, reason=" ")
    assessment.assessment_recompute(
        assessment=frozen, actor=crew.center, reason="补录10月30日案件", now=at(11, 4, 9)
    )
    assert _community(AssessmentResult.objects.all(), tree.community_a).total == live.total
    log = AssessmentRecompute.objects.get()
    assert (log.actor, log.reason) == (crew.center, "补录10月30日案件")


def test_the_task_on_the_first_freezes_last_month_once(october, scheme):  # noqa: F811
    assert assessment.freeze_previous_month(at(11, 1, 0, 30)) == 1
    month = AssessmentMonth.objects.get()
    assert month.month == OCTOBER_1 and month.frozen_at is not None
    assert month.results.count() > 0


# -- pages ----------------------------------------------------------------------------------
RANKING = "/dashboard/ranking/"


def test_the_ranking_page_shows_the_frozen_month_and_the_change(
    client,
    october,  # noqa: F811
    scheme,
    crew,
    tree,
    in_english,
    django_assert_max_num_queries,
):
    assessment.assessment_freeze(scheme=scheme, month=OCTOBER_1, now=at(11, 1, 0, 30))
    client.force_login(crew.center)
    with django_assert_max_num_queries(30):
        response = client.get(RANKING, {"month": "2026-10"})
    html = response.content.decode()
    assert "frozen 2026-11-01 00:30" in html
    assert html.index(tree.community_b.name) < html.index(tree.community_a.name)
    assert "65.12" in html  # community A, as computed in test_october_scores_and_ranks
    grids = client.get(RANKING, {"month": "2026-10", "kind": "grid"}).content.decode()
    assert tree.grid_a1.name in grids and tree.community_a.name not in grids


def test_the_bulletin_prints_and_exports(client, october, scheme, crew, tree, in_english):  # noqa: F811
    assessment.assessment_freeze(scheme=scheme, month=OCTOBER_1, now=at(11, 1, 0, 30))
    client.force_login(crew.street_admin)
    html = client.get("/dashboard/bulletin/", {"month": "2026-10"}).content.decode()
    assert "Grid governance bulletin, 2026-10" in html
    assert tree.street.name in html
    assert "城管执法队" in html  # the department's row
    # The two overdue cases were never dispatched: no department is named for them.
    assert "No department let a case go overdue this month." in html
    response = client.get("/dashboard/bulletin.xlsx", {"month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert tree.community_a.name in names and tree.community_b.name in names


def test_the_ranking_is_for_who_sees_the_street(client, october, scheme, crew):  # noqa: F811
    for user in (crew.viewer_a, crew.dispatcher_a, crew.worker_a):
        client.force_login(user)
        assert client.get(RANKING).status_code == 403, user
        assert client.get("/dashboard/bulletin.xlsx").status_code == 403, user


def test_a_bad_month_is_named(client, scheme, crew, in_english):
    client.force_login(crew.center)
    response = client.get(RANKING, {"month": "2026-13"})
    assert response.status_code == 200
    assert "Give the month as YYYY-MM." in response.content.decode()


def test_the_admin_recomputes_a_month_only_with_a_reason(
    client,
    october,  # noqa: F811
    scheme,
    crew,
    in_english,
):
    month = assessment.assessment_freeze(scheme=scheme, month=OCTOBER_1, now=at(11, 1, 0, 30))
    client.force_login(crew.superuser)
    url = "/admin/casework/assessmentmonth/"
    asked = client.post(url, {"action": "recompute", "_selected_action": [month.pk]})
    assert asked.status_code == 200
    assert "Kept in the log of the month." in asked.content.decode()
    assert not AssessmentRecompute.objects.exists()
    empty = client.post(url, {"action": "recompute", "_selected_action": [month.pk], "reason": ""})
    assert empty.status_code == 200 and not AssessmentRecompute.objects.exists()
    done = client.post(
        url, {"action": "recompute", "_selected_action": [month.pk], "reason": "部门申诉复核"}
    )
    assert done.status_code == 302
    assert AssessmentRecompute.objects.get().reason == "部门申诉复核"
    assert client.get(f"{url}{month.pk}/change/").status_code == 200
