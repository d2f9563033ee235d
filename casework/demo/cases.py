"""Demo data for case handling: the category tree with time limits, quick replies, the people who
handle cases (a dispatcher per community, a worker per grid, a handler per department) and a year
of cases in every state.

The cases are written in bulk for speed, but every step goes through ``services.apply_step`` and
every due time through ``clock.due_time`` — the same rules as the portal — so statuses, holders,
due times and events agree. Deterministic (fixed random seed); categories and people are
idempotent, cases are made once per street.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from casework import workflow
from casework.clock import TimeLimits, add, due_time
from casework.models import (
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    FilingKey,
    Holder,
    Priority,
    ResponseTemplate,
    Satisfaction,
    Source,
    Status,
    TimeLimit,
)
from casework.services import apply_step
from governance.demo import DEMO_PASSWORD, DemoContext
from governance.models import Role, RoleAssignment
from grids.demo import GIVEN, SURNAMES
from grids.models import Area, AreaKind, GridStaff

CASES_PER_YEAR = 3000

# (code, name, default department, priority, around the clock, [(code, name, department)])
CATEGORIES = [
    ("01", "市容环境", "sanitation", Priority.NORMAL, False, [
        ("0101", "暴露垃圾", None),
        ("0102", "积存垃圾渣土", None),
        ("0103", "道路不洁", None),
        ("0104", "乱堆物料", "urban-management"),
        ("0105", "绿地脏乱", "landscaping"),
    ]),
    ("02", "街面秩序", "urban-management", Priority.NORMAL, False, [
        ("0201", "占道经营", None),
        ("0202", "店外经营", None),
        ("0203", "无照游商", "market-supervision"),
        ("0204", "露天烧烤", None),
        ("0205", "非机动车乱停放", None),
    ]),
    ("03", "宣传广告", "urban-management", Priority.NORMAL, False, [
        ("0301", "小广告", None),
        ("0302", "违规户外广告", None),
        ("0303", "非法张贴涂写", None),
    ]),
    ("04", "施工管理", "housing-construction", Priority.NORMAL, False, [
        ("0401", "施工扰民", None),
        ("0402", "道路遗撒", "urban-management"),
        ("0403", "违法建设", "urban-management"),
        ("0404", "施工占道", None),
    ]),
    ("05", "设施设备", "housing-management", Priority.NORMAL, False, [
        ("0501", "路灯不亮", "power-supply"),
        ("0502", "井盖缺失", "water-affairs"),
        ("0503", "道路破损", "housing-construction"),
        ("0504", "供水管道漏水", "water-affairs"),
        ("0505", "电梯故障", "qingsong-property"),
        ("0506", "健身器材损坏", "landscaping"),
    ]),
    ("06", "突发事件", "fire-rescue", Priority.URGENT, True, [
        ("0601", "燃气泄漏", "gas-supply"),
        ("0602", "路面积水", "water-affairs"),
        ("0603", "树木倒伏", "landscaping"),
        ("0604", "停电停水", "power-supply"),
    ]),
    ("07", "邻里纠纷", "police-station", Priority.NORMAL, False, [
        ("0701", "噪音扰民", None),
        ("0702", "楼上漏水纠纷", "qingsong-property"),
        ("0703", "饲养宠物扰民", None),
        ("0704", "楼道堆物", "qingsong-property"),
    ]),
    ("08", "安全隐患", "fire-rescue", Priority.URGENT, True, [
        ("0801", "消防通道堵塞", None),
        ("0802", "电动车楼道充电", None),
        ("0803", "飞线充电", "power-supply"),
        ("0804", "高空坠物隐患", "housing-management"),
    ]),
    ("09", "物业管理", "qingsong-property", Priority.NORMAL, False, [
        ("0901", "小区停车秩序", None),
        ("0902", "充电桩故障", None),
        ("0903", "绿化养护不到位", None),
        ("0904", "物业服务投诉", None),
    ]),
]  # fmt: skip

# Hours per stage (accept, dispatch, acknowledge, handle) by priority.
LIMITS = {
    "working": {
        Priority.NORMAL: (2, 2, 2, 40),
        Priority.URGENT: (1, 1, 1, 8),
        Priority.CRITICAL: (0.5, 0.5, 0.5, 4),
    },
    "around_the_clock": {
        Priority.NORMAL: (2, 2, 1, 24),
        Priority.URGENT: (0.5, 0.5, 0.5, 4),
        Priority.CRITICAL: (0.25, 0.25, 0.25, 2),
    },
}
# Sub-categories whose handling takes longer than their parent's limit.
LONG_HANDLING = {"0403": 160, "0503": 80, "0401": 24}

TEMPLATES = [
    # (category code or None, step, title, text)
    (None, "accept", "已立案", "您反映的问题已立案，我们将尽快安排处置。"),
    (
        None,
        "reject",
        "不属于受理范围",
        "经核实，该问题不属于网格化管理受理范围，建议通过相关渠道反映。",
    ),
    (None, "reject", "信息不全", "反映的位置和问题描述不完整，无法核实，请补充后重新上报。"),
    (None, "merge", "重复上报", "该问题已有其他人上报，已合并处理，处置结果将一并反馈。"),
    (None, "escalate", "需多部门协调", "涉及多个职能部门，社区无法独立解决，申请街道统筹协调。"),
    (None, "return", "非本部门职责", "经核实，该问题不属于本部门职责范围，请重新派遣。"),
    (None, "verify_fail", "现场未整改到位", "现场核查问题依旧存在，请返工处置。"),
    (None, "evaluate", "电话回访", "已电话回访反映人，记录满意度。"),
    ("01", "complete", "已清运", "已安排环卫人员清运完毕，现场恢复整洁。"),
    ("02", "complete", "已劝离", "执法队员到场劝离，占道物品已清理，将加强巡查。"),
    ("03", "complete", "已清除", "小广告已清除，已对张贴号码进行停机处理。"),
    ("04", "complete", "已约谈施工单位", "已约谈施工单位，责令夜间停止施工并落实降噪措施。"),
    ("05", "complete", "已维修", "设施已维修完毕，恢复正常使用。"),
    ("06", "complete", "险情已排除", "抢修人员已到场处置，险情已排除。"),
    ("07", "complete", "已调解", "社区民警与调解员上门调解，双方达成一致。"),
    ("08", "complete", "隐患已消除", "已督促清理，隐患已消除，将纳入日常巡查。"),
    ("09", "complete", "物业已整改", "已督促物业公司整改完毕。"),
    ("0101", "resolve_on_spot", "现场清理", "网格员现场协调保洁员清理完毕。"),
    ("0704", "resolve_on_spot", "现场劝导清理", "网格员上门劝导，住户已自行清理楼道堆物。"),
]

TITLES = {
    "0101": ["{place}垃圾堆放未清运", "{place}路边垃圾桶满溢"],
    "0102": ["{place}建筑垃圾堆积", "{place}渣土长期未清"],
    "0103": ["{place}路面油污", "{place}人行道脏乱"],
    "0104": ["{place}乱堆建材", "{place}杂物堆放占用通道"],
    "0105": ["{place}绿地内垃圾", "{place}绿化带脏乱"],
    "0201": ["{place}早市占道经营", "{place}水果摊占道"],
    "0202": ["{place}饭馆店外摆桌", "{place}商铺店外经营"],
    "0203": ["{place}无照游商聚集", "{place}流动摊贩"],
    "0204": ["{place}夜间露天烧烤", "{place}烧烤油烟扰民"],
    "0205": ["{place}共享单车乱停放", "{place}电动车堵塞人行道"],
    "0301": ["{place}楼道小广告", "{place}电线杆小广告"],
    "0302": ["{place}广告牌破损", "{place}违规设置广告牌"],
    "0303": ["{place}墙面涂写", "{place}非法张贴"],
    "0401": ["{place}夜间施工噪音", "{place}施工扰民"],
    "0402": ["{place}渣土车遗撒", "{place}道路遗撒"],
    "0403": ["{place}楼顶私搭乱建", "{place}违建彩钢房"],
    "0404": ["{place}施工围挡占道", "{place}施工占用人行道"],
    "0501": ["{place}路灯不亮", "{place}一排路灯夜间不亮"],
    "0502": ["{place}井盖缺失", "{place}井盖破损"],
    "0503": ["{place}路面坑洼", "{place}人行道砖松动"],
    "0504": ["{place}供水管道漏水", "{place}地面渗水"],
    "0505": ["{place}电梯故障停运", "{place}电梯困人"],
    "0506": ["{place}健身器材损坏", "{place}健身器材松动"],
    "0601": ["{place}闻到燃气味", "{place}燃气管道泄漏"],
    "0602": ["{place}雨后积水", "{place}路口积水严重"],
    "0603": ["{place}树木倒伏", "{place}大风刮断树枝"],
    "0604": ["{place}突然停电", "{place}停水"],
    "0701": ["{place}楼上噪音扰民", "{place}广场舞噪音"],
    "0702": ["{place}楼上漏水", "{place}卫生间渗水到楼下"],
    "0703": ["{place}犬只扰民", "{place}宠物粪便"],
    "0704": ["{place}楼道堆放杂物", "{place}楼道堆物"],
    "0801": ["{place}消防通道被占", "{place}车辆堵塞消防通道"],
    "0802": ["{place}电动车楼道充电", "{place}电瓶车入户充电"],
    "0803": ["{place}飞线充电", "{place}私拉电线充电"],
    "0804": ["{place}外墙瓷砖脱落", "{place}阳台花盆坠落隐患"],
    "0901": ["{place}小区乱停车", "{place}车辆占用绿地"],
    "0902": ["{place}充电桩损坏", "{place}充电桩无法使用"],
    "0903": ["{place}绿化无人修剪", "{place}草坪枯死"],
    "0904": ["{place}物业不作为", "{place}物业服务差"],
}
SPOTS = ["东侧", "西侧", "南门", "北门", "单元门口", "楼下", "附近路口", "停车场", "自行车棚"]
RESULTS = ["已处置完毕，现场恢复正常。", "已安排人员到场处理，问题已解决。", "已整改到位。"]

# (username, Chinese name) of the handler of each department; chengguan exists already.
HANDLERS = {
    "market-supervision": ("shichang", "郭立新"),
    "housing-construction": ("zhujian", "何志刚"),
    "housing-management": ("fangguan", "罗晓东"),
    "police-station": ("paichusuo", "梁振华"),
    "fire-rescue": ("xiaofang", "宋建军"),
    "sanitation": ("huanwei", "郑桂兰"),
    "landscaping": ("yuanlin", "谢春生"),
    "water-affairs": ("shuiwu", "韩德明"),
    "power-supply": ("gongdian", "唐永红"),
    "gas-supply": ("ranqi", "冯国华"),
    "qingsong-property": ("qswuye", "于丽华"),
    "hepingdong-property": ("hpdwuye", "董建平"),
}


def seed_casework(ctx: DemoContext) -> None:
    departments = ctx.data["departments"]
    categories = _categories(departments)
    _templates(categories, ctx.data["street"])
    people = _people(ctx)
    _grant_admin_permissions(ctx.data["users"][Role.STREET_ADMIN])
    street = ctx.data["street"]
    if Case.objects.filter(street=street).exists():
        ctx.say("  cases exist already: left as they are")
        return
    made = _cases(ctx, street, categories, departments, people)
    ctx.say(f"  {made['cases']} cases, {made['events']} events")


# -- categories -----------------------------------------------------------------------------
def _categories(departments) -> dict[str, Category]:
    result: dict[str, Category] = {}
    for code, name, dept, priority, around, subs in CATEGORIES:
        parent = _category(code, name, departments[dept], priority, around, None)
        result[code] = parent
        kind = "around_the_clock" if around else "working"
        for prio, hours in LIMITS[kind].items():
            _limit(parent, prio, hours)
        for sub_code, sub_name, sub_dept in subs:
            department = departments[sub_dept] if sub_dept else None
            child = _category(sub_code, sub_name, department, priority, around, parent)
            result[sub_code] = child
            if sub_code in LONG_HANDLING:
                hours = LIMITS[kind][Priority.NORMAL]
                _limit(child, Priority.NORMAL, (*hours[:3], LONG_HANDLING[sub_code]))
    Category.rebuild_tree()
    return {c.code: c for c in Category.objects.filter(code__in=result)}


def _category(code, name, department, priority, around, parent) -> Category:
    category = Category.objects.filter(code=code).first() or Category(code=code)
    category.name = name
    category.default_department = department
    category.default_priority = priority
    category.around_the_clock = around
    category.parent = parent
    category.save()
    return category


def _limit(category, priority, hours) -> None:
    accept, dispatch, acknowledge, handle = (Decimal(str(h)) for h in hours)
    TimeLimit.objects.update_or_create(
        category=category,
        priority=priority,
        defaults={
            "accept_hours": accept,
            "dispatch_hours": dispatch,
            "acknowledge_hours": acknowledge,
            "handle_hours": handle,
        },
    )


def _templates(categories, street) -> None:
    """The demo street's own quick replies (its admin keeps them; the categories are shared)."""
    for code, step, title, text in TEMPLATES:
        category = categories[code] if code else None
        ResponseTemplate.objects.update_or_create(
            category=category, step=step, title=title, defaults={"text": text, "owner": street}
        )


