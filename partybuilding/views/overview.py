"""The party-building overview: the figures of every sub-domain in the user's scope."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.shortcuts import render
from django.utils import timezone

from governance.scopes import visible
from partybuilding import selectors
from partybuilding.models import (
    DualReport,
    MemberStatus,
    MicroWish,
    PartyMember,
    PartyOrganization,
    Project,
    ProjectStatus,
    ReportStatus,
    WishStatus,
)
from partybuilding.views.common import (
    party_page,
)


@party_page
def home(request):
    user = request.user
    today = timezone.localdate()
    members = visible(user, PartyMember.objects.all()).aggregate(
        total=Count("pk", filter=~Q(status=MemberStatus.TRANSFERRED_OUT)),
        in_service=Count("pk", filter=Q(in_service=True) & ~Q(status=MemberStatus.TRANSFERRED_OUT)),
    )
    reports = visible(user, DualReport.objects.all()).aggregate(
        active=Count("pk", filter=Q(status=ReportStatus.ACTIVE)),
        registered=Count("pk", filter=Q(status=ReportStatus.REGISTERED)),
    )
    projects = visible(
        user, Project.objects.filter(parent__isnull=True, year=today.year)
    ).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=ProjectStatus.COMPLETED)),
        budget=Sum("budget"),
    )
    context = {
        "organizations": visible(user, PartyOrganization.objects.all()).count(),
        "members": members,
        "reports": reports,
        "projects": projects,
        "wishes_open": visible(user, MicroWish.objects.filter(status=WishStatus.PUBLISHED)).count(),
        "activities_upcoming": selectors.activity_list_for(user)
        .filter(starts_at__date__gte=today)
        .order_by("starts_at")[:5],
        "meetings_upcoming": selectors.meeting_list_for(user).filter(starts_at__date__gte=today)[
            :5
        ],
        "units": visible(user, selectors.CoConstructionUnit.objects.all()).count(),
        "board": selectors.dual_report_board(user),
    }
    return render(request, "partybuilding/home.html", context)
