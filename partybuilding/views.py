"""Pages for party officers (and the read-only roles in scope). Views stay thin: they read
through selectors, filter through the app's FilterSets and write through services."""

from __future__ import annotations

import calendar
import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.selectors import can_report
from governance.forms import apply_service_errors
from governance.models import Role
from governance.scopes import scope_of, visible
from grids.models import Area, AreaKind
from partybuilding import filters, forms, selectors, services
from partybuilding.models import (
    REPORT_TRANSITIONS,
    Activity,
    CoConstructionUnit,
    Council,
    Demand,
    DualReport,
    Meeting,
    MeetingSeries,
    MicroWish,
    PairingAgreement,
    Participation,
    PartyMember,
    PartyOrganization,
    Project,
    Resolution,
    Volunteer,
)
from partybuilding.permissions import PersonalData, may_change_in

READ_ROLES = (
    Role.PARTY_OFFICER,
    Role.STREET_ADMIN,
    Role.CENTER_SUPERVISOR,
    Role.COMMUNITY_DISPATCHER,
    Role.VIEWER,
)
PAGE_SIZE = 30


def party_page(view):
    """Signed-in users holding a role that reads party work; rows are narrowed by scope."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not scope_of(request.user).has_role(*READ_ROLES):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _get(user, queryset, pk):
    obj = visible(user, queryset.filter(pk=pk)).first()
    if obj is None:
        raise Http404
    return obj


def _page(request, queryset):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page_obj": page, "is_paginated": page.has_other_pages(), "rows": page.object_list}


def _run(request, action, success: str):
    """Call a service; report its errors as messages instead of a 500."""
    try:
        result = action()
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return None
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
        return None
    messages.success(request, success)
    return result


def _can_change(user) -> bool:
    return scope_of(user).has_role(Role.PARTY_OFFICER, Role.STREET_ADMIN)


# -- overview ---------------------------------------------------------------------------------
@party_page
def home(request):
    user = request.user
    today = timezone.localdate()
    members = visible(user, PartyMember.objects.all()).aggregate(
        total=Count("pk", filter=~Q(status="transferred_out")),
        in_service=Count("pk", filter=Q(in_service=True) & ~Q(status="transferred_out")),
    )
    reports = visible(user, DualReport.objects.all()).aggregate(
        active=Count("pk", filter=Q(status="active")),
        registered=Count("pk", filter=Q(status="registered")),
    )
    projects = visible(
        user, Project.objects.filter(parent__isnull=True, year=today.year)
    ).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status="completed")),
        budget=Sum("budget"),
    )
    context = {
        "organizations": visible(user, PartyOrganization.objects.all()).count(),
        "members": members,
        "reports": reports,
        "projects": projects,
        "wishes_open": visible(user, MicroWish.objects.filter(status="published")).count(),
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


# -- organizations and members ----------------------------------------------------------------
@party_page
def organizations(request):
    f = filters.OrganizationFilterSet(
        request.GET, queryset=selectors.organization_list_for(request.user)
    )
    qs = f.qs
    base = qs.aggregate(top=Min("level"))["top"] or 0
    if not request.GET.get("kind"):
        # Committees and branches; the party groups below a branch are on the branch's page.
        qs = qs.filter(level__lte=base + 2)
    nodes = list(qs[:500])
    for node in nodes:
        node.indent = node.level - base
    return render(request, "partybuilding/organizations.html", {"filter": f, "nodes": nodes})


@party_page
def organization_detail(request, pk):
    org = _get(request.user, selectors.organization_list_for(request.user), pk)
    personal = PersonalData(request.user)
    context = {
        "org": org,
        "ancestors": list(
            PartyOrganization.objects.filter(PartyOrganization.ancestors_q(org)).order_by("lft")
        ),
        "children": selectors.organization_list_for(request.user).filter(parent=org),
        "posts": selectors.organization_posts(org),
        "full_phone": personal.allowed(org.area),
        **_page(request, selectors.member_list_for(request.user).filter(organization=org)),
    }
    return render(request, "partybuilding/organization_detail.html", context)


@party_page
def members(request):
    f = filters.MemberFilterSet(request.GET, queryset=selectors.member_list_for(request.user))
    context = {"filter": f, "personal": PersonalData(request.user), **_page(request, f.qs)}
    for member in context["rows"]:
        member.full_phone = context["personal"].allowed(member.organization.area)
    return render(request, "partybuilding/members.html", context)


@party_page
def member_new(request):
    return _form_page(
        request,
        form=forms.MemberForm(request.POST or None, user=request.user),
        save=lambda f: services.member_save(actor=request.user, member=f.instance),
        title=_("Register a party member"),
        back="partybuilding:members",
        success=_("The member has been registered."),
        done=lambda member: reverse("partybuilding:members"),
    )


@party_page
def identity_card(request, pk):
    """亮身份: the printable card of one building."""
    building = _get(
        request.user, Area.objects.filter(kind__in=[AreaKind.BUILDING, AreaKind.UNIT]), pk
    )
    members = selectors.show_identity_card(request.user, building)
    return render(
        request, "partybuilding/identity_card.html", {"building": building, "members": members}
    )


@party_page
def identity_index(request):
    """Buildings of the scope with party members living in them, to print their cards."""
    rows = (
        visible(request.user, Area.objects.filter(kind=AreaKind.BUILDING))
        .annotate(
            n=Count(
                "resident_party_members",
                filter=~Q(resident_party_members__status="transferred_out"),
            )
        )
        .filter(n__gt=0)
        .order_by("code")
    )
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    return render(request, "partybuilding/identity_index.html", {"q": q, **_page(request, rows)})


# -- dual reporting ---------------------------------------------------------------------------
@party_page
def dual_reports(request):
    f = filters.DualReportFilterSet(
        request.GET, queryset=selectors.dual_report_list_for(request.user)
    )
    context = {
        "filter": f,
        "board": selectors.dual_report_board(request.user),
        "communities": selectors.scope_communities(request.user),
        "can_change": _can_change(request.user),
        **_page(request, f.qs),
    }
    return render(request, "partybuilding/dual_reports.html", context)


@party_page
def dual_report_new(request):
    return _form_page(
        request,
        form=forms.DualReportForm(request.POST or None, user=request.user),
        save=lambda f: services.dual_report_register(actor=request.user, **f.cleaned_data),
        title=_("Register a dual report"),
        back="partybuilding:dual-reports",
        success=_("The dual report has been registered."),
        done=lambda report: reverse("partybuilding:dual-report", args=[report.pk]),
    )


@party_page
def dual_report_detail(request, pk):
    report = _get(request.user, selectors.dual_report_list_for(request.user), pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action in REPORT_TRANSITIONS:
            _run(
                request,
                lambda: services.dual_report_transition(
                    actor=request.user,
                    report=report,
                    action=action,
                    reason=request.POST.get("reason", ""),
                ),
                _("The report has been updated."),
            )
        elif action == "service":
            form = forms.ServiceRecordForm(request.POST)
            if form.is_valid():
                _run(
                    request,
                    lambda: services.dual_report_record_service(
                        actor=request.user, report=report, **form.cleaned_data
                    ),
                    _("The service has been recorded."),
                )
            else:
                for errors in form.errors.values():
                    for e in errors:
                        messages.error(request, e)
        return redirect("partybuilding:dual-report", pk)
    today = timezone.localdate()
    context = {
        "report": report,
        "services": report.services.all()[:50],
        "can_change": may_change_in(request.user, report.community),
        "service_form": forms.ServiceRecordForm(initial={"served_on": today}),
        "quarter": (today.month - 1) // 3 + 1,
        "year": today.year,
        "steps": [a for a, (sources, _t) in REPORT_TRANSITIONS.items() if report.status in sources],
        "full_phone": report.member_id
        and PersonalData(request.user).allowed(report.member.organization.area),
    }
    return render(request, "partybuilding/dual_report_detail.html", context)


@party_page
def feedback_sheet(request, pk):
    report = _get(
        request.user, selectors.dual_report_list_for(request.user).filter(kind="personal"), pk
    )
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        quarter = int(request.GET.get("quarter", (today.month - 1) // 3 + 1))
    except ValueError:
        raise Http404 from None
    if not (1 <= quarter <= 4 and 2000 <= year <= today.year + 1):
        raise Http404
    return render(
        request,
        "partybuilding/feedback_sheet.html",
        selectors.feedback_sheet(report, year=year, quarter=quarter),
    )


# -- units and agreements ---------------------------------------------------------------------
@party_page
def units(request):
    f = filters.UnitFilterSet(request.GET, queryset=selectors.unit_list_for(request.user))
    personal = PersonalData(request.user)
    context = {"filter": f, "can_change": _can_change(request.user), **_page(request, f.qs)}
    for unit in context["rows"]:
        # Both rights are the party-change scope (officers and street admins), read once.
        unit.full_phone = unit.can_edit = personal.allowed(unit.area)
    return render(request, "partybuilding/units.html", context)


@party_page
def agreements(request):
    f = filters.AgreementFilterSet(request.GET, queryset=selectors.agreement_list_for(request.user))
    context = {
        "filter": f,
        "communities": selectors.scope_communities(request.user),
        "can_change": _can_change(request.user),
        **_page(request, f.qs),
    }
    personal = PersonalData(request.user)
    for agreement in context["rows"]:
        agreement.can_edit = personal.allowed(agreement.community)
    return render(request, "partybuilding/agreements.html", context)


# -- projects and the three lists -------------------------------------------------------------
@party_page
def projects(request):
    data = request.GET.copy()
    data.setdefault("top", "true")
    f = filters.ProjectFilterSet(data, queryset=selectors.project_list_for(request.user))
    return render(
        request,
        "partybuilding/projects.html",
        {"filter": f, "can_change": _can_change(request.user), **_page(request, f.qs)},
    )


@party_page
def project_detail(request, pk):
    project = _get(request.user, selectors.project_list_for(request.user), pk)
    can_change = may_change_in(request.user, project.area)
    form = forms.ProjectStatusForm(request.POST or None, initial={"status": project.status})
    if request.method == "POST":
        if request.POST.get("action") == "publish":
            _run(
                request,
                lambda: services.project_publish_result(
                    actor=request.user, project=project, result=request.POST.get("result", "")
                ),
                _("The result is public now."),
            )
            return redirect("partybuilding:project", pk)
        if form.is_valid():
            done = _run(
                request,
                lambda: services.project_set_status(
                    actor=request.user, project=project, **form.cleaned_data
                ),
                _("The project has been updated."),
            )
            if done:
                return redirect("partybuilding:project", pk)
    context = {
        **selectors.project_detail(project),
        "ancestors": list(Project.objects.filter(Project.ancestors_q(project)).order_by("lft")),
        "form": form,
        "can_change": can_change,
    }
    return render(request, "partybuilding/project_detail.html", context)


def project_result(request, pk):
    """The public result page residents read (no sign-in; only published results)."""
    project = Project.objects.filter(pk=pk, is_public=True).select_related("area").first()
    if project is None:
        raise Http404
    return render(request, "partybuilding/project_result.html", selectors.project_detail(project))


@party_page
def lists(request):
    """The three lists side by side: open demands, available resources, current projects."""
    user = request.user
    context = {
        "demands": selectors.demand_list_for(user).filter(status="open")[:15],
        "resources": selectors.resource_list_for(user).filter(is_available=True)[:15],
        "projects": selectors.project_list_for(user)
        .filter(parent__isnull=True)
        .exclude(status="completed")[:15],
        "counts": {
            "demands": visible(user, Demand.objects.filter(status="open")).count(),
            "resources": visible(
                user, selectors.Resource.objects.filter(is_available=True)
            ).count(),
            "projects": visible(user, Project.objects.filter(parent__isnull=True))
            .exclude(status="completed")
            .count(),
        },
    }
    return render(request, "partybuilding/lists.html", context)


@party_page
def demands(request):
    f = filters.DemandFilterSet(request.GET, queryset=selectors.demand_list_for(request.user))
    return render(request, "partybuilding/demands.html", {"filter": f, **_page(request, f.qs)})


@party_page
def demand_new(request):
    return _form_page(
        request,
        form=forms.DemandForm(request.POST or None, user=request.user),
        save=lambda f: _record(request, f),
        title=_("List a demand"),
        back="partybuilding:demands",
        success=_("The demand has been listed."),
        done=lambda demand: reverse("partybuilding:demand-match", args=[demand.pk]),
    )


@party_page
def resources(request):
    f = filters.ResourceFilterSet(request.GET, queryset=selectors.resource_list_for(request.user))
    return render(request, "partybuilding/resources.html", {"filter": f, **_page(request, f.qs)})


@party_page
def demand_match(request, pk):
    demand = _get(request.user, selectors.demand_list_for(request.user), pk)
    suggestions = selectors.suggest_resources(request.user, demand)
    form = forms.DemandMatchForm(
        request.POST or None, suggestions=suggestions, initial={"name": demand.title}
    )
    if request.method == "POST" and form.is_valid():
        project = _run(
            request,
            lambda: services.demand_match(
                actor=request.user,
                demand=demand,
                resources=list(form.cleaned_data["resources"]),
                name=form.cleaned_data["name"],
            ),
            _("The demand has become a project."),
        )
        if project:
            return redirect("partybuilding:project", project.pk)
    return render(
        request,
        "partybuilding/demand_match.html",
        {
            "demand": demand,
            "suggestions": suggestions,
            "form": form,
            "can_change": may_change_in(request.user, demand.area),
        },
    )


# -- micro-wishes -----------------------------------------------------------------------------
@party_page
def wishes(request):
    data = request.GET.copy()
    f = filters.WishFilterSet(data, queryset=selectors.wish_list_for(request.user))
    counts = dict(
        visible(request.user, MicroWish.objects.all())
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    claiming = None
    if request.GET.get("claim", "").isdigit():
        claiming = visible(
            request.user, MicroWish.objects.filter(pk=request.GET["claim"], status="published")
        ).first()
    context = {
        "filter": f,
        "tabs": [(v, label, counts.get(v, 0)) for v, label in MicroWish.Status.choices],
        "claiming": claiming,
        "claim_form": forms.WishClaimForm(user=request.user) if claiming else None,
        "can_change": _can_change(request.user),
        **_page(request, f.qs),
    }
    return render(request, "partybuilding/wishes.html", context)


@party_page
def wish_new(request):
    return _form_page(
        request,
        form=forms.WishForm(request.POST or None, user=request.user),
        save=lambda f: _record(request, f),
        title=_("Publish a micro-wish"),
        back="partybuilding:wishes",
        success=_("The wish is on the wall."),
        done=lambda wish: reverse("partybuilding:wishes"),
    )


@party_page
@require_POST
def wish_action(request, pk):
    wish = _get(request.user, MicroWish.objects.select_related("area"), pk)
    action = request.POST.get("action")
    if action == "claim":
        form = forms.WishClaimForm(request.POST, user=request.user)
        if form.is_valid():
            _run(
                request,
                lambda: services.wish_claim(actor=request.user, wish=wish, **form.cleaned_data),
                _("The wish has been claimed."),
            )
        else:
            messages.error(
                request, " ".join(form.non_field_errors()) or _("Choose one member or one unit.")
            )
    elif action == "fulfil":
        form = forms.WishFulfilForm(request.POST, request.FILES)
        if form.is_valid():
            _run(
                request,
                lambda: services.wish_fulfil(
                    actor=request.user,
                    wish=wish,
                    note=form.cleaned_data["note"],
                    photo=form.cleaned_data["photo"],
                ),
                _("The wish has been fulfilled."),
            )
        else:
            messages.error(request, _("Say how the wish was fulfilled."))
    elif action == "release":
        _run(
            request,
            lambda: services.wish_release(actor=request.user, wish=wish),
            _("The wish is back on the wall."),
        )
    elif action == "withdraw":
        _run(
            request,
            lambda: services.wish_withdraw(actor=request.user, wish=wish),
            _("The wish has been withdrawn."),
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "partybuilding:wishes"
    return redirect(target)


# -- volunteers, activities, points -----------------------------------------------------------
@party_page
def activities(request):
    f = filters.ActivityFilterSet(request.GET, queryset=selectors.activity_list_for(request.user))
    return render(
        request,
        "partybuilding/activities.html",
        {"filter": f, "can_change": _can_change(request.user), **_page(request, f.qs)},
    )


@party_page
def activity_new(request):
    def save(form):
        form.instance.organizer = request.user
        return _record(request, form)

    return _form_page(
        request,
        form=forms.ActivityForm(request.POST or None, user=request.user),
        save=save,
        title=_("New service activity"),
        back="partybuilding:activities",
        success=_("The activity is open for sign-up."),
        done=lambda activity: reverse("partybuilding:activity", args=[activity.pk]),
    )


@party_page
def activity_detail(request, pk):
    activity = _get(request.user, selectors.activity_list_for(request.user), pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "sign_up":
            form = forms.SignUpForm(request.POST, user=request.user)
            if form.is_valid():
                _run(
                    request,
                    lambda: services.activity_sign_up(
                        actor=request.user,
                        activity=activity,
                        volunteer=form.cleaned_data["volunteer"],
                    ),
                    _("Signed up."),
                )
        else:
            participation = activity.participations.filter(
                pk=request.POST.get("participation")
            ).first()
            steps = {
                "check_in": (services.participation_check_in, _("Checked in.")),
                "check_out": (services.participation_check_out, _("Checked out.")),
                "approve": (services.participation_approve, _("Hours approved; points paid.")),
            }
            if participation is None or action not in steps:
                raise Http404
            service, text = steps[action]
            _run(request, lambda: service(actor=request.user, participation=participation), text)
        return redirect("partybuilding:activity", pk)
    context = {
        "activity": activity,
        "participations": selectors.activity_participations(activity),
        "can_change": may_change_in(request.user, activity.area),
        "is_organizer": activity.organizer_id == request.user.pk or request.user.is_superuser,
        "sign_up_form": forms.SignUpForm(user=request.user),
    }
    return render(request, "partybuilding/activity_detail.html", context)


@party_page
def volunteers(request):
    f = filters.VolunteerFilterSet(request.GET, queryset=selectors.volunteer_list_for(request.user))
    today = timezone.localdate()
    period = request.GET.get("period", "year")
    since = today.replace(month=1, day=1) if period == "year" else today.replace(day=1)
    area = None
    if request.GET.get("within"):
        area = visible(request.user, Area.objects.filter(pk=request.GET["within"])).first()
    context = {
        "filter": f,
        "period": period,
        "communities": selectors.scope_communities(request.user),
        "board": selectors.leaderboard(request.user, area=area, since=since, until=today, limit=10),
        "rewards": selectors.reward_list_for(request.user)[:12],
        **_page(request, f.qs),
    }
    return render(request, "partybuilding/volunteers.html", context)


@party_page
def volunteer_detail(request, pk):
    volunteer = _get(request.user, Volunteer.objects.select_related("area", "member"), pk)
    return _volunteer_page(request, volunteer, own=False)


def _volunteer_page(request, volunteer, *, own: bool):
    form = forms.RedeemForm(request.POST or None, user=request.user, volunteer=volunteer)
    if request.method == "POST" and form.is_valid():
        _run(
            request,
            lambda: services.reward_redeem(
                actor=request.user, volunteer=volunteer, reward=form.cleaned_data["reward"]
            ),
            _("Redeemed. The points have been deducted."),
        )
        return redirect(request.path)
    context = {
        "volunteer": volunteer,
        "own": own,
        "balance": selectors.points_balance(volunteer),
        "ledger": selectors.ledger_for(volunteer)[:100],
        "participations": volunteer.participations.select_related("activity").order_by(
            "-activity__starts_at"
        )[:20],
        "form": form,
        "can_change": own or may_change_in(request.user, volunteer.area),
    }
    if own:
        context["open_activities"] = (
            Activity.objects.filter(
                status="open",
                ends_at__gt=timezone.now(),
                area__in=Area.objects.filter(Area.ancestors_q(volunteer.area, include_self=True)),
            )
            .exclude(participations__volunteer=volunteer)
            .select_related("area")
            .order_by("starts_at")[:10]
        )
    return render(request, "partybuilding/volunteer_detail.html", context)


@login_required
def my_volunteering(request):
    """A volunteer's own page: balance and why it changed, sign-ups, check-in/out, rewards."""
    volunteer = Volunteer.objects.filter(user=request.user).select_related("area").first()
    if volunteer is None:
        raise Http404
    if request.method == "POST" and request.POST.get("action"):
        action = request.POST["action"]
        if action == "sign_up":
            activity = Activity.objects.filter(pk=request.POST.get("activity")).first()
            if activity is None:
                raise Http404
            _run(
                request,
                lambda: services.activity_sign_up(
                    actor=request.user, activity=activity, volunteer=volunteer
                ),
                _("Signed up."),
            )
        elif action in ("check_in", "check_out"):
            participation = (
                Participation.objects.filter(
                    pk=request.POST.get("participation"), volunteer=volunteer
                )
                .select_related("activity__area")
                .first()
            )
            if participation is None:
                raise Http404
            service = (
                services.participation_check_in
                if action == "check_in"
                else services.participation_check_out
            )
            _run(
                request,
                lambda: service(actor=request.user, participation=participation),
                _("Checked in.") if action == "check_in" else _("Checked out."),
            )
        return redirect("partybuilding:me")
    return _volunteer_page(request, volunteer, own=True)


