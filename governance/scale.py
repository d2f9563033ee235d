"""A district at scale (``manage.py seed_scale``): the area tree, residents, party members and
years of cases with their events, reminders and notifications, written in bulk.

Rows are generated in Python, deterministically from ``seed``, and written with
:func:`governance.bulk.bulk_load` (COPY on PostgreSQL, multi-row INSERTs on SQLite); the trees
are built once at the end of each (``TreeModel.bulk_insert_level`` then ``rebuild_tree``), and
the planner statistics are refreshed. A case's history is a path through the transition table
(report, accept, dispatch, acknowledge, complete, verify, evaluate, with returns, reworks and
escalations on some), each step a little later than the one before; a path is cut where it
would pass the present, so that young cases are open in every state and old ones mostly
finished. Late steps leave an overdue reminder and its notification, as the deadline scan would.
The statistics rollups are counted batch by batch from the rows just written
(``casework.stats.rollup.count_loaded``: the same contributions a rebuild computes, without
reading the cases back).

This module is the composition root's (it sees every app); nothing imports it but the command.
"""

from __future__ import annotations

import itertools
import multiprocessing
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from governance.bulk import bulk_load, refresh_planner_statistics, reserve_ids, reset_sequence

DISTRICT_CODE = "110199"
DISTRICT_NAME = "规模演示区"
STREET_NAMES = (
    "和平里街道", "安定门街道", "交道口街道", "景山街道", "东华门街道", "朝阳门街道",
    "建国门街道", "东直门街道", "北新桥街道", "东四街道", "天坛街道", "体育馆路街道",
    "龙潭街道", "永定门外街道", "前门街道", "崇文门外街道",
)  # fmt: skip
COMMUNITY_WORDS = (
    "和平", "安华", "青年湖", "化工", "兴化", "胜古", "地坛", "民旺", "小黄庄", "光熙",
    "柳荫", "黄寺", "花园", "幸福", "育新", "东湖", "西坝", "南湖", "北苑", "望京",
)  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文斌国庆淑珍海燕"
CATEGORIES = (
    ("SC-SR", "市容环境", (("SC-SR-LJ", "暴露垃圾"), ("SC-SR-DW", "乱堆物料"))),
    ("SC-SS", "设施管理", (("SC-SS-LD", "路灯损坏"), ("SC-SS-JG", "井盖缺失"))),
    ("SC-JM", "街面秩序", (("SC-JM-ZD", "占道经营"), ("SC-JM-TC", "违章停车"))),
    ("SC-FW", "房屋管理", (("SC-FW-LD", "楼道堆物"), ("SC-FW-LS", "房屋漏水"))),
    ("SC-AQ", "安全隐患", (("SC-AQ-XF", "消防通道堵塞"), ("SC-AQ-CD", "电动车违规充电"))),
    ("SC-LL", "邻里纠纷", (("SC-LL-ZY", "噪音扰民"),)),
)
DEPARTMENTS = (
    ("scale-cgzf", "城管执法队"),
    ("scale-hws", "环卫所"),
    ("scale-szgl", "市政管理所"),
    ("scale-fgs", "房管所"),
    ("scale-pcs", "派出所"),
    ("scale-xf", "消防救援站"),
)
SOURCES = (
    ("patrol", 45),
    ("resident", 20),
    ("hotline_12345", 25),
    ("council", 3),
    ("leader", 2),
    ("open311", 5),
)
TITLES = {
    "暴露垃圾": "路边垃圾堆放未清运",
    "乱堆物料": "楼下堆放建筑材料",
    "路灯损坏": "小区路灯不亮",
    "井盖缺失": "人行道井盖缺失",
    "占道经营": "早市摊贩占道",
    "违章停车": "消防通道违停车辆",
    "楼道堆物": "楼道杂物堆积",
    "房屋漏水": "顶层住户屋顶漏水",
    "消防通道堵塞": "消防通道被杂物堵塞",
    "电动车违规充电": "楼道飞线充电",
    "噪音扰民": "夜间装修噪音",
}
# Stage limits in hours (the seed's own categories; the path timing reads them).
NAME_BITS = 12
NAME_POOL = 2**NAME_BITS  # names of reporters and actors, per street
LIMITS = {"accept": 2, "dispatch": 2, "acknowledge": 2, "handle": 40}
BATCH = 20_000


