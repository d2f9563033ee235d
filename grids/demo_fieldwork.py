"""The demo street's field work: a year of patrols with their routes and findings (the cases the
grid workers filed from their patrols are their findings), hidden dangers in every state, and a
running flood-season mobilization task with about half of its buildings checked, beside a closed
one. Deterministic (fixed random seed), written in bulk, and made once per street: a second run
changes nothing.
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from governance.demo import DEMO_PASSWORD, DemoContext
from governance.models import Role, RoleAssignment
from governance.workclock import add_working_time, is_working_day
from grids import danger_workflow, patrol_services
from grids.danger_services import working_day_hours
from grids.demo import GIVEN, SURNAMES
from grids.mobilization_services import split_targets
from grids.mobilization_templates import questions_for
from grids.models import (
    Area,
    AreaKind,
    Capacity,
    CheckUnit,
    DangerCategory,
    DangerState,
    HiddenDanger,
    HiddenDangerEvent,
    MobilizationKind,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    MobilizationTask,
    Patrol,
    PatrolFinding,
    PatrolPoint,
    TargetStatus,
    TaskStatus,
)

# Share of a grid worker's working days with a patrol of their own (besides the days they
# filed a case from one).
PATROL_DAY_SHARE = 0.18
POINT_SECONDS = 300
DANGERS = 260
VOLUNTEERS = 24

FINDINGS_WITHOUT_CASE = [
    "井盖松动，已通知物业加固",
    "楼道堆放纸箱，已当场劝离",
    "绿地有少量垃圾，已联系保洁",
    "单元门禁损坏，已告知物业报修",
    "共享单车堆放路口，已挪开",
    "路灯闪烁，记录后续观察",
    "宣传栏破损，已拍照记录",
    "健身器材螺丝松动，已告知社区",
]
DANGER_SAMPLES = {
    DangerCategory.FIRE: [
        ("楼道堆放杂物堵塞消防通道", "张先生"),
        ("地下室违规住人", "物业服务中心"),
        ("灭火器过期未更换", "物业服务中心"),
    ],
    DangerCategory.ELECTRICAL: [
        ("电动自行车楼道内充电", "住户"),
        ("飞线充电", "住户"),
        ("配电箱门损坏线路裸露", "供电所"),
    ],
    DangerCategory.GAS: [
        ("餐馆燃气软管老化", "小吃店"),
        ("居民户内燃气报警器缺失", "住户"),
    ],
    DangerCategory.STRUCTURE: [
        ("阳台外墙瓷砖空鼓", "产权单位"),
        ("自行车棚顶棚锈蚀", "物业服务中心"),
    ],
    DangerCategory.FLOOD: [
        ("雨水箅子堵塞", "物业服务中心"),
        ("地下车库入口无挡水板", "物业服务中心"),
    ],
    DangerCategory.FALLING: [
        ("高层窗台摆放花盆", "住户"),
        ("空调外机支架松动", "住户"),
    ],
    DangerCategory.HAZMAT: [("小卖部存放大量桶装酒精", "便利店")],
    DangerCategory.CONSTRUCTION: [("装修垃圾堆放未覆盖", "装修公司")],
}
# State of the demo's hidden dangers (weights), most of them cleared.
DANGER_STATES = [
    (DangerState.CLEARED, 55),
    (DangerState.RECTIFYING, 13),
    (DangerState.REINSPECTING, 7),
    (DangerState.FOUND, 8),
    (DangerState.ESCALATED, 7),
    (DangerState.DISMISSED, 5),
]
# The yes/no questions of the templates where "yes" means in order (drains clear, ...).
IN_ORDER_YES = {
    MobilizationKind.FLOOD: {"q2"},
    MobilizationKind.FIVE_PREVENTIONS: {"q1", "q3", "q4"},
}
PERMISSION_MODELS = (
    "patrol",
    "patrolpoint",
    "patrolfinding",
    "hiddendanger",
    "hiddendangerevent",
    "dangerreminder",
    "mobilizationtask",
    "mobilizationtarget",
    "mobilizationsignup",
    "mobilizationreport",
)


def seed_fieldwork(ctx: DemoContext) -> None:
    street = ctx.data["street"]
    rng = random.Random(20260601)
    now = timezone.now().replace(microsecond=0)
    workers = _workers(street)
    _grant_admin_permissions(ctx.data["users"][Role.STREET_ADMIN])
    with translation.override("zh-hans"):
        if Patrol.objects.filter(area__in=list(workers)).exists():
            ctx.say("  patrols exist already: left as they are")
        else:
            made = _patrols(rng, workers, now)
            ctx.say(
                f"  {made['patrols']} patrols, {made['points']} route points, "
                f"{made['findings']} findings"
            )
        if HiddenDanger.objects.filter(Area.subtree_q(street, prefix="area__")).exists():
            ctx.say("  hidden dangers exist already: left as they are")
        else:
            ctx.say(f"  {_dangers(rng, street, workers, ctx, now)} hidden dangers")
        volunteers = _volunteers(ctx)
        if MobilizationTask.objects.filter(area=street).exists():
            ctx.say("  mobilization tasks exist already: left as they are")
        else:
            ctx.say(_tasks(rng, street, workers, volunteers, ctx, now))


def _workers(street: Area) -> dict[Area, object]:
    """The grid worker of each grid of the street (the casework demo makes one per grid)."""
    rows = (
        RoleAssignment.objects.filter(
            Area.subtree_q(street, prefix="area__"), role=Role.GRID_WORKER, area__kind=AreaKind.GRID
        )
        .select_related("area", "user")
        .order_by("area__code", "pk")
    )
    result: dict[Area, object] = {}
    for row in rows:
        result.setdefault(row.area, row.user)
    return result


def _grant_admin_permissions(user) -> None:
    codenames = [f"view_{model}" for model in PERMISSION_MODELS]
    codenames += ["add_mobilizationtask", "change_mobilizationtask"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


# -- patrols --------------------------------------------------------------------------------
def _box(area: Area) -> tuple[float, float, float, float]:
    ring = (area.boundary or {}).get("coordinates", [[]])[0]
    if not ring:
        lat, lng = float(area.latitude), float(area.longitude)
        return (lng - 0.002, lat - 0.002, lng + 0.002, lat + 0.002)
    lngs = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return (min(lngs), min(lats), max(lngs), max(lats))


def _walk(rng, box, start: datetime, end: datetime) -> list[tuple[datetime, float, float]]:
    """A plausible walk inside ``box``: steps of 150–300 m every five minutes, turning now and
    then and turning back at the edges."""
    west, south, east, north = box
    lng = rng.uniform(west, east)
    lat = rng.uniform(south, north)
    heading = rng.uniform(0, 2 * math.pi)
    points = []
    moment = start
    while moment <= end:
        points.append((moment, lat, lng))
        step = rng.uniform(150, 300)
        heading += rng.gauss(0, 0.5)
        dlat = step * math.cos(heading) / 111_000
        dlng = step * math.sin(heading) / (111_000 * math.cos(math.radians(lat)))
        if not (south <= lat + dlat <= north):
            heading = math.pi - heading
            dlat = -dlat
        if not (west <= lng + dlng <= east):
            heading = -heading
            dlng = -dlng
        lat += dlat
        lng += dlng
        moment += timedelta(seconds=POINT_SECONDS + rng.randint(-15, 15))
    return points


def _patrol_cases(workers: dict) -> list:
    """The cases each grid worker filed themselves: what they found on their patrols."""
    case_model = apps.get_model(settings.FIELD_CASE_MODEL)
    return list(
        case_model.objects.filter(reporter__in=list(workers.values()), grid__in=list(workers))
        .only(
            "pk",
            "reporter_id",
            "grid_id",
            "area_id",
            "reported_at",
            "title",
            "latitude",
            "longitude",
            "address",
        )
        .order_by("reported_at", "pk")
    )


def _patrols(rng, workers: dict, now: datetime) -> dict:
    tz = timezone.get_current_timezone()
    start_day = timezone.localdate(now) - timedelta(days=365)
    plans: list[dict] = []
    by_worker: dict[int, list[dict]] = {}
    grid_of_worker = {user.pk: grid for grid, user in workers.items()}
    worker_of = {user.pk: user for user in workers.values()}

    def plan_for(worker, grid, start, end) -> dict:
        plan = {"grid": grid, "worker": worker, "start": start, "end": end, "findings": []}
        plans.append(plan)
        by_worker.setdefault(worker.pk, []).append(plan)
        return plan

    for grid, worker in workers.items():
        day = start_day
        while day < timezone.localdate(now):
            if is_working_day(day) and rng.random() < PATROL_DAY_SHARE:
                hour = rng.choice([8, 9, 10, 14, 15])
                begin = datetime.combine(day, time(hour, rng.randint(0, 50)), tzinfo=tz)
                plan_for(worker, grid, begin, begin + timedelta(minutes=rng.randint(40, 100)))
            day += timedelta(days=1)
    cases = _patrol_cases(workers)
    # A few of them are kept for the hidden dangers escalated as cases.
    reserved = set(cases[::40])
    slack = timedelta(minutes=45)
    for case in cases:
        if case in reserved or case.reporter_id not in grid_of_worker:
            continue
        moment = timezone.localtime(case.reported_at)
        # The patrol it was found on: one of the worker's that was under way then, or a new one.
        plan = next(
            (
                p
                for p in by_worker.get(case.reporter_id, [])
                if p["start"] - slack <= moment <= p["end"] + slack
            ),
            None,
        )
        if plan is None:
            plan = plan_for(
                worker_of[case.reporter_id],
                grid_of_worker[case.reporter_id],
                moment - timedelta(minutes=rng.randint(15, 45)),
                moment + timedelta(minutes=rng.randint(10, 40)),
            )
        plan["start"] = min(plan["start"], moment - timedelta(minutes=5))
        plan["end"] = max(plan["end"], moment + timedelta(minutes=5))
        plan["findings"].append(case)
    plans.sort(key=lambda p: (p["start"], p["worker"].pk))
    patrols: list[Patrol] = []
    walks = []
    for plan in plans:
        # Ended a minute ago at the latest, but never before its last finding (a case filed
        # in the last minute of the seeding).
        last_found = max((case.reported_at for case in plan["findings"]), default=plan["start"])
        end = min(plan["end"], max(now - timedelta(minutes=1), last_found))
        walk = _walk(rng, _box(plan["grid"]), plan["start"], end)
        distance = sum(
            patrol_services.distance_m(a[1], a[2], b[1], b[2]) for a, b in itertools.pairwise(walk)
        )
        walks.append(walk)
        patrols.append(
            Patrol(
                worker=plan["worker"],
                area=plan["grid"],
                started_at=plan["start"],
                ended_at=end,
                point_count=len(walk),
                distance_m=round(distance),
                last_point_at=walk[-1][0] if walk else None,
                summary=rng.choice(
                    ["", "", "巡查正常", "重点查看了楼道和停车场", "提醒商户注意防火"]
                ),
            )
        )
    Patrol.objects.bulk_create(patrols, batch_size=1000)
    points: list[PatrolPoint] = []
    findings: list[PatrolFinding] = []
    point_total = 0
    for patrol, plan, walk in zip(patrols, plans, walks, strict=True):
        points.extend(
            PatrolPoint(
                patrol=patrol,
                recorded_at=moment,
                latitude=Decimal(f"{lat:.6f}"),
                longitude=Decimal(f"{lng:.6f}"),
                accuracy_m=rng.randint(5, 30),
            )
            for moment, lat, lng in walk
        )
        for case in plan["findings"]:
            findings.append(
                PatrolFinding(
                    patrol=patrol,
                    area_id=case.area_id,
                    description=case.title,
                    address=case.address,
                    latitude=case.latitude,
                    longitude=case.longitude,
                    found_at=case.reported_at,
                    case=case,
                )
            )
        if not plan["findings"] and walk and rng.random() < 0.12:
            moment, lat, lng = rng.choice(walk)
            findings.append(
                PatrolFinding(
                    patrol=patrol,
                    area=plan["grid"],
                    description=rng.choice(FINDINGS_WITHOUT_CASE),
                    latitude=Decimal(f"{lat:.6f}"),
                    longitude=Decimal(f"{lng:.6f}"),
                    found_at=moment,
                )
            )
        if len(points) >= 20_000:
            PatrolPoint.objects.bulk_create(points, batch_size=5000)
            point_total += len(points)
            points = []
    PatrolPoint.objects.bulk_create(points, batch_size=5000)
    point_total += len(points)
    PatrolFinding.objects.bulk_create(findings, batch_size=1000)
    return {"patrols": len(patrols), "points": point_total, "findings": len(findings)}


# -- hidden dangers -------------------------------------------------------------------------
def _dangers(rng, street: Area, workers: dict, ctx: DemoContext, now: datetime) -> int:
    buildings = list(
        Area.objects.within(street).filter(kind=AreaKind.BUILDING).select_related("parent__parent")
    )
    by_grid: dict[int, list[Area]] = {}
    by_pk = {building.pk: building for building in buildings}
    for building in buildings:
        by_grid.setdefault(building.parent.parent_id, []).append(building)
    dispatchers = {
        a.area_id: a.user
        for a in RoleAssignment.objects.filter(role=Role.COMMUNITY_DISPATCHER).select_related(
            "user"
        )
    }
    demo_grid = next(
        (g for g, u in workers.items() if u.pk == ctx.data["users"][Role.GRID_WORKER].pk), None
    )
    reserved = _patrol_cases(workers)[::40]
    escalated_cases = iter(reserved)
    states, weights = zip(*DANGER_STATES, strict=True)
    dangers: list[HiddenDanger] = []
    trails: list[list[HiddenDangerEvent]] = []
    hours_per_day = working_day_hours(street)
    grids = list(workers)
    for i in range(DANGERS):
        # The demo worker's grid has one in every state among the recent ones.
        if demo_grid is not None and i >= DANGERS - len(DANGER_STATES) * 2:
            grid = demo_grid
            state = DANGER_STATES[i % len(DANGER_STATES)][0]
            found = now - timedelta(days=rng.uniform(2, 12))
        else:
            grid = rng.choice(grids)
            state = rng.choices(states, weights)[0]
            found = now - timedelta(days=rng.uniform(2, 360))
            if state in (DangerState.FOUND, DangerState.RECTIFYING, DangerState.REINSPECTING):
                found = now - timedelta(days=rng.uniform(2, 25))
        building = rng.choice(by_grid[grid.pk])
        case = next(escalated_cases, None) if state == DangerState.ESCALATED else None
        if state == DangerState.ESCALATED and case is None:
            state = DangerState.CLEARED
        if case is not None:
            # The case it became was filed when the deadline had passed.
            grid = next(g for g in grids if g.pk == case.grid_id)
            building = by_pk.get(case.area_id) or rng.choice(by_grid[grid.pk])
            found = case.reported_at - timedelta(days=rng.uniform(6, 14))
        category = rng.choice(list(DANGER_SAMPLES))
        title, party = rng.choice(DANGER_SAMPLES[category])
        worker = workers[grid]
        dispatcher = dispatchers.get(grid.parent_id, worker)
        found = timezone.localtime(found).replace(
            hour=rng.randint(9, 16), minute=rng.randint(0, 59)
        )
        danger = HiddenDanger(
            title=title,
            category=category,
            area=building,
            address=f"{building.name}{rng.choice(['东侧', '楼道', '地下室', '南门', '楼顶'])}",
            latitude=building.latitude,
            longitude=building.longitude,
            description=f"{building.name}：{title}。",
            responsible_party=party,
            reported_by=worker,
            assignee=worker,
            found_at=found,
            state=DangerState.FOUND,
            version=1,
        )
        trail = [
            _event(
                danger,
                "report",
                worker,
                Role.GRID_WORKER,
                "",
                DangerState.FOUND,
                found,
                danger.description,
            )
        ]
        moment = found + timedelta(hours=rng.uniform(0.5, 6))
        if state == DangerState.DISMISSED:
            _step(
                danger,
                trail,
                "dismiss",
                dispatcher,
                Role.COMMUNITY_DISPATCHER,
                moment,
                "经核实为临时堆放，已清理，不构成隐患。",
            )
        elif state != DangerState.FOUND:
            days = rng.choice([1, 3, 3, 5, 7])
            danger.limit_days = days
            danger.requirement = f"责令{party}在{days}个工作日内整改到位。"
            _step(
                danger,
                trail,
                "order",
                worker,
                Role.GRID_WORKER,
                moment,
                danger.requirement,
                hours=days * hours_per_day,
            )
            if case is not None:
                danger.case = case
                _step(
                    danger,
                    trail,
                    "escalate",
                    dispatcher,
                    Role.COMMUNITY_DISPATCHER,
                    case.reported_at,
                    "逾期未整改，转为案件由执法部门处置。",
                )
            elif state != DangerState.RECTIFYING or rng.random() < 0.3:
                # A rectification that drags on is reported done later than one on time.
                done = moment + timedelta(hours=rng.uniform(2, days * hours_per_day * 1.6))
                if state == DangerState.RECTIFYING:
                    done = min(done, now - timedelta(hours=2))
                    _step(
                        danger,
                        trail,
                        "rectified",
                        worker,
                        Role.GRID_WORKER,
                        done,
                        "已整改，待复查。",
                        hours=danger_workflow.REINSPECT_HOURS,
                    )
                    _step(
                        danger,
                        trail,
                        "fail",
                        worker,
                        Role.GRID_WORKER,
                        min(done + timedelta(hours=3), now - timedelta(hours=1)),
                        "复查发现仍未整改到位，重新限期。",
                        hours=days * hours_per_day,
                    )
                elif state in (DangerState.REINSPECTING, DangerState.CLEARED):
                    _step(
                        danger,
                        trail,
                        "rectified",
                        worker,
                        Role.GRID_WORKER,
                        min(done, now - timedelta(hours=1)),
                        "已按要求整改完毕。",
                        hours=danger_workflow.REINSPECT_HOURS,
                    )
                    if state == DangerState.CLEARED:
                        check = done + timedelta(hours=rng.uniform(1, 20))
                        _step(
                            danger,
                            trail,
                            "pass",
                            worker,
                            Role.GRID_WORKER,
                            min(check, now),
                            "复查合格，予以销号。",
                        )
        dangers.append(danger)
        trails.append(trail)
    HiddenDanger.objects.bulk_create(dangers, batch_size=500)
    events = []
    for danger, trail in zip(dangers, trails, strict=True):
        for event in trail:
            event.danger = danger
        events.extend(trail)
    HiddenDangerEvent.objects.bulk_create(events, batch_size=1000)
    return len(dangers)


def _event(danger, step, actor, role, from_state, to_state, at, comment) -> HiddenDangerEvent:
    return HiddenDangerEvent(
        danger=danger,
        step=step,
        actor=actor,
        actor_name=str(actor),
        role=role,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        due_at=danger.due_at,
        created_at=at,
    )


def _step(danger, trail, name, actor, role, at, comment, *, hours: float | None = None) -> None:
    """Move the danger through ``name`` as the step service would (state, stage, deadline)."""
    spec = danger_workflow.STEPS[name]
    from_state = danger.state
    danger.state = spec.target
    if spec.stage is not None:
        danger.stage_entry += 1
        danger.stage_started_at = at
        danger.due_at = add_working_time(at, hours, area=danger.area)
        danger.remind_at = add_working_time(
            at, hours * danger_workflow.NEAR_DUE_SHARE, area=danger.area
        )
    else:
        danger.stage_started_at = danger.due_at = danger.remind_at = None
    if not danger.is_open:
        danger.closed_at = at
    danger.version += 1
    trail.append(_event(danger, name, actor, role, from_state, danger.state, at, comment))


# -- mobilization ---------------------------------------------------------------------------
def _volunteers(ctx: DemoContext) -> list:
    """Residents without a role who answer the street's call: party members and volunteers."""
    User = get_user_model()
    rng = random.Random(24)
    password = make_password(DEMO_PASSWORD)
    users = []
    for i in range(1, VOLUNTEERS + 1):
        user, _created = User.objects.get_or_create(
            username=f"canyu{i:02d}",
            defaults={
                "full_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "password": password,
                # Without a role, the account belongs to the street it was registered in.
                "home_area": ctx.data["street"],
            },
        )
        users.append(user)
    return users


