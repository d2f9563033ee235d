"""The list and inbox pages are drawn partly in Python (the menus, the filter form's fields;
issue 15): each page must be, byte for byte, what the templates they replace drew. The old
templates are kept in ``tests/*/reference/``; every test asks for the same page through them
and through the new path, in Chinese and in English, and compares the two answers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.utils import timezone

from casework.models import Case, CaseEvent, ResponseTemplate, Source
from casework.services import case_report, case_step
from governance import notifications
from tests.casework.factories import CaseFactory, jpeg_upload
from tests.conftest import _with_role
from tests.factories import UserFactory

TESTS = Path(__file__).resolve().parent.parent
# The templates as they were before issue 15's drawing in Python: name -> reference file.
BEFORE = {
    # The base layout before its menus, header and tab bar were drawn in Python: every page
    # compared below is compared through it too.
    "base.html": TESTS / "governance" / "reference" / "base_before_issue15.html",
    "includes/nav_icon.html": TESTS / "governance" / "reference" / "nav_icon_before_issue15.html",
    "casework/list.html": TESTS / "casework" / "reference" / "list_before_issue15.html",
    "casework/_filter_field.html": TESTS
    / "casework"
    / "reference"
    / "filter_field_before_issue15.html",
    "casework/_sort.html": TESTS / "casework" / "reference" / "sort_before_issue15.html",
    # The case page and the area tree as they were when their CPU was first cut (branch
    # casepage): the pages drawn through these must stay what they were.
    "casework/detail.html": TESTS / "casework" / "reference" / "detail_before_issue15.html",
    "casework/_step_form.html": TESTS / "casework" / "reference" / "step_form_before_issue15.html",
    "casework/_photo.html": TESTS / "casework" / "reference" / "photo_before_issue15.html",
    "grids/tree.html": TESTS / "grids" / "reference" / "tree_before_issue15.html",
    "grids/_tree_nodes.html": TESTS / "grids" / "reference" / "tree_nodes_before_issue15.html",
}
# The CSRF token is masked afresh on every page.
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _templates_before():
    engine = dict(settings.TEMPLATES[0])
    options = dict(engine["OPTIONS"])
    options["loaders"] = [
        (
            "django.template.loaders.locmem.Loader",
            {name: path.read_text(encoding="utf-8") for name, path in BEFORE.items()},
        ),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    engine["OPTIONS"] = options
    engine["APP_DIRS"] = False
    return override_settings(TEMPLATES=[engine])


def _page(client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())


@pytest.fixture
def supervisor(tree):
    return _with_role("center_supervisor", tree.street, username="supervisor")


@pytest.fixture
def busy_street(tree, cast, supervisor):
    """Cases in every inbox (so that every badge shows) and an unread notification each."""
    now = timezone.now()
    a = dict(area=tree.building_a1, community=tree.community_a, grid=tree.grid_a1)
    CaseFactory(**a, title="<b>井盖</b> & 缺失")
    CaseFactory(**a, status="accepted", due_at=now - timezone.timedelta(hours=2))
    CaseFactory(**a, status="handled", holder="center", handled_at=now)
    notifications.notify(
        recipients=[supervisor, cast.worker_a, cast.dispatcher_a],
        kind="case",
        title="<i>新</i>案件",
    )
    return tree


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("supervisor", "/cases/"),
        ("supervisor", "/cases/?status=reported&status=accepted&area={community}&q=%3Cb%3E"),
        ("supervisor", "/cases/inbox/"),
        ("supervisor", "/notifications/"),
        ("worker_a", "/cases/"),
        ("worker_a", "/cases/?status=handled&status=closed&sort=due&overdue=true"),
        ("worker_a", "/cases/inbox/"),
        ("dispatcher_a", "/cases/inbox/"),
        ("street_admin", "/cases/?reported_from=2026-01-01&reported_to=x&holder=center&bad=1"),
        ("viewer_a", "/cases/?area=999999"),
    ],
)
def test_the_page_is_what_the_templates_drew(
    client, cast, supervisor, busy_street, who, url, language
):
    user = supervisor if who == "supervisor" else getattr(cast, who)
    client.force_login(user)
    url = url.format(community=busy_street.community_a.pk)

    new = _page(client, url, language)
    with _templates_before():
        old = _page(client, url, language)

    assert new == old
    assert 'class="tabbar"' in new and 'class="mainnav"' in new
    assert "<i>" not in new and "<b>井盖" not in new  # what users typed stays escaped


def test_the_more_sheet_is_what_the_template_drew(client, cast, supervisor, busy_street):
    """The center supervisor has more entries than the phone's bar holds: the "More" sheet, its
    badge, and the active entry inside it."""
    client.force_login(supervisor)

    new = _page(client, "/notifications/", "zh-hans")
    with _templates_before():
        old = _page(client, "/notifications/", "zh-hans")

    assert new == old
    assert 'class="tab tab-more active"' in new
    assert 'role="menuitem" class="active" aria-current="page"' in new


@pytest.fixture
def timeline_case(busy_street, cast, categories):
    """A case with a timeline: reported with a photo by the grid worker, accepted by the
    community's dispatcher with a comment, a photo added; a second one as its possible original."""
    tree = busy_street
    fields = dict(category=categories.garbage, area=tree.building_a1, source=Source.PATROL)
    case_report(actor=cast.worker_a, title="<b>旧</b>垃圾", address="1号楼东侧", **fields)
    case = case_report(
        actor=cast.worker_a, title="<b>垃圾</b> & 堆放", address="1号楼<东侧>",
        description="第一行\n<i>第二行</i>", photos=[jpeg_upload()], **fields,
    )  # fmt: skip
    case = case_step(case=case, actor=cast.dispatcher_a, step="accept", comment="已受理 <ok>")
    return case_step(case=case, actor=cast.worker_a, step="attach", photos=[jpeg_upload()])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "who", ["supervisor", "dispatcher_a", "worker_a", "viewer_a", "street_admin"]
)
def test_the_case_page_is_what_the_templates_drew(
    client, cast, supervisor, timeline_case, who, language
):
    """Those who may act (the dispatcher's forms, the duplicates offered for a merge), those who
    may only view, and the street's supervisor and administrator."""
    client.force_login(supervisor if who == "supervisor" else getattr(cast, who))
    url = f"/cases/{timeline_case.pk}/"

    new = _page(client, url, language)
    with _templates_before():
        old = _page(client, url, language)

    assert new == old
    assert 'class="timeline"' in new
    assert "<b>垃圾" not in new and "<i>第二行" not in new  # what users typed stays escaped


