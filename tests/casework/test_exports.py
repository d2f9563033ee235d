"""The case export writes user text as text (issue 8, item 6): a title, an address, a reporter
name or a result starting with a formula character is a string cell, shown as typed."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from governance.privacy import mask_name
from tests.casework.factories import CaseFactory

pytestmark = pytest.mark.django_db

LEADING = ["=", "+", "-", "@", "\t", "\r"]


def _sheet(response):
    assert response.status_code == 200
    return load_workbook(BytesIO(b"".join(response.streaming_content))).active


@pytest.mark.parametrize("lead", LEADING, ids=repr)
def test_user_text_with_a_leading_formula_character_is_text(
    client, tree, categories, crew, in_english, lead
):
    text = f'{lead}HYPERLINK("http://evil","点我")'
    case = CaseFactory(
        area=tree.grid_a1,
        community=tree.community_a,
        category=categories.garbage,
        title=text,
        address=text,
        reporter_name=text,
        result=text,
    )
    client.force_login(crew.dispatcher_a)
    sheet = _sheet(client.get(reverse("casework:export")))
    header = [c.value for c in sheet[1]]
    row = sheet[2]
    assert row[0].value == case.number
    # The reporter's name is personal data: masked (governance.privacy), and still text.
    expected = {"Reporter": mask_name(text)}
    for column in ("Title", "Address", "Reporter", "Handling result"):
        cell = row[header.index(column)]
        want = expected.get(column, text)
        assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", want, True), column
    assert all(cell.data_type != "f" for cell in row)


def test_ordinary_text_and_dates_keep_their_type(client, tree, categories, crew, in_english):
    CaseFactory(
        area=tree.grid_a1, community=tree.community_a, category=categories.garbage, title="垃圾"
    )
    client.force_login(crew.dispatcher_a)
    sheet = _sheet(client.get(reverse("casework:export")))
    header = [c.value for c in sheet[1]]
    row = sheet[2]
    title = row[header.index("Title")]
    assert (title.value, title.quotePrefix) == ("垃圾", False)
    assert row[header.index("Reported at")].is_date


def test_an_export_of_one_chunk_reads_its_rows_in_one_select(
    client, tree, categories, crew, in_english
):
    """At most one chunk of cases is read in a plain SELECT, which counts them too: on
    PostgreSQL no server-side cursor (DECLARE, FETCH, CLOSE) and no COUNT, and the same rows
    in the same order as the chunked read the background export keeps."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework import page_selectors
    from casework.models import Case

    for title in ("甲", "乙", "丙"):
        CaseFactory(
            area=tree.grid_a1, community=tree.community_a, category=categories.garbage, title=title
        )
    client.force_login(crew.dispatcher_a)
    with CaptureQueriesContext(connection) as captured:
        sheet = _sheet(client.get(reverse("casework:export")))
    assert sheet.max_row == 4
    assert not [q["sql"] for q in captured if q["sql"].startswith("DECLARE")]
    assert not [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    ordered = Case.objects.order_by("-reported_at", "-pk")
    chunked = list(page_selectors.export_rows(ordered, chunk_size=2))
    assert page_selectors.export_head(ordered, chunk_size=2) is None
    head = page_selectors.export_head(ordered, chunk_size=3)
    assert list(page_selectors.export_rows(ordered, chunk_size=3, head=head)) == chunked


def test_an_exports_statements_do_not_grow_with_its_rows(client, tree, categories, crew):
    """The export of a list reads its rows (of one chunk: no count), whatever their number: their
    areas, categories and departments come with the rows, not a query each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(crew.dispatcher_a)
    counted = []
    for n in range(12):
        CaseFactory(
            area=tree.grid_a1 if n % 2 else tree.community_a,
            community=tree.community_a,
            category=categories.garbage,
            title=f"井盖{n}",
        )
        if n in (0, 11):
            client.get(reverse("casework:export"))  # the caches filled for this many
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse("casework:export"))
            assert _sheet(response).max_row == n + 2
            counted.append(len(captured))
    assert counted[0] == counted[1] <= 5


def test_an_export_names_category_places_and_department_without_joining_their_tables(
    client, tree, categories, departments, crew, in_english
):
    """The statement reads the case and the area of its scope only; the names of the category
    and its group, the community, the grid and the department come from the process caches
    (PostgreSQL planned the seven-table join in ~5 ms for 0.3 ms of execution, issue 15), and
    they are the names of the case's own rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework.models import Case

    case = CaseFactory(area=tree.grid_a1, category=categories.lamp, title="路灯")
    Case.objects.filter(pk=case.pk).update(department=departments.b)
    CaseFactory(area=tree.community_a, category=categories.garbage, title="垃圾")
    client.force_login(crew.dispatcher_a)
    client.get(reverse("casework:export"))  # the caches filled
    with CaptureQueriesContext(connection) as captured:
        sheet = _sheet(client.get(reverse("casework:export")))

    header = [c.value for c in sheet[1]]
    rows = {row[header.index("Number")].value: row for row in sheet.iter_rows(min_row=2)}

    def shown(number, column):
        return rows[number][header.index(column)].value

    assert [shown(case.number, column) for column in (
        "Category", "Sub-category", "Community", "Grid", "Area", "Department"
    )] == ["市容环境", "路灯不亮", tree.community_a.name, tree.grid_a1.name, tree.grid_a1.name,
           "环卫所"]  # fmt: skip
    other = Case.objects.exclude(pk=case.pk).get()
    assert [shown(other.number, column) for column in ("Sub-category", "Community", "Grid")] == [
        "暴露垃圾",
        tree.community_a.name,
        None,
    ]
    (statement,) = [q["sql"] for q in captured if 'FROM "casework_case"' in q["sql"]]
    assert statement.count(" JOIN ") <= 1
    for table in ("casework_category", "governance_department"):
        assert table not in statement
