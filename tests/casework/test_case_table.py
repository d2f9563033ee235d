"""The case tables' rows are drawn in Python (casework.tables, issue 15): what a user sees must be
what the template loop drew. ``reference/case_table_before_issue15.html`` is the table template
as it was; every test renders the same cases through it and through the new path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone, translation

from casework import selectors, tables
from casework.models import Case, Holder, Priority, Status
from tests.casework.factories import CaseFactory
from tests.factories import DepartmentFactory

REFERENCE = Path(__file__).with_name("reference") / "case_table_before_issue15.html"


def _reference(cases) -> str:
    template = engines["django"].from_string(REFERENCE.read_text(encoding="utf-8"))
    return template.render({"cases": cases})


@pytest.fixture
def varied_cases(tree):
    """One case of every shape a row has: new, urgent, overdue, with a department, handled and
    waiting for the check, closed, filed on the community itself, and a title of markup."""
    now = timezone.now()
    department = DepartmentFactory(name="城管<执法>队")
    a = dict(area=tree.building_a1, community=tree.community_a, grid=tree.grid_a1)
    CaseFactory(**a, title="<b>\"井盖\" & '缺失'</b>", priority=Priority.URGENT)
    CaseFactory(
        **a, status=Status.ACCEPTED, due_at=now - timedelta(hours=3),
        reported_at=now - timedelta(days=2),
    )  # fmt: skip
    CaseFactory(
        **a, status=Status.IN_PROGRESS, holder=Holder.DEPARTMENT, department=department,
        due_at=now + timedelta(days=3), reported_at=now - timedelta(days=3),
    )  # fmt: skip
    CaseFactory(
        **a, status=Status.HANDLED, holder=Holder.CENTER, handled_at=now - timedelta(hours=5),
        reported_at=now - timedelta(days=4),
    )  # fmt: skip
    CaseFactory(
        **a, status=Status.CLOSED, holder=Holder.NONE, priority=Priority.CRITICAL,
        closed_at=now - timedelta(days=1), reported_at=now - timedelta(days=9),
    )  # fmt: skip
    CaseFactory(
        area=tree.community_a, community=tree.community_a, reported_at=now - timedelta(days=30)
    )
    return Case.objects.all()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_rows_drawn_in_python_match_the_template_loop_they_replace(
    varied_cases, language, django_assert_max_num_queries
):
    now = timezone.now()
    with translation.override(language):
        # The rows read only the columns they show, and nothing more per row: the areas,
        # categories and departments they show once each (then kept in the process caches),
        # the street's working hours and the year's calendar once, for "time left".
        with django_assert_max_num_queries(6):
            cases = tables.annotate(
                selectors.case_rows(varied_cases).order_by("-reported_at", "-pk"), now
            )
            rows = tables.rows_html(cases, now)
        # Drawn again: the rows, and the areas (a strict cache: read afresh while this test's
        # transaction holds areas not committed).
        with django_assert_max_num_queries(2):
            again = tables.annotate(
                selectors.case_rows(varied_cases).order_by("-reported_at", "-pk"), now
            )
            assert tables.rows_html(again, now) == rows
        new = render_to_string("casework/_case_table.html", {"rows": rows})
        old = _reference(cases)

    assert new == old
    assert "&lt;b&gt;&quot;井盖&quot; &amp; &#x27;缺失&#x27;&lt;/b&gt;" in new
    assert "城管&lt;执法&gt;队" in new
    assert new.count("<tr class=") == 6


@pytest.mark.parametrize(
    ("who", "url"),
    [("street_admin", "/cases/"), ("street_admin", "/cases/?status=handled&status=in_progress")],
)
def test_the_list_page_shows_the_table_the_template_drew(client, cast, varied_cases, who, url):
    client.force_login(getattr(cast, who))

    response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["cases"], "the page lists cases"
    assert _reference(response.context["cases"]) in page


def test_the_inbox_shows_the_tables_the_template_drew(client, cast, varied_cases):
    client.force_login(cast.dispatcher_a)

    response = client.get("/cases/inbox/")

    page = response.content.decode()
    sections = [s for s in response.context["sections"] if s["cases"]]
    assert sections, "the dispatcher has cases waiting"
    for section in sections:
        assert _reference(section["cases"]) in page


def test_the_category_filter_follows_a_category_change_after_the_list_was_drawn(
    client, cast, varied_cases
):
    from casework.models import Category

    client.force_login(cast.street_admin)
    category = Category.objects.order_by("pk").first()
    assert f">{category.name}</option>" in client.get("/cases/").content.decode()

    category.name = "改名后的类别"
    category.save()
    renamed = client.get("/cases/").content.decode()

    assert ">改名后的类别</option>" in renamed


def test_the_area_and_department_filters_follow_changes_after_the_list_was_drawn(
    client, cast, tree, varied_cases, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from governance.models import Department
    from tests.factories import RoleAssignmentFactory

    client.force_login(cast.admin_a)
    with CaptureQueriesContext(connection) as counted:
        page = client.get("/cases/").content.decode()
    assert f">\u3000{tree.grid_a1.name}</option>" in page and tree.community_b.name not in page
    # Drawn again: the area and department options come from the process cache.
    with django_assert_max_num_queries(len(counted) - 2):
        client.get("/cases/")

    grid = type(tree.grid_a1).objects.get(pk=tree.grid_a1.pk)
    grid.name = "改名后的网格"
    grid.save()
    Department.objects.create(owner=None, code="new-dept", name="新设的部门")
    page = client.get("/cases/").content.decode()
    assert ">\u3000改名后的网格</option>" in page
    assert ">新设的部门</option>" in page

    RoleAssignmentFactory(user=cast.admin_a, role="street_admin", area=tree.community_b)
    assert tree.community_b.name in client.get("/cases/").content.decode()
