"""The party-building and co-governance panel of the dashboard (registered with
:mod:`casework.stats.panels` in ``PartybuildingConfig.ready``: the dashboard shows it without
casework importing partybuilding).

Figures of the dashboard's area subtree that the user may see (the scope filter), this year
where a year is meant: members, dual-reporting registrations and their services, projects by
status with their progress, micro-wishes fulfilled, volunteer hours, meetings held and the
resolutions carried out (a project or a case opened from them). Each is a link to its list.
Seven aggregate queries, whatever the size of the area.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Avg, Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from governance.scopes import scope_of, visible
from grids.models import Area
from partybuilding.models import (
    DualReport,
    DualReportService,
    Meeting,
    MeetingStatus,
    MemberStatus,
    MicroWish,
    Participation,
    ParticipationStatus,
    PartyMember,
    Project,
    ProjectStatus,
    ReportStatus,
    Resolution,
    WishStatus,
)
from partybuilding.permissions import READ_ROLES


def _url(name: str, **query) -> str:
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{reverse(name)}?{urlencode(query, doseq=True)}" if query else reverse(name)


def party_panel(user, area: Area) -> dict | None:
    """The panel's context, or None for a user who does not read party work."""
    if not scope_of(user).has_role(*READ_ROLES):
        return None
    year = timezone.localdate().year
    within = area.pk

    def scoped(model, path: str):
        return visible(user, model.objects.all()).filter(Area.subtree_q(area, prefix=path))

    members = scoped(PartyMember, "organization__area__").aggregate(
        total=Count("pk", filter=~Q(status=MemberStatus.TRANSFERRED_OUT)),
        in_service=Count("pk", filter=Q(in_service=True) & ~Q(status=MemberStatus.TRANSFERRED_OUT)),
    )
    reports = scoped(DualReport, "community__").aggregate(
        active=Count("pk", filter=Q(status=ReportStatus.ACTIVE)),
        registered=Count("pk", filter=Q(status=ReportStatus.REGISTERED)),
    )
    services = (
        scoped(DualReportService, "report__community__")
        .filter(served_on__year=year)
        .aggregate(n=Count("pk"), hours=Sum("hours"))
    )
    projects = {
        row["status"]: row
        for row in scoped(Project, "area__")
        .filter(parent__isnull=True, year=year)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), progress=Avg("progress"))
    }
    wishes = scoped(MicroWish, "area__").aggregate(
        fulfilled=Count("pk", filter=Q(status=WishStatus.FULFILLED)),
        total=Count("pk", filter=~Q(status=WishStatus.WITHDRAWN)),
    )
    hours = (
        scoped(Participation, "activity__area__")
        .filter(status=ParticipationStatus.APPROVED, activity__starts_at__year=year)
        .aggregate(hours=Sum("approved_hours"), n=Count("volunteer", distinct=True))
    )
    meetings = (
        scoped(Meeting, "area__")
        .filter(status=MeetingStatus.HELD, starts_at__year=year)
        .aggregate(held=Count("pk"))
    )
    resolutions = (
        scoped(Resolution, "meeting__area__")
        .filter(meeting__starts_at__year=year)
        .aggregate(
            total=Count("pk"),
            carried_out=Count("pk", filter=Q(project__isnull=False) | Q(case__isnull=False)),
        )
    )

    project_rows = []
    for status, label in ProjectStatus.choices:
        row = projects.get(status)
        n = row["n"] if row else 0
        progress = round(row["progress"]) if row and row["progress"] is not None else None
        project_rows.append(
            {
                "status": status,
                "label": label,
                "n": n,
                "progress": progress,
                "url": _url(
                    "partybuilding:projects", within=within, year=year, status=status, top="true"
                ),
            }
        )
    community = area.pk if area.kind == "community" else None
    return {
        "year": year,
        "figures": [
            {
                "key": "members",
                "value": members["total"],
                "extra": members["in_service"],
                "url": _url("partybuilding:members", within=within),
                "extra_url": _url("partybuilding:members", within=within, in_service="true"),
            },
            {
                "key": "dual_reports",
                "value": reports["active"],
                "extra": reports["registered"],
                "url": _url(
                    "partybuilding:dual-reports", community=community, status=ReportStatus.ACTIVE
                ),
                "extra_url": _url(
                    "partybuilding:dual-reports",
                    community=community,
                    status=ReportStatus.REGISTERED,
                ),
            },
            {
                "key": "services",
                "value": services["n"],
                "extra": services["hours"] or Decimal(0),
                "url": _url("partybuilding:dual-reports", community=community),
            },
            {
                "key": "wishes",
                "value": wishes["fulfilled"],
                "extra": wishes["total"],
                "url": _url("partybuilding:wishes", within=within, status=WishStatus.FULFILLED),
                "extra_url": _url("partybuilding:wishes", within=within),
            },
            {
                "key": "volunteer_hours",
                "value": hours["hours"] or Decimal(0),
                "extra": hours["n"],
                "url": _url("partybuilding:volunteers", within=within),
            },
            {
                "key": "meetings",
                "value": meetings["held"],
                "url": _url(
                    "partybuilding:meetings",
                    within=within,
                    status=MeetingStatus.HELD,
                    after=f"{year}-01-01",
                ),
            },
            {
                "key": "resolutions",
                "value": resolutions["carried_out"],
                "extra": resolutions["total"],
                "url": _url("partybuilding:meetings", within=within, after=f"{year}-01-01"),
            },
        ],
        "projects": project_rows,
        "projects_url": _url("partybuilding:projects", within=within, year=year, top="true"),
        "projects_total": sum(r["n"] for r in project_rows),
    }
