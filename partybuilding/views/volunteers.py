"""Pages of volunteering: activities with sign-up and check-in, volunteers, points and
rewards, and a volunteer's own page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.scopes import visible
from grids.models import Area
from partybuilding import filters, selectors, services
from partybuilding.forms.volunteers import ActivityForm, RedeemForm, SignUpForm
from partybuilding.models import (
    Participation,
    Volunteer,
)
from partybuilding.permissions import may_approve_hours, may_change_in, may_change_somewhere
from partybuilding.views.common import (
    call_service,
    form_page,
    get_visible_or_404,
    int_or_none,
    paginate,
    party_page,
)


@party_page
def activities(request):
    f = filters.ActivityFilterSet(request.GET, queryset=selectors.activity_list_for(request.user))
    return render(
        request,
        "partybuilding/activities.html",
        {"filter": f, "can_change": may_change_somewhere(request.user), **paginate(request, f.qs)},
    )


@party_page
def activity_new(request):
    return form_page(
        request,
        form=ActivityForm(request.POST or None, user=request.user),
        save=lambda f: services.activity_create(actor=request.user, activity=f.instance),
        title=_("New service activity"),
        back="partybuilding:activities",
        success=_("The activity is open for sign-up."),
        done=lambda activity: reverse("partybuilding:activity", args=[activity.pk]),
    )


@party_page
def activity_detail(request, pk):
    activity = get_visible_or_404(request.user, selectors.activity_list_for(request.user), pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "sign_up":
            form = SignUpForm(request.POST, user=request.user)
            if form.is_valid():
                call_service(
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
                pk=int_or_none(request.POST.get("participation"))
            ).first()
            steps = {
                "check_in": (services.participation_check_in, _("Checked in.")),
                "check_out": (services.participation_check_out, _("Checked out.")),
                "approve": (services.participation_approve, _("Hours approved; points paid.")),
            }
            if participation is None or action not in steps:
                raise Http404
            service, text = steps[action]
            call_service(
                request, lambda: service(actor=request.user, participation=participation), text
            )
        return redirect("partybuilding:activity", pk)
    context = {
        "activity": activity,
        "participations": selectors.activity_participations(activity),
        "can_change": may_change_in(request.user, activity.area),
        "is_organizer": may_approve_hours(request.user, activity),
        "sign_up_form": SignUpForm(user=request.user),
    }
    return render(request, "partybuilding/activity_detail.html", context)


@party_page
def volunteers(request):
    f = filters.VolunteerFilterSet(request.GET, queryset=selectors.volunteer_list_for(request.user))
    today = timezone.localdate()
    period = request.GET.get("period", "year")
    since = today.replace(month=1, day=1) if period == "year" else today.replace(day=1)
    area = None
    status = 200
    if f.is_bound and not f.form.is_valid():
        # A malformed filter (``within=abc``) is the user's mistake: say so, with a 400.
        for name, errors in f.form.errors.items():
            messages.error(request, f"{f.form.fields[name].label}: {' '.join(errors)}")
        status = 400
    elif f.form.cleaned_data.get("within") is not None:
        area = visible(request.user, Area.objects.filter(pk=f.form.cleaned_data["within"])).first()
    context = {
        "filter": f,
        "period": period,
        "communities": selectors.scope_communities(request.user),
        "board": selectors.leaderboard(request.user, area=area, since=since, until=today, limit=10),
        "rewards": selectors.reward_list_for(request.user)[:12],
        **paginate(request, f.qs),
    }
    return render(request, "partybuilding/volunteers.html", context, status=status)


@party_page
def volunteer_detail(request, pk):
    volunteer = get_visible_or_404(
        request.user, Volunteer.objects.select_related("area", "member"), pk
    )
    return _volunteer_page(request, volunteer, own=False)


def _volunteer_page(request, volunteer, *, own: bool):
    form = RedeemForm(request.POST or None, user=request.user, volunteer=volunteer)
    if request.method == "POST" and form.is_valid():
        call_service(
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
        context["open_activities"] = selectors.open_activities_for(volunteer)
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
            activity = (
                selectors.activities_open_to(volunteer)
                .filter(pk=int_or_none(request.POST.get("activity")))
                .first()
            )
            if activity is None:
                raise Http404
            call_service(
                request,
                lambda: services.activity_sign_up(
                    actor=request.user, activity=activity, volunteer=volunteer
                ),
                _("Signed up."),
            )
        elif action in ("check_in", "check_out"):
            participation = (
                Participation.objects.filter(
                    pk=int_or_none(request.POST.get("participation")), volunteer=volunteer
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
            call_service(
                request,
                lambda: service(actor=request.user, participation=participation),
                _("Checked in.") if action == "check_in" else _("Checked out."),
            )
        return redirect("partybuilding:me")
    return _volunteer_page(request, volunteer, own=True)
