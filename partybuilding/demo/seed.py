"""Demo data for party building: organizations for every community and grid, ~1,500 members,
140 co-construction units, 500 projects, dual reports, wishes, volunteers, activities, points,
councils and meetings. Bulk inserts throughout (no per-row signals); idempotent: skipped when
the street's working committee exists."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from governance.demo import DemoContext, give_demo_password
from governance.models import Role
from grids.demo import GIVEN, SURNAMES
from grids.models import Area, AreaKind
from partybuilding import models as m
from partybuilding.models import ServiceType
from partybuilding.models.cogovernance import STATUS_PROGRESS, ProjectStatus, ResourceKind
from partybuilding.models.organizations import MemberStatus
from partybuilding.services import occurrence_dates, resolution_add, resolution_open_case

UNIT_NAMES = {
    m.UnitKind.ORGAN: [
        "区税务局第{}税务所",
        "区人力社保局第{}服务站",
        "区司法局第{}司法所",
        "区图书馆第{}分馆",
    ],
    m.UnitKind.SCHOOL: ["青松第{}小学", "朝阳实验中学第{}分校", "青松第{}幼儿园"],
    m.UnitKind.HOSPITAL: ["青松社区卫生服务中心第{}站", "朝阳医院第{}门诊部", "青松口腔诊所{}部"],
    m.UnitKind.ENTERPRISE: [
        "北京青松建设集团第{}公司",
        "华信科技有限公司第{}分部",
        "京城燃气第{}服务中心",
        "安华物流第{}站",
    ],
    m.UnitKind.SOCIAL_ORGANIZATION: [
        "阳光社工事务所第{}站",
        "夕阳红志愿服务队{}队",
        "邻里互助会第{}分会",
    ],
    m.UnitKind.MERCHANT: [
        "好邻居便利店{}号店",
        "老街坊理发店{}店",
        "惠民药房{}号店",
        "鲜果园超市{}店",
    ],
}
WORK_UNITS = [
    "区委组织部",
    "区教委",
    "区卫健委",
    "朝阳医院",
    "区税务局",
    "北京银行朝阳支行",
    "中国移动北京公司",
    "区城管委",
    "青松第一小学",
    "区法院",
]
PLEDGES = [
    "每月参加一次社区环境整治",
    "为独居老人代购生活用品",
    "每季度开展一次政策宣讲",
    "参与楼门矛盾调解",
    "周末辅导青少年功课",
    "参加社区平安巡逻",
    "提供义诊和健康咨询",
    "帮助居民办理线上业务",
]
DEMAND_TITLES = {
    ServiceType.ELDERLY_CARE: ["独居老人助餐服务", "老年人防诈骗讲座", "高龄老人定期探访"],
    ServiceType.ENVIRONMENT: ["楼道堆物清理", "小区绿化补种", "垃圾分类宣传督导"],
    ServiceType.CHILD_CARE: ["四点半课堂", "暑期托管", "青少年心理辅导"],
    ServiceType.HEALTH: ["慢病老人义诊", "家庭医生签约宣传", "康复器材借用"],
    ServiceType.SAFETY: ["电动车充电安全检查", "楼道消防通道清理", "夜间巡逻"],
    ServiceType.MEDIATION: ["邻里噪音纠纷调解", "停车位纠纷调解"],
    ServiceType.CULTURE: ["社区读书角建设", "老年书法班", "重阳节文艺汇演"],
    ServiceType.LEGAL_AID: ["遗产继承法律咨询", "租房合同法律讲座"],
    ServiceType.EMPLOYMENT: ["困难家庭就业帮扶", "退休人员再就业咨询"],
    ServiceType.POLICY_PUBLICITY: ["医保政策宣讲", "老旧小区改造政策解读"],
}
RESOURCE_KINDS = {
    m.UnitKind.ORGAN: (ResourceKind.SERVICE, ServiceType.POLICY_PUBLICITY),
    m.UnitKind.SCHOOL: (ResourceKind.VENUE, ServiceType.CHILD_CARE),
    m.UnitKind.HOSPITAL: (ResourceKind.SERVICE, ServiceType.HEALTH),
    m.UnitKind.ENTERPRISE: (ResourceKind.FUNDS, ServiceType.ENVIRONMENT),
    m.UnitKind.SOCIAL_ORGANIZATION: (ResourceKind.VOLUNTEERS, ServiceType.ELDERLY_CARE),
    m.UnitKind.MERCHANT: (ResourceKind.GOODS, ServiceType.ELDERLY_CARE),
}
# Demo data is Chinese text (model choices are translated by the UI, not stored).
RESOURCE_WORDS = {
    ResourceKind.VENUE: "活动场地",
    ResourceKind.FUNDS: "共建资金",
    ResourceKind.SERVICE: "专业服务",
    ResourceKind.VOLUNTEERS: "志愿服务队",
    ResourceKind.GOODS: "爱心物资",
}
SERVICE_WORDS = {
    ServiceType.POLICY_PUBLICITY: "政策宣讲",
    ServiceType.MEDIATION: "矛盾调解",
    ServiceType.ENVIRONMENT: "环境整治",
    ServiceType.ELDERLY_CARE: "为老服务",
    ServiceType.CHILD_CARE: "青少年服务",
    ServiceType.HEALTH: "健康义诊",
    ServiceType.CULTURE: "文化活动",
    ServiceType.SAFETY: "平安巡逻",
    ServiceType.LEGAL_AID: "法律咨询",
    ServiceType.EMPLOYMENT: "就业帮扶",
    ServiceType.OTHER: "便民服务",
}
WISHES = [
    "一台老年收音机",
    "孙子的学习台灯",
    "一副老花镜",
    "家里换个节能灯泡",
    "一套冬季保暖衣物",
    "陪我去医院复查",
    "一辆助行车",
    "帮忙修理漏水的水龙头",
    "一本大字版字典",
    "书包和文具",
]
ACTIVITY_TITLES = [
    ("环境清洁日", ServiceType.ENVIRONMENT),
    ("敬老助餐", ServiceType.ELDERLY_CARE),
    ("平安巡逻", ServiceType.SAFETY),
    ("义诊进社区", ServiceType.HEALTH),
    ("四点半课堂", ServiceType.CHILD_CARE),
    ("政策宣讲", ServiceType.POLICY_PUBLICITY),
    ("垃圾分类督导", ServiceType.ENVIRONMENT),
]
REWARDS = [
    ("环保购物袋", 30, 200),
    ("理发券", 50, 120),
    ("超市代金券20元", 100, 80),
    ("体检套餐", 300, 20),
    ("电影票两张", 150, 40),
    ("家政服务2小时", 200, 30),
]
PROJECT_NAMES = [
    "加装电梯",
    "老旧小区改造",
    "口袋公园建设",
    "充电桩安装",
    "便民菜站",
    "社区食堂",
    "无障碍通道",
    "楼道照明改造",
    "雨污分流",
    "健身器材更新",
    "停车秩序治理",
    "外墙保温",
]
STAGES = ["方案设计", "居民意见征集", "施工", "验收"]


def seed_partybuilding(ctx: DemoContext) -> None:
    street: Area = ctx.data["street"]
    if m.PartyOrganization.objects.filter(area=street).exists():
        ctx.say("  party organizations exist already: left as they are")
        return
    rng = random.Random(20261124)
    today = timezone.localdate()
    communities = list(Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by("code"))
    grids = list(Area.objects.within(street).filter(kind=AreaKind.GRID).order_by("code"))
    micros = list(Area.objects.within(street).filter(kind=AreaKind.MICRO_GRID).order_by("code"))
    buildings = list(Area.objects.within(street).filter(kind=AreaKind.BUILDING).order_by("code"))
    buildings_by_community: dict[int, list[Area]] = {}
    for b in buildings:
        c = next(c for c in communities if b.is_within(c))
        buildings_by_community.setdefault(c.pk, []).append(b)
    officer = ctx.data["users"][Role.PARTY_OFFICER]

    def person() -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN)

    def phone() -> str:
        return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"

    def community_of(area: Area) -> Area:
        return next(c for c in communities if area.is_within(c))

    # organizations ---------------------------------------------------------------------------
    org_kind = m.OrganizationKind
    top = m.PartyOrganization(
        kind=org_kind.STREET_COMMITTEE, name=f"中共{street.name}工作委员会", area=street
    )
    m.PartyOrganization.bulk_insert_level([top])
    committees = [
        m.PartyOrganization(
            kind=org_kind.COMMUNITY_COMMITTEE, name=f"中共{c.name}委员会", area=c, parent=top
        )
        for c in communities
    ]
    m.PartyOrganization.bulk_insert_level(committees)
    committee_of = {c.area_id: c for c in committees}
    branches = [
        m.PartyOrganization(
            kind=org_kind.BRANCH, name=f"{g.name}党支部", area=g, parent=committee_of[g.parent_id]
        )
        for g in grids
    ]
    m.PartyOrganization.bulk_insert_level(branches)
    branch_of = {b.area_id: b for b in branches}
    groups = [
        m.PartyOrganization(
            kind=org_kind.PARTY_GROUP,
            name=f"{mg.name}党小组",
            area=mg,
            parent=branch_of[mg.parent_id],
        )
        for mg in micros
    ]
    m.PartyOrganization.bulk_insert_level(groups)
    m.PartyOrganization.rebuild_tree()
    ctx.say(f"  {1 + len(committees) + len(branches) + len(groups)} party organizations")

    # members ---------------------------------------------------------------------------------
    members = []
    for i in range(1500):
        org = rng.choice(branches + groups)
        community = community_of(org.area)
        home = rng.choice(
            [b for b in buildings_by_community[community.pk] if b.is_within(org.area)]
            or buildings_by_community[community.pk]
        )
        in_service = rng.random() < 0.35
        status = rng.choices(
            [MemberStatus.FULL, MemberStatus.PROBATIONARY, MemberStatus.TRANSFERRED_OUT],
            [90, 6, 4],
        )[0]
        birth = rng.randint(1940, 2000)
        members.append(
            m.PartyMember(
                organization=org,
                name=person(),
                gender=rng.choice("mf"),
                birth_year=birth,
                id_number=f"110105{birth}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{i:04d}",
                phone=phone(),
                join_date=dt.date(
                    min(birth + rng.randint(20, 40), today.year), rng.randint(1, 12), 1
                ),
                status=status,
                home_building=home,
                in_service=in_service,
                work_unit=rng.choice(WORK_UNITS) if in_service else "",
            )
        )
    members = m.PartyMember.objects.bulk_create(members, batch_size=1000)
    posts = []
    for org in [top, *committees, *branches]:
        seated = [mb for mb in members if mb.organization_id == org.pk][:3] or [rng.choice(members)]
        for mb, position in zip(
            seated,
            [
                m.PostPosition.SECRETARY,
                m.PostPosition.DEPUTY_SECRETARY,
                m.PostPosition.ORGANIZATION,
            ],
            strict=False,
        ):
            posts.append(
                m.OrganizationPost(
                    organization=org,
                    member=mb,
                    position=position,
                    term_start=dt.date(today.year - 2, 1, 1),
                    term_end=dt.date(today.year + 3, 1, 1),
                )
            )
    m.OrganizationPost.objects.bulk_create(posts)
    ctx.say(f"  {len(members)} party members, {len(posts)} committee posts")

    # units, agreements, resources ------------------------------------------------------------
    units = []
    counters: dict[str, int] = {}
    kinds = list(UNIT_NAMES)
    for i in range(140):
        kind = kinds[i % len(kinds)]
        pattern = UNIT_NAMES[kind][(i // len(kinds)) % len(UNIT_NAMES[kind])]
        counters[pattern] = counters.get(pattern, 0) + 1
        community = communities[i % len(communities)]
        units.append(
            m.CoConstructionUnit(
                name=pattern.format(counters[pattern]),
                kind=kind,
                area=community,
                address=f"{community.name[:-2]}路{rng.randint(1, 200)}号",
                contact_name=person(),
                contact_phone=phone(),
                party_organization_name="党支部" if rng.random() < 0.8 else "",
                party_member_count=rng.randint(3, 60),
                offers="场地、志愿者、专业服务",
            )
        )
    units = m.CoConstructionUnit.objects.bulk_create(units)
    agreements = [
        m.PairingAgreement(
            unit=u,
            community=u.area,
            party_organization=committee_of[u.area_id],
            signed_on=today - dt.timedelta(days=rng.randint(30, 700)),
            starts_on=dt.date(today.year - 1, 1, 1),
            ends_on=dt.date(today.year + 1, 12, 31),
            commitments="每季度开展一次共建活动；开放场地；组织党员志愿服务。",
            status=m.AgreementStatus.ACTIVE if rng.random() < 0.9 else m.AgreementStatus.EXPIRED,
        )
        for u in units
    ]
    agreements = m.PairingAgreement.objects.bulk_create(agreements)
    resources = []
    for u in units:
        kind, service_type = RESOURCE_KINDS[u.kind]
        resources.append(
            m.Resource(
                title=f"{u.name}·{RESOURCE_WORDS[kind]}",
                kind=kind,
                service_type=service_type,
                area=u.area,
                unit=u,
            )
        )
        other = rng.choice(list(ServiceType))
        resources.append(
            m.Resource(
                title=f"{u.name}·{SERVICE_WORDS[other]}",
                kind="service",
                service_type=other,
                area=u.area,
                unit=u,
            )
        )
    resources = m.Resource.objects.bulk_create(resources)
    ctx.say(f"  {len(units)} units, {len(agreements)} agreements, {len(resources)} resources")

    # dual reports ----------------------------------------------------------------------------
    reports = []
    for u in units[:60]:
        reports.append(
            m.DualReport(
                kind=m.ReportKind.UNIT,
                community=u.area,
                unit=u,
                service_post=RESOURCE_KINDS[u.kind][1],
                pledges="组织在职党员参加社区服务",
                yearly_target=4,
                status=m.ReportStatus.ACTIVE,
                registered_on=today - dt.timedelta(days=300),
                activated_on=today - dt.timedelta(days=290),
            )
        )
    for mb in members:
        if mb.in_service and mb.status != MemberStatus.TRANSFERRED_OUT and rng.random() < 0.8:
            status = rng.choices(
                [m.ReportStatus.REGISTERED, m.ReportStatus.ACTIVE, m.ReportStatus.WITHDRAWN],
                [15, 80, 5],
            )[0]
            reports.append(
                m.DualReport(
                    kind=m.ReportKind.PERSONAL,
                    community=community_of(mb.home_building),
                    member=mb,
                    service_post=rng.choice(list(ServiceType)),
                    pledges=rng.choice(PLEDGES),
                    yearly_target=rng.choice([4, 6, 12]),
                    status=status,
                    registered_on=today - dt.timedelta(days=rng.randint(60, 500)),
                    activated_on=today - dt.timedelta(days=50)
                    if status != m.ReportStatus.REGISTERED
                    else None,
                    withdrawn_on=today - dt.timedelta(days=10)
                    if status == m.ReportStatus.WITHDRAWN
                    else None,
                    withdraw_reason="工作调动" if status == m.ReportStatus.WITHDRAWN else "",
                )
            )
    reports = m.DualReport.objects.bulk_create(reports)
    services = []
    for r in reports:
        if r.status == m.ReportStatus.ACTIVE:
            for _ in range(rng.randint(0, 6)):
                services.append(
                    m.DualReportService(
                        report=r,
                        served_on=today - dt.timedelta(days=rng.randint(0, 200)),
                        hours=Decimal(rng.choice(["1.0", "1.5", "2.0", "3.0"])),
                        description=rng.choice(PLEDGES),
                    )
                )
    m.DualReportService.objects.bulk_create(services, batch_size=1000)
    ctx.say(f"  {len(reports)} dual reports, {len(services)} service records")

    # demands and projects --------------------------------------------------------------------
    demands = []
    for _ in range(220):
        service_type = rng.choice(list(DEMAND_TITLES))
        area = rng.choice(grids)
        demands.append(
            m.Demand(
                title=rng.choice(DEMAND_TITLES[service_type]),
                service_type=service_type,
                source=rng.choice(["resident", "meeting", "visit", "hotline"]),
                area=area,
                raised_by=person(),
                beneficiaries=rng.randint(5, 300),
                status=rng.choices(
                    [m.DemandStatus.OPEN, m.DemandStatus.MATCHED, m.DemandStatus.CLOSED],
                    [50, 40, 10],
                )[0],
                description="居民多次反映，希望尽快解决。",
            )
        )
    demands = m.Demand.objects.bulk_create(demands)
    # A few needs found on recent home visits, listed as demands the way a worker does it.
    from grids.models import Visit
    from partybuilding.services.visits import visit_raise_demand

    admin = ctx.data["users"][Role.STREET_ADMIN]
    recent = (
        Visit.objects.filter(
            area__in=Area.objects.within(street), case__isnull=True, demand__isnull=True
        )
        .exclude(need="")
        .select_related("area")
        .order_by("-visited_on", "-pk")[:12]
    )
    for visit in recent:
        visit_raise_demand(actor=admin, visit=visit, service_type=rng.choice(list(DEMAND_TITLES)))
    matched = [d for d in demands if d.status == m.DemandStatus.MATCHED]
    statuses = list(STATUS_PROGRESS)
    parents = []
    for i in range(130):
        area = rng.choice(grids)
        demand = matched[i] if i < len(matched) else None
        parents.append(
            m.Project(
                name=f"{area.name}{rng.choice(PROJECT_NAMES)}",
                kind=rng.choice(["co_governance", "practical"]),
                year=today.year - (i % 4 == 0),
                area=area,
                status=ProjectStatus.IN_PROGRESS,
                demand=demand,
                budget=Decimal(rng.randrange(20, 800) * 1000),
                owner_names=f"{person()}、{person()}",
                beneficiaries="本网格居民",
                beneficiary_count=rng.randint(50, 1500),
                starts_on=today - dt.timedelta(days=rng.randint(30, 300)),
                due_on=today + dt.timedelta(days=rng.randint(10, 200)),
                description="经议事会协商确定，由共建单位与社区共同实施。",
            )
        )
    m.Project.bulk_insert_level(parents)
    children = []
    for p in parents:
        weighted = rng.random() < 0.5
        # Earlier years' projects and a quarter of this year's are finished.
        finished = p.year < today.year or rng.random() < 0.25
        for stage in STAGES[: rng.randint(2, 4)] if len(children) < 370 else []:
            status = ProjectStatus.COMPLETED if finished else rng.choice(statuses[:5])
            children.append(
                m.Project(
                    name=f"{p.name}·{stage}",
                    kind=p.kind,
                    year=p.year,
                    area=p.area,
                    parent=p,
                    status=status,
                    progress=STATUS_PROGRESS[status],
                    weight=Decimal(rng.choice([1, 2, 3])) if weighted else None,
                )
            )
    m.Project.bulk_insert_level(children)
    m.Project.rebuild_tree()
    by_parent: dict[int, list] = {}
    for c in children:
        by_parent.setdefault(c.parent_id, []).append(c)
    for p in parents:
        kids = by_parent.get(p.pk, [])
        if kids and all(k.weight for k in kids):
            total = sum(k.weight for k in kids)
            p.progress = round(sum(k.progress * k.weight for k in kids) / total)
        elif kids:
            p.progress = round(sum(k.progress for k in kids) / len(kids))
        if p.progress == 100:
            p.status, p.is_public = ProjectStatus.COMPLETED, True
            p.result = "项目已完工验收，居民满意度调查满意率96%。"
        elif p.progress >= 90:
            p.status = ProjectStatus.ACCEPTANCE
        elif p.progress <= 10:
            p.status = ProjectStatus.APPROVED
    m.Project.objects.bulk_update(parents, ["progress", "status", "is_public", "result"])
    m.Project.units.through.objects.bulk_create(
        [
            m.Project.units.through(project_id=p.pk, coconstructionunit_id=rng.choice(units).pk)
            for p in parents
        ]
    )
    updates = [
        m.ProjectUpdate(
            project=p,
            happened_on=p.starts_on,
            text="项目立项",
            status=ProjectStatus.APPROVED,
            progress=10,
        )
        for p in parents
    ] + [
        m.ProjectUpdate(
            project=c,
            happened_on=today - dt.timedelta(days=rng.randint(0, 30)),
            text=f"进入“{c.get_status_display()}”阶段",
            status=c.status,
            progress=c.progress,
        )
        for c in children
    ]
    m.ProjectUpdate.objects.bulk_create(updates, batch_size=1000)
    ctx.say(f"  {len(demands)} demands, {len(parents) + len(children)} projects")

    # micro-wishes ----------------------------------------------------------------------------
    now = timezone.now()
    wishes = []
    for _ in range(120):
        status = rng.choices(
            [
                m.WishStatus.PUBLISHED,
                m.WishStatus.CLAIMED,
                m.WishStatus.FULFILLED,
                m.WishStatus.WITHDRAWN,
            ],
            [40, 20, 35, 5],
        )[0]
        claimant = (
            rng.choice(members)
            if status in (m.WishStatus.CLAIMED, m.WishStatus.FULFILLED)
            else None
        )
        wishes.append(
            m.MicroWish(
                title=rng.choice(WISHES),
                resident_name=person(),
                resident_phone=phone(),
                area=rng.choice(buildings),
                status=status,
                claimed_by_member=claimant,
                claimed_at=now - dt.timedelta(days=5) if claimant else None,
                fulfilled_at=now - dt.timedelta(days=1)
                if status == m.WishStatus.FULFILLED
                else None,
                fulfilment_note="已送到老人家中" if status == m.WishStatus.FULFILLED else "",
            )
        )
    wishes = m.MicroWish.objects.bulk_create(wishes)
    for wish in wishes:
        wish.created_at = (wish.claimed_at or now) - dt.timedelta(days=rng.randint(1, 40))
    m.MicroWish.objects.bulk_update(wishes, ["created_at"])

    # volunteers, activities, points ----------------------------------------------------------
    volunteers = [
        m.Volunteer(
            name=mb.name,
            phone=mb.phone,
            area=mb.home_building,
            member=mb,
            skills=rng.choice(PLEDGES)[:20],
        )
        for mb in rng.sample(members, 400)
    ] + [
        m.Volunteer(name=person(), phone=phone(), area=rng.choice(buildings), skills="热心居民")
        for _ in range(200)
    ]
    volunteers = m.Volunteer.objects.bulk_create(volunteers)
    tz = timezone.get_current_timezone()
    activities = []
    for i in range(90):
        title, service_type = ACTIVITY_TITLES[i % len(ACTIVITY_TITLES)]
        community = communities[i % len(communities)]
        day = today + dt.timedelta(days=rng.randint(-120, 30))
        start = dt.datetime.combine(day, dt.time(rng.choice([9, 14, 15])), tzinfo=tz)
        activities.append(
            m.Activity(
                title=f"{community.name[:-2]}{title}",
                service_type=service_type,
                area=community,
                place=f"{community.name}党群服务中心",
                starts_at=start,
                ends_at=start + dt.timedelta(hours=rng.choice([2, 3])),
                organizer=officer,
                organizer_unit=rng.choice(units) if rng.random() < 0.4 else None,
                capacity=rng.choice([10, 20, 30]),
                points_per_hour=10,
                status=m.ActivityStatus.CLOSED if day < today else m.ActivityStatus.OPEN,
            )
        )
    activities = m.Activity.objects.bulk_create(activities)
    participations, entries = [], []
    by_community: dict[int, list] = {}
    for v in volunteers:
        by_community.setdefault(community_of(v.area).pk, []).append(v)
    for a in activities:
        pool = by_community.get(a.area_id, [])
        for v in rng.sample(pool, min(len(pool), rng.randint(3, a.capacity))):
            if a.starts_at.date() < today:
                hours = Decimal((a.ends_at - a.starts_at).seconds // 3600)
                participations.append(
                    m.Participation(
                        activity=a,
                        volunteer=v,
                        status=m.ParticipationStatus.APPROVED,
                        checked_in_at=a.starts_at,
                        checked_out_at=a.ends_at,
                        hours=hours,
                        approved_hours=hours,
                        approved_by=officer,
                        approved_at=a.ends_at,
                    )
                )
            else:
                participations.append(m.Participation(activity=a, volunteer=v))
    participations = m.Participation.objects.bulk_create(participations, batch_size=1000)
    for p in participations:
        if p.status == m.ParticipationStatus.APPROVED:
            entries.append(
                m.PointEntry(
                    volunteer=p.volunteer,
                    amount=int(p.approved_hours * p.activity.points_per_hour),
                    reason=f"{p.approved_hours.normalize()}小时 · {p.activity.title}",
                    source_key=f"participation:{p.pk}",
                    created_by=officer,
                )
            )
    rewards = m.Reward.objects.bulk_create(
        [
            m.Reward(name=n, area=street, cost=c, stock=s, provider=rng.choice(units))
            for n, c, s in REWARDS
        ]
    )
    m.PointEntry.objects.bulk_create(entries, batch_size=1000)
    # Back-date the credits to their activity so that leaderboards by period mean something.
    for entry, p in zip(
        entries,
        [p for p in participations if p.status == m.ParticipationStatus.APPROVED],
        strict=True,
    ):
        entry.created_at = p.activity.ends_at
    m.PointEntry.objects.bulk_update(entries, ["created_at"], batch_size=1000)
    balances: dict[int, int] = {}
    for e in entries:
        balances[e.volunteer_id] = balances.get(e.volunteer_id, 0) + e.amount
    redemptions = []
    for v in volunteers:
        if balances.get(v.pk, 0) >= 100 and rng.random() < 0.3:
            redemptions.append(
                m.Redemption(
                    volunteer=v, reward=rewards[0], points=rewards[0].cost, handled_by=officer
                )
            )
    redemptions = m.Redemption.objects.bulk_create(redemptions)
    m.PointEntry.objects.bulk_create(
        [
            m.PointEntry(
                volunteer=r.volunteer,
                amount=-r.points,
                reason=f"兑换“{r.reward.name}”",
                source_key=f"redemption:{r.pk}",
                created_by=officer,
            )
            for r in redemptions
        ]
    )
    m.Reward.objects.filter(pk=rewards[0].pk).update(stock=rewards[0].stock - len(redemptions))
    ctx.say(
        f"  {len(volunteers)} volunteers, {len(activities)} activities, {len(entries) + len(redemptions)} ledger lines"
    )

    # councils and meetings -------------------------------------------------------------------
    councils = m.Council.objects.bulk_create(
        [m.Council(name=f"{c.name}居民议事会", kind="council", area=c) for c in communities]
    )
    m.CouncilMember.objects.bulk_create(
        [
            m.CouncilMember(
                council=co,
                name=person(),
                position=pos,
                term_start=dt.date(today.year - 1, 1, 1),
                term_end=dt.date(today.year + 2, 12, 31),
                unit=rng.choice(units) if pos == "共建单位代表" else None,
            )
            for co in councils
            for pos in ["议事长", "副议事长", "居民代表", "居民代表", "共建单位代表", "物业代表"]
        ]
    )
    series = m.MeetingSeries.objects.bulk_create(
        [
            m.MeetingSeries(
                title=f"{c.name}民情恳谈日",
                kind="opinion_session",
                council=co,
                area=c,
                days_of_month=[5, 15, 25],
                time=dt.time(9, 30),
                place=f"{c.name}党群服务中心",
                starts_on=today.replace(day=1) - dt.timedelta(days=62),
            )
            for c, co in zip(communities, councils, strict=True)
        ]
    )
    meetings = []
    for s in series:
        for day in occurrence_dates(s.days_of_month, s.starts_on, today + dt.timedelta(days=40)):
            start = dt.datetime.combine(day, s.time, tzinfo=tz)
            meetings.append(
                m.Meeting(
                    title=s.title,
                    kind=s.kind,
                    council=s.council,
                    series=s,
                    area=s.area,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=s.duration_minutes),
                    place=s.place,
                    agenda="1. 听取居民诉求\n2. 协商解决方案",
                    status=m.MeetingStatus.HELD if day < today else m.MeetingStatus.SCHEDULED,
                    minutes="会议收集居民诉求，议定解决办法。" if day < today else "",
                    minutes_public=day < today,
                )
            )
    for i, c in enumerate(communities):
        start = dt.datetime.combine(today - dt.timedelta(days=20 + i), dt.time(14, 30), tzinfo=tz)
        meetings.append(
            m.Meeting(
                title=f"{c.name}大党委联席会（第{(today.month - 1) // 3 + 1}季度）",
                kind="joint",
                council=councils[i],
                area=c,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=2),
                place=f"{c.name}会议室",
                agenda="1. 通报本季度共建项目进展\n2. 研究下季度实事项目",
                minutes="与会单位通报了共建项目进展，议定下季度实事项目。",
                minutes_public=True,
                status=m.MeetingStatus.HELD,
                chaired_by=person(),
            )
        )
    meetings = m.Meeting.objects.bulk_create(meetings)
    m.MeetingAttendee.objects.bulk_create(
        [
            m.MeetingAttendee(meeting=mt, name=person(), role="居民代表")
            for mt in meetings
            if mt.status == m.MeetingStatus.HELD
            for _ in range(5)
        ]
    )
    resolutions = [
        m.Resolution(
            meeting=mt,
            number=1,
            text=f"同意推进{rng.choice(PROJECT_NAMES)}，由共建单位提供支持。",
            votes_for=rng.randint(8, 15),
            votes_against=rng.randint(0, 2),
        )
        for mt in meetings
        if mt.status == m.MeetingStatus.HELD
    ]
    m.Resolution.objects.bulk_create(resolutions)
    opened = _resolution_case(ctx, [mt for mt in meetings if mt.status == m.MeetingStatus.HELD])
    ctx.say(
        f"  {len(councils)} councils, {len(meetings)} meetings, {len(resolutions)} resolutions"
        f" ({opened} filed as a case)"
    )
    _volunteer_login(ctx, volunteers[-1], street)


def _resolution_case(ctx: DemoContext, held: list[m.Meeting]) -> int:
    """The last council session of the dispatcher's community decided on rubbish piled up
    behind a building; the dispatcher filed it as a case from the meeting page."""
    from casework.models import Category

    dispatcher = ctx.data["users"].get(Role.COMMUNITY_DISPATCHER)
    category = Category.objects.filter(code="0101").first()
    if dispatcher is None or category is None:
        return 0
    area = dispatcher.role_assignments.filter(area__isnull=False).first().area
    meeting = max((mt for mt in held if mt.area_id == area.pk), key=lambda mt: mt.starts_at)
    resolution = resolution_add(
        actor=ctx.data["users"][Role.STREET_ADMIN],
        meeting=meeting,
        text="清理3号楼北侧长期堆放的建筑垃圾\n由物业限期清运，社区跟踪督办。",
        votes_for=12,
        votes_against=0,
    )
    resolution_open_case(
        actor=dispatcher,
        resolution=resolution,
        category=category,
        area=area,
        address=f"{area.name}3号楼北侧",
    )
    return 1


def _volunteer_login(ctx: DemoContext, volunteer: m.Volunteer, street: Area) -> None:
    """A resident volunteer who signs in to see their points and sign up."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="zhiyuan", defaults={"full_name": volunteer.name}
    )
    give_demo_password(user)
    # An account without a role belongs to where it was registered: the volunteer's street.
    user.home_area = street
    user.save()
    m.Volunteer.objects.filter(pk=volunteer.pk).update(user=user)
    ctx.logins.append(("zhiyuan", "志愿者（无角色）", volunteer.name))
