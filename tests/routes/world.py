"""Two streets, A and B, each with a user per role and a record of every kind, for the route sweep.

Every record of street A carries ``MARKERS["a"]`` in its name or title, every record of street B
``MARKERS["b"]``: a response to a user of one street that shows the other street's marker has
leaked a row. Records that belong to no street (categories, the holiday calendar) carry none.

Add a model: write a hook ``def make_<key>(s: Side) -> Model`` in the section of its app below and
list it in ``OBJECTS``; the expectation tables then refer to it by ``<key>`` (see expect.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from casework import models as cw
from governance.models import (
    ApiToken,
    Notification,
    ObjectChange,
    PersonalDataAccess,
    Role,
    WebhookEndpoint,
    WorkingHours,
)
from governance.tokens import token_issue
from grids.models import (
    AreaKind,
    CareTag,
    DangerReminder,
    GridStaff,
    HiddenDangerEvent,
    Household,
    ImportKind,
    ImportRun,
    MobilizationReport,
    MobilizationSignup,
    Patrol,
    PatrolFinding,
    PatrolPoint,
    Resident,
    ResidentCareTag,
    Room,
    Visit,
)
from grids.models.residents import id_check_digit
from partybuilding import models as pb
from tests.casework.factories import CaseFactory, CategoryFactory
from tests.factories import AreaFactory, DepartmentFactory, RoleAssignmentFactory, UserFactory
from tests.grids.field_factories import QUESTIONS, danger, task
from tests.partybuilding.factories import (
    ActivityFactory,
    DemandFactory,
    MeetingFactory,
    MemberFactory,
    OrganizationFactory,
    ProjectFactory,
    ResourceFactory,
    RewardFactory,
    UnitFactory,
    VolunteerFactory,
    WishFactory,
)

MARKERS = {"a": "QXALPHA", "b": "QXBRAVO"}
STREET_CODES = {"a": "110101001", "b": "110101002"}
ROLES = (
    Role.STREET_ADMIN,
    Role.CENTER_SUPERVISOR,
    Role.COMMUNITY_DISPATCHER,
    Role.GRID_WORKER,
    Role.DEPARTMENT_HANDLER,
    Role.PARTY_OFFICER,
    Role.VIEWER,
)
# The admin models a street admin is given every permission on (the most a deployment could grant;
# the admin's own scoping must still keep other streets out).
ADMIN_APPS = ("governance", "grids", "casework", "partybuilding")


@dataclass
class Side:
    """One street: its areas, its people (``users[role]``) and its records (``objects[key]``)."""

    key: str
    marker: str
    areas: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def name(self, text: str) -> str:
        return f"{self.marker}{text}"

    @staticmethod
    def content_type(label: str) -> int:
        return ContentType.objects.get_by_natural_key(*label.split(".")).pk


def jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


# -- people and places ------------------------------------------------------------------------
def _areas(s: Side) -> None:
    a = s.areas
    a["street"] = AreaFactory(kind=AreaKind.STREET, name=s.name("街道"), code=STREET_CODES[s.key])
    a["community"] = AreaFactory(kind=AreaKind.COMMUNITY, name=s.name("社区"), parent=a["street"])
    a["grid"] = AreaFactory(kind=AreaKind.GRID, name=s.name("网格"), parent=a["community"])
    a["micro_grid"] = AreaFactory(kind=AreaKind.MICRO_GRID, name=s.name("微网格"), parent=a["grid"])
    a["building"] = AreaFactory(
        kind=AreaKind.BUILDING, name=s.name("1号楼"), parent=a["micro_grid"], households=40
    )
    for area in a.values():
        area.refresh_from_db()


SCOPE_OF_ROLE = {
    Role.STREET_ADMIN: "street",
    Role.CENTER_SUPERVISOR: "street",
    Role.COMMUNITY_DISPATCHER: "community",
    Role.GRID_WORKER: "grid",
    Role.PARTY_OFFICER: "community",
    Role.VIEWER: "community",
}


def _people(s: Side) -> None:
    # Departments belong to their street: another street's users must never see this one.
    s.objects["department"] = DepartmentFactory(
        name=s.name("城管执法队"), code=f"dept-{s.key}", owner=s.areas["street"]
    )
    for role in ROLES:
        user = UserFactory(username=f"{role}_{s.key}", full_name=s.name(str(role)))
        if role == Role.DEPARTMENT_HANDLER:
            RoleAssignmentFactory(user=user, role=role, department=s.objects["department"])
        else:
            RoleAssignmentFactory(user=user, role=role, area=s.areas[SCOPE_OF_ROLE[role]])
        s.users[role] = user
    # A user without roles belongs to the street where they registered (a volunteer's street).
    s.users["volunteer"] = UserFactory(
        username=f"volunteer_{s.key}", full_name=s.name("志愿者"), home_area=s.areas["street"]
    )
    admin = s.users[Role.STREET_ADMIN]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
    s.objects["user"] = s.users[Role.COMMUNITY_DISPATCHER]
    s.objects["role_assignment"] = s.users[Role.COMMUNITY_DISPATCHER].role_assignments.get()
    for role, user in s.users.items():
        s.tokens[role] = token_issue(user=user, name=s.name("测试"))[1]
    s.objects["token"] = ApiToken.objects.filter(user=s.users[Role.COMMUNITY_DISPATCHER]).first()


# -- governance --------------------------------------------------------------------------------
def make_notification(s: Side):
    return Notification.objects.create(
        recipient=s.users[Role.COMMUNITY_DISPATCHER], kind="case_overdue", title=s.name("案件超期")
    )


def make_change(s: Side):
    area = s.areas["community"]
    return ObjectChange.objects.create(
        interface="web",
        action="update",
        content_type=ContentType.objects.get_for_model(area),
        object_id=str(area.pk),
        object_repr=str(area),
        user=s.users[Role.STREET_ADMIN],
        area=area,
    )


def make_access(s: Side):
    """A logged full read of street A's party member's phone (the log entry names the member,
    whose name carries the street's marker)."""
    from governance import privacy

    member = s.objects["member"]
    privacy.log_access(
        user=s.users[Role.STREET_ADMIN],
        objects=[member],
        field="phone",
        kind="phone",
        reason=s.name("核实联系方式"),
        interface="web",
    )
    return PersonalDataAccess.objects.filter(object_id=str(member.pk)).latest("pk")


def make_working_hours(s: Side):
    return WorkingHours.objects.create(area=s.areas["street"])


def make_webhook(s: Side):
    return WebhookEndpoint.objects.create(
        name=s.name("推送"), url=f"https://hooks.example.org/{s.key}", owner=s.areas["street"]
    )


# -- grids -------------------------------------------------------------------------------------
def make_staff(s: Side):
    return GridStaff.objects.create(
        area=s.areas["grid"],
        position=GridStaff.Position.FULL_TIME_WORKER,
        name=s.name("网格员"),
        phone="13800000000",
        user=s.users[Role.GRID_WORKER],
    )


def make_patrol(s: Side):
    return Patrol.objects.create(
        worker=s.users[Role.GRID_WORKER], area=s.areas["grid"], started_at=timezone.now()
    )


def make_patrol_point(s: Side):
    return PatrolPoint.objects.create(
        patrol=s.objects["patrol"], recorded_at=timezone.now(), latitude=39.9, longitude=116.4
    )


def make_finding(s: Side):
    return PatrolFinding.objects.create(
        patrol=s.objects["patrol"],
        area=s.areas["building"],
        description=s.name("井盖缺失"),
        found_at=timezone.now(),
        photo=jpeg(),
        photo_thumbnail=jpeg("thumb.jpg"),
    )


def make_danger(s: Side):
    return danger(
        s.users[Role.GRID_WORKER], s.areas["building"], title=s.name("楼道堆放杂物"), photo=jpeg()
    )


def make_danger_event(s: Side):
    return HiddenDangerEvent.objects.filter(danger=s.objects["danger"]).first()


def make_danger_reminder(s: Side):
    return DangerReminder.objects.create(
        danger=s.objects["danger"],
        stage="rectify",
        entry=1,
        kind="near_due",
        due_at=timezone.now(),
        created_at=timezone.now(),
    )


def make_task(s: Side):
    return task(
        s.users[Role.STREET_ADMIN],
        s.areas["community"],
        title=s.name("防汛排查"),
        questions=QUESTIONS,
        # An open call: every user of its street sees it, another street's users do not.
        volunteers_welcome=True,
    )


def make_target(s: Side):
    return s.objects["task"].targets.get()


def make_signup(s: Side):
    return MobilizationSignup.objects.create(
        target=s.objects["target"],
        user=s.users[Role.GRID_WORKER],
        capacity="grid_worker",
        created_at=timezone.now(),
    )


def make_report(s: Side):
    return MobilizationReport.objects.create(
        target=s.objects["target"],
        reporter=s.users[Role.GRID_WORKER],
        answers={"q1": "no", "q2": "yes", "q3": 0, "q4": "自住"},
        note=s.name("已查"),
        photo=jpeg(),
        photo_thumbnail=jpeg("thumb.jpg"),
        created_at=timezone.now(),
    )


def make_room(s: Side):
    return Room.objects.create(area=s.areas["building"], number=s.name("0301"), floor=3)


def make_resident(s: Side):
    first17 = f"110105195003070{ord(s.key) % 100:02d}"
    return Resident.objects.create(
        name=s.name("王桂兰"),
        id_number=first17 + id_check_digit(first17),
        phone=f"1390000{ord(s.key):04d}",
        gender="f",
        birth_date=dt.date(1950, 3, 7),
        area=s.areas["building"],
        room=s.objects["room"],
        moved_in_on=dt.date(2020, 5, 1),
    )


def make_household(s: Side):
    return Household.objects.create(
        area=s.areas["building"],
        number=s.name("户0301"),
        room=s.objects["room"],
        householder=s.objects["resident"],
    )


def make_care_tag(s: Side):
    return CareTag.objects.create(
        street=s.areas["street"], name=s.name("独居老人"), visit_every_days=7
    )


def make_resident_tag(s: Side):
    return ResidentCareTag.objects.create(
        resident=s.objects["resident"], tag=s.objects["care_tag"], since=dt.date(2026, 1, 1)
    )


def make_visit(s: Side):
    return Visit.objects.create(
        resident=s.objects["resident"],
        area=s.areas["building"],
        visitor=s.users[Role.GRID_WORKER],
        visited_on=dt.date(2026, 11, 1),
        notes=s.name("身体尚好"),
    )


def make_import_run(s: Side):
    return ImportRun.objects.create(
        kind=ImportKind.RESIDENTS,
        file_name=s.name("居民.xlsx"),
        user=s.users[Role.STREET_ADMIN],
        area=s.areas["street"],
        total_rows=1,
        new_rows=1,
    )


# -- casework ----------------------------------------------------------------------------------
def make_case(s: Side):
    return CaseFactory(
        title=s.name("暴露垃圾"),
        category=CategoryFactory(code="0101", name="暴露垃圾"),
        area=s.areas["building"],
        status=cw.Status.DISPATCHED,
        holder=cw.Holder.DEPARTMENT,
        department=s.objects["department"],
        reporter_name=s.name("张大爷"),
        reporter_phone="13900001111",
    )


def make_category(s: Side):
    return s.objects["case"].category


def make_case_event(s: Side):
    return cw.CaseEvent.objects.create(
        case=s.objects["case"],
        step="dispatch",
        to_status=cw.Status.DISPATCHED,
        actor=s.users[Role.COMMUNITY_DISPATCHER],
        comment=s.name("请处置"),
        created_at=timezone.now(),
    )


def make_photo_draft(s: Side):
    """A photo uploaded on the filing form and not yet filed: its uploader's alone (the street
    admin's here, so that the admin's own list shows it)."""
    return cw.PhotoDraft.objects.create(
        owner=s.users[Role.STREET_ADMIN],
        image=jpeg(),
        thumbnail=jpeg("thumb.jpg"),
        original_name=s.name("楼道.jpg"),
    )


def make_case_export(s: Side):
    """A finished background export of the street admin's (its filters carry the marker)."""
    from django.core.files.base import ContentFile

    export = cw.CaseExport(
        owner=s.users[Role.STREET_ADMIN],
        query=f"q={s.marker}",
        state=cw.CaseExport.State.DONE,
        total=1,
        written=1,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    export.file.save("cases.xlsx", ContentFile(b"PK" + s.marker.encode()), save=False)
    export.save()
    return export


def make_attachment(s: Side):
    return cw.Attachment.objects.create(
        case=s.objects["case"],
        event=s.objects["case_event"],
        kind="before",
        image=jpeg(),
        thumbnail=jpeg("thumb.jpg"),
        width=40,
        height=30,
        size=1000,
        uploaded_by=s.users[Role.GRID_WORKER],
        created_at=timezone.now(),
    )


def make_reminder(s: Side):
    return cw.Reminder.objects.create(
        case=s.objects["case"], stage="acknowledge", kind="near_due", due_at=timezone.now()
    )


def make_deadline_request(s: Side):
    return cw.DeadlineRequest.objects.create(
        case=s.objects["case"],
        kind="extension",
        stage="acknowledge",
        reason=s.name("需协调"),
        hours=Decimal("8"),
        requested_by=s.users[Role.DEPARTMENT_HANDLER],
    )


def make_supervision_order(s: Side):
    return cw.SupervisionOrder.objects.create(
        case=s.objects["case"],
        holder="department",
        department=s.objects["department"],
        demand=s.name("限期处置"),
        reply_due_at=timezone.now() + dt.timedelta(days=1),
        issued_by=s.users[Role.CENTER_SUPERVISOR],
    )


def make_case_counter(s: Side):
    return cw.CaseCounter.objects.filter(street=s.areas["street"]).first()


def make_intake(s: Side):
    return cw.Intake.objects.create(
        case=s.objects["case"], channel="residents_page", token=f"track-{s.key}-0123456789"
    )


def make_jurisdiction(s: Side):
    return cw.Jurisdiction.objects.create(
        jurisdiction_id=f"{s.key}.example.org", area=s.areas["street"]
    )


def make_api_key(s: Side):
    return cw.ApiKey.objects.create(
        name=s.name("接入"),
        prefix=f"pre{s.key}",
        key_hash="x" * 64,
        owner=s.areas["street"],
        jurisdiction=s.objects["jurisdiction"],
        account=s.users[Role.COMMUNITY_DISPATCHER],
    )


# -- party building ----------------------------------------------------------------------------
def make_organization(s: Side):
    committee = OrganizationFactory(
        kind=pb.OrganizationKind.STREET_COMMITTEE, name=s.name("街道党工委"), area=s.areas["street"]
    )
    return OrganizationFactory(
        kind=pb.OrganizationKind.COMMUNITY_COMMITTEE,
        name=s.name("社区党委"),
        area=s.areas["community"],
        parent=committee,
    )


def make_member(s: Side):
    return MemberFactory(
        organization=s.objects["organization"],
        name=s.name("李建国"),
        phone="13912345678",
        home_building=s.areas["building"],
    )


def make_post(s: Side):
    return pb.OrganizationPost.objects.create(
        organization=s.objects["organization"],
        member=s.objects["member"],
        position="secretary",
        term_start=dt.date(2024, 1, 1),
    )


def make_dual_report(s: Side):
    return pb.DualReport.objects.create(
        kind="personal",
        member=s.objects["member"],
        community=s.areas["community"],
        service_post="environment",
        registered_on=dt.date(2026, 1, 5),
    )


def make_dual_report_service(s: Side):
    return pb.DualReportService.objects.create(
        report=s.objects["dual_report"],
        served_on=dt.date(2026, 2, 5),
        hours=Decimal("2"),
        description=s.name("清理楼道"),
    )


def make_unit(s: Side):
    return UnitFactory(name=s.name("第一小学"), area=s.areas["community"])


def make_agreement(s: Side):
    return pb.PairingAgreement.objects.create(
        unit=s.objects["unit"],
        community=s.areas["community"],
        signed_on=dt.date(2026, 1, 1),
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        commitments=s.name("共建承诺"),
    )


def make_demand(s: Side):
    return DemandFactory(title=s.name("老人助餐"), area=s.areas["community"])


def make_resource(s: Side):
    return ResourceFactory(
        title=s.name("助餐服务"), area=s.areas["community"], unit=s.objects["unit"]
    )


def make_project(s: Side):
    return ProjectFactory(name=s.name("加装电梯"), area=s.areas["community"], is_public=True)


def make_project_update(s: Side):
    return pb.ProjectUpdate.objects.create(
        project=s.objects["project"],
        happened_on=dt.date(2026, 3, 1),
        text=s.name("开工"),
        status=s.objects["project"].status,
        progress=10,
    )


def make_wish(s: Side):
    return WishFactory(title=s.name("一副老花镜"), area=s.areas["building"])


def make_volunteer(s: Side):
    return VolunteerFactory(
        name=s.name("小张"), area=s.areas["community"], user=s.users["volunteer"]
    )


def make_activity(s: Side):
    return ActivityFactory(
        title=s.name("清洁家园"), area=s.areas["community"], organizer=s.users[Role.PARTY_OFFICER]
    )


def make_participation(s: Side):
    return pb.Participation.objects.create(
        activity=s.objects["activity"], volunteer=s.objects["volunteer"]
    )


def make_point_entry(s: Side):
    return pb.PointEntry.objects.create(
        volunteer=s.objects["volunteer"], amount=100, reason=s.name("服务"), source_key=s.key
    )


def make_reward(s: Side):
    return RewardFactory(name=s.name("毛巾"), area=s.areas["community"])


def make_redemption(s: Side):
    return pb.Redemption.objects.create(
        volunteer=s.objects["volunteer"], reward=s.objects["reward"], points=50
    )


def make_council(s: Side):
    return pb.Council.objects.create(
        name=s.name("居民议事会"), kind="council", area=s.areas["community"]
    )


def make_council_member(s: Side):
    return pb.CouncilMember.objects.create(
        council=s.objects["council"],
        name=s.name("王大妈"),
        position="议事代表",
        term_start=dt.date(2025, 1, 1),
    )


def make_meeting_series(s: Side):
    return pb.MeetingSeries.objects.create(
        title=s.name("民意恳谈"),
        kind="opinion_session",
        area=s.areas["community"],
        days_of_month=[5, 15, 25],
        time=dt.time(9, 0),
        place="党群服务中心",
        starts_on=dt.date(2026, 1, 1),
    )


def make_meeting(s: Side):
    return MeetingFactory(title=s.name("议事会"), area=s.areas["community"])


def make_attendee(s: Side):
    return pb.MeetingAttendee.objects.create(meeting=s.objects["meeting"], name=s.name("刘阿姨"))


def make_resolution(s: Side):
    return pb.Resolution.objects.create(
        meeting=s.objects["meeting"], number=1, text=s.name("修缮车棚")
    )


def make_assessment_scheme(s: Side):
    from casework.stats.models import AssessmentItem, AssessmentScheme

    scheme = AssessmentScheme.objects.create(street=s.areas["street"], name=s.name("考核办法"))
    AssessmentItem.objects.create(
        scheme=scheme, name="响应率", figure="response_rate", target=100, weight=60, order=1
    )
    AssessmentItem.objects.create(
        scheme=scheme,
        name="工作纪律",
        kind=AssessmentItem.Kind.MANUAL,
        weight=40,
        full_marks=10,
        order=2,
    )
    return scheme


def make_manual_score(s: Side):
    from casework.stats.models import AssessmentItem, ManualScore

    return ManualScore.objects.create(
        item=s.objects["assessment_scheme"].items.get(kind=AssessmentItem.Kind.MANUAL),
        month=dt.date(2026, 10, 1),
        area=s.areas["community"],
        score=8,
        note=s.name("例会缺席一次"),
        entered_by=s.users[Role.STREET_ADMIN],
    )


def make_assessment_month(s: Side):
    from casework.stats.assessment import assessment_freeze

    return assessment_freeze(scheme=s.objects["assessment_scheme"], month=dt.date(2026, 10, 1))


def make_wall_token(s: Side):
    from casework.stats.wall import wall_token_issue

    token, key = wall_token_issue(
        actor=s.users[Role.STREET_ADMIN], area=s.areas["street"], name=s.name("指挥大屏")
    )
    token.key = key  # shown once: kept here for the wall's own routes
    return token


def make_position(s: Side):
    return pb.Position.objects.create(
        name=s.name("党群服务中心"), kind="service_center", area=s.areas["community"]
    )


def make_position_hours(s: Side):
    return pb.PositionHours.objects.create(
        position=s.objects["position"], weekday=6, opens=dt.time(9), closes=dt.time(17)
    )


def make_position_room(s: Side):
    return pb.Room.objects.create(
        position=s.objects["position"], name=s.name("议事室"), kind="meeting", capacity=20
    )


def make_booking(s: Side):
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    return pb.Booking.objects.create(
        room=s.objects["position_room"],
        title=s.name("楼栋议事"),
        kind="meeting",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        expected_people=10,
        booked_by=s.users[Role.PARTY_OFFICER],
    )


def make_compound(s: Side):
    return pb.Compound.objects.create(
        area=s.areas["building"], name=s.name("幸福小区"), residents_committee=s.name("居委会")
    )


def make_owners_committee(s: Side):
    return pb.OwnersCommittee.objects.create(
        compound=s.objects["compound"],
        name=s.name("业主委员会"),
        elected_on=dt.date(2025, 3, 1),
        term_start=dt.date(2025, 3, 1),
        term_end=dt.date(2030, 2, 28),
    )


def make_owners_committee_member(s: Side):
    return pb.OwnersCommitteeMember.objects.create(
        committee=s.objects["owners_committee"], name=s.name("赵业主")
    )


def make_property_company(s: Side):
    department = DepartmentFactory(
        name=s.name("物业公司"), code=f"pm-{s.key}", kind="property", owner=s.areas["street"]
    )
    return pb.PropertyCompany.objects.create(
        department=department,
        area=s.areas["street"],
        service_phone="010-64119000",
        quality_score=Decimal("90.5"),
    )


def make_property_contract(s: Side):
    return pb.PropertyContract.objects.create(
        compound=s.objects["compound"],
        company=s.objects["property_company"],
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2027, 12, 31),
    )


def make_unit_point_rule(s: Side):
    return pb.UnitPointRule.objects.create(area=s.areas["street"], item="service", points=5)


def make_unit_point_entry(s: Side):
    return pb.UnitPointEntry.objects.create(
        unit=s.objects["unit"],
        year=timezone.localdate().year,
        item="service",
        amount=5,
        reason=s.name("报到服务"),
        source_key=f"route-{s.key}",
    )


def make_consortium(s: Side):
    return pb.Consortium.objects.create(name=s.name("治理共同体"), area=s.areas["community"])


def make_consortium_member(s: Side):
    return pb.ConsortiumMember.objects.create(
        consortium=s.objects["consortium"], name=s.name("孙书记"), side="party", role="召集人"
    )


def make_contact_station(s: Side):
    return pb.ContactStation.objects.create(
        name=s.name("代表联系站"), area=s.areas["community"], address=s.name("青松路1号")
    )


def make_deputy(s: Side):
    deputy = pb.Deputy.objects.create(
        name=s.name("张代表"),
        kind="npc",
        level="district",
        term="第十七届",
        term_start=dt.date(2022, 1, 1),
        area=s.areas["community"],
    )
    deputy.stations.set([s.objects["contact_station"]])
    return deputy


def make_reception(s: Side):
    reception = pb.Reception.objects.create(
        station=s.objects["contact_station"],
        day=timezone.localdate() + dt.timedelta(days=5),
        starts=dt.time(9),
        ends=dt.time(11),
        topic=s.name("民生实事"),
    )
    reception.deputies.set([s.objects["deputy"]])
    return reception


def make_station_opinion(s: Side):
    return pb.Opinion.objects.create(
        reception=s.objects["reception"],
        deputy=s.objects["deputy"],
        area=s.areas["grid"],
        resident_name="王秀兰",
        resident_phone="13911112222",
        content=s.name("路灯坏了"),
    )


# Built in this order (a hook may use the records made before it).
OBJECTS: dict[str, Callable[[Side], object]] = {
    "notification": make_notification,
    "change": make_change,
    "working_hours": make_working_hours,
    "webhook": make_webhook,
    "staff": make_staff,
    "patrol": make_patrol,
    "patrol_point": make_patrol_point,
    "finding": make_finding,
    "danger": make_danger,
    "danger_event": make_danger_event,
    "danger_reminder": make_danger_reminder,
    "task": make_task,
    "target": make_target,
    "signup": make_signup,
    "report": make_report,
    "room": make_room,
    "resident": make_resident,
    "household": make_household,
    "care_tag": make_care_tag,
    "resident_tag": make_resident_tag,
    "visit": make_visit,
    "import_run": make_import_run,
    "case": make_case,
    "category": make_category,
    "case_event": make_case_event,
    "attachment": make_attachment,
    "photo_draft": make_photo_draft,
    "case_export": make_case_export,
    "reminder": make_reminder,
    "deadline_request": make_deadline_request,
    "supervision_order": make_supervision_order,
    "case_counter": make_case_counter,
    "intake": make_intake,
    "jurisdiction": make_jurisdiction,
    "api_key": make_api_key,
    "organization": make_organization,
    "member": make_member,
    "post": make_post,
    "dual_report": make_dual_report,
    "dual_report_service": make_dual_report_service,
    "unit": make_unit,
    "agreement": make_agreement,
    "demand": make_demand,
    "resource": make_resource,
    "project": make_project,
    "project_update": make_project_update,
    "wish": make_wish,
    "volunteer": make_volunteer,
    "activity": make_activity,
    "participation": make_participation,
    "point_entry": make_point_entry,
    "reward": make_reward,
    "redemption": make_redemption,
    "council": make_council,
    "council_member": make_council_member,
    "meeting_series": make_meeting_series,
    "meeting": make_meeting,
    "attendee": make_attendee,
    "resolution": make_resolution,
    "access": make_access,
    "assessment_scheme": make_assessment_scheme,
    "manual_score": make_manual_score,
    "assessment_month": make_assessment_month,
    "wall_token": make_wall_token,
    "position": make_position,
    "position_hours": make_position_hours,
    "position_room": make_position_room,
    "booking": make_booking,
    "compound": make_compound,
    "owners_committee": make_owners_committee,
    "owners_committee_member": make_owners_committee_member,
    "property_company": make_property_company,
    "property_contract": make_property_contract,
    "unit_point_rule": make_unit_point_rule,
    "unit_point_entry": make_unit_point_entry,
    "consortium": make_consortium,
    "consortium_member": make_consortium_member,
    "contact_station": make_contact_station,
    "deputy": make_deputy,
    "reception": make_reception,
    "station_opinion": make_station_opinion,
}


def build_side(key: str) -> Side:
    s = Side(key=key, marker=MARKERS[key])
    _areas(s)
    s.objects["area"] = s.areas["grid"]
    s.objects["building"] = s.areas["building"]
    _people(s)
    for name, make in OBJECTS.items():
        s.objects[name] = make(s)
    return s