# -- meetings ---------------------------------------------------------------------------------
@party_page
def meetings(request):
    today = timezone.localdate()
    if request.method == "POST":
        series = _get(
            request.user, MeetingSeries.objects.select_related("area"), request.POST.get("series")
        )
        until = _planning_horizon(today)
        created = _run(
            request,
            lambda: services.series_generate(actor=request.user, series=series, until=until),
            _("Meetings of “%(series)s” are planned until %(until)s.")
            % {"series": series.title, "until": until.isoformat()},
        )
        if created is not None:
            return redirect(f"{request.path}?year={until.year}&month={until.month}")
        return redirect("partybuilding:meetings")
    try:
        year = int(request.GET.get("year", today.year))
        month = int(request.GET.get("month", today.month))
        first = dt.date(year, month, 1)
    except ValueError:
        raise Http404 from None
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    by_day = selectors.meetings_by_day(request.user, first=first, last=last)
    weeks = [
        [{"day": d, "meetings": by_day.get(d, []), "in_month": d.month == month} for d in week]
        for week in calendar.Calendar().monthdatescalendar(year, month)
    ]
    prev_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = last + dt.timedelta(days=1)
    context = {
        "weeks": weeks,
        "first": first,
        "today": today,
        "prev": prev_month,
        "next": next_month,
        "agenda": [m for d in sorted(by_day) for m in by_day[d]],
        "series": visible(request.user, MeetingSeries.objects.select_related("area")).order_by(
            "title"
        ),
        "can_change": _can_change(request.user),
    }
    return render(request, "partybuilding/meetings.html", context)


