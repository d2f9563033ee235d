"""A meeting resolution files a case (source: council resolution) in one click, once, in scope."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.models import Case, Source
from partybuilding import services
from partybuilding.models import Resolution
from tests.casework.factories import CategoryFactory
from tests.partybuilding.factories import MeetingFactory


@pytest.fixture
def council(party):
    parent = CategoryFactory(code="01", name="市容环境")
    party.category = CategoryFactory(code="0101", name="暴露垃圾", parent=parent)
    parent.refresh_from_db()
    party.meeting = MeetingFactory(area=party.tree.community_a, title="青松里院落议事会")
    party.resolution = services.resolution_add(
        actor=party.officer_a,
        meeting=party.meeting,
        text="清理3号楼北侧堆放的建筑垃圾\n由物业负责，社区督促",
    )
    return party


def test_it_files_exactly_one_case_with_the_council_as_source(council):
    case = services.resolution_open_case(
        actor=council.cast.dispatcher_a,
        resolution=council.resolution,
        category=council.category,
        area=council.tree.grid_a1,
    )
    assert Case.objects.count() == 1
    assert case.source == Source.COUNCIL
    assert case.title == "清理3号楼北侧堆放的建筑垃圾"
    assert case.area == council.tree.grid_a1
    assert case.address == council.tree.grid_a1.name
    assert case.reporter == council.cast.dispatcher_a
    council.resolution.refresh_from_db()
    assert council.resolution.case == case
    assert council.resolution.case_opened_by == council.cast.dispatcher_a
    assert case.events.get().step == "report"


def test_a_second_opening_is_refused_and_files_nothing(council, in_english):
    kwargs = dict(
        actor=council.cast.dispatcher_a,
        resolution=council.resolution,
        category=council.category,
        area=council.tree.community_a,
    )
    services.resolution_open_case(**kwargs)
    stale = Resolution.objects.get(pk=council.resolution.pk)
    stale.case_id = None  # a page loaded before the first click
    with pytest.raises(ValidationError, match="opened a case already"):
        services.resolution_open_case(**{**kwargs, "resolution": stale})
    assert Case.objects.count() == 1


def test_it_refuses_an_area_outside_the_meeting(council, in_english):
    with pytest.raises(ValidationError) as error:
        services.resolution_open_case(
            actor=council.cast.street_admin,
            resolution=council.resolution,
            category=council.category,
            area=council.tree.grid_b1,
        )
    assert "area" in error.value.message_dict
    assert not Case.objects.exists()


def test_it_refuses_someone_outside_the_meeting_scope(council):
    with pytest.raises(PermissionDenied):
        services.resolution_open_case(
            actor=council.cast.dispatcher_b,
            resolution=council.resolution,
            category=council.category,
            area=council.tree.community_a,
        )
    assert not Case.objects.exists()
    council.resolution.refresh_from_db()
    assert council.resolution.case is None


def test_casework_decides_who_may_file_cases(council):
    # A viewer sees the meeting but files no cases anywhere: casework's rule refuses.
    with pytest.raises(PermissionDenied):
        services.resolution_open_case(
            actor=council.cast.viewer_a,
            resolution=council.resolution,
            category=council.category,
            area=council.tree.community_a,
        )
    assert not Case.objects.exists()


def test_the_meeting_page_files_the_case_and_the_case_shows_its_source(client, council):
    client.force_login(council.cast.dispatcher_a)
    url = f"/party/meetings/{council.meeting.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="open_case"' in page
    response = client.post(
        url,
        {
            "action": "open_case",
            "resolution": council.resolution.pk,
            "category": council.category.pk,
            "area": council.tree.grid_a1.pk,
            "address": "3号楼北侧",
        },
    )
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.address == "3号楼北侧"
    case_page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Council resolution" in case_page
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"/cases/{case.pk}/" in page and 'value="open_case"' not in page


def test_a_second_click_on_the_page_says_why_it_is_refused(client, council):
    client.force_login(council.cast.dispatcher_a)
    data = {
        "action": "open_case",
        "resolution": council.resolution.pk,
        "category": council.category.pk,
        "area": council.tree.community_a.pk,
    }
    url = f"/party/meetings/{council.meeting.pk}/"
    client.post(url, data)
    response = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This resolution has opened a case already." in response.content.decode()
    assert Case.objects.count() == 1


def test_the_page_offers_no_case_button_to_those_who_file_no_cases(client, council):
    client.force_login(council.cast.viewer_a)
    page = client.get(f"/party/meetings/{council.meeting.pk}/").content.decode()
    assert 'value="open_case"' not in page


def test_the_party_officer_opens_the_case_from_the_meeting_page(client, council):
    client.force_login(council.officer_a)
    url = f"/party/meetings/{council.meeting.pk}/"
    assert 'value="open_case"' in client.get(url).content.decode()

    client.post(
        url,
        {
            "action": "open_case",
            "resolution": council.resolution.pk,
            "category": council.category.pk,
            "area": council.tree.community_a.pk,
        },
    )

    case = Case.objects.get()
    assert case.source == Source.COUNCIL
    assert case.reporter == council.officer_a


def test_the_api_files_the_case_once_and_in_scope(client, council):
    url = f"/api/v1/party/resolutions/{council.resolution.pk}/open-case/"
    body = {"category": council.category.pk, "area": council.tree.grid_a1.pk}
    client.force_login(council.cast.dispatcher_b)
    assert client.post(url, body, content_type="application/json").status_code == 404
    client.force_login(council.cast.dispatcher_a)
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["source"] == Source.COUNCIL
    again = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400
    assert "opened a case already" in str(again.json()["fields"])
    assert Case.objects.count() == 1
    resolution = client.get(f"/api/v1/party/resolutions/{council.resolution.pk}/").json()
    assert resolution["case"] == response.json()["id"]
