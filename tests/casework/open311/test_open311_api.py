"""Open311 GeoReport v2 over HTTP: every method in XML and JSON against the schema documents,
the POST → token → request round trip, every error the specification names, the 90-day rule and
paging, jurisdictions, API keys (revocation, rate limit) and what a public response may show."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import Case, Category, Holder, Source, Status
from casework.open311 import services
from casework.open311.models import Channel, Intake, Jurisdiction
from casework.services import case_step
from governance.processcache import bump_what_waits_for_commit
from tests.casework.factories import CaseFactory
from tests.casework.open311.conftest import (
    IN_BUILDING_A1,
    IN_MICRO_A1,
    IN_NO_COMMUNITY,
    OUTSIDE_STREET,
    check_json,
    check_xml,
)
from tests.isolation import clear_cache

BASE = "/open311/v2"
FORMATS = ("xml", "json")


def _get(client, path: str, fmt: str, **params):
    return client.get(f"{BASE}/{path}.{fmt}", params)


def _post(client, fmt: str, data: dict):
    return client.post(f"{BASE}/requests.{fmt}", data)


def _report(key, /, **fields):
    """A valid POST body for 暴露垃圾 at a point in building A1."""
    data = {
        "api_key": key.raw,
        "jurisdiction_id": "demo.example.cn",
        "service_code": "0101",
        "lat": str(IN_BUILDING_A1[0]),
        "long": str(IN_BUILDING_A1[1]),
        "description": "1号楼东侧垃圾堆了三天",
        "attribute[KIND]": "household",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800001111",
        "email": "zhang@example.cn",
        "device_id": "device-42",
        "account_id": "12345-0001",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def _check(name: str, response, fmt: str, status: int = 200):
    assert response.status_code == status, response.content[:500]
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        document = json.loads(response.content)
        check_json(name, document)
        return document
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return check_xml(name, response.content)


def _error_text(response, fmt: str) -> str:
    if fmt == "json":
        return " ".join(e["description"] for e in json.loads(response.content))
    return response.content.decode()


# -- discovery and services -----------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_and_both_formats(client, jurisdiction, public, fmt):
    document = _check("discovery", _get(client, "discovery", fmt), fmt)

    if fmt == "json":
        endpoint = document["endpoints"][0]
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]
    else:
        assert document.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_only_public_sub_categories(client, jurisdiction, public, fmt):
    document = _check("services", _get(client, "services", fmt), fmt)

    if fmt == "json":
        rows = {row["service_code"]: row for row in document}
    else:
        rows = {
            s.findtext("service_code"): {
                "metadata": s.findtext("metadata"),
                "type": s.findtext("type"),
                "group": s.findtext("group"),
                "keywords": s.findtext("keywords"),
            }
            for s in document.findall("service")
        }
    assert set(rows) == {"0101", "0102"}
    garbage, lamp = rows["0101"], rows["0102"]
    assert garbage["group"] == "市容环境" and garbage["keywords"] == "垃圾,脏乱"
    assert garbage["metadata"] in (True, "true") and lamp["metadata"] in (False, "false")
    assert garbage["type"] == "realtime" and lamp["type"] == "batch"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_has_every_datatype_and_list_values(client, jurisdiction, public, fmt):
    document = _check("service_definition", _get(client, "services/0101", fmt), fmt)

    if fmt == "json":
        attributes = document["attributes"]
        datatypes = [a["datatype"] for a in attributes]
        kind = attributes[0]
        assert kind["values"] == [
            {"key": "household", "name": "生活垃圾"},
            {"key": "debris", "name": "建筑垃圾"},
        ]
        assert attributes[-1]["variable"] is False
    else:
        datatypes = [a.findtext("datatype") for a in document.iter("attribute")]
        assert [v.findtext("key") for v in document.iter("value")] == [
            "household",
            "debris",
            "road",
            "yard",
        ]
    assert datatypes == [
        "singlevaluelist",
        "multivaluelist",
        "number",
        "datetime",
        "string",
        "text",
        "string",
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_category_that_is_not_public_is_not_a_service(client, jurisdiction, public, fmt):
    public.garbage.is_public = False
    public.garbage.save()

    response = _get(client, "services/0101", fmt)

    _check("errors", response, fmt, status=404)
    assert "0101" in _error_text(response, fmt)


# -- POST → token → request -----------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_files_a_case_in_the_building_and_returns_its_id(client, api_key, mapped, fmt):
    response = _post(client, fmt, _report(api_key))

    document = _check("post_response", response, fmt)
    case = Case.objects.get()
    request_id = document[0]["service_request_id"] if fmt == "json" else None
    if fmt == "xml":
        request_id = document.findtext("request/service_request_id")
        assert document.find("request/token") is None
    assert request_id == str(case.pk)
    assert (case.source, case.status, case.area, case.holder) == (
        Source.OPEN311,
        Status.REPORTED,
        mapped.building_a1,
        Holder.COMMUNITY,
    )
    assert (case.reporter_name, case.reporter_phone) == ("张三", "13800001111")
    assert "问题 KIND：生活垃圾" in case.description
    intake = Intake.objects.get()
    assert (intake.channel, intake.api_key, intake.email, intake.account_id) == (
        Channel.OPEN311,
        api_key.key,
        "zhang@example.cn",
        "12345-0001",
    )
    assert case.events.get().actor == api_key.key.account


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_token_request_round_trip_for_a_batch_service(client, api_key, fmt):
    posted = _post(client, fmt, _report(api_key, service_code="0102", **{"attribute[KIND]": None}))
    document = _check("post_response", posted, fmt)
    token = document[0]["token"] if fmt == "json" else document.findtext("request/token")
    if fmt == "json":
        assert "service_request_id" not in document[0]
    else:
        assert document.find("request/service_request_id") is None

    found = _check("tokens", _get(client, f"tokens/{token}", fmt), fmt)
    request_id = (
        found[0]["service_request_id"]
        if fmt == "json"
        else found.findtext("request/service_request_id")
    )
    request = _check("requests", _get(client, f"requests/{request_id}", fmt), fmt)

    assert request_id == str(Case.objects.get().pk)
    if fmt == "json":
        assert (request[0]["service_code"], request[0]["status"]) == ("0102", "open")
    else:
        assert request.findtext("request/service_code") == "0102"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_shows_public_fields_and_no_personal_data(client, api_key, crew, fmt):
    _post(client, "json", _report(api_key, description="垃圾很多，联系我 13912345678"))
    case = Case.objects.get()
    case = case_step(case=case, actor=crew.dispatcher_a, step="accept", comment="已受理")

    # A key in the query changes nothing: reads are public.
    response = _get(client, f"requests/{case.pk}", fmt, api_key=api_key.raw)

    document = _check("requests", response, fmt)
    body = response.content.decode()
    for private in (
        "张三",
        "13800001111",
        "zhang@example.cn",
        "device-42",
        "12345-0001",
        "13912345678",
    ):
        assert private not in body
    if fmt == "json":
        row = document[0]
        assert row["status_notes"] == "已受理"
        assert row["agency_responsible"] == "青松社区"
        assert row["service_notice"] == "环卫所将在 24 小时内清运。"
        assert row["expected_datetime"] is not None and row["address_id"] == case.area.code
        assert row["requested_datetime"].endswith("+08:00")
        assert "***" in row["description"]
    else:
        assert document.findtext("request/status_notes") == "已受理"


@pytest.mark.parametrize("fmt", FORMATS)
def test_closed_requests_show_the_public_photo_and_closed_status(
    client, api_key, crew, departments, fmt
):
    from tests.casework.factories import jpeg_upload

    _post(client, "json", _report(api_key))
    case = Case.objects.get()
    for actor, step, extra in (
        (crew.dispatcher_a, "accept", {}),
        (crew.dispatcher_a, "dispatch", {}),
        (crew.handler_a, "acknowledge", {}),
        (crew.handler_a, "complete", {"result": "已清运", "photos": [jpeg_upload()]}),
        (crew.center, "verify_pass", {"comment": "核查通过"}),
    ):
        case = case_step(case=case, actor=actor, step=step, **extra)

    document = _check("requests", _get(client, "requests", fmt, status="closed"), fmt)

    photo = case.attachments.get()
    url = f"http://testserver/report/photos/{photo.pk}/full.jpg"
    if fmt == "json":
        assert [(r["status"], r["media_url"], r["expected_datetime"]) for r in document] == [
            ("closed", url, None)
        ]
        assert document[0]["agency_responsible"] == departments.a.name
    else:
        assert document.findtext("request/media_url") == url
    assert client.get(url.removeprefix("http://testserver"))["Content-Type"] == "image/jpeg"


def test_an_unplaceable_point_goes_to_the_street_center_with_a_note(client, api_key, mapped):
    response = _post(
        client, "json", _report(api_key, lat=str(IN_NO_COMMUNITY[0]), long=str(IN_NO_COMMUNITY[1]))
    )

    assert response.status_code == 200
    case = Case.objects.get()
    assert (case.area, case.holder, case.escalated_at is not None) == (
        mapped.street,
        Holder.CENTER,
        True,
    )
    assert (
        "网格化管理中心" in case.events.get().comment or "grid center" in case.events.get().comment
    )
    assert Intake.objects.get().placed is False


def test_a_building_code_as_address_id_places_the_request(client, api_key, mapped):
    response = _post(
        client,
        "json",
        _report(api_key, lat=None, long=None, address_id=mapped.building_b1.code),
    )

    assert response.status_code == 200
    case = Case.objects.get()
    assert (case.area, case.address) == (mapped.building_b1, mapped.building_b1.name)
    assert case.latitude is not None


# -- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "nope.nope"}, 403, "api_key"),
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "9999"}, 404, "9999"),
        ({"service_code": "01"}, 404, "01"),
        ({"jurisdiction_id": "elsewhere.example.cn"}, 404, "elsewhere.example.cn"),
        ({"lat": None, "long": None}, 400, "address_id"),
        ({"lat": "39.9", "long": None}, 400, "lat"),
        ({"lat": "north", "long": "east"}, 400, "lat"),
        ({"lat": str(OUTSIDE_STREET[0]), "long": str(OUTSIDE_STREET[1])}, 400, "lat"),
        ({"attribute[KIND]": None}, 400, "attribute[KIND]"),
        ({"attribute[KIND]": "gold"}, 400, "attribute[KIND]"),
        ({"attribute[VOLUME]": "lots"}, 400, "attribute[VOLUME]"),
        ({"attribute[SINCE]": "2026-05-01T08:00"}, 400, "attribute[SINCE]"),
        ({"attribute[BAGS]": "two\nthree"}, 400, "attribute[BAGS]"),
        ({"description": "长" * 4001}, 400, "description"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"phone": "call me"}, 400, "phone"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"address_id": "999"}, 400, "address_id"),
    ],
)
def test_every_error_is_the_specifications_list_with_its_status(
    client, api_key, fields, status, words, fmt
):
    if "address_id" in fields:
        fields = {**fields, "lat": None, "long": None}
    response = _post(client, fmt, _report(api_key, **fields))

    document = _check("errors", response, fmt, status=status)
    codes = (
        [e["code"] for e in document]
        if fmt == "json"
        else [int(c.text) for c in document.iter("code")]
    )
    assert set(codes) == {status}
    assert words in _error_text(response, fmt)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_errors_name_the_missing_resource(client, jurisdiction, public, fmt):
    cases = [
        ("requests/999", 404, "999"),
        ("requests/abc", 404, "abc"),
        ("tokens/NOPE", 404, "NOPE"),
        ("services/none", 404, "none"),
    ]
    for path, status, words in cases:
        response = _get(client, path, fmt)
        _check("errors", response, fmt, status=status)
        assert words in _error_text(response, fmt)
    response = client.get(f"{BASE}/nothing/here.{fmt}")
    _check("errors", response, fmt, status=404)


def test_an_unknown_format_is_refused_in_xml(client, jurisdiction):
    response = client.get(f"{BASE}/services.csv")

    check_xml("errors", response.content)
    assert response.status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_method_other_than_get_or_post_is_a_400(client, jurisdiction, fmt):
    response = client.delete(f"{BASE}/requests.{fmt}")

    _check("errors", response, fmt, status=400)


# -- jurisdictions --------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_is_needed_once_there_are_several(client, jurisdiction, public, tree, fmt):
    from tests.factories import AreaFactory

    other_street = AreaFactory(kind="street", name="另一街道")
    Jurisdiction.objects.create(jurisdiction_id="other.example.cn", area=other_street)

    missing = _get(client, "services", fmt)
    named = _get(client, "services", fmt, jurisdiction_id="demo.example.cn")
    unknown = _get(client, "services", fmt, jurisdiction_id="nowhere.example.cn")

    _check("errors", missing, fmt, status=400)
    assert "jurisdiction_id" in _error_text(missing, fmt)
    _check("services", named, fmt)
    _check("errors", unknown, fmt, status=404)


def test_a_key_may_post_only_to_its_own_jurisdiction(client, api_key, tree):
    from tests.factories import AreaFactory

    other = Jurisdiction.objects.create(
        jurisdiction_id="other.example.cn", area=AreaFactory(kind="street", name="另一街道")
    )

    response = _post(client, "json", _report(api_key, jurisdiction_id=other.jurisdiction_id))

    assert response.status_code == 403
    assert "other.example.cn" in _error_text(response, "json")
    assert not Case.objects.exists()


def test_requests_of_another_jurisdiction_are_not_found(client, api_key, tree):
    from tests.factories import AreaFactory

    _post(client, "json", _report(api_key))
    case = Case.objects.get()
    Jurisdiction.objects.create(
        jurisdiction_id="other.example.cn", area=AreaFactory(kind="street", name="另一街道")
    )

    here = _get(client, f"requests/{case.pk}", "json", jurisdiction_id="demo.example.cn")
    there = _get(client, f"requests/{case.pk}", "json", jurisdiction_id="other.example.cn")
    token = Intake.objects.get().token
    token_there = _get(client, f"tokens/{token}", "json", jurisdiction_id="other.example.cn")

    assert (here.status_code, there.status_code, token_there.status_code) == (200, 404, 404)


def test_a_district_jurisdiction_files_points_in_the_right_street(client, mapped, public, crew):
    from tests.factories import AreaFactory

    district = AreaFactory(kind="district", name="示范区", code="110199")
    mapped.street.move_to(district)
    mapped.street.refresh_from_db()
    jurisdiction = Jurisdiction.objects.create(jurisdiction_id="district.example.cn", area=district)
    _key, raw = services.api_key_create(
        name="区平台", owner=mapped.street, jurisdiction=jurisdiction
    )

    response = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": raw,
            "service_code": "0101",
            "lat": str(IN_MICRO_A1[0]),
            "long": str(IN_MICRO_A1[1]),
            "attribute[KIND]": "debris",
        },
    )

    assert response.status_code == 200, response.content
    case = Case.objects.get()
    assert (case.area.name, case.street.pk) == ("青松一微网格", mapped.street.pk)
    assert case.reporter_name  # an anonymous request still names its reporter: 匿名居民


# -- keys -----------------------------------------------------------------------------------
def test_a_revoked_key_is_refused_and_the_key_is_stored_only_hashed(client, api_key):
    assert api_key.raw not in {api_key.key.key_hash, api_key.key.prefix}
    assert services.api_key_revoke(key=api_key.key) is True
    assert services.api_key_revoke(key=api_key.key) is False

    response = _post(client, "json", _report(api_key))

    assert response.status_code == 403
    assert "revoked" in _error_text(response, "json") or "吊销" in _error_text(response, "json")


def test_a_key_past_its_hourly_limit_gets_429_with_retry_after(client, api_key):
    api_key.key.rate_limit = 2
    api_key.key.save()

    statuses = [
        _post(client, "json", _report(api_key, description=f"第{i}次")).status_code
        for i in range(3)
    ]
    refused = _post(client, "xml", _report(api_key))

    assert statuses == [200, 200, 429]
    check_xml("errors", refused.content)
    assert int(refused["Retry-After"]) > 0
    assert Case.objects.count() == 2
    api_key.key.refresh_from_db()
    assert api_key.key.last_used_at is not None


# -- the list: filters, the 90-day rule, paging, query counts -------------------------------
@pytest.fixture
def many(api_key, mapped):
    """Six requests over 120 days (every 20 days, newest first), one closed."""
    now = timezone.now()
    made = []
    for days in range(0, 120, 20):
        intake = services.intake_submit(
            channel=Channel.OPEN311,
            within=mapped.street,
            fallback_street=mapped.street,
            account=api_key.key.account,
            category=Category.objects.get(code="0101"),
            description=f"{days} 天前",
            latitude=IN_MICRO_A1[0],
            longitude=IN_MICRO_A1[1],
            attributes={"KIND": ["household"]},
            api_key=api_key.key,
            now=now - timedelta(days=days),
        )
        made.append(intake.case)
    Case.objects.filter(pk=made[1].pk).update(status=Status.REJECTED, holder=Holder.NONE)
    return made


def _ids(response) -> list[str]:
    return [row["service_request_id"] for row in json.loads(response.content)]


def test_without_dates_the_list_covers_the_last_90_days(client, many):
    response = _get(client, "requests", "json")

    assert _ids(response) == [str(c.pk) for c in many[:5]]


def test_a_date_range_over_90_days_is_refused(client, many):
    now = timezone.now()
    start = (now - timedelta(days=91)).isoformat(timespec="seconds")

    refused = _get(
        client, "requests", "json", start_date=start, end_date=now.isoformat(timespec="seconds")
    )
    naive = _get(client, "requests", "json", start_date="2026-01-01T00:00:00")
    backwards = _get(client, "requests", "json", start_date=now.isoformat(), end_date=start)

    assert [refused.status_code, naive.status_code, backwards.status_code] == [400, 400, 400]
    assert "90" in _error_text(refused, "json")


def test_a_start_date_alone_spans_90_days_from_it(client, many):
    # From 110 days and an hour ago to 20 days and an hour ago: 100, 80, 60 and 40 days ago.
    start = (timezone.now() - timedelta(days=110, hours=1)).isoformat(timespec="seconds")

    response = _get(client, "requests", "json", start_date=start)

    assert _ids(response) == [str(c.pk) for c in many[2:]]


def test_status_service_code_and_id_filters(client, many):
    closed = _get(client, "requests", "json", status="closed")
    both = _get(client, "requests", "json", status="open,closed", service_code="0101,0102")
    bad_status = _get(client, "requests", "json", status="pending")
    by_ids = _get(
        client,
        "requests",
        "json",
        service_request_id=f"{many[5].pk},{many[0].pk}",
        status="closed",  # overridden by the ids
    )

    assert _ids(closed) == [str(many[1].pk)]
    assert len(_ids(both)) == 5
    assert bad_status.status_code == 400
    assert sorted(_ids(by_ids)) == sorted([str(many[5].pk), str(many[0].pk)])


def test_paging_walks_the_list_without_overlap(client, many):
    pages = [_ids(_get(client, "requests", "json", page=n, page_size=2)) for n in (1, 2, 3, 4)]
    refused = _get(client, "requests", "json", page=0)
    too_big = _get(client, "requests", "json", page_size=5000)

    assert pages == [
        [str(many[0].pk), str(many[1].pk)],
        [str(many[2].pk), str(many[3].pk)],
        [str(many[4].pk)],
        [],
    ]
    assert (refused.status_code, too_big.status_code) == (400, 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_lists_cost_the_same_queries_for_one_or_many(
    client, many, django_assert_max_num_queries, fmt
):
    # The jurisdiction, the public services, the list, its departments and places: the last
    # three from the process caches once read (the rows written count as committed for them).
    bump_what_waits_for_commit()
    with django_assert_max_num_queries(5):
        requests = _get(client, "requests", fmt)
    with django_assert_max_num_queries(2):
        assert _get(client, "requests", fmt).content == requests.content
    with django_assert_max_num_queries(3):
        updates = _get(client, "servicerequestupdates", fmt)
    with django_assert_max_num_queries(3):
        services_list = _get(client, "services", fmt)
    with django_assert_max_num_queries(4):
        definition = _get(client, "services/0101", fmt)

    _check("requests", requests, fmt)
    _check("updates", updates, fmt)
    _check("services", services_list, fmt)
    _check("service_definition", definition, fmt)


def test_agencies_are_named_as_they_are_now_and_cost_the_same_queries(
    client, tree, departments, public, jurisdiction, django_assert_max_num_queries
):
    """A rename of a department, a community or a street shows in the next response, and the
    list names them in a fixed number of queries however many there are: the services, the
    departments and the places from the process caches (one query each when cold, none once
    read), which a rename drops."""
    lamp = Category.objects.get(code="0102")
    now = timezone.now()
    for area, department, holder in [
        (tree.building_a1, departments.a, Holder.DEPARTMENT),
        (tree.building_b1, departments.b, Holder.DEPARTMENT),
        (tree.building_a1, None, Holder.COMMUNITY),
        (tree.building_b1, None, Holder.COMMUNITY),
        (tree.building_b1, None, Holder.CENTER),
    ]:
        CaseFactory(
            area=area,
            category=lamp,
            department=department,
            holder=holder,
            status=Status.DISPATCHED if department else Status.REPORTED,
            reported_at=now - timedelta(hours=1),
        )
    # The rows written count as committed for this process's caches (a strict one, the
    # areas', reads past its copy while a bump waits for the commit the test never makes).
    bump_what_waits_for_commit()
    clear_cache()  # any process cache cold: its version is read afresh, its rows too

    community_b, street = tree.community_b.name, tree.street.name

    with django_assert_max_num_queries(5):
        before = _agencies(_get(client, "requests", "json"))
    with django_assert_max_num_queries(2):
        assert _agencies(_get(client, "requests", "json")) == before
    departments.a.name = "城管执法中队"
    departments.a.save()
    tree.community_b.name = "新社区"
    tree.community_b.save()
    tree.street.name = "新街道"
    tree.street.save()
    with django_assert_max_num_queries(5):
        after = _agencies(_get(client, "requests", "json"))

    assert sorted(before) == sorted(
        ["城管执法队", "环卫所", tree.community_a.name, community_b, f"{street}网格化管理中心"]
    )
    assert sorted(after) == sorted(
        ["城管执法中队", "环卫所", tree.community_a.name, "新社区", "新街道网格化管理中心"]
    )


def _agencies(response) -> list[str]:
    return [row["agency_responsible"] for row in json.loads(response.content)]


# -- servicerequestupdates ------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_updates_list_public_steps_without_internal_ones(client, api_key, crew, fmt):
    _post(client, "json", _report(api_key))
    _post(client, "json", _report(api_key, description="第二件"))
    first, second = Case.objects.order_by("pk")
    case_step(case=first, actor=crew.dispatcher_a, step="accept", comment="受理")
    second = case_step(
        case=second, actor=crew.dispatcher_a, step="escalate", comment="内部：社区解决不了"
    )
    case_step(case=second, actor=crew.center, step="reject", comment="不属于街道职责")

    response = _get(client, "servicerequestupdates", fmt)

    document = _check("updates", response, fmt)
    assert "内部" not in response.content.decode()
    if fmt == "json":
        assert [(u["service_request_id"], u["description"], u["status"]) for u in document] == [
            (str(first.pk), "受理", "open"),
            (str(second.pk), "不属于街道职责", "closed"),
        ]
        assert [u["external_status_code"] for u in document] == ["accepted", "rejected"]
    else:
        assert [u.findtext("status") for u in document.iter("request_update")] == [
            "open",
            "closed",
        ]


def test_updates_follow_the_90_day_rule(client, jurisdiction):
    now = timezone.now()

    response = _get(
        client,
        "servicerequestupdates",
        "json",
        start_date=(now - timedelta(days=100)).isoformat(timespec="seconds"),
        end_date=now.isoformat(timespec="seconds"),
    )

    assert response.status_code == 400


# -- the two faces: a portal token and an Open311 key -------------------------------------------
def test_an_open311_key_opens_nothing_of_the_rest_api_and_a_token_keeps_to_its_scope(
    client, api_key, crew, api
):
    """The key files reports and reads public fields only; on /api/v1/ it is no credential at
    all. A portal token reads the same case in full, and only within its user's scope."""
    posted = _post(client, "json", _report(api_key))
    case = Case.objects.get(pk=int(posted.json()[0]["service_request_id"]))
    for header in (f"Token {api_key.raw}", f"Bearer {api_key.raw}"):
        rest = APIClient()
        rest.credentials(HTTP_AUTHORIZATION=header)
        response = rest.get(f"/api/v1/cases/{case.pk}/")
        assert response.status_code == 401
        assert response.json()["code"] in ("authentication_failed", "not_authenticated")
    public = _get(client, f"requests/{case.pk}", "json").json()[0]
    assert "13800001111" not in json.dumps(public, ensure_ascii=False)
    assert "张三" not in json.dumps(public, ensure_ascii=False)

    # Inside its scope the case is read (the reporter's phone masked: a full read is a reveal).
    inside = api(crew.dispatcher_a).get(f"/api/v1/cases/{case.pk}/")
    assert inside.status_code == 200 and inside.json()["reporter_phone"] == "138****1111"
    outside = api(crew.dispatcher_b)
    assert outside.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert case.pk not in [c["id"] for c in outside.get("/api/v1/cases/").json()["results"]]
