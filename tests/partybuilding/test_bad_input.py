"""Input that used to be a server error is a 400 with a field message (issue 8, item 11), and a
volunteer cannot sign up for another street's activity (item 12)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from governance.models import Role
from grids.models import AreaKind
from partybuilding import services
from partybuilding.models import DualReport, Participation, PointEntry
from tests.conftest import _with_role
from tests.factories import AreaFactory, UserFactory
from tests.partybuilding.factories import ActivityFactory, VolunteerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


@pytest.fixture
def report(party):
    return DualReport.objects.create(
        kind="personal",
        community=party.tree.community_a,
        member=party.member_a,
        service_post="mediation",
        registered_on=dt.date(2026, 1, 5),
        status="active",
    )


@pytest.mark.parametrize("within", ["abc", "null", "1.5", "-3"])
def test_the_leaderboard_refuses_a_malformed_area(api, party, within):
    response = api(party.officer_a).get("/api/v1/party/leaderboard/", {"within": within})
    assert response.status_code == 400
    assert "within" in response.json()


@pytest.mark.parametrize("param", ["since", "until"])
def test_the_leaderboard_refuses_a_malformed_date(api, party, param):
    response = api(party.officer_a).get("/api/v1/party/leaderboard/", {param: "2026-13-45"})
    assert response.status_code == 400 and param in response.json()


def test_the_leaderboard_still_answers_good_input(api, party):
    response = api(party.officer_a).get(
        "/api/v1/party/leaderboard/", {"within": party.tree.community_a.pk, "since": "2026-01-01"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"year": "99999", "quarter": "1"}, "year"),
        ({"year": "0", "quarter": "1"}, "year"),
        ({"year": "abc"}, "year"),
        ({"year": "2026", "quarter": "5"}, "quarter"),
    ],
)
def test_the_feedback_sheet_refuses_years_and_quarters_out_of_range(
    api, party, report, query, field
):
    response = api(party.officer_a).get(f"/api/v1/party/dual-reports/{report.pk}/feedback/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_the_feedback_sheet_answers_a_good_quarter(api, party, report):
    response = api(party.officer_a).get(
        f"/api/v1/party/dual-reports/{report.pk}/feedback/", {"year": "2026", "quarter": "1"}
    )
    assert response.status_code == 200 and response.json()["quarter"] == 1


def test_the_volunteers_page_refuses_a_malformed_area_with_a_message(client, party):
    client.force_login(party.officer_a)
    response = client.get("/party/volunteers/", {"within": "abc"})
    assert response.status_code == 400
    assert "within area" in response.content.decode()
    assert (
        client.get("/party/volunteers/", {"within": party.tree.community_a.pk}).status_code == 200
    )


@pytest.mark.parametrize("amount", [4398046511105, -4398046511105, 0])
def test_an_adjustment_out_of_range_is_refused(api, party, amount):
    volunteer = VolunteerFactory(area=party.tree.building_a1)
    response = api(party.officer_a).post(
        f"/api/v1/party/volunteers/{volunteer.pk}/adjust/",
        {"amount": amount, "reason": "更正"},
        format="json",
    )
    assert response.status_code == 400
    assert "amount" in response.json()
    assert not PointEntry.objects.filter(volunteer=volunteer).exists()


def test_an_adjustment_within_range_is_written(api, party):
    volunteer = VolunteerFactory(area=party.tree.building_a1)
    response = api(party.officer_a).post(
        f"/api/v1/party/volunteers/{volunteer.pk}/adjust/",
        {"amount": PointEntry.MAX_ADJUSTMENT, "reason": "表彰"},
        format="json",
    )
    assert response.status_code == 201


# -- item 12: another street's activity -----------------------------------------------------------
@pytest.fixture
def two_streets(party):
    other = AreaFactory(kind=AreaKind.STREET, name="别的街道", code="110101002")
    other_community = AreaFactory(kind=AreaKind.COMMUNITY, name="别的社区", parent=other)
    other_officer = _with_role(Role.PARTY_OFFICER, other_community, username="officer_x")
    own = ActivityFactory(area=party.tree.community_a, organizer=party.officer_a)
    foreign = ActivityFactory(area=other_community, organizer=other_officer)
    person = UserFactory(username="volunteer_a")
    volunteer = VolunteerFactory(area=party.tree.building_a1, user=person)
    return own, foreign, volunteer


def test_a_volunteer_cannot_sign_up_for_another_streets_activity(client, two_streets):
    own, foreign, volunteer = two_streets
    client.force_login(volunteer.user)
    response = client.post("/party/me/", {"action": "sign_up", "activity": foreign.pk})
    assert response.status_code == 404
    assert not Participation.objects.filter(activity=foreign).exists()
    # Their own street's activity is taken, through the same form.
    client.post("/party/me/", {"action": "sign_up", "activity": own.pk})
    assert Participation.objects.filter(activity=own, volunteer=volunteer).exists()


@pytest.mark.parametrize("value", ["abc", "", "99999999999999999999"])
def test_a_malformed_activity_id_is_not_found(client, two_streets, value):
    _own, _foreign, volunteer = two_streets
    client.force_login(volunteer.user)
    response = client.post("/party/me/", {"action": "sign_up", "activity": value})
    assert response.status_code == 404


def test_the_service_refuses_it_too(two_streets):
    _own, foreign, volunteer = two_streets
    with pytest.raises(PermissionDenied):
        services.activity_sign_up(actor=volunteer.user, activity=foreign, volunteer=volunteer)
    assert not Participation.objects.exists()
