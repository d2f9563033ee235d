"""Units' points: the street's scheme credits the year's events of its units to an append-only
ledger, once per event and within the yearly caps; the ranking, the feedback letter, scope,
query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from partybuilding import services
from partybuilding.models import DualReport, UnitPointEntry, UnitPointRule
from tests.conftest import _with_role
from tests.partybuilding.factories import MeetingFactory, ResourceFactory, UnitFactory


@pytest.fixture
def scheme(party):
    tree = party.tree
    party.street_officer = _with_role("party_officer", tree.street, username="officer_street")
    UnitPointRule.objects.create(area=tree.street, item="service", points=5, yearly_cap=12)
    UnitPointRule.objects.create(area=tree.street, item="resource", points=10)
    UnitPointRule.objects.create(area=tree.street, item="meeting", points=2)
    party.year = timezone.localdate().year
    day = dt.date(party.year, 3, 1)
    report = DualReport.objects.create(
        kind="unit",
        community=tree.community_a,
        unit=party.unit_a,
        service_post="mediation",
        registered_on=day,
        status="active",
    )
    for i in range(3):  # 15 points, capped at 12
        report.services.create(served_on=day + dt.timedelta(days=i), hours=2, description="调解")
    report.services.create(served_on=dt.date(party.year - 1, 6, 1), hours=1, description="去年")
    ResourceFactory(area=tree.grid_b1, unit=party.unit_b)
    meeting = MeetingFactory(area=tree.community_a, status="held")
    meeting.attendees.create(name="代表", unit=party.unit_a, attended=True)
    meeting.attendees.create(name="缺席", unit=party.unit_b, attended=False)
    return party


def test_settling_credits_events_within_caps_once(scheme):
    created = services.unit_points_settle(
        actor=scheme.street_officer, street=scheme.tree.street, year=scheme.year
    )
    assert created == 5  # three services (the third one partly), one resource, one meeting
    totals = {
        (e.unit_id, e.item): e.amount for e in UnitPointEntry.objects.all() if e.item != "service"
    }
    assert totals == {(scheme.unit_b.pk, "resource"): 10, (scheme.unit_a.pk, "meeting"): 2}
    services_points = sorted(
        UnitPointEntry.objects.filter(item="service").values_list("amount", flat=True)
    )
    assert services_points == [2, 5, 5]
    assert (
        services.unit_points_settle(
            actor=scheme.street_officer, street=scheme.tree.street, year=scheme.year
        )
        == 0
    )
    assert UnitPointEntry.objects.count() == 5


def test_only_the_streets_officers_settle(scheme):
    with pytest.raises(PermissionDenied):
        services.unit_points_settle(
            actor=scheme.officer_a, street=scheme.tree.street, year=scheme.year
        )
    assert not UnitPointEntry.objects.exists()


def test_ranking_and_letter_pages(client, scheme, django_assert_max_num_queries):
    services.unit_points_settle(
        actor=scheme.street_officer, street=scheme.tree.street, year=scheme.year
    )
    for i in range(3):
        UnitFactory(area=scheme.tree.community_a, name=f"无积分单位{i}")
    client.force_login(scheme.street_officer)
    with django_assert_max_num_queries(14):
        body = client.get(f"/party/unit-points/?year={scheme.year}").content.decode()
    assert body.index("青松第一小学") < body.index("柳荫医院")  # 14 points before 10
    assert "无积分单位" not in body
    letter = client.get(
        f"/party/unit-points/{scheme.unit_a.pk}/letter/?year={scheme.year}"
    ).content.decode()
    assert "14" in letter and "示范街道" in letter
    client.force_login(scheme.officer_b)
    body = client.get(f"/party/unit-points/?year={scheme.year}").content.decode()
    assert "青松第一小学" not in body and "柳荫医院" in body
    assert (
        client.get(f"/party/unit-points/{scheme.unit_a.pk}/letter/?year={scheme.year}").status_code
        == 404
    )


def test_the_settle_button_works_from_the_page(client, scheme):
    client.force_login(scheme.street_officer)
    response = client.post(
        f"/party/unit-points/?year={scheme.year}", {"street": scheme.tree.street.pk}
    )
    assert response.status_code == 302
    assert UnitPointEntry.objects.count() == 5


def test_the_api_ledger_is_read_only_and_scoped(api, scheme, django_assert_max_num_queries):
    client = api(scheme.street_officer)
    settled = client.post(
        "/api/v1/party/unit-points/settle/",
        {"street": scheme.tree.street.pk, "year": scheme.year},
        format="json",
    )
    assert settled.status_code == 200 and settled.json() == {"created": 5}
    with django_assert_max_num_queries(3 + api.auth_queries):
        assert client.get("/api/v1/party/unit-points/").json()["count"] == 5
    ranking = client.get(f"/api/v1/party/unit-ranking/?year={scheme.year}").json()
    assert [r["points"] for r in ranking["results"]] == [14, 10]
    other = api(scheme.officer_b)
    assert other.get("/api/v1/party/unit-points/").json()["count"] == 1  # unit B's resource
    refused = other.post(
        "/api/v1/party/unit-points/settle/",
        {"street": scheme.tree.street.pk, "year": scheme.year},
        format="json",
    )
    assert refused.status_code in (400, 403)
    entry = UnitPointEntry.objects.first()
    assert client.delete(f"/api/v1/party/unit-points/{entry.pk}/").status_code == 405


def test_a_unit_earns_points_for_its_in_service_members_services(scheme):
    tree = scheme.tree
    UnitPointRule.objects.create(area=tree.street, item="members", points=3, yearly_cap=5)
    member = scheme.member_a
    member.in_service, member.work_unit, member.employer = True, "青松第一小学", scheme.unit_a
    member.save()
    report = DualReport.objects.create(
        kind="personal",
        community=tree.community_a,
        member=member,
        service_post="mediation",
        registered_on=dt.date(scheme.year, 1, 5),
        status="active",
    )
    day = dt.date(scheme.year, 4, 1)
    for i in range(2):  # 6 points, capped at 5
        report.services.create(served_on=day + dt.timedelta(days=i), hours=2, description="义诊")
    # A member without a linked unit earns no unit anything.
    other = scheme.member_b
    other.in_service, other.work_unit = True, "某公司"
    other.save()
    DualReport.objects.create(
        kind="personal",
        community=tree.community_b,
        member=other,
        service_post="mediation",
        registered_on=day,
        status="active",
    ).services.create(served_on=day, hours=1, description="宣讲")

    services.unit_points_settle(actor=scheme.street_officer, street=tree.street, year=scheme.year)
    rows = list(
        UnitPointEntry.objects.filter(item="members").values_list("unit_id", "amount", "reason")
    )
    assert sorted(a for _u, a, _r in rows) == [2, 3]
    assert {u for u, _a, _r in rows} == {scheme.unit_a.pk}
    assert all(r.startswith("李建国") for _u, _a, r in rows)


def test_only_an_in_service_member_names_a_unit(scheme):
    from django.core.exceptions import ValidationError

    member = scheme.member_a
    member.in_service, member.work_unit, member.employer = False, "", scheme.unit_a
    with pytest.raises(ValidationError) as refused:
        services.member_save(actor=scheme.officer_a, member=member)
    assert "employer" in refused.value.message_dict