@dataclass
class Sizes:
    streets: int = 10
    communities: int = 10  # per street
    grids: int = 4  # per community
    micro_grids: int = 7  # per grid
    buildings: int = 10  # per micro-grid
    residents: int = 300_000
    party_members: int = 100_000
    cases: int = 1_000_000
    years: int = 3
    seed: int = 2024


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class AlreadyLoaded(Exception):
    pass


def seed_scale(
    sizes: Sizes, *, now: datetime | None = None, processes: int = 1, log=print
) -> Report:
    """Build the district and fill it; raises :class:`AlreadyLoaded` when it exists.

    With ``processes`` above one on PostgreSQL (outside a transaction) the cases are written by
    that many worker processes, a street at a time each, each counting its cases into the
    rollups; elsewhere everything runs here. Each step commits on its own: a run that fails
    half-way leaves a half-loaded district (start again on a fresh database)."""
    from grids.models import Area

    if Area.objects.filter(code=DISTRICT_CODE).exists():
        raise AlreadyLoaded(DISTRICT_CODE)
    now = now or timezone.now()
    rng = random.Random(sizes.seed)
    report = Report()

    def step(name, fn, *args, atomic=True):
        log(f"· {name} …")
        started = time.perf_counter()
        with transaction.atomic() if atomic else nullcontext():
            result = fn(*args)
        report.seconds[name] = round(time.perf_counter() - started, 1)
        # Each step's time as it ends: a long run shows where it is and where the time went.
        log(f"  {report.seconds[name]:.1f} s")
        return result

    district = step("areas", _areas, sizes, report)
    ctx = step("departments, categories, staff", _setup, district, report)
    step("residents", _residents, district, sizes, rng, report)
    step("party organizations and members", _party, district, sizes, rng, report)
    # The workers commit a street each; the parent's transaction would not hold theirs.
    # The statistics rollups are counted by the same workers, batch by batch, from the rows
    # they write (rollup.count_loaded): no step of their own any more.
    step("cases and their rollups", _cases, ctx, sizes, rng, now, processes, report, atomic=False)
    step("planner statistics", refresh_planner_statistics, atomic=False)
    return report


# -- areas ----------------------------------------------------------------------------------
def _areas(sizes: Sizes, report: Report):
    from grids.models import Area, AreaKind

    district = Area.bulk_insert_level(
        [Area(kind=AreaKind.DISTRICT, name=DISTRICT_NAME, code=DISTRICT_CODE)]
    )[0]
    streets = Area.bulk_insert_level(
        [
            Area(
                kind=AreaKind.STREET,
                name=STREET_NAMES[s % len(STREET_NAMES)]
                + ("" if s < len(STREET_NAMES) else f"{s}"),
                code=f"{DISTRICT_CODE}{s + 1:03d}",
                parent=district,
            )
            for s in range(sizes.streets)
        ]
    )
    communities = Area.bulk_insert_level(
        [
            Area(
                kind=AreaKind.COMMUNITY,
                name=f"{COMMUNITY_WORDS[(s * 7 + c) % len(COMMUNITY_WORDS)]}{c + 1}社区",
                code=f"{street.code}{c + 1:03d}",
                parent=street,
                households=0,
            )
            for s, street in enumerate(streets)
            for c in range(sizes.communities)
        ]
    )
    grids = Area.bulk_insert_level(
        [
            Area(
                kind=AreaKind.GRID,
                name=f"{community.name}第{g + 1}网格",
                code=f"{community.code}{g + 1:02d}",
                parent=community,
            )
            for community in communities
            for g in range(sizes.grids)
        ]
    )
    micro_grids = Area.bulk_insert_level(
        [
            Area(
                kind=AreaKind.MICRO_GRID,
                name=f"{grid.name}{m + 1}号微网格",
                code=f"{grid.code}{m + 1:02d}",
                parent=grid,
            )
            for grid in grids
            for m in range(sizes.micro_grids)
        ]
    )
    buildings = Area.bulk_insert_level(
        [
            Area(
                kind=AreaKind.BUILDING,
                name=f"{micro.parent.parent.name.removesuffix('社区')}{micro.code[-4:]}-{b + 1}号楼",
                code=f"{micro.code}{b + 1:03d}",
                parent=micro,
                households=24 + (b * 7) % 48,
                population=(24 + (b * 7) % 48) * 3,
            )
            for micro in micro_grids
            for b in range(sizes.buildings)
        ]
    )
    Area.rebuild_tree()
    report.counts.update(
        streets=len(streets),
        communities=len(communities),
        grids=len(grids),
        micro_grids=len(micro_grids),
        buildings=len(buildings),
    )
    return Area.objects.get(pk=district.pk)


