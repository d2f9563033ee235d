"""Governance consortia: what they cover lies within their area; their team, figures, demands,
projects and meetings on their page; scope; the API; query counts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from partybuilding import services
from partybuilding.models import Consortium
from tests.partybuilding.factories import DemandFactory, MeetingFactory, ProjectFactory


@pytest.fixture
def consortium(carriages):
    tree = carriages.tree
    c = services.consortium_save(
        actor=carriages.officer_a,
        consortium=Consortium(name="青松社区治理共同体", area=tree.community_a, motto="一体两委"),
        related={
            "covered_areas": [tree.grid_a1, tree.grid_a2],
            "compounds": [carriages.compound],
            "units": [carriages.unit_a],
        },
    )
    c.members.create(name="王书记", side="party", role="召集人")
    c.members.create(name="吴经理", side="property", role="成员", company=carriages.company)
    DemandFactory(area=tree.grid_a1, consortium=c, title="楼道照明")
    ProjectFactory(area=tree.grid_a1, consortium=c, name="加装电梯")
    MeetingFactory(area=tree.grid_a1, consortium=c, title="共同体议事会", status="held")
    carriages.consortium = c
    return carriages


def test_it_covers_only_what_lies_within_its_area(carriages):
    tree = carriages.tree
    with pytest.raises(ValidationError) as refused:
        services.consortium_save(
            actor=carriages.officer_a,
            consortium=Consortium(name="越界", area=tree.community_a),
            related={"covered_areas": [tree.grid_b1], "units": [carriages.unit_b]},
        )
    assert {"covered_areas", "units"} <= set(refused.value.message_dict)
    assert not Consortium.objects.exists()


def test_its_page_shows_team_coverage_and_figures(
    client, consortium, django_assert_max_num_queries
):
    client.force_login(consortium.officer_a)
    with django_assert_max_num_queries(12):
        assert "青松社区治理共同体" in client.get("/party/consortia/").content.decode()
    with django_assert_max_num_queries(20):
        body = client.get(f"/party/consortia/{consortium.consortium.pk}/").content.decode()
    for text in (
        "王书记",
        "青松物业服务有限公司",
        "青松第二网格",
        "青松里小区",
        "楼道照明",
        "加装电梯",
    ):
        assert text in body, text
    assert "1/1" in body  # one open demand of one
    client.force_login(consortium.officer_b)
    assert client.get(f"/party/consortia/{consortium.consortium.pk}/").status_code == 404


def test_the_api_lists_in_scope_and_checks_coverage(api, consortium, django_assert_max_num_queries):
    client = api(consortium.officer_a)
    with django_assert_max_num_queries(6 + api.auth_queries):
        listed = client.get("/api/v1/party/consortia/").json()
    assert listed["count"] == 1
    assert set(listed["results"][0]["covered_areas"]) == {
        consortium.tree.grid_a1.pk,
        consortium.tree.grid_a2.pk,
    }
    assert api(consortium.officer_b).get("/api/v1/party/consortia/").json()["count"] == 0
    assert client.get("/api/v1/party/consortium-members/").json()["count"] == 2
    response = client.patch(
        f"/api/v1/party/consortia/{consortium.consortium.pk}/",
        {"covered_areas": [consortium.tree.community_a.pk]},
        format="json",
    )
    assert response.status_code == 400 and "covered_areas" in response.json()["fields"]