@party_page
def meeting_detail(request, pk):
    meeting = _get(request.user, selectors.meeting_list_for(request.user), pk)
    can_change = may_change_in(request.user, meeting.area)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "open_project":
            resolution = meeting.resolutions.filter(pk=request.POST.get("resolution")).first()
            if resolution is None:
                raise Http404
            project = _run(
                request,
                lambda: services.resolution_open_project(actor=request.user, resolution=resolution),
                _("A project has been opened from the resolution."),
            )
            if project:
                return redirect("partybuilding:project", project.pk)
        elif action == "open_case":
            resolution = meeting.resolutions.filter(pk=request.POST.get("resolution")).first()
            if resolution is None:
                raise Http404
            form = forms.OpenCaseForm(request.POST, user=request.user, meeting=meeting)
            if form.is_valid():
                case = _run(
                    request,
                    lambda: services.resolution_open_case(
                        actor=request.user, resolution=resolution, **form.cleaned_data
                    ),
                    _("A case has been filed from the resolution."),
                )
                if case:
                    return redirect("casework:detail", case.pk)
            else:
                for name, errors in form.errors.items():
                    label = form.fields[name].label if name in form.fields else ""
                    for e in errors:
                        messages.error(request, f"{label}: {e}" if label else e)
        elif action == "resolution":
            _run(
                request,
                lambda: services.resolution_add(
                    actor=request.user, meeting=meeting, text=request.POST.get("text", "")
                ),
                _("The resolution has been recorded."),
            )
        return redirect("partybuilding:meeting", pk)
    context = {
        "meeting": meeting,
        "attendees": meeting.attendees.all(),
        "resolutions": Resolution.objects.filter(meeting=meeting).select_related("project", "case"),
        "can_change": can_change,
        "case_form": _open_case_form(request.user, meeting),
    }
    return render(request, "partybuilding/meeting_detail.html", context)


