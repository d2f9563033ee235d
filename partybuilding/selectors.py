"""Reads of the party-building app. Every list is scoped through governance.scopes and names
its joins here, so that pages and the API share them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.scopes import visible
from grids.models import Area, AreaKind
from partybuilding.models import (
    Activity,
    AgreementStatus,
    CoConstructionUnit,
    Council,
    Demand,
    DualReport,
    DualReportService,
    Meeting,
    MeetingStatus,
    MemberStatus,
    MicroWish,
    OrganizationPost,
    PairingAgreement,
    Participation,
    ParticipationStatus,
    PartyMember,
    PartyOrganization,
    PointEntry,
    PostPosition,
    Project,
    ReportKind,
    ReportStatus,
    Resource,
    Reward,
    Volunteer,
)


# -- organizations and members ----------------------------------------------------------------
def organization_list_for(user) -> QuerySet[PartyOrganization]:
    sitting = OrganizationPost.objects.filter(
        organization=OuterRef("pk"), position=PostPosition.SECRETARY, ceased_on__isnull=True
    )
    return (
        visible(user, PartyOrganization.objects.all())
        .select_related("area")
        .annotate(
            member_count=Count("members", filter=~Q(members__status=MemberStatus.TRANSFERRED_OUT)),
            has_secretary=Exists(sitting),
        )
        .order_by(*PartyOrganization.tree_order())
    )


def organization_posts(organization: PartyOrganization) -> QuerySet[OrganizationPost]:
    return organization.posts.select_related("member").order_by("ceased_on", "position")


def member_list_for(user) -> QuerySet[PartyMember]:
    return (
        visible(user, PartyMember.objects.all())
        .select_related("organization__area", "home_building")
        .order_by("name_sort", "pk")
    )


def show_identity_card(user, building: Area) -> list[PartyMember]:
    """亮身份: the members living in a building (or its units), with their open pledges."""
    members = list(
        visible(
            user,
            PartyMember.objects.filter(Area.subtree_q(building, prefix="home_building__")).exclude(
                status=MemberStatus.TRANSFERRED_OUT
            ),
        )
        .select_related("organization")
        .order_by("name_sort", "pk")
    )
    reports = {
        r.member_id: r
        for r in DualReport.objects.filter(member__in=members, kind=ReportKind.PERSONAL).exclude(
            status=ReportStatus.WITHDRAWN
        )
    }
    for member in members:
        member.open_report = reports.get(member.pk)
    return members


# -- dual reporting ---------------------------------------------------------------------------
def dual_report_list_for(user) -> QuerySet[DualReport]:
    year = timezone.localdate().year
    return (
        visible(user, DualReport.objects.all())
        .select_related("community", "member__organization", "unit")
        .annotate(
            services_this_year=Count("services", filter=Q(services__served_on__year=year)),
        )
        .order_by("-registered_on", "-pk")
    )


def dual_report_board(user) -> list[dict]:
    """Per community: reports by status and services this year (one grouped query)."""
    year = timezone.localdate().year
    rows = (
        visible(user, DualReport.objects.all())
        .values("community_id", "community__name", "kind", "status")
        .annotate(n=Count("pk"))
        .order_by("community__name")
    )
    board: dict[int, dict] = {}
    for row in rows:
        entry = board.setdefault(
            row["community_id"],
            {
                "community_id": row["community_id"],
                "name": row["community__name"],
                **dict.fromkeys(ReportKind.values, 0),
                **dict.fromkeys(ReportStatus.values, 0),
                "services": 0,
            },
        )
        if row["status"] != ReportStatus.WITHDRAWN:
            entry[row["kind"]] += row["n"]
        entry[row["status"]] += row["n"]
    services = (
        visible(user, DualReportService.objects.filter(served_on__year=year))
        .values("report__community_id")
        .annotate(n=Count("pk"))
    )
    for row in services:
        if row["report__community_id"] in board:
            board[row["report__community_id"]]["services"] = row["n"]
    return list(board.values())


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, 3 * quarter - 2, 1)
    last = (
        dt.date(year, 12, 31)
        if quarter == 4
        else dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)
    )
    return first, last


def feedback_sheet(report: DualReport, *, year: int, quarter: int) -> dict:
    """The quarterly feedback sheet a community sends to an in-service member's employer."""
    first, last = quarter_bounds(year, quarter)
    services = list(report.services.filter(served_on__range=(first, last)).order_by("served_on"))
    year_count = report.services.filter(served_on__year=year).count()
    return {
        "report": report,
        "year": year,
        "quarter": quarter,
        "first": first,
        "last": last,
        "services": services,
        "hours": sum((s.hours for s in services), Decimal(0)),
        "year_count": year_count,
        "on_track": year_count * 4 >= report.yearly_target * quarter,
    }