@pytest.fixture
def closed_case(busy_street, crew, categories, departments):
    """A case dispatched to a department with a comment of two lines, completed late with a
    photo and verified: its satisfaction is still to be recorded."""
    tree = busy_street
    case = case_report(
        actor=crew.worker_a, title="路灯<不亮>", category=categories.garbage,
        area=tree.building_a1, source=Source.PATROL, address="2号楼", photos=[jpeg_upload()],
    )  # fmt: skip
    case = case_step(case=case, actor=crew.dispatcher_a, step="accept")
    case = case_step(
        case=case, actor=crew.dispatcher_a, step="dispatch", department=departments.a,
        comment="请处理\n<尽快> & 回复",
    )  # fmt: skip
    case = case_step(case=case, actor=crew.handler_a, step="acknowledge")
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=1))
    case.refresh_from_db()
    case = case_step(
        case=case, actor=crew.handler_a, step="complete", result="已修好",
        photos=[jpeg_upload("after.jpg")],
    )  # fmt: skip
    return case_step(case=case, actor=crew.worker_a, step="verify_pass")


@pytest.fixture
def finished_case(closed_case):
    """The closed case with its satisfaction recorded by a superuser (a role without a label),
    and an overdue record of the deadline clock (no actor)."""
    case = closed_case
    superuser = UserFactory(username="root", is_superuser=True)
    case = case_step(case=case, actor=superuser, step="evaluate", satisfaction="satisfied")
    CaseEvent.objects.create(
        case=case, step="overdue", to_status=case.status, is_public=False,
        created_at=timezone.now(),
    )  # fmt: skip
    return case


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["supervisor", "dispatcher_a", "handler_a"])
def test_a_finished_case_page_is_what_the_templates_drew(
    client, crew, supervisor, finished_case, who, language
):
    """Every kind of timeline line: a department, a late step, the satisfaction, a role without
    a label, an event without an actor, comments of several lines to escape."""
    client.force_login(supervisor if who == "supervisor" else getattr(crew, who))
    url = f"/cases/{finished_case.pk}/"

    new = _page(client, url, language)
    with _templates_before():
        old = _page(client, url, language)

    assert new == old
    assert "tag-late" in new and 'class="tag sat-satisfied"' in new
    assert "<尽快>" not in new and "&lt;尽快&gt; &amp; 回复" in new


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["supervisor", "dispatcher_a"])
def test_the_satisfaction_form_and_quick_replies_are_what_the_templates_drew(
    client, crew, supervisor, closed_case, who, language
):
    ResponseTemplate.objects.create(title="<常用>", text='"已满意" & 谢谢')
    ResponseTemplate.objects.create(step="evaluate", title="回访", text="已电话回访。")
    client.force_login(supervisor if who == "supervisor" else getattr(crew, who))
    url = f"/cases/{closed_case.pk}/"

    new = _page(client, url, language)
    with _templates_before():
        old = _page(client, url, language)

    assert new == old
    assert 'name="evaluate-satisfaction"' in new
    assert 'data-quick-reply="&quot;已满意&quot; &amp; 谢谢"' in new