def _open_case_form(user, meeting):
    """The form shown under each resolution without a case, to users who file cases (who may
    file where is casework's rule; the service checks it). Its choices are read once for all
    resolutions of the page."""
    if not can_report(user):
        return None
    form = forms.OpenCaseForm(user=user, meeting=meeting, auto_id=False)
    for name in ("category", "area"):
        form.fields[name].choices = list(form.fields[name].choices)
    return form


# -- create and edit pages --------------------------------------------------------------------
def _editable(request, queryset, pk, area_path: str = "area"):
    """The row to edit: visible to the user (else 404) and inside their change scope (else 403)."""
    obj = _get(request.user, queryset, pk)
    area = obj
    for step in area_path.split("__"):
        area = getattr(area, step)
    if not may_change_in(request.user, area):
        raise PermissionDenied
    return obj


def _form_page(request, *, form, save, title: str, back: str, success: str, done):
    """Validate ``form``, write through ``save(form)`` and go to ``done(obj)``; on a refusal
    of the service its field errors go back onto the form, and nothing is written."""
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not do this."))
        else:
            messages.success(request, success)
            return redirect(done(obj))
    return render(request, "partybuilding/form.html", {"form": form, "title": title, "back": back})


def _change_page(request):
    if not _can_change(request.user):
        raise PermissionDenied