def _tasks(
    rng, street: Area, workers: dict, volunteers: list, ctx: DemoContext, now: datetime
) -> str:
    issuer = ctx.data["users"][Role.STREET_ADMIN]
    running = MobilizationTask.objects.create(
        title="2026年汛期防汛安全排查",
        kind=MobilizationKind.FLOOD,
        description="主汛期前对辖区所有楼栋开展一次拉网式排查：地下室、排水设施、危旧房屋和需转移人员。",
        area=street,
        unit=CheckUnit.BUILDING,
        questions=_numbered(questions_for(MobilizationKind.FLOOD)),
        photo_required=False,
        volunteers_welcome=True,
        max_per_building=3,
        due_on=timezone.localdate(now) + timedelta(days=9),
        issued_by=issuer,
    )
    MobilizationTask.objects.filter(pk=running.pk).update(
        created_at=now - timedelta(days=5), building_count=split_targets(running)
    )
    community = Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by("code").last()
    closed = MobilizationTask.objects.create(
        title="春季消防安全“五防”检查",
        kind=MobilizationKind.FIVE_PREVENTIONS,
        description="春季防火重点：楼道堆物、电动车充电、燃气使用。",
        area=community,
        unit=CheckUnit.BUILDING,
        questions=_numbered(questions_for(MobilizationKind.FIVE_PREVENTIONS)),
        max_per_building=2,
        volunteers_welcome=False,
        due_on=timezone.localdate(now) - timedelta(days=60),
        issued_by=issuer,
    )
    closed_count = split_targets(closed)
    MobilizationTask.objects.filter(pk=closed.pk).update(
        created_at=now - timedelta(days=80),
        building_count=closed_count,
        status=TaskStatus.CLOSED,
        closed_at=now - timedelta(days=58),
        closed_by=issuer,
    )
    running.refresh_from_db()
    closed.refresh_from_db()
    demo_worker = ctx.data["users"][Role.GRID_WORKER]
    # Some grids are done, some have not started: the board shows it at a glance.
    share = {grid.pk: rng.choice([0.0, 0.2, 0.45, 0.6, 0.8, 1.0]) for grid in workers}
    for grid, worker in workers.items():
        if worker.pk == demo_worker.pk:
            share[grid.pk] = 0.4
    made_running = _checks(rng, running, workers, volunteers, share, now - timedelta(days=5), now)
    made_closed = _checks(
        rng,
        closed,
        workers,
        [],
        dict.fromkeys(share, 1.0),
        now - timedelta(days=80),
        now - timedelta(days=59),
    )
    return (
        f"  mobilization: {running.title} ({running.building_count} buildings, "
        f"{made_running} checked), {closed.title} (closed, {made_closed} checked)"
    )