def _grant_admin_permissions(user) -> None:
    """The street admin manages categories, limits and quick replies, and reads cases in admin."""
    from django.contrib.auth.models import Permission

    codenames = [
        f"{action}_{model}"
        for model in ("category", "timelimit", "responsetemplate")
        for action in ("view", "add", "change", "delete")
    ]
    codenames += ["view_case", "change_case", "view_caseevent", "view_attachment"]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="casework", codename__in=codenames)
    )


# -- people ---------------------------------------------------------------------------------
def _people(ctx: DemoContext) -> dict:
    """Portal users for every community's dispatcher, every grid's full-time worker and every
    department's handler (the demo logins among them), all with the demo password."""
    User = get_user_model()
    street = ctx.data["street"]
    users = ctx.data["users"]
    password = make_password(DEMO_PASSWORD)
    communities = list(Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by("code"))
    grids = list(Area.objects.within(street).filter(kind=AreaKind.GRID).order_by("code"))
    staff = {
        s.area_id: s
        for s in GridStaff.objects.filter(
            area__in=grids, position=GridStaff.Position.FULL_TIME_WORKER
        ).order_by("pk")
    }
    rng = random.Random(7)
    dispatchers, workers, handlers = {}, {}, {}

    def user(username, full_name):
        obj, _created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name, "password": password}
        )
        return obj

    for i, community in enumerate(communities, start=1):
        if i == 1:
            dispatchers[community.pk] = users[Role.COMMUNITY_DISPATCHER]
            continue
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        dispatchers[community.pk] = user(f"diaodu{i}", name)
        RoleAssignment.objects.get_or_create(
            user=dispatchers[community.pk], role=Role.COMMUNITY_DISPATCHER, area=community
        )
    for grid in grids:
        post = staff.get(grid.pk)
        if post is not None and post.user_id:
            workers[grid.pk] = post.user
            continue
        name = post.name if post else rng.choice(SURNAMES) + rng.choice(GIVEN)
        worker = user(f"wgy{grid.code[-5:]}", name)
        RoleAssignment.objects.get_or_create(user=worker, role=Role.GRID_WORKER, area=grid)
        if post is not None:
            GridStaff.objects.filter(pk=post.pk).update(user=worker)
        workers[grid.pk] = worker
    for code, department in ctx.data["departments"].items():
        if code == "urban-management":
            handlers[department.pk] = users[Role.DEPARTMENT_HANDLER]
            continue
        username, name = HANDLERS[code]
        handlers[department.pk] = user(username, name)
        RoleAssignment.objects.get_or_create(
            user=handlers[department.pk], role=Role.DEPARTMENT_HANDLER, department=department
        )
    return {
        "dispatchers": dispatchers,
        "workers": workers,
        "handlers": handlers,
        "center": users[Role.CENTER_SUPERVISOR],
        "workers_grid": RoleAssignment.objects.get(
            user=users[Role.GRID_WORKER], role=Role.GRID_WORKER
        ).area,
    }


