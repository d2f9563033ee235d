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


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[116.40, 39.95], [116.41, 39.95], [116.41, 39.96], [116.40, 39.95]]],
}


def test_its_page_maps_what_it_covers_as_data_not_html(client, consortium):
    tree = consortium.tree
    tree.grid_a1.boundary = SQUARE
    tree.grid_a1.name = "<b>青松第一网格</b>"
    tree.grid_a1.save()
    client.force_login(consortium.officer_a)
    response = client.get(f"/party/consortia/{consortium.consortium.pk}/")
    data = response.context["map_data"]
    # grid A1 covered, and the compound on it: drawn once; grid A2 has no boundary.
    assert [f["properties"]["id"] for f in data["features"]] == [tree.grid_a1.pk]
    assert data["features"][0]["properties"]["url"] == f"/areas/{tree.grid_a1.pk}/"
    body = response.content.decode()
    assert 'id="map-data"' in body and "js/area_map.js" in body
    # Names travel as JSON (escaped), drawn by area_map.js as text nodes.
    assert "<b>青松第一网格</b>" not in body
    for kind in ("demand", "project", "meeting"):
        assert f"/party/{kind}s/new/?consortium={consortium.consortium.pk}" in body


def test_its_demands_projects_and_meetings_are_chosen_in_the_forms(client, consortium):
    tree, c = consortium.tree, consortium.consortium
    client.force_login(consortium.officer_a)
    for kind in ("demands", "projects", "meetings"):
        form = client.get(f"/party/{kind}/new/?consortium={c.pk}").context["form"]
        assert form.initial["consortium"] == c.pk, kind
        assert form.initial["area"] == tree.community_a.pk, kind
        assert list(form.fields["consortium"].queryset) == [c]
    assert (
        "consortium" not in client.get("/party/demands/new/?consortium=x").context["form"].initial
    )
    response = client.post(
        "/party/demands/new/",
        {
            "title": "儿童游乐设施",
            "service_type": "child_care",
            "source": "resident",
            "area": tree.grid_a2.pk,
            "consortium": c.pk,
            "beneficiaries": 30,
        },
    )
    assert response.status_code == 302
    assert c.demands.filter(title="儿童游乐设施").exists()
    # Another officer's form does not offer it.
    client.force_login(consortium.officer_b)
    form = client.get(f"/party/demands/new/?consortium={c.pk}").context["form"]
    assert "consortium" not in form.initial
    assert c not in form.fields["consortium"].queryset


def test_its_records_lie_within_its_area(api, consortium):
    tree, c = consortium.tree, consortium.consortium
    street_officer = consortium.cast.street_admin
    response = api(street_officer).post(
        "/api/v1/party/demands/",
        {
            "title": "越界需求",
            "service_type": "other",
            "source": "resident",
            "area": tree.grid_b1.pk,
            "consortium": c.pk,
        },
        format="json",
    )
    assert response.status_code == 400 and "consortium" in response.json()["fields"]
    assert not c.demands.filter(title="越界需求").exists()
