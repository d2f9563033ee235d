"""The dashboard page: scope, drill-down, links to the cases behind each figure, query counts."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.models import Holder, Status
from casework.stats.periods import preset
from grids.models import AreaKind
from tests.casework.factories import CaseFactory
from tests.factories import AreaFactory

URL = reverse("stats:dashboard")


@pytest.fixture
def month_cases(tree, categories, departments):
    """This month: three cases in community A (one closed, one overdue), one in community B."""
    now = timezone.now()
    start = preset("month").start
    early = max(start, now - timedelta(hours=2))
    with transaction.atomic():  # case numbers are drawn under a row lock
        return _month_cases(tree, categories, departments, early)


def _month_cases(tree, categories, departments, early):
    closed = CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        status=Status.CLOSED,
        holder=Holder.NONE,
        department=departments.a,
        reported_at=early,
        closed_at=early + timedelta(minutes=30),
        resolved_on_spot=True,
    )
    overdue = CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        reported_at=early,
        due_at=early + timedelta(minutes=1),
    )
    fresh = CaseFactory(area=tree.micro_a1, category=categories.lamp, reported_at=early)
    other = CaseFactory(area=tree.building_b1, category=categories.garbage, reported_at=early)
    return {"closed": closed, "overdue": overdue, "fresh": fresh, "other": other}


def _figure(html: str, key: str) -> int:
    match = re.search(rf'data-figure="{key}">\s*<span class="stat-value">(\d+)<', html)
    assert match, key
    return int(match.group(1))


def _link(html: str, key: str) -> str:
    match = re.search(rf'href="([^"]+)" title="[^"]*" data-figure="{key}"', html)
    assert match, key
    return unescape(match.group(1))


def test_the_street_sees_the_whole_street_and_a_row_per_community(
    client, crew, month_cases, tree, in_english
):
    client.force_login(crew.center)
    html = client.get(URL).content.decode()
    assert _figure(html, "reported") == 4
    assert _figure(html, "closed") == 1
    assert _figure(html, "overdue") == 1
    assert tree.community_a.name in html and tree.community_b.name in html
    assert f"area={tree.community_a.pk}" in html  # the drill-down link


def test_a_community_dispatcher_sees_their_community_only(
    client, crew, month_cases, tree, in_english
):
    client.force_login(crew.dispatcher_b)
    html = client.get(URL).content.decode()
    assert _figure(html, "reported") == 1
    assert tree.community_b.name in html
    assert client.get(URL, {"area": tree.community_a.pk}).status_code == 404
    assert client.get(URL, {"area": tree.street.pk}).status_code == 404


def test_a_leader_drills_from_community_to_grid(client, crew, month_cases, tree, in_english):
    client.force_login(crew.viewer_a)
    html = client.get(URL).content.decode()
    assert _figure(html, "reported") == 3
    assert tree.grid_a1.name in html and tree.grid_a2.name in html
    grid = client.get(URL, {"area": tree.grid_a1.pk}).content.decode()
    assert _figure(grid, "reported") == 3
    assert tree.micro_a1.name in grid


def test_a_figure_opens_the_cases_it_counts(client, crew, month_cases, in_english):
    client.force_login(crew.center)
    html = client.get(URL).content.decode()
    for key, expected in (("closed", {"closed"}), ("overdue", {"overdue"})):
        listing = client.get(_link(html, key)).content.decode()
        shown = {name for name, case in month_cases.items() if case.number in listing}
        assert shown == expected, key


def test_a_rate_opens_its_cases(client, crew, month_cases, in_english):
    client.force_login(crew.center)
    html = client.get(URL).content.decode()
    match = re.search(
        r'data-rate="on_spot_share">\s*<span class="stat-value"><a href="([^"]+)">', html
    )
    listing = client.get(unescape(match.group(1))).content.decode()
    assert month_cases["closed"].number in listing
    assert month_cases["fresh"].number not in listing


def test_roles_without_a_dashboard_are_refused(client, crew, month_cases):
    client.force_login(crew.worker_a)
    assert client.get(URL).status_code == 403
    client.force_login(crew.handler_a)
    assert client.get(URL).status_code == 403


def test_leaders_the_street_and_the_center_start_on_the_dashboard(client, crew):
    for user in (crew.viewer_a, crew.street_admin, crew.center):
        client.force_login(user)
        assert client.get("/").url.startswith(URL), user


def test_bad_period_is_named_and_the_month_shown(client, crew, in_english):
    client.force_login(crew.center)
    response = client.get(URL, {"period": "custom", "from": "2026-10-31", "to": "2026-10-01"})
    assert response.status_code == 200
    assert "The end comes before the start." in response.content.decode()


def test_sorting_a_table_by_a_figure(client, crew, month_cases, tree, in_english):
    client.force_login(crew.center)
    html = client.get(URL, {"area_sort": "-reported"}).content.decode()
    assert html.index(tree.community_a.name) < html.index(tree.community_b.name)
    html = client.get(URL, {"area_sort": "reported"}).content.decode()
    table = html[html.index('id="areas-title"') :]
    assert table.index(tree.community_b.name) < table.index(tree.community_a.name)


def test_the_number_of_queries_does_not_grow_with_the_child_areas(
    client, crew, month_cases, tree, categories
):
    client.force_login(crew.center)
    # A case filed now, so that this week's hot spots are not empty in either measurement (just
    # after midnight on a Monday the fixture's cases all lie in the week before); a second 路灯
    # case at the micro-grid, not a third anywhere, so that no repeated report appears.
    CaseFactory(area=tree.micro_a1, category=categories.lamp)
    client.get(URL)  # warm the caches of the clock and the calendar

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for i in range(4):
        community = AreaFactory(kind=AreaKind.COMMUNITY, name=f"新社区{i}", parent=tree.street)
        building = AreaFactory(kind=AreaKind.BUILDING, name=f"新楼{i}", parent=community)
        CaseFactory(area=building, category=categories.garbage)
    client.get(URL)  # the street's range changed: the clock reads its working hours again
    assert queries() == before
    # 32 for the figures and tables (the rollups caught up first), 7 for the map (categories,
    # children, households, the subtree's cases, open and overdue per area, the tree ranges,
    # the clusters), 8 for the party panel's aggregates.
    assert before <= 47


def test_the_dashboard_tables_export_to_excel_in_scope(client, crew, month_cases, tree):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(crew.dispatcher_b)
    response = client.get(reverse("stats:export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    names = {row[1] for row in rows[1:]}
    assert tree.grid_b1.name in names
    assert tree.community_a.name not in names and tree.grid_a1.name not in names
    reported = rows[0].index(next(h for h in rows[0] if h in ("Reported", "已上报")))
    assert sum(row[reported] for row in rows[1:] if row[1] == tree.grid_b1.name) == 1
    client.force_login(crew.dispatcher_b)
    assert client.get(reverse("stats:export"), {"area": tree.street.pk}).status_code == 404
