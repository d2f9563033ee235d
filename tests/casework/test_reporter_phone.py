"""The reporter's phone (issue 8, item 13): in full for those who work the case, masked for
the read-only viewer on the page and in the API."""

import pytest

from tests.casework.factories import CaseFactory

pytestmark = pytest.mark.django_db

PHONE = "13800001111"


@pytest.fixture
def case(tree, categories):
    return CaseFactory(area=tree.grid_a1, category=categories.garbage, reporter_phone=PHONE)


def test_a_viewer_sees_the_reporter_phone_masked(client, api, crew, case):
    client.force_login(crew.viewer_a)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "138****1111" in body and PHONE not in body
    data = api(crew.viewer_a).get(f"/api/v1/cases/{case.pk}/").json()
    assert data["reporter_phone"] == "138****1111"


@pytest.mark.parametrize("who", ["dispatcher_a", "worker_a", "center"])
def test_those_who_work_the_case_see_it_in_full(client, api, crew, case, who):
    user = getattr(crew, who)
    client.force_login(user)
    assert f'href="tel:{PHONE}"' in client.get(f"/cases/{case.pk}/").content.decode()
    assert api(user).get(f"/api/v1/cases/{case.pk}/").json()["reporter_phone"] == PHONE
