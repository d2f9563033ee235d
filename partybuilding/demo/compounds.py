"""Demo three carriages and units' points: compounds on micro-grids of every community, each with
its residents' committee and owners' committee; the street's property companies (the demo's
property departments plus two more) under contract, two of them red properties; a joint meeting
of the three carriages in each of the dispatcher's community's compounds; a sign-in for a
property company's staff with the department role; the street's units' points scheme with last
year's and this year's events credited. Idempotent: each part is skipped when it exists."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.demo import DEMO_PASSWORD, DemoContext
from governance.models import Department, Role, RoleAssignment
from grids.demo import GIVEN, SURNAMES
from grids.models import Area, AreaKind
from partybuilding import models as m
from partybuilding.services import unit_points_settle

EXTRA_COMPANIES = [
    ("金地物业青松项目部", "jindi-property", "010-64119003"),
    ("首开物业和平里分公司", "shoukai-property", "010-64119004"),
]
ESTATES = ["青松里", "和平东里", "柳荫家园", "朝阳小区", "幸福里", "光华苑", "安贞里", "望京花园"]


def seed_compounds(ctx: DemoContext) -> None:
    street: Area = ctx.data["street"]
    if m.Compound.objects.filter(area__in=Area.objects.within(street)).exists():
        ctx.say("  compounds exist already: left as they are")
        return
    rng = random.Random(20261130)
    today = timezone.localdate()
    tz = timezone.get_current_timezone()

    def person() -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN)

    for name, code, phone in EXTRA_COMPANIES:
        Department.objects.get_or_create(
            owner=street,
            code=code,
            defaults={"name": name, "kind": Department.Kind.PROPERTY, "phone": phone},
        )
    street_org = m.PartyOrganization.objects.filter(area=street).first()
    departments = list(
        Department.objects.filter(kind=Department.Kind.PROPERTY, owner=street).order_by("code")
    )
    companies = m.PropertyCompany.objects.bulk_create(
        [
            m.PropertyCompany(
                department=d,
                area=street,
                service_phone=d.phone or "010-64119000",
                quality_score=Decimal(rng.randint(780, 975)) / 10,
                is_red=i < 2 and street_org is not None,
                party_organization=street_org if i < 2 else None,
            )
            for i, d in enumerate(departments)
        ]
    )
    communities = list(Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by("code"))
    compounds = []
    for ci, community in enumerate(communities):
        micros = list(
            Area.objects.within(community).filter(kind=AreaKind.MICRO_GRID).order_by("code")[:3]
        )
        for mi, micro in enumerate(micros):
            estate = ESTATES[(ci * 3 + mi) % len(ESTATES)]
            compounds.append(
                m.Compound(
                    area=micro,
                    name=f"{estate}{'小区' if mi < 2 else '院落'}（{micro.name}）",
                    kind=m.CompoundKind.ESTATE if mi < 2 else m.CompoundKind.COURTYARD,
                    households=micro.households or rng.randint(120, 600),
                    residents_committee=f"{community.name}居民委员会",
                    residents_committee_phone=f"010-6411{rng.randint(2000, 9999)}",
                )
            )
    compounds = m.Compound.objects.bulk_create(compounds)
    committees = m.OwnersCommittee.objects.bulk_create(
        [
            m.OwnersCommittee(
                compound=c,
                name=f"{c.name.split('（')[0]}业主委员会",
                elected_on=today - dt.timedelta(days=rng.randint(60, 1000)),
                term_start=today - dt.timedelta(days=rng.randint(60, 1000)),
                term_end=today + dt.timedelta(days=rng.randint(20, 900)),
            )
            for c in compounds
            if c.kind == m.CompoundKind.ESTATE
        ]
    )
    for committee in committees:
        committee.elected_on = min(committee.elected_on, committee.term_start)
    m.OwnersCommittee.objects.bulk_update(committees, ["elected_on"])
    m.OwnersCommitteeMember.objects.bulk_create(
        [
            m.OwnersCommitteeMember(committee=committee, name=person(), post=post)
            for committee in committees
            for post in ("director", "deputy", "member", "member", "member")
        ]
    )
    m.PropertyContract.objects.bulk_create(
        [
            m.PropertyContract(
                compound=c,
                company=companies[i % len(companies)],
                starts_on=dt.date(today.year - 1, 1, 1),
                ends_on=dt.date(today.year + 1, 12, 31),
            )
            for i, c in enumerate(compounds)
        ]
    )
    councils = m.Council.objects.bulk_create(
        [
            m.Council(
                name=f"{c.name.split('（')[0]}三驾马车联席会",
                kind=m.MeetingKind.THREE_CARRIAGES,
                area=c.area,
                description="社区居委会、业主委员会、物业公司联席议事",
            )
            for c in compounds
            if c.area.is_within(communities[0])
        ]
    )
    meetings = []
    for i, council in enumerate(councils):
        start = dt.datetime.combine(today - dt.timedelta(days=10 + i), dt.time(15, 0), tzinfo=tz)
        meetings.append(
            m.Meeting(
                title=f"{council.name}（{start:%m}月）",
                kind=m.MeetingKind.THREE_CARRIAGES,
                council=council,
                area=council.area,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=1, minutes=30),
                place="社区党群服务中心议事厅",
                agenda="1. 物业服务情况通报\n2. 电梯、停车、充电桩问题协商",
                minutes="三方议定：物业限期维修，居委会跟踪，业委会监督。",
                minutes_public=True,
                status=m.MeetingStatus.HELD,
            )
        )
    m.Meeting.objects.bulk_create(meetings)
    _property_login(
        ctx, next((d for d in departments if d.code == "qingsong-property"), departments[0])
    )
    ctx.say(
        f"  {len(compounds)} compounds, {len(committees)} owners' committees,"
        f" {len(companies)} property companies, {len(councils)} joint-meeting councils"
    )


def _property_login(ctx: DemoContext, department: Department) -> None:
    """The staff of a property company sign in with the department role for their company."""
    user, _ = get_user_model().objects.get_or_create(
        username="wuye", defaults={"full_name": "吴建业"}
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    RoleAssignment.objects.get_or_create(
        user=user, role=Role.DEPARTMENT_HANDLER, department=department
    )
    ctx.logins.append(("wuye", str(Role.DEPARTMENT_HANDLER.label), department.name))


def seed_unit_points(ctx: DemoContext) -> None:
    """The street's units' points scheme, and last year's and this year's events credited."""
    street: Area = ctx.data["street"]
    if m.UnitPointRule.objects.filter(area=street).exists():
        ctx.say("  the units' points scheme exists already: left as it is")
        return
    scheme = [
        (m.UnitPointItem.SERVICE, 2, 60),
        (m.UnitPointItem.MEMBERS, 1, 40),
        (m.UnitPointItem.PROJECT, 20, None),
        (m.UnitPointItem.RESOURCE, 10, 50),
        (m.UnitPointItem.MEETING, 3, 30),
        (m.UnitPointItem.WISH, 5, 40),
    ]
    m.UnitPointRule.objects.bulk_create(
        [
            m.UnitPointRule(area=street, item=item, points=points, yearly_cap=cap)
            for item, points, cap in scheme
        ]
    )
    _link_employers(street)
    officer = ctx.data["users"][Role.PARTY_OFFICER]
    year = timezone.localdate().year
    created = sum(
        unit_points_settle(actor=officer, street=street, year=y) for y in (year - 1, year)
    )
    ctx.say(f"  units' points: {len(scheme)} scheme lines, {created} ledger lines")


def seed_consortium(ctx: DemoContext) -> None:
    """One governance consortium in the dispatcher's community ("one body, two committees,
    seven grids"), with its team and some demands, projects and meetings of its own."""
    street: Area = ctx.data["street"]
    if m.Consortium.objects.filter(area__in=Area.objects.within(street)).exists():
        ctx.say("  a governance consortium exists already: left as it is")
        return
    community = Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by("code").first()
    consortium = m.Consortium.objects.create(
        name=f"{community.name}“一体两委七网格”治理共同体",
        area=community,
        motto="一体两委七网格",
        description="社区党委牵头，居委会、业委会、物业公司、驻区单位和志愿者共同参与。",
    )
    grids = list(Area.objects.within(community).filter(kind=AreaKind.GRID).order_by("code")[:7])
    compounds = list(m.Compound.objects.filter(area__in=Area.objects.within(community)))
    units = list(m.CoConstructionUnit.objects.filter(area__in=Area.objects.within(community))[:5])
    consortium.covered_areas.set(grids)
    consortium.compounds.set(compounds)
    consortium.units.set(units)
    company = m.PropertyCompany.objects.filter(contracts__compound__in=compounds).first()
    team = [
        m.ConsortiumMember(consortium=consortium, name="王书记", side="party", role="召集人"),
        m.ConsortiumMember(
            consortium=consortium, name="李主任", side="residents_committee", role="副召集人"
        ),
        m.ConsortiumMember(
            consortium=consortium, name="周主任", side="owners_committee", role="成员"
        ),
    ]
    if company is not None:
        team.append(
            m.ConsortiumMember(
                consortium=consortium, name="吴经理", side="property", role="成员", company=company
            )
        )
    team += [
        m.ConsortiumMember(
            consortium=consortium, name=u.contact_name or u.name, side="unit", role="成员", unit=u
        )
        for u in units
    ]
    m.ConsortiumMember.objects.bulk_create(team)
    demand_ids = list(
        m.Demand.objects.filter(area__in=Area.objects.within(community))
        .order_by("pk")
        .values_list("pk", flat=True)[:8]
    )
    m.Demand.objects.filter(pk__in=demand_ids).update(consortium=consortium)
    project_ids = list(
        m.Project.objects.filter(area__in=Area.objects.within(community), parent__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:5]
    )
    m.Project.objects.filter(pk__in=project_ids).update(consortium=consortium)
    m.Meeting.objects.filter(council__area__in=[c.area for c in compounds]).update(
        consortium=consortium
    )
    ctx.say(f"  1 governance consortium over {len(grids)} grids and {len(compounds)} compounds")


def _link_employers(street: Area) -> None:
    """Every third in-service member of the street works for one of its co-construction units
    (their services earn the unit points)."""
    units = list(
        m.CoConstructionUnit.objects.filter(area__in=Area.objects.within(street)).order_by("pk")
    )
    if not units:
        return
    members = list(
        m.PartyMember.objects.filter(
            in_service=True, organization__area__in=Area.objects.within(street)
        ).order_by("pk")[::3]
    )
    for i, member in enumerate(members):
        member.employer = units[i % len(units)]
        member.work_unit = member.employer.name[:100]
    m.PartyMember.objects.bulk_update(members, ["employer", "work_unit"], batch_size=500)
