"""The three carriages of a compound: its committees and property company, one company per
compound at a time, scope, pages, API, and the property company in the case loop: a joint
meeting's resolution opens a case that the community dispatches to the compound's company,
whose staff acknowledge and complete it with the department role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.services import case_step
from governance.models import Department
from partybuilding import services
from partybuilding.cogov_selectors import property_company_for
from partybuilding.models import (
    Compound,
    Council,
    PropertyCompany,
    PropertyContract,
)
from tests.casework.factories import CategoryFactory, jpeg_upload
from tests.factories import DepartmentFactory
from tests.partybuilding.factories import MeetingFactory


def test_the_company_of_a_compound_is_found_from_any_area_inside_it(carriages):
    tree = carriages.tree
    assert property_company_for(tree.building_a1) == carriages.company
    assert property_company_for(tree.grid_a1) == carriages.company
    assert property_company_for(tree.community_a) is None
    after = carriages.contract.ends_on + dt.timedelta(days=1)
    assert property_company_for(tree.building_a1, on=after) is None


def test_two_contracts_of_a_compound_never_overlap(carriages):
    other = PropertyCompany.objects.create(
        department=DepartmentFactory(code="other-property", kind=Department.Kind.PROPERTY),
        area=carriages.tree.street,
        service_phone="010-1",
    )
    overlapping = PropertyContract(
        compound=carriages.compound,
        company=other,
        starts_on=carriages.contract.ends_on,
        ends_on=carriages.contract.ends_on + dt.timedelta(days=365),
    )
    with pytest.raises(ValidationError) as refused:
        services.contract_save(actor=carriages.officer_a, contract=overlapping)
    assert "starts_on" in refused.value.message_dict
    overlapping.starts_on = carriages.contract.ends_on + dt.timedelta(days=1)
    services.contract_save(actor=carriages.officer_a, contract=overlapping)
    assert PropertyContract.objects.count() == 2


def test_a_red_property_names_its_party_organization_and_is_a_property_department(carriages):
    company = PropertyCompany(
        department=DepartmentFactory(code="gov", kind=Department.Kind.GOVERNMENT),
        area=carriages.tree.street,
        service_phone="1",
        is_red=True,
    )
    with pytest.raises(ValidationError) as refused:
        company.full_clean()
    assert {"department", "party_organization"} <= set(refused.value.message_dict)


def test_a_compound_is_a_grid_micro_grid_or_building(carriages):
    with pytest.raises(ValidationError):
        Compound(area=carriages.tree.community_b, name="x", residents_committee="y").full_clean()


def test_the_property_company_handles_the_case_a_joint_meeting_opened(carriages):
    tree, cast = carriages.tree, carriages.cast
    parent = CategoryFactory(code="03", name="房屋管理")
    category = CategoryFactory(code="0301", name="电梯故障", parent=parent)
    council = Council.objects.create(
        name="青松里三驾马车联席会", kind="three_carriages", area=tree.grid_a1
    )
    meeting = MeetingFactory(
        area=tree.grid_a1, council=council, kind="three_carriages", title="三驾马车联席会"
    )
    resolution = services.resolution_add(
        actor=carriages.officer_a, meeting=meeting, text="3号楼电梯频繁停运\n由物业限期维修"
    )
    case = services.resolution_open_case(
        actor=cast.dispatcher_a, resolution=resolution, category=category, area=tree.building_a1
    )
    case = case_step(case=case, actor=cast.dispatcher_a, step="accept")
    company = property_company_for(case.area)
    case = case_step(
        case=case, actor=cast.dispatcher_a, step="dispatch", department=company.department
    )
    assert case.department == carriages.department
    case = case_step(case=case, actor=carriages.property_staff, step="acknowledge")
    case = case_step(
        case=case,
        actor=carriages.property_staff,
        step="complete",
        result="更换电梯控制板，已恢复运行",
        photos=[jpeg_upload()],
    )
    assert case.status == "handled"
    assert [e.step for e in case.events.order_by("pk")] == [
        "report",
        "accept",
        "dispatch",
        "acknowledge",
        "complete",
    ]


# -- pages and API -------------------------------------------------------------------------------
def test_the_compound_pages_show_the_three_carriages(
    client, carriages, django_assert_max_num_queries
):
    client.force_login(carriages.officer_a)
    with django_assert_max_num_queries(12):
        body = client.get("/party/compounds/").content.decode()
    assert "青松里小区" in body and "青松物业服务有限公司" in body
    with django_assert_max_num_queries(16):
        page = client.get(f"/party/compounds/{carriages.compound.pk}/")
    body = page.content.decode()
    assert "周主任" in body and "010-64119001" in body and "92.5" in body
    client.force_login(carriages.officer_b)
    assert "青松里小区" not in client.get("/party/compounds/").content.decode()
    assert client.get(f"/party/compounds/{carriages.compound.pk}/").status_code == 404


def test_the_api_lists_in_scope_and_refuses_overlapping_contracts(
    api, carriages, django_assert_max_num_queries
):
    client = api(carriages.officer_a)
    for endpoint in (
        "compounds",
        "owners-committees",
        "owners-committee-members",
        "property-companies",
        "property-contracts",
    ):
        with django_assert_max_num_queries(4 + api.auth_queries):
            response = client.get(f"/api/v1/party/{endpoint}/")
        assert response.json()["count"] == 1, endpoint
        assert api(carriages.officer_b).get(f"/api/v1/party/{endpoint}/").json()["count"] == (
            1 if endpoint == "property-companies" else 0
        ), endpoint
    response = client.post(
        "/api/v1/party/property-contracts/",
        {
            "compound": carriages.compound.pk,
            "company": carriages.company.pk,
            "starts_on": timezone.localdate().isoformat(),
            "ends_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400 and "starts_on" in response.json()["fields"]


def test_the_dispatch_form_preselects_the_compounds_property_company(carriages, in_english):
    from casework import workflow
    from casework.forms import StepForm
    from tests.casework.factories import CaseFactory

    tree, cast = carriages.tree, carriages.cast
    inside = CaseFactory(area=tree.building_a1, status="accepted")
    outside = CaseFactory(area=tree.grid_a2, status="accepted")
    step = workflow.STEPS["dispatch"]
    # Before the category's default department (which the case page passes as initial).
    other = DepartmentFactory(name="区城管委", code="cgw")
    form = StepForm(
        step=step, case=inside, user=cast.dispatcher_a, initial={"department": other.pk}
    )
    assert form["department"].value() == carriages.department.pk
    assert "青松物业服务有限公司" in str(form.fields["department"].help_text)
    # Still a choice: any other department of the list may be chosen instead.
    bound = StepForm(
        {"dispatch-version": inside.version, "dispatch-department": other.pk},
        step=step,
        case=inside,
        user=cast.dispatcher_a,
    )
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["department"] == other
    assert StepForm(step=step, case=outside, user=cast.dispatcher_a)["department"].value() is None
    # Once the contract has ended, nothing is suggested.
    PropertyContract.objects.update(ends_on=timezone.localdate() - dt.timedelta(days=1))
    assert StepForm(step=step, case=inside, user=cast.dispatcher_a)["department"].value() is None
