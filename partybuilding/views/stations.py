"""Pages of the deputies' contact station: the stations with their deputies and reception days,
a reception day where opinions are recorded, an opinion turned into a demand, a case or a
reply, a deputy's follow-up and yearly summary (the deputy reads their own), and the public
list of upcoming reception days."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import privacy
from governance.forms import RevealForm, apply_service_errors
from governance.scopes import can_change
from partybuilding import services
from partybuilding import station_selectors as selectors
from partybuilding.forms.stations import (
    DeputyForm,
    OpinionCaseForm,
    OpinionDemandForm,
    OpinionForm,
    OpinionReplyForm,
    ReceptionForm,
    StationForm,
)
from partybuilding.models import ContactStation, Deputy, Opinion, OpinionOutcome, Reception
from partybuilding.permissions import may_change_somewhere
from partybuilding.views.common import (
    editable_row,
    form_page,
    get_visible_or_404,
    int_or_none,
    paginate,
    party_page,
    record_form_save,
    require_change_role,
    year_param,
)


@party_page
def stations(request):
    today = timezone.localdate()
    context = {
        **paginate(request, selectors.station_list_for(request.user)),
        "upcoming": selectors.reception_list_for(request.user)
        .filter(day__gte=today)
        .exclude(status=Reception.Status.CANCELLED)
        .order_by("day", "starts")[:10],
        "deputies": selectors.deputy_list_for(request.user)[:50],
        "pending": selectors.opinion_list_for(request.user).filter(outcome=OpinionOutcome.PENDING)[
            :20
        ],
        "can_change": may_change_somewhere(request.user),
    }
    return render(request, "partybuilding/stations.html", context)


@party_page
def station_edit(request, pk=None):
    require_change_role(request)
    station = None if pk is None else editable_row(request, ContactStation.objects.all(), pk)
    return form_page(
        request,
        form=StationForm(request.POST or None, instance=station, user=request.user),
        save=lambda form: record_form_save(request, form),
        title=_("Contact station"),
        back="partybuilding:stations",
        success=_("The station has been saved."),
        done=lambda obj: reverse("partybuilding:station", args=[obj.pk]),
    )


@party_page
def station_detail(request, pk):
    station = get_visible_or_404(request.user, ContactStation.objects.select_related("area"), pk)
    context = {
        "station": station,
        "deputies": station.deputies.order_by("kind", "name"),
        **paginate(
            request,
            selectors.reception_list_for(request.user)
            .filter(station=station)
            .order_by("-day", "-starts"),
        ),
        "can_change": can_change(request.user, station),
    }
    return render(request, "partybuilding/station_detail.html", context)


@party_page
def deputy_edit(request, pk=None):
    require_change_role(request)
    deputy = None if pk is None else editable_row(request, Deputy.objects.all(), pk)
    return form_page(
        request,
        form=DeputyForm(request.POST or None, instance=deputy, user=request.user),
        save=lambda form: services.deputy_save(
            actor=request.user,
            deputy=form.instance,
            stations=list(form.cleaned_data["stations"]),
        ),
        title=_("Deputy"),
        back="partybuilding:stations",
        success=_("The deputy has been saved."),
        done=lambda obj: reverse("partybuilding:deputy", args=[obj.pk]),
    )


@party_page
def reception_edit(request, pk=None):
    require_change_role(request)
    reception = None if pk is None else editable_row(request, Reception.objects.all(), pk)
    form = ReceptionForm(request.POST or None, instance=reception, user=request.user)
    station = int_or_none(request.GET.get("station"))
    if reception is None and station:
        form.initial["station"] = station
    return form_page(
        request,
        form=form,
        save=lambda form: services.reception_save(
            actor=request.user,
            reception=form.instance,
            deputies=list(form.cleaned_data["deputies"]),
            status=form.cleaned_data["status"],
        ),
        title=_("Reception day"),
        back="partybuilding:stations",
        success=_("The reception day has been saved."),
        done=lambda obj: reverse("partybuilding:reception", args=[obj.pk]),
    )


@party_page
def reception_detail(request, pk):
    reception = get_visible_or_404(
        request.user,
        Reception.objects.select_related("station__area").prefetch_related("deputies"),
        pk,
    )
    may_change = can_change(request.user, reception)
    form = None
    if may_change and reception.status != Reception.Status.CANCELLED:
        form = OpinionForm(
            request.POST or None, reception=reception, user=request.user, prefix="opinion"
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.opinion_record(
                    actor=request.user, reception=reception, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not do this."))
            else:
                messages.success(request, _("The opinion has been recorded."))
                return redirect(request.path)
    elif request.method == "POST":
        raise PermissionDenied
    context = {
        "reception": reception,
        "opinions": selectors.opinion_rows(reception.opinions.all()),
        "form": form,
        "can_change": may_change,
    }
    return render(request, "partybuilding/reception_detail.html", context)


HANDLERS = {
    "demand": (
        OpinionDemandForm,
        lambda request, opinion, data: services.opinion_to_demand(
            actor=request.user, opinion=opinion, **data
        ),
        _("The opinion is now a demand."),
    ),
    "case": (
        OpinionCaseForm,
        lambda request, opinion, data: services.opinion_to_case(
            actor=request.user, opinion=opinion, **data
        ),
        _("The opinion has opened a case."),
    ),
    "reply": (
        OpinionReplyForm,
        lambda request, opinion, data: services.opinion_reply(
            actor=request.user, opinion=opinion, **data
        ),
        _("The answer has been recorded."),
    ),
}


@party_page
def opinion_detail(request, pk):
    opinion = get_visible_or_404(request.user, selectors.opinion_rows(Opinion.objects.all()), pk)
    may_change = can_change(request.user, opinion) and opinion.is_pending
    forms = {}
    if may_change:
        action = request.POST.get("action") if request.method == "POST" else None
        for name, (form_class, handle, success) in HANDLERS.items():
            bound = request.POST if action == name else None
            form = form_class(bound, prefix=name)
            forms[name] = form
            if bound is not None and form.is_valid():
                try:
                    handle(request, opinion, form.cleaned_data)
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                except PermissionDenied as exc:
                    form.add_error(None, str(exc) or _("You may not do this."))
                else:
                    messages.success(request, success)
                    return redirect(request.path)
    elif request.method == "POST":
        raise PermissionDenied
    context = {
        "opinion": opinion,
        "resident_name": privacy.masked(opinion, "resident_name"),
        "resident_phone": privacy.masked(opinion, "resident_phone"),
        "may_reveal": privacy.may_reveal(request.user, opinion, "resident_phone"),
        "forms": forms,
        "open_form": request.POST.get("action") if request.method == "POST" else None,
    }
    return render(request, "partybuilding/opinion_detail.html", context)


@party_page
def opinion_reveal(request, pk):
    """The resident's name and phone in full: asked with a reason, read through
    governance.privacy (which checks role and scope and writes the access log)."""
    opinion = get_visible_or_404(request.user, Opinion.objects.all(), pk)
    if not privacy.may_reveal(request.user, opinion, "resident_phone"):
        raise PermissionDenied
    form = RevealForm(request.POST or None)
    labels = {"resident_name": _("Resident"), "resident_phone": _("Phone")}
    values = None
    if request.method == "POST":
        revealed = form.reveal(user=request.user, obj=opinion, names=labels)
        if revealed is not None:
            values = [(labels[name], value) for name, value in revealed.items()]
    return render(
        request,
        "partybuilding/opinion_reveal.html",
        {
            "opinion": opinion,
            "form": form,
            "values": values,
            "masked_phone": privacy.masked(opinion, "resident_phone"),
        },
    )


def _deputy_or_404(request, pk) -> Deputy:
    deputy = selectors.deputy_for(request.user, pk)
    if deputy is None:
        raise Http404
    return deputy


@login_required
def deputy_detail(request, pk):
    """A deputy's opinions and what became of them: for party work in scope, and for the
    deputy themself."""
    deputy = _deputy_or_404(request, pk)
    rows = selectors.opinion_rows(deputy.opinions.all())
    context = {
        "deputy": deputy,
        **paginate(request, rows),
        "year": timezone.localdate().year,
        "can_change": can_change(request.user, deputy),
    }
    return render(request, "partybuilding/deputy_detail.html", context)


@login_required
def deputy_summary(request, pk):
    """A deputy's yearly summary, printable."""
    deputy = _deputy_or_404(request, pk)
    year = year_param(request)
    context = {"deputy": deputy, "year": year, **selectors.deputy_year(deputy, year)}
    return render(request, "partybuilding/deputy_summary.html", context)


@login_required
def my_deputy_page(request):
    """Where a deputy signed in finds their opinions."""
    deputy = Deputy.objects.filter(user=request.user).only("pk").first()
    if deputy is None:
        raise Http404
    return redirect("partybuilding:deputy", pk=deputy.pk)


def reception_days(request):
    """Upcoming reception days of the stations that publish them (no sign-in)."""
    return render(
        request,
        "partybuilding/reception_days.html",
        {"receptions": selectors.upcoming_public_receptions()[:60]},
    )