def _record(request, form, area_path="area"):
    return services.record_save(actor=request.user, obj=form.instance, area_path=area_path)


@party_page
def unit_edit(request, pk=None):
    _change_page(request)
    unit = _editable(request, CoConstructionUnit.objects.select_related("area"), pk) if pk else None
    form = forms.UnitForm(request.POST or None, instance=unit, user=request.user)
    return _form_page(
        request,
        form=form,
        save=lambda f: _record(request, f),
        title=_("Edit %(name)s") % {"name": unit.name} if unit else _("New co-construction unit"),
        back="partybuilding:units",
        success=_("The unit has been saved."),
        done=lambda obj: f"{reverse('partybuilding:units')}?{urlencode({'q': obj.name})}",
    )


@party_page
def agreement_edit(request, pk=None):
    _change_page(request)
    agreement = (
        _editable(request, PairingAgreement.objects.select_related("community"), pk, "community")
        if pk
        else None
    )
    form = forms.AgreementForm(
        request.POST or None, request.FILES or None, instance=agreement, user=request.user
    )
    if agreement is None and request.GET.get("unit", "").isdigit():
        form.initial["unit"] = request.GET["unit"]
    return _form_page(
        request,
        form=form,
        save=lambda f: _record(request, f, "community"),
        title=_("Edit the pairing agreement") if agreement else _("New pairing agreement"),
        back="partybuilding:agreements",
        success=_("The agreement has been saved."),
        done=lambda obj: reverse("partybuilding:agreements"),
    )


