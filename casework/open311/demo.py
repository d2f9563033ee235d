"""Demo of the public intake: the street's Open311 jurisdiction, public categories with their
questions, an API key for the 12345 platform (printed once, when it is made), a webhook endpoint
that points nowhere and is switched off, and reports from the platform and from residents that
went through the workflow. Idempotent: a second run changes nothing."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from casework.models import Case, Category
from casework.open311 import services
from casework.open311.models import (
    ApiKey,
    Channel,
    Datatype,
    Intake,
    Jurisdiction,
    ServiceAttribute,
    ServiceAttributeValue,
    ServiceDefinition,
    ServiceType,
)
from casework.services import case_step
from governance import processcache
from governance.demo import DemoContext
from governance.models import Role, RoleAssignment, WebhookEndpoint
from grids.models import Area, AreaKind

JURISDICTION_ID = "qingsong.chaoyang.example.cn"
PLATFORM = "12345 平台"

# Sub-categories open to residents and Open311 clients.
PUBLIC_CODES = (
    "0101", "0103", "0104", "0201", "0205", "0301", "0401", "0501", "0502", "0503", "0506",
    "0602", "0603", "0701", "0704", "0801", "0802", "0901", "0902",
)  # fmt: skip

# code → (keywords, type, notice, [(code, question, datatype, required, hint, [(key, name)])])
SERVICES = {
    "0101": (
        "垃圾,垃圾堆,生活垃圾,脏乱",
        ServiceType.REALTIME,
        "环卫所将在 24 小时内清运。",
        [
            ("WASTE_TYPE", "是什么垃圾？", Datatype.SINGLEVALUELIST, True, "",
             [("household", "生活垃圾"), ("construction", "建筑垃圾"), ("bulky", "大件家具"),
              ("other", "其他")]),
            ("VOLUME", "大约有多少？", Datatype.NUMBER, False, "单位：立方米，估计即可", []),
        ],
    ),
    "0501": (
        "路灯,灯不亮,照明",
        ServiceType.REALTIME,
        "供电所将在 2 个工作日内修复。",
        [
            ("NIGHT_TIP", "夜间紧急情况请拨打供电抢修电话 95598。", Datatype.STRING, False, "", []),
            ("POLE_NO", "灯杆编号（灯杆上的白色编号）", Datatype.STRING, False, "如 QS-0231", []),
            ("SINCE", "从什么时候开始不亮？", Datatype.DATETIME, False, "", []),
        ],
    ),
    "0502": (
        "井盖,窨井,下水道",
        ServiceType.REALTIME,
        "井盖缺失属紧急事项，水务所将在 4 小时内到场处置。",
        [
            ("DANGER", "现场情况", Datatype.SINGLEVALUELIST, True, "",
             [("injured", "已有人员受伤"), ("danger", "有明显危险"), ("none", "暂无危险")]),
        ],
    ),
    "0205": (
        "单车,共享单车,电动车,乱停",
        ServiceType.REALTIME,
        "",
        [
            ("KINDS", "停放的是哪些车？", Datatype.MULTIVALUELIST, True, "可多选",
             [("bike_share", "共享单车"), ("e_bike", "电动自行车"), ("tricycle", "三轮车")]),
        ],
    ),
    "0701": (
        "噪音,扰民,吵闹,装修",
        ServiceType.REALTIME,
        "",
        [
            ("TIME_SLOT", "什么时间段？", Datatype.MULTIVALUELIST, False, "",
             [("morning", "早上"), ("day", "白天"), ("evening", "晚上"), ("night", "深夜")]),
            ("DETAILS", "噪音来源和持续情况", Datatype.TEXT, False, "", []),
        ],
    ),
    "0901": ("停车,车位,乱停车", ServiceType.BATCH, "物业将在 3 个工作日内答复。", []),
}  # fmt: skip

# (service code, description, address, place, first name, last name, phone)
PLATFORM_REPORTS = [
    ("0101", "小区南门外垃圾堆了三天没人清运，气味很大。", "青松里南门外", "point", "女士", "王",
     "13801010001", {"WASTE_TYPE": ["household"], "VOLUME": ["2"]}),
    ("0502", "人行道上的井盖没有了，晚上很危险。", "和平东里 5 号楼北侧人行道", "point", "先生", "李",
     "13901020002", {"DANGER": ["danger"]}),
    ("0501", "楼前两盏路灯一直不亮。", "", "building", "女士", "赵", "13701030003", {}),
    ("0205", "地铁口共享单车堆满了盲道。", "安华西里地铁站 B 口", "point", "先生", "孙",
     "13601040004", {"KINDS": ["bike_share", "e_bike"]}),
    ("0701", "楼上装修每天早上七点就开始打电钻。", "", "building", "女士", "周", "13501050005",
     {"TIME_SLOT": ["morning"]}),
    ("0503", "春秀路东段路面塌陷一个坑。", "春秀路东段（具体门牌不详）", "address", "先生", "吴",
     "13401060006", {}),
]  # fmt: skip
RESIDENT_REPORTS = [
    ("0704", "3 单元楼道里堆满了纸箱，挡住了消防通道。", "building", "陈阿姨", "13801070007"),
    ("0802", "有人把电动车推进楼道充电。", "building", "", ""),
    ("0603", "昨晚大风吹倒了一棵树，压在自行车棚上。", "point", "刘先生", "13901080008"),
    ("0301", "单元门上贴满了开锁小广告。", "building", "", ""),
]  # fmt: skip


def seed_public_intake(ctx: DemoContext) -> None:
    street = ctx.data["street"]
    jurisdiction, _created = Jurisdiction.objects.get_or_create(
        area=street, defaults={"jurisdiction_id": JURISDICTION_ID}
    )
    _public_services()
    _grant_admin_permissions(ctx.data["users"][Role.STREET_ADMIN])
    key = _platform_key(ctx, street, jurisdiction)
    WebhookEndpoint.objects.get_or_create(
        name=f"{PLATFORM}回调",
        owner=street,
        defaults={
            "url": "https://12345.example.invalid/open311/callback",
            "events": ["case.filed", "case.step", "case.overdue"],
            "is_active": False,
        },
    )
    if Intake.objects.filter(case__street=street).exists():
        ctx.say("  public reports exist already: left as they are")
        return
    made = _reports(street, jurisdiction, key)
    ctx.say(f"  {made} public reports (Open311 and the residents' page)")
    ctx.say(f"  residents' page: /report/{street.code}/ · Open311: /open311/v2/discovery.xml")


def _public_services() -> None:
    Category.objects.filter(code__in=PUBLIC_CODES).update(is_public=True)
    # Written without signals: the process caches of categories (the public services, the
    # filing's categories) are told, as a save would tell them.
    processcache.changed(Category)
    categories = {c.code: c for c in Category.objects.filter(code__in=list(SERVICES))}
    for code, (keywords, kind, notice, questions) in SERVICES.items():
        service, _created = ServiceDefinition.objects.update_or_create(
            category=categories[code],
            defaults={"keywords": keywords, "type": kind, "notice": notice},
        )
        for order, (qcode, text, datatype, required, hint, options) in enumerate(questions, 1):
            attribute, _created = ServiceAttribute.objects.update_or_create(
                service=service,
                code=qcode,
                defaults={
                    "order": order,
                    "description": text,
                    "datatype": datatype,
                    "variable": not qcode.endswith("_TIP"),
                    "required": required,
                    "datatype_description": hint,
                },
            )
            for position, (key, name) in enumerate(options, 1):
                ServiceAttributeValue.objects.update_or_create(
                    attribute=attribute, key=key, defaults={"name": name, "order": position}
                )


def _platform_key(ctx: DemoContext, street: Area, jurisdiction: Jurisdiction) -> ApiKey:
    key = ApiKey.objects.filter(name=PLATFORM, owner=street).first()
    if key is not None:
        ctx.say(f"  the API key of {PLATFORM} exists ({key.prefix}…): revoke it and make a new one")
        ctx.say("  in the admin to see a key again")
        return key
    key, raw = services.api_key_create(
        name=PLATFORM, owner=street, jurisdiction=jurisdiction, rate_limit=600
    )
    ctx.say(f"  Open311 API key of {PLATFORM} (shown this once, keep it): {raw}")
    return key


def _grant_admin_permissions(user) -> None:
    """The street admin manages the street's jurisdiction, services, keys and webhooks."""
    manage = ("jurisdiction", "servicedefinition", "serviceattribute", "serviceattributevalue")
    codenames = [f"{a}_{m}" for m in manage for a in ("view", "add", "change", "delete")]
    codenames += ["view_apikey", "add_apikey", "change_apikey", "view_intake"]
    codenames += [f"{a}_webhookendpoint" for a in ("view", "add", "change", "delete")]
    codenames += ["view_webhookdelivery", "view_webhookattempt"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


# -- reports ----------------------------------------------------------------------------------
def _reports(street: Area, jurisdiction: Jurisdiction, key: ApiKey) -> int:
    rng = random.Random(311)
    now = timezone.now().replace(microsecond=0)
    categories = {c.code: c for c in Category.objects.filter(code__in=PUBLIC_CODES)}
    buildings = list(
        Area.objects.within(street).filter(kind=AreaKind.BUILDING).order_by("code")[::37]
    )
    made = []
    for index, (code, text, address, place, first, last, phone, answers) in enumerate(
        PLATFORM_REPORTS
    ):
        building = buildings[(index * 7) % len(buildings)]
        moment = now - timedelta(days=18 - index * 3, hours=rng.randint(1, 8))
        intake = services.intake_submit(
            channel=Channel.OPEN311,
            within=jurisdiction.area,
            fallback_street=key.owner,
            account=key.account,
            category=categories[code],
            description=text,
            address=address,
            address_id=building.code if place == "building" else "",
            latitude=_near(building.latitude, rng) if place == "point" else None,
            longitude=_near(building.longitude, rng) if place == "point" else None,
            attributes=answers,
            name=f"{last}{first}",
            phone=phone,
            account_id=f"12345-{20260000 + index * 17}",
            api_key=key,
            now=moment,
        )
        made.append((intake, moment))
    account = services.residents_account(street)
    for index, (code, text, place, name, phone) in enumerate(RESIDENT_REPORTS):
        building = buildings[(index * 11 + 3) % len(buildings)]
        moment = now - timedelta(days=9 - index * 2, hours=rng.randint(1, 8))
        intake = services.intake_submit(
            channel=Channel.RESIDENTS_PAGE,
            within=street,
            fallback_street=street,
            account=account,
            category=categories[code],
            description=text,
            address_id=building.code if place == "building" else "",
            latitude=_near(building.latitude, rng) if place == "point" else None,
            longitude=_near(building.longitude, rng) if place == "point" else None,
            name=name,
            phone=phone,
            phone_verified=bool(phone),
            photos=[_photo(f"resident-{index}.jpg", (140, 120, 90))] if index % 2 == 0 else [],
            now=moment,
        )
        made.append((intake, moment))
    # The older ones went round the loop: accepted, dispatched, handled, some checked and closed.
    for position, (intake, moment) in enumerate(made[:7]):
        _advance(intake.case, moment, close=position % 2 == 0)
    return len(made)


def _near(value: Decimal, rng: random.Random) -> Decimal:
    return (value + Decimal(str(rng.uniform(-0.00005, 0.00005)))).quantize(Decimal("0.000001"))


def _photo(name: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _advance(case: Case, moment, *, close: bool) -> None:
    dispatcher = _holder_of(Role.CENTER_SUPERVISOR, case.street)
    if case.community_id and not case.escalated_at:
        dispatcher = _holder_of(Role.COMMUNITY_DISPATCHER, case.community)
    center = _holder_of(Role.CENTER_SUPERVISOR, case.street)
    at = moment + timedelta(hours=1)
    case = case_step(
        case=case, actor=dispatcher, step="accept", comment="情况属实，予以受理。", now=at
    )
    case = case_step(case=case, actor=dispatcher, step="dispatch", now=at + timedelta(minutes=20))
    handler = (
        RoleAssignment.objects.filter(role=Role.DEPARTMENT_HANDLER, department=case.department)
        .select_related("user")
        .first()
    )
    if handler is None:
        return
    case = case_step(case=case, actor=handler.user, step="acknowledge", now=at + timedelta(hours=1))
    if not close:
        return
    case = case_step(
        case=case,
        actor=handler.user,
        step="complete",
        result="已到现场处理完毕。",
        photos=[_photo("after.jpg", (70, 130, 90))],
        now=at + timedelta(hours=20),
    )
    case_step(
        case=case,
        actor=center,
        step="verify_pass",
        comment="经现场核查，问题已解决。",
        now=at + timedelta(hours=26),
    )


def _holder_of(role: str, area: Area):
    return RoleAssignment.objects.filter(role=role, area=area).select_related("user").first().user
