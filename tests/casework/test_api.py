"""The case API: scope for A vs B, validation naming the field, conflicts, photos, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from casework.models import Attachment, Case, CaseEvent, Holder, Source, Status
from casework.services import case_report, case_step
from tests.casework.factories import CaseFactory, jpeg_upload

# English messages, so that assertions do not depend on the state of the catalogue.
pytestmark = pytest.mark.usefixtures("in_english")


@pytest.fixture
def two_cases(tree, categories, crew):
    def file(actor, area, title):
        return case_report(
            actor=actor,
            title=title,
            category=categories.garbage,
            area=area,
            source=Source.PATROL,
            address="东侧路口",
        )

    return file(crew.worker_a, tree.building_a1, "青松垃圾"), file(
        crew.worker_b, tree.building_b1, "柳荫垃圾"
    )


def test_list_detail_and_search_stay_in_scope(api, two_cases, crew):
    case_a, case_b = two_cases
    client = api(crew.dispatcher_a)
    numbers = [c["number"] for c in client.get("/api/v1/cases/").json()["results"]]
    assert numbers == [case_a.number]
    assert client.get(f"/api/v1/cases/{case_b.pk}/").status_code == 404
    assert client.get("/api/v1/cases/", {"q": "柳荫"}).json()["results"] == []
    assert client.get(f"/api/v1/cases/{case_b.pk}/events/").status_code == 404
    response = client.post(f"/api/v1/cases/{case_b.pk}/transitions/", {"step": "accept"})
    assert response.status_code == 404
    assert Case.objects.get(pk=case_b.pk).status == Status.REPORTED
    other = api(crew.dispatcher_b).get("/api/v1/cases/", {"q": "垃圾"}).json()["results"]
    assert [c["number"] for c in other] == [case_b.number]


def test_department_handlers_see_their_departments_cases_in_any_area(
    api, tree, categories, crew, departments
):
    mine = CaseFactory(
        category=categories.garbage,
        area=tree.building_b1,
        street=tree.street,
        status=Status.DISPATCHED,
        holder=Holder.DEPARTMENT,
        department=departments.a,
    )
    CaseFactory(category=categories.garbage, area=tree.building_a1, street=tree.street)
    results = api(crew.handler_a).get("/api/v1/cases/").json()["results"]
    assert [c["id"] for c in results] == [mine.pk]
    assert api(crew.handler_b).get("/api/v1/cases/").json()["results"] == []


def test_transitions_lists_and_takes_steps(api, two_cases, crew):
    case_a, _ = two_cases
    client = api(crew.dispatcher_a)
    steps = [s["step"] for s in client.get(f"/api/v1/cases/{case_a.pk}/transitions/").json()]
    assert steps == ["accept", "reject", "merge", "escalate", "attach"]
    assert api(crew.viewer_a).get(f"/api/v1/cases/{case_a.pk}/transitions/").json() == []
    response = client.post(
        f"/api/v1/cases/{case_a.pk}/transitions/", {"step": "accept"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    assert "dispatch" in response.json()["available_steps"]


def test_viewer_is_forbidden_to_step(api, two_cases, crew):
    case_a, _ = two_cases
    response = api(crew.viewer_a).post(
        f"/api/v1/cases/{case_a.pk}/transitions/", {"step": "accept"}, format="json"
    )
    assert response.status_code == 403
    assert "You may not accept this case" in response.json()["message"]


def test_validation_errors_name_the_field(api, two_cases, crew, tree, categories):
    case_a, _ = two_cases
    client = api(crew.dispatcher_a)
    url = f"/api/v1/cases/{case_a.pk}/transitions/"
    response = client.post(url, {"step": "reject"}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()["fields"]
    response = client.post(url, {"step": "fly"}, format="json")
    assert "step" in response.json()["fields"]
    response = client.post(url, {"step": "merge", "duplicate_of": case_a.pk}, format="json")
    assert "duplicate_of" in response.json()["fields"]
    response = client.post(url, {"step": "accept", "satisfaction": "satisfied"}, format="json")
    assert "satisfaction" in response.json()["fields"]
    response = client.post(url, {"step": "complete"}, format="json")
    assert response.status_code == 400
    assert "step" in response.json()["fields"]
    assert CaseEvent.objects.filter(case=case_a).count() == 1

    response = client.post(
        "/api/v1/cases/",
        {
            "title": "",
            "category": categories.parent.pk,
            "area": tree.building_b1.pk,
            "source": "resident",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "title" in response.json()["fields"]
    response = client.post(
        "/api/v1/cases/",
        {
            "title": "楼道堆物",
            "category": categories.parent.pk,
            "area": tree.building_a1.pk,
            "source": "resident",
        },
        format="json",
    )
    assert set(response.json()["fields"]) == {"category", "address", "reporter_name"}
    response = client.post(
        "/api/v1/cases/",
        {
            "title": "楼道堆物",
            "category": categories.garbage.pk,
            "area": tree.building_b1.pk,
            "source": "patrol",
            "address": "柳荫里",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "area" in response.json()["fields"]
    assert Case.objects.count() == 2


def test_report_through_the_api_with_a_photo(api, crew, tree, categories):
    response = api(crew.worker_a).post(
        "/api/v1/cases/",
        {
            "title": "井盖缺失",
            "category": categories.garbage.pk,
            "area": tree.building_a1.pk,
            "source": "patrol",
            "latitude": "39.940000",
            "longitude": "116.470000",
            "photos": [jpeg_upload()],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].endswith("-000001")
    assert body["status"] == "reported"
    assert Attachment.objects.filter(case_id=body["id"], kind="before").count() == 1


def test_a_stale_version_gives_409(api, two_cases, crew):
    case_a, _ = two_cases
    client = api(crew.dispatcher_a)
    url = f"/api/v1/cases/{case_a.pk}/transitions/"
    assert client.post(url, {"step": "accept", "version": 1}, format="json").status_code == 200
    response = client.post(url, {"step": "dispatch", "version": 1}, format="json")
    assert response.status_code == 409
    assert "already changed by" in response.json()["message"]
    assert crew.dispatcher_a.full_name in response.json()["message"]
    assert Case.objects.get(pk=case_a.pk).status == Status.ACCEPTED


def test_a_case_is_dispatched_only_to_a_department_serving_its_street(
    api, two_cases, crew, tree, categories
):
    from casework import workflow
    from casework.forms import StepForm
    from grids.models import AreaKind
    from tests.factories import AreaFactory, DepartmentFactory

    case_a, _ = two_cases
    other_street = AreaFactory(kind=AreaKind.STREET, name="柳荫街道")
    foreign = DepartmentFactory(name="柳荫城管队", code="liuyin-urban", owner=other_street)
    own = DepartmentFactory(name="示范环卫所", code="own-sanitation", owner=tree.street)
    client = api(crew.dispatcher_a)
    url = f"/api/v1/cases/{case_a.pk}/transitions/"
    assert client.post(url, {"step": "accept"}, format="json").status_code == 200
    # A new street may renumber the trees (roots are ordered by name): read the case again.
    case_a = Case.objects.get(pk=case_a.pk)
    form = StepForm(step=workflow.STEPS["dispatch"], case=case_a, user=crew.dispatcher_a)
    choices = set(form.fields["department"].queryset)
    assert own in choices and foreign not in choices
    response = client.post(url, {"step": "dispatch", "department": foreign.pk}, format="json")
    assert response.status_code == 400
    assert "department" in response.json()["fields"]
    # The category's default department belongs to another street: it is no default here.
    categories.parent.default_department = foreign
    categories.parent.save()
    response = client.post(url, {"step": "dispatch"}, format="json")
    assert response.status_code == 400
    assert "does not serve" in str(response.json()["fields"]["department"])
    assert Case.objects.get(pk=case_a.pk).status == Status.ACCEPTED
    response = client.post(url, {"step": "dispatch", "department": own.pk}, format="json")
    assert response.status_code == 200
    assert Case.objects.get(pk=case_a.pk).department == own


def test_a_text_file_renamed_jpg_is_refused(api, two_cases, crew):
    case_a, _ = two_cases
    fake = SimpleUploadedFile("scene.jpg", b"this is not a photo at all", content_type="image/jpeg")
    response = api(crew.worker_a).post(
        f"/api/v1/cases/{case_a.pk}/attachments/", {"photos": [fake]}, format="multipart"
    )
    assert response.status_code == 400
    assert "scene.jpg" in response.json()["fields"]["photos"][0]
    assert Attachment.objects.count() == 0
    assert CaseEvent.objects.filter(case=case_a).count() == 1


def test_an_exif_rotated_photo_is_turned_upright_with_a_thumbnail(api, two_cases, crew):
    case_a, _ = two_cases
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    photo = jpeg_upload("side.jpg", size=(400, 200), exif=exif)
    response = api(crew.worker_a).post(
        f"/api/v1/cases/{case_a.pk}/attachments/", {"photos": [photo]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    attachment = Attachment.objects.get()
    assert (attachment.width, attachment.height) == (200, 400)
    with Image.open(attachment.image.path) as stored:
        assert stored.size == (200, 400)
        assert not stored.getexif().get(0x0112)
    with Image.open(attachment.thumbnail.path) as thumb:
        assert max(thumb.size) <= 320
        assert thumb.size[1] > thumb.size[0]
    assert attachment.event.step == "attach"


def test_a_photo_over_the_size_limit_is_refused(api, two_cases, crew, monkeypatch):
    from governance import images as photos

    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 100)
    case_a, _ = two_cases
    response = api(crew.worker_a).post(
        f"/api/v1/cases/{case_a.pk}/attachments/",
        {"photos": [jpeg_upload("big.jpg", size=(200, 200))]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "big.jpg" in response.json()["fields"]["photos"][0]


def test_list_filters(api, tree, categories, crew, departments):
    old = CaseFactory(category=categories.lamp, area=tree.building_a1, street=tree.street)
    Case.objects.filter(pk=old.pk).update(
        reported_at=timezone.now() - timedelta(days=40),
        due_at=timezone.now() - timedelta(days=39),
    )
    fresh = CaseFactory(
        category=categories.garbage,
        area=tree.building_a1,
        street=tree.street,
        due_at=timezone.now() + timedelta(days=1),
    )
    client = api(crew.dispatcher_a)

    def ids(**params):
        response = client.get("/api/v1/cases/", params)
        assert response.status_code == 200, response.json()
        return {c["id"] for c in response.json()["results"]}

    assert ids(category=categories.parent.pk) == {old.pk, fresh.pk}
    assert ids(category=categories.lamp.pk) == {old.pk}
    assert ids(overdue="true") == {old.pk}
    assert ids(overdue="false") == {fresh.pk}
    assert ids(area=tree.grid_a1.pk) == {old.pk, fresh.pk}
    assert ids(reported_from=(timezone.localdate() - timedelta(days=1)).isoformat()) == {fresh.pk}
    assert ids(status="reported", priority="normal", source="patrol") == {old.pk, fresh.pk}
    response = client.get("/api/v1/cases/", {"status": "flying"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_list_query_count_does_not_grow_with_cases(
    api, tree, categories, crew, departments, django_assert_max_num_queries
):
    for i in range(30):
        CaseFactory(
            category=categories.garbage,
            area=tree.building_a1 if i % 2 else tree.micro_a1,
            street=tree.street,
            status=Status.DISPATCHED if i % 3 else Status.REPORTED,
            holder=Holder.DEPARTMENT if i % 3 else Holder.COMMUNITY,
            department=departments.a if i % 3 else None,
        )
    client = api(crew.center)
    # The items' areas, categories and departments from the process caches: one query each at
    # most (the areas every time here: a strict cache is read afresh while this test's
    # transaction holds the areas it made, not committed).
    with django_assert_max_num_queries(5 + api.auth_queries):
        response = client.get("/api/v1/cases/")
    assert len(response.json()["results"]) == 30


def test_categories_are_a_tree_and_templates_filter_by_step(api, crew, categories):
    from casework.models import ResponseTemplate

    ResponseTemplate.objects.create(
        category=categories.parent, step="reject", title="重复", text="已有相同案件"
    )
    ResponseTemplate.objects.create(step="", title="通用", text="已收到")
    tree = api(crew.worker_a).get("/api/v1/categories/").json()
    assert [c["name"] for c in tree] == ["市容环境"]
    assert [c["name"] for c in tree[0]["children"]] == ["暴露垃圾", "路灯不亮"]
    assert tree[0]["time_limits"][0]["priority"] == "normal"
    client = api(crew.dispatcher_a)
    titles = [
        t["title"]
        for t in client.get(
            "/api/v1/response-templates/", {"category": categories.garbage.pk, "step": "reject"}
        ).json()
    ]
    assert sorted(titles) == ["通用", "重复"]
    titles = [
        t["title"] for t in client.get("/api/v1/response-templates/", {"step": "accept"}).json()
    ]
    assert titles == ["通用"]
    assert "step" in client.get("/api/v1/response-templates/", {"step": "x"}).json()["fields"]


def test_duplicates_finds_nearby_open_cases_of_the_category(api, tree, categories, crew):
    near = CaseFactory(
        category=categories.garbage,
        area=tree.building_b1,
        street=tree.street,
        latitude="39.940300",
        longitude="116.470000",
    )
    CaseFactory(  # 330 m away
        category=categories.garbage,
        area=tree.building_b1,
        street=tree.street,
        latitude="39.943000",
        longitude="116.470000",
    )
    same_building = CaseFactory(
        category=categories.garbage, area=tree.building_a1, street=tree.street
    )
    CaseFactory(category=categories.lamp, area=tree.building_a1, street=tree.street)
    response = api(crew.center).get(
        "/api/v1/cases/duplicates/",
        {
            "category": categories.garbage.pk,
            "area": tree.building_a1.pk,
            "latitude": "39.940000",
            "longitude": "116.470000",
        },
    )
    assert response.status_code == 200, response.json()
    found = {c["id"]: c["distance_m"] for c in response.json()}
    assert set(found) == {near.pk, same_building.pk}
    assert 30 <= found[near.pk] <= 36


def test_a_merged_case_names_its_original_and_others_none(api, two_cases, crew, tree, categories):
    case_a, _ = two_cases
    repeat = case_report(
        actor=crew.worker_a, title="又有垃圾", category=categories.garbage,
        area=tree.building_a1, source=Source.PATROL, address="1号楼东侧",
    )  # fmt: skip
    client = api(crew.dispatcher_a)
    response = client.post(
        f"/api/v1/cases/{repeat.pk}/transitions/",
        {"step": "merge", "duplicate_of": case_a.pk, "version": repeat.version},
        format="json",
    )
    assert response.status_code == 200, response.json()

    merged = client.get(f"/api/v1/cases/{repeat.pk}/").json()
    assert merged["duplicate_of"] == {"id": case_a.pk, "number": case_a.number}
    assert client.get(f"/api/v1/cases/{case_a.pk}/").json()["duplicate_of"] is None


def test_detail_and_events_query_counts_do_not_grow_with_history(
    api, two_cases, crew, django_assert_max_num_queries
):
    case_a, _ = two_cases
    for _ in range(6):
        case_a = case_step(case=case_a, actor=crew.worker_a, step="attach", photos=[jpeg_upload()])
    client = api(crew.dispatcher_a)
    with django_assert_max_num_queries(5 + api.auth_queries):
        assert client.get(f"/api/v1/cases/{case_a.pk}/").status_code == 200
    with django_assert_max_num_queries(6 + api.auth_queries):
        events = client.get(f"/api/v1/cases/{case_a.pk}/events/").json()
    assert len(events) == 7
    assert all(len(e["attachments"]) == 1 for e in events[1:])