@party_page
def project_edit(request, pk=None):
    _change_page(request)
    project = _editable(request, Project.objects.select_related("area"), pk) if pk else None
    form = forms.ProjectForm(request.POST or None, instance=project, user=request.user)
    if project is None and request.GET.get("parent", "").isdigit():
        form.initial["parent"] = request.GET["parent"]

    def save(f):
        data = f.cleaned_data
        return services.project_save(
            actor=request.user,
            project=f.instance,
            units=list(data["units"]),
            owners=list(data["owners"]),
        )

    return _form_page(
        request,
        form=form,
        save=save,
        title=_("Edit %(name)s") % {"name": project.name} if project else _("New project"),
        back="partybuilding:projects",
        success=_("The project has been saved."),
        done=lambda obj: reverse("partybuilding:project", args=[obj.pk]),
    )


@party_page
def councils(request):
    rows = selectors.council_list_for(request.user)
    return render(
        request,
        "partybuilding/councils.html",
        {"can_change": _can_change(request.user), **_page(request, rows)},
    )


@party_page
def council_edit(request, pk=None):
    _change_page(request)
    council = _editable(request, Council.objects.select_related("area"), pk) if pk else None
    form = forms.CouncilForm(request.POST or None, instance=council, user=request.user)
    return _form_page(
        request,
        form=form,
        save=lambda f: _record(request, f),
        title=_("Edit %(name)s") % {"name": council.name} if council else _("New council"),
        back="partybuilding:councils",
        success=_("The council has been saved."),
        done=lambda obj: reverse("partybuilding:councils"),
    )