# -- cases ----------------------------------------------------------------------------------
def _cases(ctx, street, categories, departments, people) -> dict:
    rng = random.Random(20261123)
    now = timezone.now().replace(microsecond=0)
    limits = TimeLimits()
    buildings = list(
        Area.objects.within(street)
        .filter(kind=AreaKind.BUILDING)
        .select_related("parent__parent__parent")
        .order_by("code")
    )
    # The demo grid worker's grid gets a share of the recent cases: their inboxes show work.
    demo_grid = people["workers_grid"]
    focus = [b for b in buildings if b.parent.parent_id == demo_grid.pk] or buildings
    leaves = [c for c in categories.values() if c.parent_id]
    weights = [_weight(c.code) for c in leaves]
    department_list = list(departments.values())
    start = now - timedelta(days=365)
    moments = sorted(
        start + timedelta(seconds=rng.uniform(0, 365 * 86400)) for _ in range(CASES_PER_YEAR)
    )
    # The last days are busier in the demo so that every inbox has work in it.
    moments += sorted(now - timedelta(hours=rng.uniform(0.2, 96)) for _ in range(120))
    moments.sort()

    counters: dict[int, int] = {}
    plans = []
    # Numbers follow the reporting order, as they do when cases are filed one by one.
    for reported_at in sorted(_daytime(rng, moment, now) for moment in moments):
        recent = now - reported_at < timedelta(days=4)
        building = rng.choice(focus if recent and rng.random() < 0.4 else buildings)
        micro = building.parent
        grid = micro.parent
        community = grid.parent
        category = rng.choices(leaves, weights)[0]
        source = rng.choices(
            [
                Source.PATROL,
                Source.RESIDENT,
                Source.HOTLINE,
                Source.COUNCIL,
                Source.LEADER,
                Source.OPEN311,
            ],
            [45, 25, 20, 3, 4, 3],
        )[0]
        year = timezone.localtime(reported_at).year
        counters[year] = counters.get(year, 0) + 1
        place = f"{building.name}{rng.choice(SPOTS)}"
        case = Case(
            number=f"{year}-{counters[year]:06d}",
            street=street,
            community=community,
            grid=grid,
            area=building if rng.random() < 0.8 else micro,
            title=rng.choice(TITLES[category.code]).format(place=building.name),
            description=f"{place}：{category.name}，请尽快处理。",
            category=category,
            latitude=building.latitude + Decimal(rng.randint(-150, 150)) / Decimal(1_000_000),
            longitude=building.longitude + Decimal(rng.randint(-150, 150)) / Decimal(1_000_000),
            address=place,
            source=source,
            priority=category.default_priority
            if rng.random() < 0.85
            else rng.choice([Priority.NORMAL, Priority.URGENT, Priority.CRITICAL]),
            status=Status.REPORTED,
            holder=Holder.COMMUNITY,
            reported_at=reported_at,
        )
        plans.append((case, grid, community))

    events: list[CaseEvent] = []
    originals: dict[int, Case] = {}
    merged: list[tuple[Case, list[CaseEvent]]] = []
    plain: list[tuple[Case, list[CaseEvent]]] = []
    for case, grid, community in plans:
        worker = people["workers"][grid.pk]
        dispatcher = people["dispatchers"][community.pk]
        trail = _simulate(
            rng, case, now, limits, worker, dispatcher, people, department_list, originals
        )
        (merged if case.status == Status.MERGED else plain).append((case, trail))
        if case.status not in (Status.REJECTED, Status.MERGED):
            originals[case.category_id * 100_000 + community.pk] = case

    for group in (plain, merged):
        cases = [case for case, _ in group]
        for case in cases:
            if case.duplicate_of is not None:
                case.duplicate_of_id = case.duplicate_of.pk
        Case.objects.bulk_create(cases, batch_size=500)
        for case, trail in group:
            for event in trail:
                event.case_id = case.pk
            events.extend(trail)
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    # What the grid workers filed on patrol came from the filing page, with its draft's key.
    FilingKey.objects.bulk_create(
        [
            FilingKey(
                key=uuid.UUID(int=rng.getrandbits(128), version=4),
                actor_id=case.reporter_id,
                case_id=case.pk,
                created_at=case.reported_at,
            )
            for case, _, _ in plans
            if case.source == Source.PATROL and case.reporter_id
        ],
        batch_size=1000,
    )
    for year, last in counters.items():
        CaseCounter.objects.update_or_create(street=street, year=year, defaults={"last": last})
    return {"cases": len(plans), "events": len(events)}