def _numbered(questions: list[dict]) -> list[dict]:
    return [
        {**q, "key": f"q{i}", "min": None, "max": None} for i, q in enumerate(questions, start=1)
    ]


def _checks(rng, task, workers, volunteers, share, start: datetime, end: datetime) -> int:
    """Sign-ups and reports of ``task``: in each grid the given share of its buildings is
    checked, by its grid worker or a volunteer who signed up with them. The targets' counts
    are then set from the rows in a few UPDATEs (as the report service keeps them)."""
    targets = list(MobilizationTarget.objects.filter(task=task).order_by("building__code"))
    worker_of = {grid.pk: user for grid, user in workers.items()}
    signups, reports = [], []
    span = (end - start).total_seconds()
    for target in targets:
        worker = worker_of.get(target.grid_id)
        if worker is None:
            continue
        checked = rng.random() < share.get(target.grid_id, 0)
        if not checked and rng.random() < 0.5:
            continue
        people = [(worker, Capacity.GRID_WORKER)]
        if volunteers and rng.random() < 0.35:
            capacity = rng.choice([Capacity.PARTY_MEMBER, Capacity.VOLUNTEER])
            people.append((rng.choice(volunteers), capacity))
        signed = start + timedelta(seconds=rng.uniform(0, span * 0.3))
        signups.extend(
            MobilizationSignup(target=target, user=user, capacity=capacity, created_at=signed)
            for user, capacity in people
        )
        if checked:
            reports.append(
                MobilizationReport(
                    target=target,
                    reporter=rng.choice(people)[0],
                    answers=_answers(rng, task),
                    note=rng.choice(
                        ["", "", "", "已提醒住户清理地下室杂物", "排水口有落叶，已清理"]
                    ),
                    created_at=_daytime(
                        rng, signed + timedelta(seconds=rng.uniform(0, span * 0.7)), end
                    ),
                )
            )
    MobilizationSignup.objects.bulk_create(signups, batch_size=2000)
    MobilizationReport.objects.bulk_create(reports, batch_size=2000)
    signed_up = MobilizationSignup.objects.filter(target=OuterRef("pk")).order_by().values("target")
    report = MobilizationReport.objects.filter(target=OuterRef("pk")).order_by("created_at")
    mine = MobilizationTarget.objects.filter(task=task)
    mine.update(signup_count=Coalesce(Subquery(signed_up.annotate(n=Count("pk")).values("n")), 0))
    mine.filter(Exists(report)).update(
        status=TargetStatus.DONE,
        report_count=1,
        last_report_at=Subquery(report.values("created_at")[:1]),
        done_at=Subquery(report.values("created_at")[:1]),
        done_by=Subquery(report.values("reporter")[:1]),
    )
    return len(reports)


def _daytime(rng, moment: datetime, latest: datetime) -> datetime:
    """``moment`` moved into the working day (checks are made by day), never after ``latest``."""
    local = timezone.localtime(moment)
    if not 8 <= local.hour < 19:
        local = local.replace(hour=rng.randint(8, 18), minute=rng.randint(0, 59))
    return min(local, latest)


def _answers(rng, task) -> dict:
    """Plausible answers: most buildings are in order, a problem is the exception."""
    in_order_yes = IN_ORDER_YES.get(task.kind, set())
    answers = {}
    for q in task.questions:
        if q["type"] == "yes_no":
            problem = rng.random() < 0.12
            if q["key"] in in_order_yes:
                answers[q["key"]] = "no" if problem else "yes"
            else:
                answers[q["key"]] = "yes" if problem else "no"
        elif q["type"] == "number":
            answers[q["key"]] = rng.choice([0, 0, 0, 2, 3])
        elif q["type"] == "choice":
            answers[q["key"]] = rng.choice(q["choices"])
        elif rng.random() < 0.1:
            answers[q["key"]] = "一层住户反映雨天有渗水"
    return answers