@party_page
def meeting_edit(request, pk=None):
    _change_page(request)
    meeting = _editable(request, Meeting.objects.select_related("area"), pk) if pk else None
    form = forms.MeetingForm(request.POST or None, instance=meeting, user=request.user)
    if meeting is None and request.GET.get("council", "").isdigit():
        form.initial["council"] = request.GET["council"]
    return _form_page(
        request,
        form=form,
        save=lambda f: _record(request, f),
        title=_("Edit %(name)s") % {"name": meeting.title} if meeting else _("New meeting"),
        back="partybuilding:meetings",
        success=_("The meeting has been saved."),
        done=lambda obj: reverse("partybuilding:meeting", args=[obj.pk]),
    )


@party_page
def series_edit(request, pk=None):
    _change_page(request)
    series = _editable(request, MeetingSeries.objects.select_related("area"), pk) if pk else None
    form = forms.SeriesForm(request.POST or None, instance=series, user=request.user)
    until = _planning_horizon(timezone.localdate())
    return _form_page(
        request,
        form=form,
        save=lambda f: services.series_save(
            actor=request.user, series=f.instance, plan_until=until
        ),
        title=_("Edit %(name)s") % {"name": series.title} if series else _("New fixed-day session"),
        back="partybuilding:meetings",
        success=_("The session is saved; its meetings are planned until %(until)s.")
        % {"until": until.isoformat()},
        done=lambda obj: (
            f"{reverse('partybuilding:meetings')}?year={until.year}&month={until.month}"
        ),
    )


def _planning_horizon(today: dt.date) -> dt.date:
    """The end of next month: far enough to plan, near enough to change course."""
    after_next = (today.replace(day=1) + dt.timedelta(days=62)).replace(day=1)
    return after_next - dt.timedelta(days=1)