def _refused(client, url: str, data: dict, language: str) -> str:
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("case", "step", "data"),
    [
        ("timeline_case", "dispatch", {"department": "999999"}),
        ("timeline_case", "merge", {"duplicate_of": "<none>"}),
        ("closed_case", "evaluate", {"comment": "<ok>"}),
    ],
)
def test_a_refused_step_is_what_the_templates_drew(
    client, crew, request, case, step, data, language
):
    """The page again with the step's form open and its errors (a refused post)."""
    case = request.getfixturevalue(case)
    client.force_login(crew.dispatcher_a)
    url = f"/cases/{case.pk}/steps/{step}/"
    data = {f"{step}-version": case.version, **{f"{step}-{k}": v for k, v in data.items()}}

    new = _refused(client, url, data, language)
    with _templates_before():
        old = _refused(client, url, data, language)

    assert new == old
    assert f'<details class="step step-{step} step-primary" open>' in new or (
        f'<details class="step step-{step}" open>' in new
    )
    assert 'role="alert"' in new


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("supervisor", "/areas/"),
        ("worker_a", "/areas/"),
        ("viewer_a", "/areas/"),
        ("street_admin", "/areas/?q=%3Cb%3E"),
        ("supervisor", "/areas/?q=1"),
    ],
)
def test_the_area_tree_is_what_the_templates_drew(
    client, cast, supervisor, busy_street, who, url, language
):
    client.force_login(supervisor if who == "supervisor" else getattr(cast, who))

    new = _page(client, url, language)
    with _templates_before():
        old = _page(client, url, language)

    assert new == old


def _leave_messages(client) -> None:
    """Messages waiting for the next page, as a view leaves them (in the messages cookie), one
    with what a user typed."""
    storage = CookieStorage(HttpRequest())
    storage.add(messages.SUCCESS, "令牌“<b>手机</b> & 平板”已撤销。")
    storage.add(messages.ERROR, "Nothing was unread.")
    response = HttpResponse()
    storage.update(response)
    client.cookies.update(response.cookies)


@pytest.fixture
def odd_name(tree):
    """A user whose name and username must be escaped."""
    return _with_role("viewer", tree.community_a, username="li<wang>", full_name='<b>李</b> & "王"')


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("who", "url", "with_messages"),
    [
        (None, "/accounts/login/", False),
        (None, "/accounts/login/?next=/cases/%3Cb%3E%22", True),
        ("superuser", "/areas/", False),
        ("superuser", "/cases/", True),
        ("odd_name", "/cases/?q=%3Cb%3E", True),
        ("worker_a", "/cases/inbox/", True),
    ],
)
def test_the_base_layout_is_what_the_template_drew(
    client, cast, odd_name, who, url, with_messages, language
):
    """The base layout for an anonymous page (the login page), a superuser (the administration
    link), a user with a name to escape, and messages waiting, one with what a user typed."""
    if who is not None:
        client.force_login(odd_name if who == "odd_name" else getattr(cast, who))
    if with_messages:
        _leave_messages(client)
    new = _page(client, url, language)
    if with_messages:
        _leave_messages(client)
    with _templates_before():
        old = _page(client, url, language)

    assert new == old
    assert 'class="langswitch"' in new
    assert ('class="usermenu"' in new) is (who is not None)
    assert ("/admin/" in new) is (who == "superuser")
    assert ('class="messages"' in new) is with_messages
    assert "<b>" not in new  # what users typed stays escaped
