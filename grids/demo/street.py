"""The demo street 青松街道: 6 communities, 40 grids, 300 micro-grids, 1,500 buildings, staff,
departments and a user for every role. Deterministic (fixed random seed) and idempotent."""

from __future__ import annotations

import math
import random
from decimal import Decimal

from django.contrib.auth import get_user_model

from governance.demo import DemoContext, give_demo_password
from governance.models import Department, Role, RoleAssignment
from grids.models import Area, AreaKind, GridStaff

STREET_CODE = "110105099"
STREET_NAME = "青松街道"
# Street extent (west, south, east, north), in a quiet corner of Beijing's Chaoyang district.
STREET_BOX = (116.452, 39.928, 116.500, 39.962)

COMMUNITIES = [
    # name, compound name for buildings, grids, micro-grids per grid
    ("青松里社区", "青松里", 7, 8),
    ("和平东社区", "和平东里", 7, 7),
    ("安华西社区", "安华西里", 6, 8),
    ("柳荫社区", "柳荫家园", 7, 7),
    ("春秀社区", "春秀苑", 6, 8),
    ("新源里社区", "新源里", 7, 8),
]
BUILDINGS_PER_MICRO_GRID = 5

DEPARTMENTS = [
    ("城管执法队", "urban-management", Department.Kind.GOVERNMENT, "010-64110001"),
    ("市场监管所", "market-supervision", Department.Kind.GOVERNMENT, "010-64110002"),
    ("住房和城乡建设委", "housing-construction", Department.Kind.GOVERNMENT, "010-64110003"),
    ("房管所", "housing-management", Department.Kind.GOVERNMENT, "010-64110004"),
    ("青松派出所", "police-station", Department.Kind.GOVERNMENT, "010-64110110"),
    ("消防救援站", "fire-rescue", Department.Kind.GOVERNMENT, "010-64110119"),
    ("环卫所", "sanitation", Department.Kind.GOVERNMENT, "010-64110005"),
    ("园林绿化队", "landscaping", Department.Kind.GOVERNMENT, "010-64110006"),
    ("水务所", "water-affairs", Department.Kind.PUBLIC_SERVICE, "010-64110007"),
    ("供电所", "power-supply", Department.Kind.PUBLIC_SERVICE, "95598"),
    ("燃气公司青松站", "gas-supply", Department.Kind.PUBLIC_SERVICE, "96777"),
    ("青松物业服务有限公司", "qingsong-property", Department.Kind.PROPERTY, "010-64119001"),
    ("和平东里物业中心", "hepingdong-property", Department.Kind.PROPERTY, "010-64119002"),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = [
    "建国",
    "建华",
    "秀英",
    "桂英",
    "秀兰",
    "玉兰",
    "志强",
    "志明",
    "海燕",
    "丽娟",
    "国庆",
    "红梅",
    "春燕",
    "立新",
    "卫东",
    "淑珍",
    "文华",
    "永红",
    "晓东",
    "晓燕",
    "子涵",
    "浩然",
    "欣怡",
    "雨桐",
    "思远",
    "明辉",
    "俊杰",
    "婷婷",
    "静怡",
    "宏伟",
    "爱华",
    "德明",
    "凤英",
    "桂兰",
    "玉珍",
    "金凤",
    "志刚",
    "丽华",
    "建军",
    "秀云",
    "凤兰",
    "国华",
    "晓梅",
    "建平",
    "春生",
    "振华",
    "亚楠",
    "宇航",
    "梦琪",
    "佳怡",
    "一鸣",
    "嘉欣",
]

DEMO_USERS = [
    # username, full name, role, scope ("street", "community", "grid", or a department code)
    ("jiedao", "周建华", Role.STREET_ADMIN, "street"),
    ("zhongxin", "孙丽娟", Role.CENTER_SUPERVISOR, "street"),
    ("diaodu", "李秀英", Role.COMMUNITY_DISPATCHER, "community"),
    ("wanggeyuan", "王志强", Role.GRID_WORKER, "grid"),
    ("chengguan", "赵卫东", Role.DEPARTMENT_HANDLER, "urban-management"),
    ("dangjian", "陈春燕", Role.PARTY_OFFICER, "street"),
    ("lingdao", "刘国庆", Role.VIEWER, "street"),
]


def seed_grids(ctx: DemoContext) -> None:
    rng = random.Random(20261123)
    street = Area.objects.filter(code=STREET_CODE).first()
    if street is None:
        street = _build_tree(rng)
        _build_staff(rng, street)
        ctx.say(f"  built {Area.objects.within(street).count()} areas")
    else:
        ctx.say("  the street exists already: areas and staff left as they are")
    departments = _departments(street)
    ctx.data["street"] = street
    ctx.data["departments"] = departments
    _users(ctx, street, departments)


def _build_tree(rng: random.Random) -> Area:
    street = Area(
        kind=AreaKind.STREET,
        name=STREET_NAME,
        code=STREET_CODE,
        boundary=_polygon(STREET_BOX),
        **_centre(STREET_BOX),
        notes="示范街道：6个社区、40个网格、300个微网格。",
    )
    Area.bulk_insert_level([street])
    community_boxes = _split(STREET_BOX, len(COMMUNITIES))
    communities, grids, micros, buildings = [], [], [], []
    for ci, (name, compound, n_grids, n_micro) in enumerate(COMMUNITIES, start=1):
        box = community_boxes[ci - 1]
        community = Area(
            kind=AreaKind.COMMUNITY,
            name=name,
            code=f"{STREET_CODE}{ci:03d}",
            parent=street,
            boundary=_polygon(box),
            **_centre(box),
        )
        communities.append(community)
        building_no = 0
        for gi, grid_box in enumerate(_split(box, n_grids), start=1):
            grid = Area(
                kind=AreaKind.GRID,
                name=f"{name[:-2]}第{gi}网格",
                code=f"{community.code}{gi:02d}",
                parent=community,
                boundary=_polygon(grid_box),
                **_centre(grid_box),
            )
            grids.append(grid)
            for mi, micro_box in enumerate(_split(grid_box, n_micro), start=1):
                micro = Area(
                    kind=AreaKind.MICRO_GRID,
                    name=f"{name[:-2]}{gi}-{mi}微网格",
                    code=f"{grid.code}{mi:02d}",
                    parent=grid,
                    boundary=_polygon(micro_box),
                    **_centre(micro_box),
                )
                micros.append(micro)
                for bi, building_box in enumerate(_split(micro_box, BUILDINGS_PER_MICRO_GRID), 1):
                    building_no += 1
                    households = rng.choice([24, 36, 48, 54, 60, 72, 84, 96, 108, 120])
                    buildings.append(
                        Area(
                            kind=AreaKind.BUILDING,
                            name=f"{compound}{building_no}号楼",
                            code=f"{micro.code}{bi:03d}",
                            parent=micro,
                            boundary=_polygon(_shrink(building_box, 0.3)),
                            **_centre(building_box),
                            households=households,
                            population=round(households * rng.uniform(2.1, 2.9)),
                        )
                    )
    for level in (communities, grids, micros, buildings):
        for node in level:
            node.parent_id = node.parent.pk
        Area.bulk_insert_level(level)
    Area.rebuild_tree()
    # The rebuild renumbered lft/rght: the street loaded before it would see no subtree.
    street.refresh_from_db()
    _roll_up_figures(street)
    return Area.objects.get(pk=street.pk)


def _roll_up_figures(street: Area) -> None:
    """Households and population of every node above the buildings are the sums below it."""
    nodes = list(Area.objects.within(street).order_by("-level"))
    totals: dict[int, list[int]] = {}
    for node in nodes:
        if node.kind != AreaKind.BUILDING:
            node.households, node.population = totals.get(node.pk, [0, 0])
        if node.parent_id:
            acc = totals.setdefault(node.parent_id, [0, 0])
            acc[0] += node.households
            acc[1] += node.population
    Area.objects.bulk_update(
        [n for n in nodes if n.kind != AreaKind.BUILDING],
        ["households", "population"],
        batch_size=500,
    )


def _build_staff(rng: random.Random, street: Area) -> None:
    staff = []
    used: set[str] = set()

    def person() -> str:
        while True:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            if name not in used or len(used) > 5000:
                used.add(name)
                return name

    def phone() -> str:
        return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"

    P = GridStaff.Position
    for area in Area.objects.within(street).exclude(kind=AreaKind.STREET).order_by("lft"):
        if area.kind == AreaKind.GRID:
            staff.append(
                GridStaff(
                    area=area,
                    position=P.GRID_LEADER,
                    name=person(),
                    phone=phone(),
                    is_party_member=True,
                )
            )
            staff.append(
                GridStaff(
                    area=area,
                    position=P.FULL_TIME_WORKER,
                    name=person(),
                    phone=phone(),
                    is_party_member=rng.random() < 0.6,
                )
            )
            for _ in range(rng.randint(1, 3)):
                staff.append(
                    GridStaff(
                        area=area,
                        position=P.PART_TIME_WORKER,
                        name=person(),
                        phone=phone(),
                        is_party_member=True,
                    )
                )
        elif area.kind == AreaKind.MICRO_GRID:
            staff.append(
                GridStaff(
                    area=area,
                    position=P.MICRO_GRID_LEADER,
                    name=person(),
                    phone=phone(),
                    is_party_member=rng.random() < 0.5,
                )
            )
        elif area.kind == AreaKind.BUILDING:
            staff.append(
                GridStaff(
                    area=area,
                    position=P.BUILDING_LEADER,
                    name=person(),
                    phone=phone(),
                    is_party_member=rng.random() < 0.35,
                )
            )
            if rng.random() < 0.3:
                staff.append(
                    GridStaff(
                        area=area, position=P.SECOND_BUILDING_LEADER, name=person(), phone=phone()
                    )
                )
    GridStaff.objects.bulk_create(staff, batch_size=1000)


def _departments(street: Area) -> dict[str, Department]:
    """The departments serving the demo street, owned by it (its admin manages them)."""
    result = {}
    for name, code, kind, phone in DEPARTMENTS:
        # Codes are unique per owner: looked up within the street, never install-wide.
        dept, _ = Department.objects.update_or_create(
            owner=street, code=code, defaults={"name": name, "kind": kind, "phone": phone}
        )
        result[code] = dept
    return result


def _users(ctx: DemoContext, street: Area, departments: dict[str, Department]) -> None:
    User = get_user_model()
    community = Area.objects.filter(parent=street).order_by("code").first()
    grid = Area.objects.filter(parent=community).order_by("code").first()
    scopes = {"street": street, "community": community, "grid": grid}

    admin, _ = User.objects.get_or_create(username="admin", defaults={"full_name": "系统管理员"})
    admin.is_superuser = admin.is_staff = True
    give_demo_password(admin)
    admin.save()
    ctx.logins.append(("admin", "superuser", "Django admin"))

    for username, full_name, role, scope_key in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
        user.full_name = full_name
        user.is_staff = role == Role.STREET_ADMIN
        give_demo_password(user)
        user.save()
        if role == Role.DEPARTMENT_HANDLER:
            dept = departments[scope_key]
            RoleAssignment.objects.get_or_create(user=user, role=role, department=dept)
            scope_name = dept.name
        else:
            area = scopes[scope_key]
            RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
            scope_name = area.name
        ctx.data.setdefault("users", {})[role] = user
        ctx.logins.append((username, str(role.label), scope_name))
    worker = ctx.data["users"][Role.GRID_WORKER]
    GridStaff.objects.filter(area=grid, position=GridStaff.Position.FULL_TIME_WORKER).update(
        user=worker, name=worker.full_name
    )
    if street.kind == AreaKind.STREET:
        _grant_admin_permissions(ctx.data["users"][Role.STREET_ADMIN])


def _grant_admin_permissions(user) -> None:
    from django.contrib.auth.models import Permission

    codenames = [
        f"{action}_{model}"
        for model in ("area", "gridstaff", "department", "roleassignment", "user", "objectchange")
        for action in ("view", "add", "change", "delete")
    ] + ["view_personaldataaccess"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))


# -- geometry -----------------------------------------------------------------------------------
def _split(box, n: int) -> list[tuple[float, float, float, float]]:
    """Cut a box into ``n`` cells in a near-square grid (the last row may hold fewer, wider cells)."""
    west, south, east, north = box
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    cells = []
    height = (north - south) / rows
    for r in range(rows):
        in_row = min(cols, n - r * cols)
        width = (east - west) / in_row
        top = north - r * height
        for c in range(in_row):
            cells.append((west + c * width, top - height, west + (c + 1) * width, top))
    return cells


def _shrink(box, ratio: float):
    west, south, east, north = box
    dx, dy = (east - west) * ratio / 2, (north - south) * ratio / 2
    return (west + dx, south + dy, east - dx, north - dy)


def _polygon(box) -> dict:
    west, south, east, north = (round(v, 6) for v in box)
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


def _centre(box) -> dict:
    west, south, east, north = box
    return {
        "latitude": Decimal(f"{(south + north) / 2:.6f}"),
        "longitude": Decimal(f"{(west + east) / 2:.6f}"),
    }
