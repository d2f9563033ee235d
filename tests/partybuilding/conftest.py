"""The party of the standard street: organizations, members, units and officers for A and B."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from governance.models import Department
from partybuilding import services
from partybuilding.models import (
    Compound,
    ContactStation,
    Deputy,
    OrganizationKind,
    OwnersCommittee,
    PropertyCompany,
    PropertyContract,
    Reception,
)
from tests.casework.factories import CategoryFactory
from tests.conftest import _with_role
from tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory
from tests.partybuilding.factories import MemberFactory, OrganizationFactory, UnitFactory
from tests.replay import Replay

PARTY = Replay("party")


@pytest.fixture
def party(tree, cast):
    """Built once per process, replayed after (tests/replay.py)."""
    return PARTY.get(lambda: _party(tree, cast), tree, cast)


def _party(tree, cast):
    p = SimpleNamespace(tree=tree, cast=cast)
    p.officer_a = _with_role("party_officer", tree.community_a, username="officer_a")
    p.officer_b = _with_role("party_officer", tree.community_b, username="officer_b")
    p.street_org = OrganizationFactory(
        kind=OrganizationKind.STREET_COMMITTEE, name="街道党工委", area=tree.street
    )
    p.org_a = OrganizationFactory(
        kind=OrganizationKind.COMMUNITY_COMMITTEE,
        name="青松社区党委",
        area=tree.community_a,
        parent=p.street_org,
    )
    p.org_b = OrganizationFactory(
        kind=OrganizationKind.COMMUNITY_COMMITTEE,
        name="柳荫社区党委",
        area=tree.community_b,
        parent=p.street_org,
    )
    p.branch_a1 = OrganizationFactory(
        kind=OrganizationKind.BRANCH, name="青松第一网格党支部", area=tree.grid_a1, parent=p.org_a
    )
    p.branch_b1 = OrganizationFactory(
        kind=OrganizationKind.BRANCH, name="柳荫第一网格党支部", area=tree.grid_b1, parent=p.org_b
    )
    p.member_a = MemberFactory(
        organization=p.branch_a1, name="李建国", phone="13912345678", home_building=tree.building_a1
    )
    p.member_b = MemberFactory(
        organization=p.branch_b1, name="赵红梅", phone="13987654321", home_building=tree.building_b1
    )
    p.unit_a = UnitFactory(name="青松第一小学", area=tree.community_a)
    p.unit_b = UnitFactory(name="柳荫医院", area=tree.community_b, kind="hospital")
    for name in ("street_org", "org_a", "org_b", "branch_a1", "branch_b1"):
        getattr(p, name).refresh_from_db()
    return p


@pytest.fixture
def carriages(party, settings, tmp_path):
    """A compound on grid A1 with its owners' committee and a red property company under
    contract, whose staff sign in with the department role."""
    settings.MEDIA_ROOT = tmp_path
    tree = party.tree
    today = timezone.localdate()
    party.compound = Compound.objects.create(
        area=tree.grid_a1, name="青松里小区", households=420, residents_committee="青松社区居委会"
    )
    party.committee = OwnersCommittee.objects.create(
        compound=party.compound,
        name="青松里小区业主委员会",
        elected_on=today - dt.timedelta(days=700),
        term_start=today - dt.timedelta(days=700),
        term_end=today + dt.timedelta(days=30),
    )
    party.committee.members.create(name="周主任", post="director", party_member=party.member_a)
    party.department = DepartmentFactory(
        name="青松物业服务有限公司", code="qs-property", kind=Department.Kind.PROPERTY
    )
    party.company = PropertyCompany.objects.create(
        department=party.department,
        area=tree.street,
        service_phone="010-64119001",
        quality_score=92.5,
        is_red=True,
        party_organization=party.street_org,
    )
    party.contract = PropertyContract.objects.create(
        compound=party.compound,
        company=party.company,
        starts_on=today - dt.timedelta(days=365),
        ends_on=today + dt.timedelta(days=365),
    )
    party.property_staff = UserFactory(username="wuye")
    RoleAssignmentFactory(
        user=party.property_staff, role="department_handler", department=party.department
    )
    return party


STATION_PHONE = "13911112222"


@pytest.fixture
def station(party):
    """A deputies' contact station in community A with two deputies (one signs in), yesterday's
    reception day with one pending opinion, and one ahead; a case category for opinions."""
    tree = party.tree
    today = timezone.localdate()
    party.station = services.record_save(
        actor=party.officer_a,
        obj=ContactStation(name="青松社区代表联系站", area=tree.community_a, address="青松路1号"),
    )
    party.deputy_user = UserFactory(username="daibiao", home_area=tree.community_a)
    party.deputy = services.deputy_save(
        actor=party.officer_a,
        deputy=Deputy(
            name="张建国",
            kind="npc",
            level="district",
            term="第十七届",
            term_start=dt.date(2022, 1, 1),
            area=tree.community_a,
            user=party.deputy_user,
        ),
        stations=[party.station],
    )
    party.member = services.deputy_save(
        actor=party.officer_a,
        deputy=Deputy(
            name="陈志华",
            kind="cppcc",
            level="district",
            term="第十五届",
            term_start=dt.date(2021, 12, 1),
            area=tree.community_a,
        ),
        stations=[party.station],
    )
    party.reception = services.reception_save(
        actor=party.officer_a,
        reception=Reception(
            station=party.station,
            day=today - dt.timedelta(days=1),
            starts=dt.time(9),
            ends=dt.time(11, 30),
            topic="民生实事征集",
        ),
        deputies=[party.deputy, party.member],
    )
    party.upcoming = services.reception_save(
        actor=party.officer_a,
        reception=Reception(
            station=party.station,
            day=today + dt.timedelta(days=10),
            starts=dt.time(14),
            ends=dt.time(16),
        ),
        deputies=[party.deputy],
    )
    party.opinion = services.opinion_record(
        actor=party.officer_a,
        reception=party.reception,
        deputy=party.deputy,
        area=tree.grid_a1,
        resident_name="王秀兰",
        resident_phone=STATION_PHONE,
        content="3号楼北侧路灯坏了一个多月\n晚上出行不便",
    )
    parent = CategoryFactory(code="02", name="市政设施")
    party.category = CategoryFactory(code="0201", name="路灯损坏", parent=parent)
    return party