@dataclass
class _Context:
    streets: list  # (street pk, center user pk, dispatcher name)
    buildings: list  # (building pk, grid pk, community pk, street pk)
    categories: list  # (category pk, name, department pk)
    departments: list


def _setup(district, report: Report) -> _Context:
    from django.contrib.auth import get_user_model

    from casework.models import Category, TimeLimit
    from governance.models import Department, Role, RoleAssignment
    from grids.models import Area, AreaKind

    departments = {}
    for code, name in DEPARTMENTS:
        department = Department.objects.filter(code=code).first()
        if department is None:
            department = Department.objects.create(code=code, name=f"{DISTRICT_NAME}{name}")
        departments[code] = department
    categories = []
    names = list(departments.values())
    for n, (code, name, children) in enumerate(CATEGORIES):
        parent, _created = Category.objects.get_or_create(code=code, defaults={"name": name})
        for m, (child_code, child_name) in enumerate(children):
            department = names[(n + m) % len(names)]
            child, _created = Category.objects.get_or_create(
                code=child_code,
                defaults={"name": child_name, "parent": parent, "default_department": department},
            )
            TimeLimit.objects.get_or_create(
                category=child,
                priority="normal",
                defaults={f"{stage}_hours": hours for stage, hours in LIMITS.items()},
            )
            categories.append((child.pk, child_name, department.pk))
    User = get_user_model()
    streets = []
    for street in Area.objects.filter(parent=district).order_by("code"):
        user, _created = User.objects.get_or_create(
            username=f"scale-center-{street.code}",
            defaults={"first_name": f"{street.name}指挥中心"},
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        RoleAssignment.objects.get_or_create(user=user, role=Role.CENTER_SUPERVISOR, area=street)
        streets.append((street.pk, user.pk))
    buildings = list(
        Area.objects.within(district)
        .filter(kind=AreaKind.BUILDING)
        .order_by("pk")
        .values_list("pk", "parent__parent_id", "parent__parent__parent_id")
    )
    community_street = dict(
        Area.objects.within(district).filter(kind=AreaKind.COMMUNITY).values_list("pk", "parent_id")
    )
    buildings = [(b, g, c, community_street[c]) for b, g, c in buildings]
    report.counts["departments"] = len(departments)
    report.counts["categories"] = len(categories)
    return _Context(streets, buildings, categories, [d.pk for d in departments.values()])


# -- people ---------------------------------------------------------------------------------
def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def id_number(birth: date, serial: int, female: bool) -> str:
    """A well-formed resident ID (GB 11643: region, birth date, serial, ISO 7064 check digit)
    for a fictional region; ``serial`` (0–499) keeps it unique for one birth date."""
    sequence = serial * 2 + (0 if female else 1)
    body = f"{DISTRICT_CODE}{birth:%Y%m%d}{sequence:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _residents(district, sizes: Sizes, rng: random.Random, report: Report) -> None:
    from grids.models import Area, AreaKind, Resident

    buildings = list(
        Area.objects.within(district).filter(kind=AreaKind.BUILDING).values_list("pk", "name")
    )
    if not buildings:
        return
    first_birth = date(1935, 1, 1)
    days = 365 * 85
    created = timezone.now()

    def rows():
        for n in range(sizes.residents):
            building, building_name = buildings[n % len(buildings)]
            female = rng.random() < 0.5
            birth = first_birth + timedelta(days=n % days)
            yield (
                created,
                created,
                building,
                _name(rng),
                id_number(birth, n // days, female),
                f"13{rng.randrange(10**9):09d}",
                "f" if female else "m",
                birth,
                f"{DISTRICT_NAME}{building_name}",
                "",
            )

    report.counts["residents"] = bulk_load(
        Resident,
        (
            "created_at",
            "updated_at",
            "area_id",
            "name",
            "id_number",
            "phone",
            "gender",
            "birth_date",
            "registered_address",
            "relation",
        ),
        rows(),
    )


def _party(district, sizes: Sizes, rng: random.Random, report: Report) -> None:
    from grids.models import Area, AreaKind
    from partybuilding.models import OrganizationKind, PartyMember, PartyOrganization

    areas = Area.objects.within(district)
    streets = list(areas.filter(kind=AreaKind.STREET).order_by("code"))
    committees = PartyOrganization.bulk_insert_level(
        [
            PartyOrganization(
                kind=OrganizationKind.STREET_COMMITTEE, name=f"{s.name}党工委", area=s
            )
            for s in streets
        ]
    )
    by_street = {o.area_id: o for o in committees}
    communities = list(areas.filter(kind=AreaKind.COMMUNITY).order_by("code"))
    community_orgs = PartyOrganization.bulk_insert_level(
        [
            PartyOrganization(
                kind=OrganizationKind.COMMUNITY_COMMITTEE,
                name=f"{c.name}党委",
                area=c,
                parent=by_street[c.parent_id],
            )
            for c in communities
        ]
    )
    by_community = {o.area_id: o for o in community_orgs}
    grids = list(areas.filter(kind=AreaKind.GRID).order_by("code"))
    branches = PartyOrganization.bulk_insert_level(
        [
            PartyOrganization(
                kind=OrganizationKind.BRANCH,
                name=f"{g.name}党支部",
                area=g,
                parent=by_community[g.parent_id],
            )
            for g in grids
        ]
    )
    PartyOrganization.rebuild_tree()
    branch_of_grid = {b.area_id: b.pk for b in branches}
    buildings = list(areas.filter(kind=AreaKind.BUILDING).values_list("pk", "parent__parent_id"))
    created = timezone.now()
    units = ("区教委", "区医院", "区税务局", "区人社局", "中学", "供电公司", "")

    def rows():
        for n in range(sizes.party_members):
            building, grid = buildings[n % len(buildings)]
            female = rng.random() < 0.45
            year = 1940 + n % 60
            in_service = rng.random() < 0.3
            yield (
                created,
                created,
                branch_of_grid[grid],
                _name(rng),
                "f" if female else "m",
                year,
                f"13{rng.randrange(10**9):09d}",
                date(year + 25 + n % 20, 1 + n % 12, 1),
                building,
                in_service,
                rng.choice(units[:-1]) if in_service else "",
                "",
            )

    report.counts["party_organizations"] = len(committees) + len(community_orgs) + len(branches)
    report.counts["party_members"] = bulk_load(
        PartyMember,
        (
            "created_at",
            "updated_at",
            "organization_id",
            "name",
            "gender",
            "birth_year",
            "phone",
            "join_date",
            "home_building_id",
            "in_service",
            "work_unit",
            "id_number",
        ),
        rows(),
    )


# -- cases ----------------------------------------------------------------------------------
# Hours each step takes after the one before (low, high).
DELAYS = {
    "accept": (0.1, 1.8),
    "reject": (0.1, 2.0),
    "merge": (0.1, 2.0),
    "escalate": (0.2, 3.0),
    "dispatch": (0.1, 1.8),
    "return": (0.3, 3.0),
    "acknowledge": (0.1, 1.9),
    "complete": (3.0, 38.0),
    "verify_fail": (2.0, 20.0),
    "verify_pass": (2.0, 20.0),
    "evaluate": (1.0, 48.0),
    "resolve_on_spot": (0.1, 1.0),
}
# The status and holder each step leaves ("dispatcher": the community, or the center once
# escalated), and the role that takes it.
EFFECTS = {
    "report": ("reported", "dispatcher", "grid_worker"),
    "accept": ("accepted", "dispatcher", "community_dispatcher"),
    "reject": ("rejected", "", "community_dispatcher"),
    "merge": ("merged", "", "community_dispatcher"),
    "escalate": (None, "center", "community_dispatcher"),
    "dispatch": ("dispatched", "department", "community_dispatcher"),
    "return": ("accepted", "dispatcher", "department_handler"),
    "acknowledge": ("in_progress", "department", "department_handler"),
    "complete": ("handled", "dispatcher", "department_handler"),
    "verify_fail": ("in_progress", "department", "grid_worker"),
    "verify_pass": ("closed", "", "grid_worker"),
    "evaluate": (None, None, "center_supervisor"),
    "resolve_on_spot": ("closed", "", "grid_worker"),
}
STAGE_OF_STATUS = {
    "reported": "accept",
    "accepted": "dispatch",
    "dispatched": "acknowledge",
    "in_progress": "handle",
}
SATISFACTION = (("satisfied", 70), ("basically_satisfied", 22), ("dissatisfied", 8))


def _path(rng: random.Random) -> list[str]:
    """A case's intended steps (cut later where they would pass the present)."""
    r = rng.random()
    if r < 0.04:
        return ["report", "reject"]
    if r < 0.07:
        return ["report", "merge"]
    if r < 0.17:
        return ["report", "resolve_on_spot"] + (["evaluate"] if rng.random() < 0.5 else [])
    steps = ["report", "accept"]
    if rng.random() < 0.06:
        steps.append("escalate")
    steps.append("dispatch")
    if rng.random() < 0.05:
        steps += ["return", "dispatch"]
    steps += ["acknowledge", "complete"]
    if rng.random() < 0.04:
        steps += ["verify_fail", "complete"]
    steps.append("verify_pass")
    if rng.random() < 0.6:
        steps.append("evaluate")
    return steps


def _weighted(rng: random.Random, choices) -> str:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def _picker(choices):
    """A fast :func:`_weighted` for a million draws: the cumulative weights computed once."""
    values, weights = zip(*choices, strict=True)
    cumulative = list(itertools.accumulate(weights))

    def pick(rng: random.Random) -> str:
        return rng.choices(values, cum_weights=cumulative)[0]

    return pick


@dataclass
class _StreetCases:
    """One street's share of the cases, handed to a worker: the district-wide filing order is
    fixed before (ids grow with time, as they do in life), the rest comes from the street's own
    random stream, so the result does not depend on how many processes wrote it."""

    seed: str
    street: int
    center: int
    ids: list[int]
    offsets: list[float]  # filing times as a fraction of the span, ascending
    homes: list[tuple[int, int, int]]  # (building, grid, community) of each case
    categories: list  # (category pk, name, department pk)
    start: datetime
    span: timedelta
    now: datetime
    url: str  # of the case page, without the id


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    counters: dict[tuple[int, int], int] = field(default_factory=dict)

    def add(self, other: _Tally) -> None:
        for mine, theirs in (
            (self.counts, other.counts),
            (self.statuses, other.statuses),
            (self.counters, other.counters),
        ):
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value


CASE_FIELDS = (
    "id", "created_at", "updated_at", "number", "street_id", "community_id", "grid_id",
    "title", "description", "category_id", "area_id", "address", "source", "reporter_name",
    "reporter_phone", "priority", "status", "holder", "department_id", "due_at",
    "duplicate_of_id", "result", "satisfaction", "reported_at", "accepted_at",
    "escalated_at", "dispatched_at", "acknowledged_at", "handled_at", "closed_at",
    "evaluated_at", "resolved_on_spot", "rework_count", "return_count", "stage_entry",
    "version",
)  # fmt: skip
EVENT_FIELDS = (
    "case_id", "step", "actor_name", "role", "from_status", "to_status", "to_holder",
    "department_id", "comment", "is_public", "due_at", "on_time", "created_at",
)  # fmt: skip
REMINDER_FIELDS = (
    "id", "case_id", "stage", "kind", "tier", "entry", "holder", "department_id", "due_at",
    "created_at", "notified_at",
)  # fmt: skip
NOTIFICATION_FIELDS = ("recipient_id", "kind", "title", "body", "url", "key", "created_at")


def _cases(ctx: _Context, sizes: Sizes, rng, now: datetime, processes: int, report: Report):
    """Write the cases street by street, in ``processes`` worker processes (each with its own
    connection, each street in one transaction) when the database allows it."""
    from casework.deadlines.models import Reminder
    from casework.models import Case, CaseCounter

    span = timedelta(days=365 * sizes.years)
    offsets = sorted(rng.random() for _n in range(sizes.cases))
    homes = [ctx.buildings[rng.randrange(len(ctx.buildings))] for _n in range(sizes.cases)]
    first_id = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    jobs = {
        street: _StreetCases(
            seed=f"{sizes.seed}-cases-{number}",
            street=street,
            center=center,
            ids=[],
            offsets=[],
            homes=[],
            categories=ctx.categories,
            start=now - span,
            span=span,
            now=now,
            # Resolved here, once: a forked worker would load the URL patterns again.
            url=reverse("casework:detail", args=[0]).removesuffix("0/"),
        )
        for number, (street, center) in enumerate(ctx.streets)
    }
    for n, (building, grid, community, street) in enumerate(homes):
        job = jobs[street]
        job.ids.append(first_id + n)
        job.offsets.append(offsets[n])
        job.homes.append((building, grid, community))
    del offsets, homes
    tally = _Tally(counts=dict.fromkeys(("cases", "events", "reminders", "notifications"), 0))
    for part in _run(_street_cases, [(job,) for job in jobs.values() if job.ids], processes):
        tally.add(part)
    reset_sequence(Case)
    reset_sequence(Reminder)
    for (street, year), last in tally.counters.items():
        CaseCounter.objects.update_or_create(street_id=street, year=year, defaults={"last": last})
    report.counts.update(tally.counts)
    report.counts.update({f"status:{k}": v for k, v in sorted(tally.statuses.items())})


def _parallel(processes: int) -> bool:
    """Whether work may go to other processes: they see only what is committed, so not inside
    a transaction (a test's), and SQLite takes one writer at a time."""
    return processes > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block


def _run(fn, calls: list[tuple], processes: int) -> list:
    """``fn(*args)`` for every ``args`` in ``calls``: in forked worker processes (each opens its
    own connection; the parent's are closed first so that no child shares its socket) when
    :func:`_parallel`, else here, one after the other."""
    if not _parallel(processes) or len(calls) < 2:
        return [fn(*args) for args in calls]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(min(processes, len(calls))) as pool:
        return pool.starmap(_in_worker, [(fn, args) for args in calls], chunksize=1)


def _in_worker(fn, args: tuple):
    # Never use a socket inherited from the parent: its connection can outlive close_all()
    # (seen under the test runner after a live server had run), and two children talking over one
    # socket read each other's answers. Dropped, not closed: closing would end the parent's session.
    for conn in connections.all(initialized_only=True):
        conn.connection = None
    try:
        return fn(*args)
    finally:
        connections.close_all()


def _street_cases(job: _StreetCases) -> _Tally:
    """Generate and COPY one street's cases with their events, reminders and notifications,
    and count them into the statistics rollups (one transaction; batches of ``BATCH`` cases;
    the street's rollup rows are its own, its areas being new, so workers never wait on each
    other)."""
    from casework.deadlines.models import Reminder
    from casework.models import Case, CaseEvent, Category
    from casework.stats import rollup
    from governance.models import Notification

    rng = random.Random(job.seed)
    tally = _Tally(
        counts=dict.fromkeys(("cases", "events", "reminders", "notifications", "rollup_cases"), 0)
    )
    counters, statuses = tally.counters, tally.statuses
    last_case = None
    # A pool of names drawn once: a name per event drawn afresh was a quarter of the time.
    names = [_name(rng) for _n in range(NAME_POOL)]
    source_of, satisfaction_of = _picker(SOURCES), _picker(SATISFACTION)
    local = timezone.get_current_timezone()
    # One set of working-time meters for the street's whole load (the handling times).
    meters = rollup.loader_meters(
        job.start.astimezone(timezone.get_default_timezone()).date(),
        job.now.astimezone(timezone.get_default_timezone()).date(),
    )
    around_the_clock = dict(
        Category.objects.filter(pk__in=[c[0] for c in job.categories]).values_list(
            "pk", "around_the_clock"
        )
    )
    with transaction.atomic():
        for batch_start in range(0, len(job.ids), BATCH):
            cases, events = [], []
            late = []  # (case, stage, entry, holder, department, due, found, title, body)
            for i in range(batch_start, min(batch_start + BATCH, len(job.ids))):
                case_id = job.ids[i]
                reported = job.start + job.span * job.offsets[i]
                building, grid, community = job.homes[i]
                category, category_name, default_department = rng.choice(job.categories)
                year = reported.astimezone(local).year
                counters[(job.street, year)] = counters.get((job.street, year), 0) + 1
                number = f"{year}-{counters[(job.street, year)]:06d}"
                title = TITLES[category_name]
                source = source_of(rng)
                reporter = names[rng.getrandbits(NAME_BITS)]
                # Old cases finish; a few stay stuck in some stage.
                path = _path(rng)
                if rng.random() < 0.015:
                    path = path[: rng.randrange(1, len(path))]
                status, holder, department = "reported", "community", None
                stamps: dict[str, datetime] = {}
                at = reported
                stage_entry, version = 1, 1
                due = reported + timedelta(hours=LIMITS["accept"])
                escalated = False
                satisfaction, on_spot, reworks, returns, result = "", False, 0, 0, ""
                events.append(
                    (case_id, "report", reporter, "grid_worker", "", "reported", "community",
                     None, "", True, due, None, reported)
                )  # fmt: skip
                for step in path[1:]:
                    low, high = DELAYS[step]
                    hours = rng.uniform(low, high)
                    if rng.random() < 0.08 and step in ("accept", "dispatch", "acknowledge"):
                        hours += rng.uniform(2, 8)  # late now and then
                    when = at + timedelta(hours=hours)
                    if when >= job.now:
                        break
                    on_time = None if due is None else when <= due
                    if on_time is False and status in STAGE_OF_STATUS:
                        stage = STAGE_OF_STATUS[status]
                        found = due + timedelta(minutes=rng.randrange(1, 15))
                        late.append(
                            (case_id, stage, stage_entry, holder, department, due, found,
                             f"超期：{number} {title}",
                             f"{stage}阶段已于{due.astimezone(local):%Y-%m-%d %H:%M}到期。")
                        )  # fmt: skip
                    to_status, to_holder, role = EFFECTS[step]
                    before = (status, holder)
                    from_status = status
                    if step == "escalate":
                        escalated = True
                        stamps["escalated_at"] = when
                    if to_status is not None:
                        status = to_status
                    if to_holder == "dispatcher":
                        holder = "center" if escalated else "community"
                    elif to_holder is not None:
                        holder = to_holder
                    if step == "dispatch":
                        department = default_department
                        stamps["dispatched_at"] = when
                    elif step == "return":
                        department = None
                        returns += 1
                    elif step == "accept":
                        stamps["accepted_at"] = when
                    elif step == "acknowledge":
                        stamps["acknowledged_at"] = when
                    elif step == "complete":
                        stamps["handled_at"] = when
                        result = "已现场处置完毕，恢复原状。"
                    elif step == "verify_fail":
                        reworks += 1
                    elif step in ("verify_pass", "resolve_on_spot"):
                        stamps["closed_at"] = when
                        on_spot = step == "resolve_on_spot"
                    elif step == "evaluate":
                        stamps["evaluated_at"] = when
                        satisfaction = satisfaction_of(rng)
                    if (status, holder) != before:
                        stage_entry += 1
                        stage = STAGE_OF_STATUS.get(status)
                        due = when + timedelta(hours=LIMITS[stage]) if stage else None
                    version += 1
                    events.append(
                        (case_id, step, names[rng.getrandbits(NAME_BITS)], role, from_status, status, holder,
                         department if holder == "department" and step != "acknowledge" else None,
                         result if step == "complete" else "", True, due, on_time, when)
                    )  # fmt: skip
                    at = when
                if status in STAGE_OF_STATUS and due is not None and due < job.now:
                    # Open and past its limit: the scan has found it.
                    found = due + timedelta(minutes=rng.randrange(1, 15))
                    if found < job.now:
                        late.append(
                            (case_id, STAGE_OF_STATUS[status], stage_entry, holder, department,
                             due, found, f"超期：{number} {title}", "案件已超过办理时限。")
                        )  # fmt: skip
                duplicate_of = last_case if status == "merged" else None
                if status == "merged" and duplicate_of is None:
                    status, holder = "rejected", ""
                    events[-1] = (
                        *events[-1][:1],
                        "reject",
                        *events[-1][2:5],
                        "rejected",
                        *events[-1][6:],
                    )
                statuses[status] = statuses.get(status, 0) + 1
                last_case = case_id
                cases.append(
                    (case_id, reported, at, number, job.street, community, grid, title,
                     f"{reporter}反映：{title}，请尽快处理。", category, building,
                     f"{DISTRICT_NAME}{case_id % 97 + 1}号院", source, reporter,
                     f"13{rng.randrange(10**9):09d}", "normal", status, holder, department,
                     due if status in STAGE_OF_STATUS else None, duplicate_of, result,
                     satisfaction, reported, stamps.get("accepted_at"),
                     stamps.get("escalated_at"), stamps.get("dispatched_at"),
                     stamps.get("acknowledged_at"), stamps.get("handled_at"),
                     stamps.get("closed_at"), stamps.get("evaluated_at"), on_spot, reworks,
                     returns, stage_entry, version)
                )  # fmt: skip
            reminder_ids = reserve_ids(Reminder, len(late))
            counts = tally.counts
            counts["cases"] += bulk_load(Case, CASE_FIELDS, cases)
            counts["events"] += bulk_load(CaseEvent, EVENT_FIELDS, events)
            counts["reminders"] += bulk_load(
                Reminder,
                REMINDER_FIELDS,
                (
                    (pk, case, stage, "overdue", 1, entry, holder, department, due, found, found)
                    for pk, (case, stage, entry, holder, department, due, found, _t, _b) in zip(
                        reminder_ids, late, strict=True
                    )
                ),
            )
            counts["notifications"] += bulk_load(
                Notification,
                NOTIFICATION_FIELDS,
                (
                    (
                        job.center,
                        "case.overdue",
                        title,
                        body,
                        f"{job.url}{case}/",
                        f"reminder:{pk}",
                        found,
                    )
                    for pk, (case, _s, _e, _h, _d, _due, found, title, body) in zip(
                        reminder_ids, late, strict=True
                    )
                ),
            )
            counts["rollup_cases"] += rollup.count_loaded(
                _loaded(cases, events, late, around_the_clock), meters=meters
            )
    return tally


def _loaded(cases: list, events: list, late: list, around_the_clock: dict) -> list[dict]:
    """The batch's cases as ``rollup.count_loaded`` takes them: their fields by name, with
    their events, first overdue reminders and category's clock."""
    by_case: dict[int, list] = {}
    for event in events:
        # (case_id, ...) in EVENT_FIELDS order: step 1, on_time 11, created_at 12.
        by_case.setdefault(event[0], []).append((event[1], event[12], event[11]))
    reminders: dict[int, list] = {}
    for case, _s, _e, _h, _d, _due, found, _t, _b in late:
        reminders.setdefault(case, []).append(found)
    rows = []
    for row in cases:
        case = dict(zip(CASE_FIELDS, row, strict=True))
        pk = case["pk"] = case["id"]
        case["events"] = by_case.get(pk, [])
        case["reminders"] = reminders.get(pk, [])
        case["around_the_clock"] = around_the_clock[case["category_id"]]
        rows.append(case)
    return rows
