"""The case pages: scope, query counts, filing, the export and the step forms."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from casework import views
from casework.models import Attachment, Case, CaseEvent, Holder, Priority, Source, Status
from casework.services import case_report, case_step
from tests.casework.factories import CaseFactory, jpeg_upload
from tests.factories import RoleAssignmentFactory, UserFactory


@pytest.fixture(autouse=True)
def _english(settings):
    # The assertions read the English messages (the Chinese catalogue is compiled separately).
    settings.LANGUAGE_CODE = "en"


def _report(actor, area, category, **kwargs):
    fields = dict(
        actor=actor,
        title="垃圾堆放",
        category=category,
        area=area,
        source=Source.PATROL,
        address="1号楼东侧",
    )
    fields.update(kwargs)
    return case_report(**fields)


@pytest.fixture
def two_cases(tree, categories, crew):
    """One reported case in community A (with a photo) and one in community B."""
    a = _report(crew.worker_a, tree.building_a1, categories.garbage, photos=[jpeg_upload()])
    b = _report(crew.worker_b, tree.building_b1, categories.garbage, title="柳荫垃圾")
    return a, b


def _login(client, user):
    client.force_login(user)
    return client


def _many_cases(tree, categories, n, **kwargs):
    for i in range(n):
        area = (tree.building_a1, tree.micro_a1, tree.grid_a2)[i % 3]
        CaseFactory(area=area, category=categories.garbage, community=tree.community_a, **kwargs)


# -- scope ----------------------------------------------------------------------------------
def test_it_gives_404_for_a_case_of_another_community(client, two_cases, crew):
    a, b = two_cases
    _login(client, crew.dispatcher_b)
    photo = Attachment.objects.get(case=a)
    assert client.get(reverse("casework:detail", args=[a.pk])).status_code == 404
    url = reverse("casework:photo", args=[a.pk, photo.pk, "thumb"])
    assert client.get(url).status_code == 404
    response = client.post(reverse("casework:step", args=[a.pk, "accept"]), {"accept-version": 1})
    assert response.status_code == 404
    a.refresh_from_db()
    assert a.status == Status.REPORTED
    assert client.get(reverse("casework:detail", args=[b.pk])).status_code == 200


def test_list_inbox_search_and_export_show_only_the_own_community(client, two_cases, crew):
    a, b = two_cases
    _login(client, crew.dispatcher_b)
    listed = client.get(reverse("casework:list")).content.decode()
    assert b.number in listed and a.number not in listed
    found = client.get(reverse("casework:list"), {"q": a.number}).content.decode()
    assert a.title not in found
    inbox = client.get(reverse("casework:inbox")).content.decode()
    assert b.number in inbox and a.number not in inbox
    rows = _export_rows(client.get(reverse("casework:export")))
    assert [r[0] for r in rows] == [b.number]


def test_a_photo_is_served_to_who_may_see_the_case(client, two_cases, crew):
    a, _b = two_cases
    photo = Attachment.objects.get(case=a)
    _login(client, crew.dispatcher_a)
    response = client.get(reverse("casework:photo", args=[a.pk, photo.pk, "full"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_pages_need_a_login(client, two_cases):
    a, _b = two_cases
    for url in (
        reverse("casework:list"),
        reverse("casework:inbox"),
        reverse("casework:new"),
        reverse("casework:export"),
        reverse("casework:detail", args=[a.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_viewer_may_not_open_the_filing_form(client, crew):
    _login(client, crew.viewer_a)
    assert client.get(reverse("casework:new")).status_code == 403


# -- query counts ---------------------------------------------------------------------------
@pytest.mark.parametrize("n", [3, 30])
def test_the_list_reads_a_bounded_number_of_queries(
    client, tree, categories, crew, n, django_assert_max_num_queries
):
    _many_cases(tree, categories, n)
    _login(client, crew.dispatcher_a)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("casework:list"), {"status": "reported", "sort": "due"})
    assert response.status_code == 200
    assert len(response.context["cases"]) == min(n, 25)


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_searched_for_a_word_reads_a_bounded_number_of_queries(
    client, tree, categories, crew, n, django_assert_max_num_queries
):
    _many_cases(tree, categories, n, title="路口井盖缺失")
    _many_cases(tree, categories, 2, title="楼道堆物")
    _login(client, crew.dispatcher_a)
    # The rows' areas, categories and departments come from the process caches: one query each
    # when they are not kept yet (the areas every time here: a strict cache is read afresh while
    # this test's transaction holds the areas it made, not committed).
    with django_assert_max_num_queries(14):
        response = client.get(reverse("casework:list"), {"q": "井盖"})
    assert len(response.context["cases"]) == min(n, 25)
    assert {case.title for case in response.context["cases"]} == {"路口井盖缺失"}


@pytest.mark.parametrize("sort", list(views.SORTS))
def test_a_searched_list_counts_to_the_search_cap_and_pages_like_the_plain_query(
    client, tree, categories, crew, monkeypatch, sort
):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "SEARCH_COUNT_CAP", 5)
    now = timezone.now()
    for i in range(9):  # reported and due out of the filing order, with ties and no due time
        CaseFactory(
            title="路口井盖缺失" if i % 3 else "楼道堆物",
            area=(tree.building_a1, tree.grid_a2)[i % 2],
            community=tree.community_a,
            category=categories.garbage,
            reported_at=now - timedelta(hours=i * 7 % 4),
            due_at=None if i % 4 == 0 else now + timedelta(hours=i * 5 % 3),
        )
    CaseFactory(title="井盖", area=tree.building_b1, community=tree.community_b)
    expected = list(
        Case.objects.filter(community=tree.community_a, title__contains="井盖")
        .order_by(*views.SORTS[sort])
        .values_list("number", flat=True)
    )
    assert len(expected) == 6
    _login(client, crew.dispatcher_a)

    shown = []
    for number in (1, 2, 3):
        response = client.get(reverse("casework:list"), {"q": "井盖", "sort": sort, "page": number})
        page = response.context["page_obj"]
        assert (page.number, page.paginator.num_pages) == (number, 3)
        shown += [case.number for case in response.context["cases"]]
    assert page.paginator.display_count == "5+"
    assert shown == expected[:5]
    unsearched = client.get(reverse("casework:list"), {"sort": sort})
    assert unsearched.context["page_obj"].paginator.display_count == "9"


@pytest.mark.parametrize("n", [2, 45])
def test_the_inbox_reads_a_bounded_number_of_queries(
    client, tree, categories, crew, departments, n, django_assert_max_num_queries
):
    _many_cases(tree, categories, n)
    _many_cases(tree, categories, n, status=Status.HANDLED, holder=Holder.COMMUNITY)
    crew.worker_a.role_assignments.create(role="community_dispatcher", area=tree.community_a)
    _login(client, crew.worker_a)
    # Per section: its count, the keys of its page, the page's rows (governance.pagination)
    # and their areas (the process cache, read afresh here: see above); categories and
    # departments once.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("casework:inbox"), {"dispatch_page": 2})
    keys = [s["key"] for s in response.context["sections"]]
    assert keys == ["dispatch", "verification"]
    counts = [s["page"].paginator.count for s in response.context["sections"]]
    # Grid A2 is not the worker's grid: a third of the handled cases are not theirs to verify.
    assert counts == [n, len([i for i in range(n) if i % 3 != 2])]
    assert len(response.context["sections"][0]["cases"]) == (20 if n > 40 else n)


@pytest.mark.parametrize("steps", [1, 6])
def test_the_case_page_reads_a_bounded_number_of_queries(
    client, two_cases, crew, steps, django_assert_max_num_queries
):
    a, _b = two_cases
    for _ in range(steps):
        a = case_step(case=a, actor=crew.worker_a, step="attach", photos=[jpeg_upload()])
    _login(client, crew.dispatcher_a)
    # With the case's category, department and places from the process caches (read once).
    with django_assert_max_num_queries(15):
        response = client.get(reverse("casework:detail", args=[a.pk]))
    assert response.status_code == 200
    assert len(response.context["events"]) == steps + 1


# -- filing ---------------------------------------------------------------------------------
def _filing(tree, categories, **extra):
    data = {
        "title": "楼道堆放杂物",
        "category": categories.garbage.pk,
        "area": tree.building_a1.pk,
        "address": "1号楼2单元",
        "source": Source.PATROL,
        "priority": "",
        "latitude": "39.950100",
        "longitude": "116.400200",
    }
    data.update(extra)
    return data


def test_a_grid_worker_files_a_case_with_a_photo(client, tree, categories, crew):
    _login(client, crew.worker_a)
    form = client.get(reverse("casework:new")).context["form"]
    assert form.fields["area"].initial == tree.grid_a1.pk
    response = client.post(
        reverse("casework:new"), _filing(tree, categories, photos=[jpeg_upload("a.jpg")])
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:detail", args=[case.pk])
    assert (case.area, case.reporter, case.status) == (tree.building_a1, crew.worker_a, "reported")
    assert case.attachments.get().kind == "before"


def test_a_bad_photo_is_a_form_error_and_nothing_is_saved(client, tree, categories, crew, settings):
    _login(client, crew.worker_a)
    fake = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post(reverse("casework:new"), _filing(tree, categories, photos=[fake]))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "photo.jpg" in errors["photos"][0]
    assert response.context["photos_dropped"]
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_each_bad_field_is_named(client, tree, categories, crew):
    _login(client, crew.worker_a)
    data = _filing(
        tree,
        categories,
        title="",
        category=categories.parent.pk,
        latitude="",
        longitude="",
        address="",
        area=tree.building_b1.pk,
    )
    response = client.post(reverse("casework:new"), data)
    assert response.status_code == 400
    assert {"title", "area"} <= set(response.context["form"].errors)
    assert not Case.objects.exists()


def test_filing_names_the_category_and_location_problems_from_the_service(
    client, tree, categories, crew
):
    _login(client, crew.worker_a)
    data = _filing(tree, categories, category=categories.parent.pk, latitude="", longitude="")
    data["address"] = ""
    response = client.post(reverse("casework:new"), data)
    errors = response.context["form"].errors
    # A top-level category is not offered (only sub-categories are choices), and with no point
    # and no address the service asks for the location: both in the same round.
    assert {"category", "address"} <= set(errors)
    assert not Case.objects.exists()
    data["category"] = categories.garbage.pk
    response = client.post(reverse("casework:new"), data)
    assert set(response.context["form"].errors) == {"address"}


def test_resolving_on_the_spot_needs_an_after_photo(client, tree, categories, crew):
    _login(client, crew.worker_a)
    data = _filing(tree, categories, resolve_on_spot="on", result="已当场清理")
    response = client.post(reverse("casework:new"), data)
    assert response.status_code == 400
    assert "after_photos" in response.context["form"].errors
    assert not Case.objects.exists()
    data["after_photos"] = [jpeg_upload("after.jpg")]
    response = client.post(reverse("casework:new"), data)
    case = Case.objects.get()
    assert (case.status, case.resolved_on_spot) == (Status.CLOSED, True)
    assert list(case.events.values_list("step", flat=True)) == ["report", "resolve_on_spot"]
    assert case.attachments.get().kind == "after"


def test_a_bad_after_photo_leaves_nothing_half_written(client, tree, categories, crew):
    _login(client, crew.worker_a)
    fake = SimpleUploadedFile("after.jpg", b"GIF89a nope", content_type="image/jpeg")
    data = _filing(
        tree,
        categories,
        resolve_on_spot="on",
        result="已当场清理",
        photos=[jpeg_upload("before.jpg")],
        after_photos=[fake],
    )
    response = client.post(reverse("casework:new"), data)
    assert response.status_code == 400
    assert "after.jpg" in response.context["form"].errors["after_photos"][0]
    assert not Case.objects.exists()
    assert not Attachment.objects.exists()


def test_only_grid_workers_are_offered_to_resolve_on_the_spot(client, crew):
    _login(client, crew.dispatcher_a)
    form = client.get(reverse("casework:new")).context["form"]
    assert "resolve_on_spot" not in form.fields
    assert form.fields["source"].initial == Source.RESIDENT


def test_the_duplicates_fragment_lists_open_cases_nearby(client, two_cases, tree, categories, crew):
    a, b = two_cases
    _login(client, crew.worker_a)
    response = client.get(
        reverse("casework:duplicates"),
        {"category": categories.garbage.pk, "area": tree.building_a1.pk},
    )
    html = response.content.decode()
    assert a.number in html and b.number not in html
    other = client.get(
        reverse("casework:duplicates"),
        {"category": categories.lamp.pk, "area": tree.building_a1.pk},
    )
    assert a.number not in other.content.decode()


# -- list filters and export ----------------------------------------------------------------
def _export_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    return rows[1:]


def test_the_export_holds_exactly_the_filtered_rows_in_scope(
    client, tree, categories, crew, departments
):
    urgent = _report(crew.worker_a, tree.building_a1, categories.lamp, priority=Priority.URGENT)
    normal = _report(crew.worker_a, tree.building_a1, categories.garbage)
    lamp_b = _report(crew.worker_b, tree.building_b1, categories.lamp, priority=Priority.URGENT)
    _login(client, crew.dispatcher_a)
    rows = _export_rows(client.get(reverse("casework:export"), {"category": categories.lamp.pk}))
    assert [r[0] for r in rows] == [urgent.number]
    assert rows[0][1] == urgent.title
    rows = _export_rows(client.get(reverse("casework:export")))
    assert sorted(r[0] for r in rows) == sorted([urgent.number, normal.number])
    listed = client.get(reverse("casework:list"), {"priority": "urgent"}).context["cases"]
    assert [c.number for c in listed] == [urgent.number]
    assert lamp_b.number not in {r[0] for r in rows}


def test_an_invalid_filter_lists_nothing_rather_than_everything(client, two_cases, crew):
    _login(client, crew.dispatcher_a)
    response = client.get(reverse("casework:list"), {"status": "nonsense"})
    assert response.status_code == 200
    assert list(response.context["cases"]) == []
    assert response.context["filter"].form.errors


@pytest.mark.parametrize("params", [{"page": "2"}, {"sort": "due"}, {"page": "2", "sort": "due"}])
def test_paging_or_sorting_the_whole_list_is_not_filtering_it(
    client, tree, categories, crew, params
):
    _many_cases(tree, categories, 30)
    _login(client, crew.dispatcher_a)
    response = client.get(reverse("casework:list"), params)
    assert response.status_code == 200
    assert not response.context["filtered"]
    assert not response.context["filter"].is_bound
    html = response.content.decode()
    assert '<details class="filter-panel" data-filter-panel>' in html  # shut
    assert ">Clear</a>" not in html
    assert response.context["page_obj"].paginator.count == 30


def test_paging_a_filtered_list_keeps_its_filters(client, tree, categories, crew):
    _many_cases(tree, categories, 30)
    _report(crew.worker_a, tree.building_a1, categories.garbage)
    _login(client, crew.dispatcher_a)
    response = client.get(reverse("casework:list"), {"page": "2", "status": "closed"})
    assert response.status_code == 200
    assert response.context["filtered"]
    assert response.context["page_obj"].paginator.count == 0
    html = response.content.decode()
    assert '<details class="filter-panel" data-filter-panel open>' in html
    assert ">Clear</a>" in html


def test_an_area_or_department_outside_the_scope_is_refused_by_the_filter(
    client, two_cases, crew, tree, departments
):
    """The filter checks a given area or department against the user's scope (the querysets
    are scoped only when a value is given); an empty value filters nothing."""
    from governance.models import Department

    a, _b = two_cases
    foreign = Department.objects.create(name="柳荫城管队", code="liuyin", owner=tree.community_b)
    _login(client, crew.dispatcher_a)
    url = reverse("casework:list")
    for refused in ({"area": tree.community_b.pk}, {"department": foreign.pk}):
        response = client.get(url, refused)
        assert response.status_code == 200
        assert list(response.context["cases"]) == []
        assert set(refused) <= set(response.context["filter"].form.errors)
    response = client.get(url, {"area": tree.community_a.pk, "department": ""})
    assert [c.pk for c in response.context["cases"]] == [a.pk]
    assert not response.context["filter"].form.errors


def test_the_filter_form_class_is_built_once_and_each_request_keeps_its_own_scope(
    client, two_cases, crew, tree
):
    """One form class per process (not one per request), and the scoped area choices stay
    each request's own: B's community is refused to A's dispatcher before and after B's
    dispatcher filtered by it."""
    _a, b = two_cases
    url = reverse("casework:list")
    seen = []
    for user, expected in (
        (crew.dispatcher_a, []),
        (crew.dispatcher_b, [b.pk]),
        (crew.dispatcher_a, []),
    ):
        _login(client, user)
        response = client.get(url, {"area": tree.community_b.pk})
        form = response.context["filter"].form
        assert [c.pk for c in response.context["cases"]] == expected
        assert ("area" in form.errors) is (not expected)
        seen.append(type(form))
    assert seen[0] is seen[1] is seen[2]


def test_an_export_too_large_is_offered_as_a_background_export(
    client, two_cases, crew, monkeypatch, in_english
):
    from casework import exports

    monkeypatch.setattr(exports, "MAX_ROWS", 0)
    _login(client, crew.dispatcher_a)
    response = client.get(reverse("casework:export"), {"status": "reported"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "too many to write while you wait" in html
    assert 'method="post"' in html and "status=reported" in html


# -- steps ----------------------------------------------------------------------------------
def test_the_case_page_offers_exactly_the_users_steps(client, two_cases, crew):
    a, _b = two_cases
    _login(client, crew.dispatcher_a)
    names = [
        f.step.name
        for f in client.get(reverse("casework:detail", args=[a.pk])).context["step_forms"]
    ]
    assert names == ["accept", "reject", "merge", "escalate", "attach"]  # accept leads already
    _login(client, crew.worker_a)
    names = [
        f.step.name
        for f in client.get(reverse("casework:detail", args=[a.pk])).context["step_forms"]
    ]
    assert names == ["resolve_on_spot", "attach"]
    _login(client, crew.viewer_a)
    response = client.get(reverse("casework:detail", args=[a.pk]))
    assert response.context["step_forms"] == []


def test_a_step_posts_through_the_service(client, two_cases, crew, departments):
    a, _b = two_cases
    _login(client, crew.dispatcher_a)
    url = reverse("casework:step", args=[a.pk, "accept"])
    response = client.post(url, {"accept-version": a.version, "accept-comment": "属实"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == Status.ACCEPTED
    page = client.get(reverse("casework:detail", args=[a.pk]))
    dispatch = next(f for f in page.context["step_forms"] if f.step.name == "dispatch")
    assert dispatch["department"].value() == departments.a.pk
    response = client.post(
        reverse("casework:step", args=[a.pk, "dispatch"]),
        {"dispatch-version": a.version, "dispatch-department": departments.b.pk},
    )
    a.refresh_from_db()
    assert (a.status, a.department) == (Status.DISPATCHED, departments.b)
    event = a.events.latest("pk")
    assert (event.step, event.actor, event.department) == (
        "dispatch",
        crew.dispatcher_a,
        departments.b,
    )


def test_a_reject_without_a_reason_shows_the_error(client, two_cases, crew):
    a, _b = two_cases
    _login(client, crew.dispatcher_a)
    response = client.post(
        reverse("casework:step", args=[a.pk, "reject"]), {"reject-version": a.version}
    )
    assert response.status_code == 400
    form = next(f for f in response.context["step_forms"] if f.step.name == "reject")
    assert form.errors["comment"]
    a.refresh_from_db()
    assert a.status == Status.REPORTED


def test_a_refused_step_shows_the_reason_not_a_crash(client, two_cases, crew):
    a, _b = two_cases
    _login(client, crew.worker_a)
    response = client.post(
        reverse("casework:step", args=[a.pk, "accept"]), {"accept-version": a.version}
    )
    assert response.status_code == 403
    assert "You may not accept this case" in response.content.decode()
    a.refresh_from_db()
    assert a.status == Status.REPORTED


def test_a_step_that_came_second_says_who_came_first(client, two_cases, crew):
    a, _b = two_cases
    stale = a.version
    colleague = UserFactory(username="li", full_name="李书记")
    RoleAssignmentFactory(user=colleague, role="community_dispatcher", area=a.community)
    case_step(case=a, actor=colleague, step="accept")
    _login(client, crew.dispatcher_a)
    response = client.post(
        reverse("casework:step", args=[a.pk, "reject"]),
        {"reject-version": stale, "reject-comment": "不属实"},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "already changed by 李书记" in html
    a.refresh_from_db()
    assert a.status == Status.ACCEPTED


def test_merge_takes_the_original_by_number(client, tree, categories, crew):
    original = _report(crew.worker_a, tree.building_a1, categories.garbage)
    repeat = _report(crew.worker_a, tree.building_a1, categories.garbage, title="又有垃圾")
    _login(client, crew.dispatcher_a)
    page = client.get(reverse("casework:detail", args=[repeat.pk]))
    merge = next(f for f in page.context["step_forms"] if f.step.name == "merge")
    assert [d.pk for d in merge.duplicates] == [original.pk]
    client.post(
        reverse("casework:step", args=[repeat.pk, "merge"]),
        {"merge-version": repeat.version, "merge-duplicate_of": original.number},
    )
    repeat.refresh_from_db()
    assert (repeat.status, repeat.duplicate_of) == (Status.MERGED, original)
    # The merged case's page names its original (read when shown: no join for every case).
    html = client.get(reverse("casework:detail", args=[repeat.pk])).content.decode()
    assert f"{original.number} {original.title}" in html


def test_the_case_page_has_the_street_community_and_grid_at_hand(
    client, two_cases, crew, django_assert_num_queries
):
    a, _b = two_cases
    _login(client, crew.dispatcher_a)
    response = client.get(reverse("casework:detail", args=[a.pk]))

    case = response.context["case"]
    with django_assert_num_queries(0):  # read with the case, one query for the three
        places = (case.street.name, case.community.name, case.grid.name)
    assert places == (a.street.name, a.community.name, a.grid.name)
    html = response.content.decode()
    assert f"{a.community.name} › {a.grid.name} › {a.area.name}" in html


def test_completing_needs_a_result_photo(client, two_cases, crew, departments):
    a, _b = two_cases
    a = case_step(case=a, actor=crew.dispatcher_a, step="accept")
    a = case_step(case=a, actor=crew.dispatcher_a, step="dispatch")
    a = case_step(case=a, actor=crew.handler_a, step="acknowledge")
    _login(client, crew.handler_a)
    url = reverse("casework:step", args=[a.pk, "complete"])
    response = client.post(url, {"complete-version": a.version, "complete-result": "已清运"})
    assert response.status_code == 400
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS
    response = client.post(
        url,
        {
            "complete-version": a.version,
            "complete-result": "已清运",
            "complete-photos": [jpeg_upload("done.jpg")],
        },
    )
    a.refresh_from_db()
    assert a.status == Status.HANDLED
    assert a.attachments.filter(kind="after").count() == 1


def test_quick_replies_of_the_category_and_step_are_offered(client, two_cases, crew, categories):
    from casework.models import ResponseTemplate

    a, _b = two_cases
    ResponseTemplate.objects.create(
        step="reject", title="不属于受理范围", text="经核实不属于受理范围。"
    )
    ResponseTemplate.objects.create(
        step="reject", category=categories.lamp, title="路灯专用", text="路灯由供电所处理。"
    )
    ResponseTemplate.objects.create(step="accept", title="已立案", text="情况属实，予以立案。")
    _login(client, crew.dispatcher_a)
    forms = client.get(reverse("casework:detail", args=[a.pk])).context["step_forms"]
    replies = {f.step.name: [t.title for t in f.quick_replies] for f in forms}
    assert replies["reject"] == ["不属于受理范围"]
    assert replies["accept"] == ["已立案"]
    html = client.get(reverse("casework:detail", args=[a.pk])).content.decode()
    assert 'data-quick-reply="经核实不属于受理范围。"' in html


def test_a_conflict_inside_the_service_is_shown_as_the_service_words_it(
    client, two_cases, crew, monkeypatch
):
    from casework import services

    a, _b = two_cases

    def lost_the_race(*, case, **kwargs):
        # Another step committed between the page's read and the row lock.
        raise services.CaseConflict(services.conflict_message(case), case=case)

    monkeypatch.setattr(services, "case_step", lost_the_race)
    _login(client, crew.dispatcher_a)
    response = client.post(
        reverse("casework:step", args=[a.pk, "accept"]), {"accept-version": a.version}, follow=True
    )
    assert response.status_code == 200
    # The case's last step was the worker's report.
    assert f"already changed by {crew.worker_a}" in response.content.decode()


def test_deadline_steps_in_the_log_are_named_and_the_time_limit_links_to_its_page(
    client, two_cases, crew
):
    from django.utils import timezone

    a, _b = two_cases
    CaseEvent.objects.create(
        case=a, step="overdue", to_status=a.status, is_public=False, created_at=timezone.now()
    )
    _login(client, crew.dispatcher_a)
    response = client.get(reverse("casework:detail", args=[a.pk]))
    labels = [e.step_label for e in response.context["events"]]
    assert labels == ["Report", "Overdue"]
    assert reverse("deadlines:case", args=[a.pk]) in response.content.decode()


def test_an_inbox_section_reads_its_count_and_its_keys_in_one_statement(
    client, tree, categories, crew, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework import selectors

    _many_cases(tree, categories, 25, due_at=timezone.now() - timedelta(hours=1))
    _login(client, crew.center)
    client.get(reverse("casework:inbox"))  # the badge and the process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("casework:inbox"), {"center_page": 2})
    section = next(s for s in response.context["sections"] if s["key"] == "center")
    assert section["page"].paginator.display_count == "25"
    assert len(section["cases"]) == 5
    # The inbox's condition and scope are evaluated once: no COUNT beside the keys' read.
    on_cases = [q["sql"] for q in captured.captured_queries if '"casework_case"' in q["sql"]]
    assert not [sql for sql in on_cases if "COUNT(" in sql], on_cases
    assert len(on_cases) == 2  # the keys of the first cases up to the cap, the page's rows

    # Past the cap the count says so, and the pages stop there.
    monkeypatch.setattr(selectors, "INBOX_COUNT_CAP", 22)
    response = client.get(reverse("casework:inbox"), {"center_page": 2})
    section = next(s for s in response.context["sections"] if s["key"] == "center")
    assert section["page"].paginator.display_count == "22+"
    assert len(section["cases"]) == 2
    # and the page says where the others are.
    assert "Only the 22 most urgent cases are listed here" in response.content.decode()


# -- the center's inbox and the header ------------------------------------------------------
def test_the_centers_inbox_puts_overdue_and_near_due_first_and_handled_cases_last(
    client, tree, categories, crew
):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    handled = CaseFactory(
        area=tree.building_a1, category=categories.garbage, status=Status.HANDLED, due_at=None
    )
    near = CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        status=Status.ACCEPTED,
        due_at=now + timedelta(hours=1),
    )
    overdue = CaseFactory(
        area=tree.building_b1,
        category=categories.garbage,
        status=Status.REPORTED,
        due_at=now - timedelta(hours=3),
    )
    _login(client, crew.center)

    response = client.get(reverse("casework:inbox"))

    section = next(s for s in response.context["sections"] if s["key"] == "center")
    assert [c.pk for c in section["cases"]] == [overdue.pk, near.pk, handled.pk]


def test_the_header_marks_only_the_longest_matching_menu_entry(client, crew):
    _login(client, crew.dispatcher_a)

    inbox = client.get(reverse("casework:inbox"))
    cases = client.get(reverse("casework:list"))

    def active(response):
        return [item["key"] for item in response.context["nav_items"] if item.get("active")]

    assert active(inbox) == ["case-inbox"]
    assert active(cases) == ["cases"]
    html = inbox.content.decode()
    # Once in the top menu and once in the phone's bottom bar.
    for nav in ('class="mainnav"', 'class="tabbar"'):
        assert html.split(nav)[1].split("</nav>")[0].count('aria-current="page"') == 1
    assert f'href="{reverse("casework:inbox")}" class="active"' in html


# -- deadlines on the case page -------------------------------------------------------------
def test_the_case_page_names_deadline_steps_and_links_what_each_user_may_do_about_time(
    client, tree, categories, crew, departments
):
    from datetime import timedelta

    from django.utils import timezone

    from casework.deadlines import services as deadline_services

    case = CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        status=Status.IN_PROGRESS,
        holder=Holder.DEPARTMENT,
        department=departments.a,
        due_at=timezone.now() + timedelta(days=3),
    )
    request = deadline_services.deadline_request_create(
        case=case, actor=crew.handler_a, kind="extension", hours="4", reason="等待配件"
    )
    deadline_services.deadline_request_decide(request=request, actor=crew.center, approve=True)
    deadline_url = reverse("deadlines:case", args=[case.pk])

    handler = _login(client, crew.handler_a).get(reverse("casework:detail", args=[case.pk]))
    labels = [str(e.step_label) for e in handler.context["events"]]
    assert labels == ["Asked for an extension", "Extension approved"]
    html = handler.content.decode()
    assert "Extension approved" in html and "approve_extension" not in html.replace(
        "event-approve_extension", ""
    )
    assert f'href="{deadline_url}#ask-title"' in html
    assert f'href="{deadline_url}#orders-title"' not in html

    center = _login(client, crew.center).get(reverse("casework:detail", args=[case.pk]))
    assert f'href="{deadline_url}#orders-title"' in center.content.decode()
    assert f'href="{deadline_url}#ask-title"' not in center.content.decode()
    deadline = center.context["deadline"]  # {% case_deadline case as deadline %}
    assert deadline.words and deadline.words in center.content.decode()
    assert not deadline.is_overdue and deadline.url == deadline_url

    worker = _login(client, crew.worker_a).get(reverse("casework:detail", args=[case.pk]))
    worker_html = worker.content.decode()
    assert "#ask-title" not in worker_html and "#orders-title" not in worker_html
