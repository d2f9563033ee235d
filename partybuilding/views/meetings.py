"""Pages of councils and meetings: the calendar, fixed-day sessions, a meeting with its
resolutions (which open a project or a case)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.selectors import can_report
from governance.scopes import visible
from partybuilding import selectors, services
from partybuilding.forms.meetings import CouncilForm, MeetingForm, OpenCaseForm, SeriesForm
from partybuilding.models import (
    HOLDING_STATUSES,
    Council,
    Meeting,
    MeetingSeries,
    Resolution,
)
from partybuilding.permissions import may_change_in, may_change_somewhere
from partybuilding.views.common import (
    call_service,
    editable_row,
    form_page,
    get_visible_or_404,
    int_or_none,
    paginate,
    party_page,
    record_form_save,
    require_change_role,
)


@party_page
def meetings(request):
    today = timezone.localdate()
    if request.method == "POST":
        series = get_visible_or_404(
            request.user, MeetingSeries.objects.select_related("area"), request.POST.get("series")
        )
        until = _planning_horizon(today)
        created = call_service(
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
        "can_change": may_change_somewhere(request.user),
    }
    return render(request, "partybuilding/meetings.html", context)


@party_page
def meeting_detail(request, pk):
    meeting = get_visible_or_404(request.user, selectors.meeting_list_for(request.user), pk)
    can_change = may_change_in(request.user, meeting.area)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "open_project":
            resolution = meeting.resolutions.filter(
                pk=int_or_none(request.POST.get("resolution"))
            ).first()
            if resolution is None:
                raise Http404
            project = call_service(
                request,
                lambda: services.resolution_open_project(actor=request.user, resolution=resolution),
                _("A project has been opened from the resolution."),
            )
            if project:
                return redirect("partybuilding:project", project.pk)
        elif action == "open_case":
            resolution = meeting.resolutions.filter(
                pk=int_or_none(request.POST.get("resolution"))
            ).first()
            if resolution is None:
                raise Http404
            form = OpenCaseForm(request.POST, user=request.user, meeting=meeting)
            if form.is_valid():
                case = call_service(
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
            call_service(
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
        "bookings": meeting.bookings.filter(status__in=HOLDING_STATUSES).select_related(
            "room__position"
        ),
    }
    return render(request, "partybuilding/meeting_detail.html", context)


def _open_case_form(user, meeting):
    """The form shown under each resolution without a case, to users who file cases (who may
    file where is casework's rule; the service checks it). Its choices are read once for all
    resolutions of the page."""
    if not can_report(user):
        return None
    form = OpenCaseForm(user=user, meeting=meeting, auto_id=False)
    for name in ("category", "area"):
        form.fields[name].choices = list(form.fields[name].choices)
    return form


@party_page
def meeting_edit(request, pk=None):
    require_change_role(request)
    meeting = editable_row(request, Meeting.objects.select_related("area"), pk) if pk else None
    form = MeetingForm(
        request.POST or None,
        instance=meeting,
        user=request.user,
        consortium=request.GET.get("consortium"),
    )
    if meeting is None and request.GET.get("council", "").isdigit():
        form.initial["council"] = request.GET["council"]
    return form_page(
        request,
        form=form,
        save=lambda f: services.meeting_save(
            actor=request.user, meeting=f.instance, status=f.cleaned_data["status"]
        ),
        title=_("Edit %(name)s") % {"name": meeting.title} if meeting else _("New meeting"),
        back="partybuilding:meetings",
        success=_("The meeting has been saved."),
        done=lambda obj: reverse("partybuilding:meeting", args=[obj.pk]),
    )


@party_page
def series_edit(request, pk=None):
    require_change_role(request)
    series = editable_row(request, MeetingSeries.objects.select_related("area"), pk) if pk else None
    form = SeriesForm(request.POST or None, instance=series, user=request.user)
    until = _planning_horizon(timezone.localdate())
    return form_page(
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


@party_page
def councils(request):
    rows = selectors.council_list_for(request.user)
    return render(
        request,
        "partybuilding/councils.html",
        {"can_change": may_change_somewhere(request.user), **paginate(request, rows)},
    )


@party_page
def council_edit(request, pk=None):
    require_change_role(request)
    council = editable_row(request, Council.objects.select_related("area"), pk) if pk else None
    form = CouncilForm(request.POST or None, instance=council, user=request.user)
    return form_page(
        request,
        form=form,
        save=lambda f: record_form_save(request, f),
        title=_("Edit %(name)s") % {"name": council.name} if council else _("New council"),
        back="partybuilding:councils",
        success=_("The council has been saved."),
        done=lambda obj: reverse("partybuilding:councils"),
    )
