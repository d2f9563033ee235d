"""The demo street's houses and residents: rooms in every building, households, residents with
valid ID numbers, the street's care tags, and a year of home visits of the residents who carry
one. Deterministic (fixed random seed), written with bulk_create, made once per street.

By default about 10,000 residents (the first buildings of the street, in tree order), which
keeps ``seed_demo`` quick; ``seed_demo --residents 100000`` fills the whole street as the issue
describes (about 100,000 residents in 1,500 buildings of 40 grids).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from governance.demo import DemoContext
from governance.models import Role, RoleAssignment
from grids.demo.street import GIVEN, SURNAMES
from grids.models import (
    Area,
    AreaKind,
    CareTag,
    Gender,
    Household,
    PoliticalStatus,
    Relation,
    Resident,
    ResidentCareTag,
    ResidentType,
    Room,
    RoomUse,
    Visit,
)
from grids.models.residents import id_check_digit
from grids.resident_services import refresh_visit_due

DEFAULT_RESIDENTS = 10_000
# Residents per building in the demo (a six-storey block of 24 flats).
PER_BUILDING = 66
BUILDINGS_PER_BATCH = 60
FLOORS = 6
ROOMS_PER_FLOOR = 4
CARE_TAGS = [
    # name, visit every (days), description
    ("独居老人", 7, "70岁以上独自居住的老人，每周走访"),
    ("空巢老人", 14, "子女不在身边的老年人"),
    ("高龄老人", 30, "80岁以上老人"),
    ("残疾人", 30, "持证残疾人"),
    ("低保户", 30, "享受城市最低生活保障的家庭成员"),
    ("留守儿童", 30, "父母外出务工的未成年人"),
    ("退役军人", 90, "退役军人及其家属"),
    ("社区矫正人员", 7, "依法实行社区矫正的人员"),
]
REGIONS = ["110105", "110101", "110102", "130602", "370102", "410105", "510107", "420106"]
ETHNICITIES = ["汉族"] * 46 + ["回族", "满族", "蒙古族", "朝鲜族"]
REGISTERED_ELSEWHERE = [
    "河北省保定市莲池区裕华西路88号",
    "山东省济南市历下区泉城路12号",
    "河南省郑州市金水区花园路45号",
    "四川省成都市武侯区人民南路四段7号",
    "湖北省武汉市洪山区珞喻路150号",
]
VISIT_NOTES = [
    "身体状况良好，生活能自理",
    "血压偏高，已提醒按时服药",
    "家中整洁，与子女保持联系",
    "行动不便，需要定期送餐",
    "情绪稳定，对社区服务满意",
    "冬季取暖正常",
    "已讲解防诈骗知识",
]
VISIT_NEEDS = ["希望安装扶手", "申请助餐服务", "楼道灯不亮", "需要代购药品", "希望上门理发"]


def seed_residents(ctx: DemoContext) -> None:
    street = ctx.data["street"]
    if Resident.objects.filter(Area.subtree_q(street, prefix="area__")).exists():
        ctx.say("  residents exist already: left as they are")
        return
    rng = random.Random(20261129)
    target = int(ctx.data.get("residents", DEFAULT_RESIDENTS))
    today = timezone.localdate()
    tags = _care_tags(street)
    buildings = list(
        Area.objects.within(street)
        .filter(kind=AreaKind.BUILDING)
        .order_by(*Area.tree_order())
        .only("pk", "code", "name", "lft", "rght", "tree_id")
    )
    made = {"rooms": 0, "households": 0, "residents": 0}
    used: set[str] = set()
    buildings = buildings[: max(1, -(-target // PER_BUILDING))]
    for index in range(0, len(buildings), BUILDINGS_PER_BATCH):
        _fill_buildings(rng, buildings[index : index + BUILDINGS_PER_BATCH], today, used, made)
    _link_heads(street)
    tagged = _tag_residents(rng, street, tags, today)
    visits = _visits(rng, street, today)
    ctx.say(
        f"  {made['rooms']} rooms, {made['households']} households, {made['residents']} "
        f"residents, {tagged} care tags given, {visits} home visits"
    )


def _care_tags(street: Area) -> dict[str, CareTag]:
    result = {}
    for name, days, description in CARE_TAGS:
        tag, _ = CareTag.objects.get_or_create(
            street=street,
            name=name,
            defaults={"visit_every_days": days, "description": description},
        )
        result[name] = tag
    return result


def _person_id(rng: random.Random, birth: dt.date, gender: str, used: set[str]) -> str:
    """A valid ID number not used yet (the 17th digit is odd for men, even for women)."""
    while True:
        odd = rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
        first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{odd:03d}"
        if first17 not in used:
            used.add(first17)
            return first17 + id_check_digit(first17)


def _fill_buildings(rng, buildings, today, used, made) -> None:
    """Rooms, households and residents of some buildings (three bulk inserts)."""
    rooms = []
    for building in buildings:
        rooms.extend(_rooms(rng, building))
    Room.objects.bulk_create(rooms, batch_size=2000)
    made["rooms"] += len(rooms)
    lived = [r for r in rooms if r.use not in (RoomUse.VACANT, RoomUse.SHOP)]
    size = PER_BUILDING * len(buildings) / max(1, len(lived))
    households, people = [], []
    for room in lived:
        building = room.area
        household = Household(area=building, room=room, number=f"{building.code}-{room.number}")
        households.append(household)
        floating = room.use != RoomUse.SELF_OCCUPIED
        count = max(1, min(8, round(rng.gauss(size, 1))))
        surname = rng.choice(SURNAMES)
        for index in range(count):
            relation = (
                [Relation.HOUSEHOLDER, Relation.SPOUSE][index]
                if index < 2
                else (rng.choice([Relation.CHILD, Relation.PARENT, Relation.GRANDCHILD]))
            )
            if floating and index > 1:
                relation = Relation.TENANT
            if relation == Relation.PARENT:
                age = rng.randint(72, 95)
            elif relation in (Relation.CHILD, Relation.GRANDCHILD):
                age = rng.randint(3, 30)
            else:
                age = rng.randint(26, 86)
            birth = today.replace(year=today.year - age, month=1, day=1) + dt.timedelta(
                days=rng.randint(0, 364)
            )
            gender = rng.choice([Gender.MALE, Gender.FEMALE])
            if relation == Relation.SPOUSE:
                gender = Gender.FEMALE if people[-1].gender == Gender.MALE else Gender.MALE
            name_surname = (
                surname
                if relation in (Relation.HOUSEHOLDER, Relation.CHILD)
                else (rng.choice(SURNAMES))
            )
            people.append(
                Resident(
                    area=building,
                    room=room,
                    household=household,
                    relation=relation,
                    name=name_surname + rng.choice(GIVEN),
                    id_number=_person_id(rng, birth, gender, used),
                    phone=f"1{rng.choice([3, 5, 8])}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
                    if age >= 14
                    else "",
                    gender=gender,
                    birth_date=birth,
                    ethnicity=rng.choice(ETHNICITIES),
                    political_status=rng.choices(
                        [
                            PoliticalStatus.PARTY_MEMBER,
                            PoliticalStatus.LEAGUE_MEMBER,
                            PoliticalStatus.MASSES,
                        ],
                        weights=[7, 5, 88],
                    )[0]
                    if age >= 18
                    else PoliticalStatus.MASSES,
                    resident_type=ResidentType.FLOATING if floating else ResidentType.REGISTERED,
                    registered_address=rng.choice(REGISTERED_ELSEWHERE) if floating else "",
                    moved_in_on=today - dt.timedelta(days=rng.randint(30, 365 * 20)),
                )
            )
    Household.objects.bulk_create(households, batch_size=2000)
    for person in people:
        person.household_id = person.household.pk
    Resident.objects.bulk_create(people, batch_size=2000)
    made["households"] += len(households)
    made["residents"] += len(people)


def _rooms(rng, building) -> list[Room]:
    rooms = []
    for floor in range(1, FLOORS + 1):
        for door in range(1, ROOMS_PER_FLOOR + 1):
            use = rng.choices(
                [RoomUse.SELF_OCCUPIED, RoomUse.RENTED, RoomUse.GROUP_RENTED, RoomUse.VACANT],
                weights=[70, 19, 2, 9],
            )[0]
            if floor == 1 and door == 1 and rng.random() < 0.15:
                use = RoomUse.SHOP
            rooms.append(
                Room(
                    area=building,
                    number=f"{floor}{door:02d}",
                    floor=floor,
                    floor_area=rng.choice([48, 56, 62, 75, 88, 96, 110]),
                    use=use,
                )
            )
    return rooms


def _link_heads(street: Area) -> None:
    """Each household's householder, and each room's owner (lived in by its owner) or tenant:
    three UPDATEs for the whole street."""
    in_street = Area.subtree_q(street, prefix="area__")
    heads = Resident.objects.filter(relation=Relation.HOUSEHOLDER).order_by("pk")
    Household.objects.filter(in_street).update(
        householder=Subquery(heads.filter(household=OuterRef("pk")).values("pk")[:1])
    )
    room_head = Subquery(heads.filter(room=OuterRef("pk")).values("pk")[:1])
    Room.objects.filter(in_street, use=RoomUse.SELF_OCCUPIED).update(owner=room_head)
    Room.objects.filter(in_street, use__in=[RoomUse.RENTED, RoomUse.GROUP_RENTED]).update(
        tenant=room_head
    )


def _tag_residents(rng, street, tags, today) -> int:
    """Care tags by age and chance: the elderly living alone, the very old, and a few of every
    other kind."""
    rows = Resident.objects.filter(Area.subtree_q(street, prefix="area__")).values_list(
        "pk", "birth_date"
    )
    links = []
    for pk, birth in rows.iterator(chunk_size=5000):
        age = today.year - birth.year
        since = today - dt.timedelta(days=rng.randint(20, 900))
        chosen = []
        if age >= 80 and rng.random() < 0.5:
            chosen.append("高龄老人")
        if age >= 70 and rng.random() < 0.12:
            chosen.append("独居老人")
        elif age >= 65 and rng.random() < 0.1:
            chosen.append("空巢老人")
        if age < 16 and rng.random() < 0.03:
            chosen.append("留守儿童")
        roll = rng.random()
        if roll < 0.012:
            chosen.append("残疾人")
        elif roll < 0.022:
            chosen.append("低保户")
        elif roll < 0.03 and age >= 30:
            chosen.append("退役军人")
        elif roll < 0.0315 and 20 <= age < 60:
            chosen.append("社区矫正人员")
        links.extend(ResidentCareTag(resident_id=pk, tag=tags[n], since=since) for n in chosen)
    ResidentCareTag.objects.bulk_create(links, batch_size=5000)
    return len(links)


def _visits(rng, street, today) -> int:
    """A year of visits of the tagged residents by their grid's worker, at about the pace their
    tags ask for; about one in six is behind (overdue) today."""
    workers = {}
    for row in RoleAssignment.objects.filter(
        Area.subtree_q(street, prefix="area__"), role=Role.GRID_WORKER, area__kind=AreaKind.GRID
    ).select_related("area"):
        workers.setdefault(row.area, row.user_id)
    if not workers:
        return 0
    grids = list(workers)
    tagged = (
        ResidentCareTag.objects.filter(Area.subtree_q(street, prefix="resident__area__"))
        .select_related("tag", "resident__area")
        .order_by("resident_id", "tag__visit_every_days")
    )
    seen, visits, ids = set(), [], []
    start = today - dt.timedelta(days=365)
    for link in tagged.iterator(chunk_size=2000):
        resident = link.resident
        if resident.pk in seen or not link.tag.visit_every_days:
            continue
        seen.add(resident.pk)
        ids.append(resident.pk)
        grid = next((g for g in grids if resident.area.is_within(g)), None)
        if grid is None:
            continue
        every = link.tag.visit_every_days
        day = max(start, link.since) + dt.timedelta(days=rng.randint(0, every))
        behind = rng.random() < 0.17
        end = today - dt.timedelta(days=every + rng.randint(1, 10)) if behind else today
        while day <= end:
            need = rng.choice(VISIT_NEEDS) if rng.random() < 0.03 else ""
            visits.append(
                Visit(
                    resident=resident,
                    area_id=resident.area_id,
                    visitor_id=workers[grid],
                    visited_on=day,
                    in_home=rng.random() < 0.9,
                    notes=rng.choice(VISIT_NOTES),
                    need=need,
                )
            )
            day += dt.timedelta(days=max(1, every + rng.randint(-2, 2)))
    Visit.objects.bulk_create(visits, batch_size=5000)
    for index in range(0, len(ids), 2000):
        refresh_visit_due(ids[index : index + 2000])
    return len(visits)