# -- units, agreements, lists, projects -------------------------------------------------------
def unit_list_for(user) -> QuerySet[CoConstructionUnit]:
    return (
        visible(user, CoConstructionUnit.objects.all())
        .select_related("area")
        .annotate(
            active_agreements=Count(
                "agreements", filter=Q(agreements__status=AgreementStatus.ACTIVE)
            ),
            resource_count=Count("resources", distinct=True),
        )
        .order_by("name")
    )


def agreement_list_for(user) -> QuerySet[PairingAgreement]:
    return (
        visible(user, PairingAgreement.objects.all())
        .select_related("unit", "community", "party_organization")
        .order_by("-signed_on", "-pk")
    )


def demand_list_for(user) -> QuerySet[Demand]:
    return (
        visible(user, Demand.objects.all())
        .select_related("area", "visit")
        .order_by("-created_at", "-pk")
    )


def resource_list_for(user) -> QuerySet[Resource]:
    return (
        visible(user, Resource.objects.all())
        .select_related("area", "unit", "member")
        .order_by("title", "pk")
    )


def project_list_for(user) -> QuerySet[Project]:
    return (
        visible(user, Project.objects.all())
        .select_related("area", "parent")
        .prefetch_related("units")
        .annotate(child_count=Count("children", distinct=True))
        .order_by("-year", *Project.tree_order())
    )


def project_detail(project: Project) -> dict:
    return {
        "project": project,
        "children": list(
            Project.objects.filter(parent=project)
            .select_related("area")
            .order_by(*Project.tree_order())
        ),
        "updates": list(project.updates.select_related("author")),
        "units": list(project.units.all()),
        "resources": list(project.resources.select_related("unit", "member")),
        "owners": list(project.owners.all()),
    }


def suggest_resources(user, demand: Demand, *, limit: int = 20) -> list[Resource]:
    """Resources for a demand: available, of the demand's type, offered in its community or
    the street above it; the closest first (same area, then same community, then wider)."""
    community = Area.objects.filter(
        Area.ancestors_q(demand.area, include_self=True), kind=AreaKind.COMMUNITY
    ).first()
    near = community or demand.area
    ancestors = Area.objects.filter(Area.ancestors_q(near)).values("pk")
    candidates = list(
        resource_list_for(user).filter(
            Q(Area.subtree_q(near, prefix="area__")) | Q(area__in=ancestors),
            service_type=demand.service_type,
            is_available=True,
        )[:200]
    )

    def distance(resource: Resource) -> int:
        if resource.area_id == demand.area_id:
            return 0
        if resource.area.is_within(near):
            return 1
        return 2

    candidates.sort(key=lambda r: (distance(r), r.title))
    for resource in candidates:
        resource.distance = distance(resource)
    return candidates[:limit]


# -- micro-wishes -----------------------------------------------------------------------------
def wish_list_for(user) -> QuerySet[MicroWish]:
    return (
        visible(user, MicroWish.objects.all())
        .select_related("area", "claimed_by_member", "claimed_by_unit")
        .order_by("-created_at", "-pk")
    )


# -- volunteers and points --------------------------------------------------------------------
def volunteer_list_for(user) -> QuerySet[Volunteer]:
    return (
        visible(user, Volunteer.objects.all())
        .select_related("area", "member")
        .annotate(
            # Subqueries, not joins: two summed reverse relations joined at once multiply rows.
            # A volunteer with no entries has 0 points and 0 hours, not none.
            balance=Coalesce(
                Subquery(
                    PointEntry.objects.filter(volunteer=OuterRef("pk"))
                    .order_by()
                    .values("volunteer")
                    .annotate(total=Sum("amount"))
                    .values("total")
                ),
                0,
            ),
            hours=Coalesce(
                Subquery(
                    Participation.objects.filter(
                        volunteer=OuterRef("pk"), status=ParticipationStatus.APPROVED
                    )
                    .order_by()
                    .values("volunteer")
                    .annotate(total=Sum("approved_hours"))
                    .values("total")
                ),
                Value(Decimal("0")),
                output_field=DecimalField(max_digits=8, decimal_places=2),
            ),
        )
        .order_by("name_sort", "pk")
    )


def activity_list_for(user) -> QuerySet[Activity]:
    return (
        visible(user, Activity.objects.all())
        .select_related("area", "organizer", "organizer_unit")
        .annotate(
            taken=Count(
                "participations", filter=~Q(participations__status=ParticipationStatus.CANCELLED)
            ),
        )
        .order_by("-starts_at", "-pk")
    )


def activities_open_to(volunteer: Volunteer) -> QuerySet[Activity]:
    """Activities a volunteer may sign up for themselves: those of their home area or of an
    area above it (their community, their street), never another street's."""
    return Activity.objects.filter(
        area__in=Area.objects.filter(Area.ancestors_q(volunteer.area, include_self=True))
    )


