"""Demo deputies' contact station: the street's station in its first community, four deputies
(district and city people's congress deputies, CPPCC members), reception days on the 10th of
the past six months (held, with residents' opinions turned into demands, cases and replies)
and the next three (scheduled). The demo deputy signs in as ``daibiao``. Idempotent."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from casework.models import Category
from governance.demo import DEMO_PASSWORD, DemoContext
from grids.demo import GIVEN, SURNAMES
from grids.models import Area, AreaKind
from partybuilding import models as m
from partybuilding.services import (
    opinion_record,
    opinion_reply,
    opinion_to_case,
    opinion_to_demand,
)

DEPUTIES = [
    (
        "张建国",
        m.DeputyKind.NPC,
        m.DeputyLevel.DISTRICT,
        "第十七届",
        "区人大代表、青松第一小学校长",
    ),
    ("刘秀英", m.DeputyKind.NPC, m.DeputyLevel.CITY, "第十六届", "市人大代表、朝阳医院主任医师"),
    (
        "陈志华",
        m.DeputyKind.CPPCC,
        m.DeputyLevel.DISTRICT,
        "第十五届",
        "区政协委员、律师事务所主任",
    ),
    ("赵丽", m.DeputyKind.CPPCC, m.DeputyLevel.DISTRICT, "第十五届", "区政协委员、社会组织负责人"),
]
OPINIONS = [
    ("demand", "小区老人多，希望在活动室开设老年助餐点。", "elderly_care"),
    ("case", "3号楼北侧路灯坏了一个多月，晚上出行不便。", "0501"),
    ("reply", "咨询老旧小区加装电梯的补贴政策和申请流程。", ""),
    ("demand", "孩子放学后没人照看，希望开办“四点半课堂”。", "child_care"),
    ("case", "楼道内堆放杂物，存在消防隐患，请督促清理。", "0704"),
    ("reply", "询问医保异地就医备案如何办理。", ""),
    ("demand", "希望组织法律咨询进社区，解答邻里纠纷问题。", "legal_aid"),
    ("case", "小区门口共享单车乱停乱放，堵塞消防通道。", "0205"),
    ("pending", "建议在社区公园增加健身器材。", ""),
    ("pending", "夜间广场舞音响声音过大，影响休息。", ""),
]
REPLIES = [
    "已向居民说明：区住建委对加装电梯给予每台最高24万元补贴，由社区协助业主提出申请。",
    "已告知居民可通过国家医保服务平台APP在线办理备案，社区工作人员可协助操作。",
]


def seed_station(ctx: DemoContext) -> None:
    street: Area = ctx.data["street"]
    if m.ContactStation.objects.filter(area__in=Area.objects.within(street)).exists():
        ctx.say("  a deputies' contact station exists already: left as it is")
        return
    rng = random.Random(20261129)
    officer = ctx.data["users"]["party_officer"]
    community = Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by("code").first()
    station = m.ContactStation.objects.create(
        name=f"{street.name}“两代表一委员”联系站",
        area=street,
        address=f"{community.name[:-2]}路1号党群服务中心二层",
        phone="010-64110110",
        description="每月10日接待日，人大代表、政协委员面对面听取居民意见建议。",
    )
    user, _ = get_user_model().objects.get_or_create(
        username="daibiao", defaults={"full_name": DEPUTIES[0][0], "home_area": street}
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    ctx.logins.append(("daibiao", "人大代表", station.name))
    deputies = []
    for i, (name, kind, level, term, post) in enumerate(DEPUTIES):
        deputy = m.Deputy.objects.create(
            name=name,
            kind=kind,
            level=level,
            term=term,
            term_start=dt.date(2022, 1, 1) if kind == m.DeputyKind.NPC else dt.date(2021, 12, 1),
            term_end=dt.date(2026, 12, 31) if kind == m.DeputyKind.NPC else dt.date(2026, 11, 30),
            work_unit=post,
            area=street,
            user=user if i == 0 else None,
        )
        deputy.stations.set([station])
        deputies.append(deputy)

    today = timezone.localdate()
    places = list(
        Area.objects.within(community).filter(kind=AreaKind.GRID).order_by("code")[:4]
    ) or [community]
    # An opinion made a case goes to the sub-category its text is about (路灯不亮, 楼道堆物, …).
    categories = Category.objects.filter(is_active=True, children__isnull=True).in_bulk(
        [code for outcome, _, code in OPINIONS if outcome == "case"], field_name="code"
    )
    first = today.replace(day=1)
    opinions = 0
    for back in range(6, -4, -1):
        month = (first.month - 1 - back) % 12 + 1
        year = first.year + (first.month - 1 - back) // 12
        day = dt.date(year, month, 10)
        reception = m.Reception.objects.create(
            station=station,
            day=day,
            starts=dt.time(9),
            ends=dt.time(11, 30),
            topic=rng.choice(["民生实事征集", "老旧小区改造", "养老服务", "社区治理"]),
        )
        receiving = rng.sample(deputies, 2)
        reception.deputies.set(receiving)
        if day >= today:
            continue
        for k in range(rng.randint(2, 4)):
            # The third field: a demand's service type, a case's category code.
            outcome, content, kind = OPINIONS[(back * 3 + k) % len(OPINIONS)]
            opinion = opinion_record(
                actor=officer,
                reception=reception,
                deputy=receiving[k % 2],
                area=rng.choice(places),
                resident_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                resident_phone=f"139{rng.randint(10000000, 99999999)}",
                content=content,
            )
            opinions += 1
            if outcome == "demand":
                opinion_to_demand(actor=officer, opinion=opinion, service_type=kind)
            elif outcome == "case" and kind in categories:
                opinion_to_case(actor=officer, opinion=opinion, category=categories[kind])
            elif outcome == "reply":
                opinion_reply(actor=officer, opinion=opinion, reply=rng.choice(REPLIES))
    ctx.say(
        f"  1 contact station, {len(deputies)} deputies, 10 reception days, {opinions} opinions"
    )