def _weight(code: str) -> int:
    common = {"0101": 14, "0201": 10, "0301": 9, "0205": 7, "0501": 6, "0704": 6, "0802": 5}
    return common.get(code, 2)


def _daytime(rng, moment: datetime, now: datetime) -> datetime:
    """Most problems are found and reported in the daytime."""
    local = timezone.localtime(moment)
    if local.hour < 7 or local.hour > 21:
        daytime = local.replace(hour=rng.randint(8, 19), minute=rng.randint(0, 59))
        if daytime < now:
            return daytime
    return local


def _simulate(rng, case, now, limits, worker, dispatcher, people, departments, originals):
    """Take the case through a plausible path with ``apply_step``; stop at ``now``."""
    steps = workflow.STEPS
    trail: list[CaseEvent] = []
    center = people["center"]
    reporter, role = _reporter(case, worker, dispatcher, center)
    if case.source in (Source.RESIDENT, Source.HOTLINE, Source.OPEN311):
        case.reporter_name = rng.choice(SURNAMES) + rng.choice(["先生", "女士", "大爷", "阿姨"])
        case.reporter_phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
    else:
        case.reporter = reporter
    case.due_at = due_time(case, start=case.reported_at, limits=limits)
    trail.append(
        CaseEvent(
            step="report",
            actor=reporter,
            actor_name=str(reporter),
            role=role,
            from_status="",
            to_status=Status.REPORTED,
            to_holder=Holder.COMMUNITY,
            due_at=case.due_at,
            created_at=case.reported_at,
        )
    )
    moment = case.reported_at
    # Some cases sit too long at one stage; more of the recent ones, so that inboxes have work.
    recent = now - case.reported_at < timedelta(days=4)
    slow = rng.random() < (0.5 if recent else 0.12)

    def later(stage: str | None, *, hours: float | None = None) -> datetime:
        if hours is None:
            limit = float(limits.hours(case, stage) or 8)
            factor = rng.uniform(1.1, 3.0) if slow and rng.random() < 0.5 else rng.uniform(0.1, 0.9)
            hours = limit * factor
        return add(case, moment, hours)

    def take(name: str, actor, actor_role: str, at: datetime, **values) -> bool:
        nonlocal moment
        if at > now:
            return False
        event = apply_step(
            steps[name], case, actor=actor, role=actor_role, values=values, now=at, limits=limits
        )
        trail.append(event)
        moment = at
        return True

    def dispatcher_of_case():
        return (
            (center, Role.CENTER_SUPERVISOR)
            if case.escalated_at
            else (dispatcher, Role.COMMUNITY_DISPATCHER)
        )

    roll = rng.random()
    if case.source == Source.PATROL and roll < 0.14:
        take(
            "resolve_on_spot",
            worker,
            Role.GRID_WORKER,
            later(None, hours=0.3),
            result="网格员现场处置完毕。",
        )
        _evaluate(rng, case, take, moment, dispatcher, center)
        return trail
    if rng.random() < 0.05 and not take(
        "escalate",
        dispatcher,
        Role.COMMUNITY_DISPATCHER,
        later("accept"),
        comment="涉及多个部门，申请街道协调。",
        is_public=False,
    ):
        return trail
    actor, actor_role = dispatcher_of_case()
    if roll > 0.95:
        take("reject", actor, actor_role, later("accept"), comment="经核实不属于受理范围。")
        return trail
    original = originals.get(case.category_id * 100_000 + case.community.pk)
    if (
        roll > 0.92
        and original is not None
        and original.reported_at > case.reported_at - timedelta(days=7)
    ):
        take(
            "merge",
            actor,
            actor_role,
            later("accept"),
            duplicate_of=original,
            comment="重复上报，已合并。",
        )
        return trail
    if not take("accept", actor, actor_role, later("accept")):
        return trail
    department = case.category.default_department or case.category.parent.default_department
    if not take("dispatch", actor, actor_role, later("dispatch"), department=department):
        return trail
    if rng.random() < 0.04:
        handler = people["handlers"][case.department_id]
        if not take(
            "return",
            handler,
            Role.DEPARTMENT_HANDLER,
            later("acknowledge"),
            comment="非本部门职责，请重新派遣。",
            is_public=False,
        ):
            return trail
        other = rng.choice([d for d in departments if d.pk != department.pk])
        if not take("dispatch", actor, actor_role, later("dispatch"), department=other):
            return trail
    handler = people["handlers"][case.department_id]
    if not take("acknowledge", handler, Role.DEPARTMENT_HANDLER, later("acknowledge")):
        return trail
    for attempt in range(3):
        if not take(
            "complete",
            handler,
            Role.DEPARTMENT_HANDLER,
            later("handle"),
            result=rng.choice(RESULTS),
        ):
            return trail
        verifier, verifier_role = (
            (worker, Role.GRID_WORKER) if rng.random() < 0.8 else (center, Role.CENTER_SUPERVISOR)
        )
        check = later(None, hours=rng.uniform(0.5, 12))
        if attempt < 2 and rng.random() < 0.08:
            if not take(
                "verify_fail",
                verifier,
                verifier_role,
                check,
                comment="现场核查未整改到位，请返工。",
            ):
                return trail
            continue
        if not take("verify_pass", verifier, verifier_role, check, comment="现场核查已整改。"):
            return trail
        break
    _evaluate(rng, case, take, moment, dispatcher, center)
    return trail


def _evaluate(rng, case, take, moment, dispatcher, center) -> None:
    if case.status == Status.CLOSED and rng.random() < 0.8:
        satisfaction = rng.choices(
            [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.DISSATISFIED],
            [78, 16, 6],
        )[0]
        actor, role = (
            (center, Role.CENTER_SUPERVISOR)
            if rng.random() < 0.5
            else (dispatcher, Role.COMMUNITY_DISPATCHER)
        )
        take(
            "evaluate",
            actor,
            role,
            moment + timedelta(hours=rng.uniform(2, 72)),
            satisfaction=satisfaction,
            comment="电话回访。",
        )


def _reporter(case, worker, dispatcher, center):
    if case.source == Source.PATROL:
        return worker, Role.GRID_WORKER
    if case.source in (Source.HOTLINE, Source.LEADER, Source.OPEN311):
        return center, Role.CENTER_SUPERVISOR
    return dispatcher, Role.COMMUNITY_DISPATCHER