def open_activities_for(volunteer: Volunteer, *, limit: int = 10) -> list[Activity]:
    """Activities taking sign-ups in the volunteer's home area or above it, that they have not
    signed up for yet; the soonest first."""
    return list(
        activities_open_to(volunteer)
        .taking_sign_ups()
        .exclude(participations__volunteer=volunteer)
        .select_related("area")
        .order_by("starts_at")[:limit]
    )


def activity_participations(activity: Activity) -> QuerySet[Participation]:
    return activity.participations.select_related("volunteer").order_by("volunteer__name")


def points_balance(volunteer: Volunteer, *, today: dt.date | None = None) -> int:
    """The points a volunteer can spend today, derived from the ledger.

    Credits are lots; a debit spends the lots that expire first (never-expiring ones last);
    what remains of a lot after its expiry date is lost. Without expiring credits this is
    simply the sum of the ledger.
    """
    today = today or timezone.localdate()
    entries = list(
        PointEntry.objects.filter(volunteer=volunteer)
        .order_by("created_at", "pk")
        .values_list("amount", "expires_on", "created_at")
    )
    if all(expires is None for _, expires, _ in entries):
        return sum(amount for amount, _, _ in entries)
    lots: list[list] = []  # [remaining, expires_on]
    for amount, expires_on, created_at in entries:
        if amount > 0:
            lots.append([amount, expires_on])
            continue
        on = timezone.localtime(created_at).date()
        due = -amount
        usable = sorted(
            (lot for lot in lots if lot[0] > 0 and (lot[1] is None or lot[1] >= on)),
            key=lambda lot: (lot[1] is None, lot[1] or dt.date.max),
        )
        for lot in usable:
            take = min(lot[0], due)
            lot[0] -= take
            due -= take
            if not due:
                break
    return sum(r for r, expires_on in lots if expires_on is None or expires_on >= today)


def ledger_for(volunteer: Volunteer) -> QuerySet[PointEntry]:
    return volunteer.points.select_related("created_by").order_by("-created_at", "-pk")


def reward_list_for(user) -> QuerySet[Reward]:
    return (
        visible(user, Reward.objects.all())
        .select_related("area", "provider")
        .order_by("cost", "name")
    )


def leaderboard(
    user, *, area: Area | None, since: dt.date, until: dt.date, limit: int = 20
) -> list[dict]:
    """Volunteers who earned the most points in a period, inside ``area`` (and the user's scope).
    One grouped query; spent points do not lower a place on the board."""
    qs = visible(
        user,
        PointEntry.objects.filter(
            amount__gt=0, created_at__date__gte=since, created_at__date__lte=until
        ),
    )
    if area is not None:
        qs = qs.filter(Area.subtree_q(area, prefix="volunteer__area__"))
    return list(
        qs.values("volunteer_id", "volunteer__name", "volunteer__area__name")
        .annotate(points=Sum("amount"))
        .order_by("-points", "volunteer__name")[:limit]
    )


# -- meetings ---------------------------------------------------------------------------------
def meeting_list_for(user) -> QuerySet[Meeting]:
    return (
        visible(user, Meeting.objects.all())
        .select_related("area", "council", "series")
        .annotate(resolution_count=Count("resolutions", distinct=True))
        .order_by("starts_at", "pk")
    )


def council_list_for(user) -> QuerySet[Council]:
    return (
        visible(user, Council.objects.all())
        .select_related("area")
        .annotate(
            seat_count=Count("members", distinct=True),
            meeting_count=Count("meetings", distinct=True),
            last_met=Max("meetings__starts_at", filter=Q(meetings__status=MeetingStatus.HELD)),
        )
        .order_by("name", "pk")
    )


def meetings_by_day(user, *, first: dt.date, last: dt.date) -> dict[dt.date, list[Meeting]]:
    days: dict[dt.date, list[Meeting]] = defaultdict(list)
    for meeting in meeting_list_for(user).filter(
        starts_at__date__gte=first, starts_at__date__lte=last
    ):
        days[timezone.localtime(meeting.starts_at).date()].append(meeting)
    return days


def scope_communities(user) -> QuerySet[Area]:
    return visible(user, Area.objects.filter(kind=AreaKind.COMMUNITY)).order_by("code")


def rewards_for_volunteer(volunteer: Volunteer) -> QuerySet[Reward]:
    """Rewards offered in the volunteer's home area or any area above it."""
    return (
        Reward.objects.filter(
            area__in=Area.objects.filter(Area.ancestors_q(volunteer.area, include_self=True))
        )
        .select_related("area", "provider")
        .order_by("cost", "name")
    )
