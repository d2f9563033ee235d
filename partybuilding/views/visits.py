"""The page that lists a home visit's need as a party-building demand (partybuilding →
grids): reached from the visits on a resident's page, by the register's keepers and the party
officers over the resident's building. The write is ``services.visit_raise_demand``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.forms import apply_service_errors
from grids import resident_selectors
from partybuilding import services
from partybuilding.models import ServiceType
from partybuilding.services.visits import can_raise_demand


class VisitDemandForm(forms.Form):
    service_type = forms.ChoiceField(label=gettext_lazy("What is it about?"), choices=ServiceType)
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("Leave empty to use the need as the title."),
    )


@login_required
def visit_demand(request, pk: int):
    visit = resident_selectors.visit_list_for(request.user).filter(pk=pk).first()
    if visit is None:
        raise Http404
    if not can_raise_demand(request.user, visit):
        raise PermissionDenied
    form = VisitDemandForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.visit_raise_demand(
                    actor=request.user,
                    visit=visit,
                    service_type=form.cleaned_data["service_type"],
                    title=form.cleaned_data["title"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The need has been listed as a party-building demand."))
                return redirect("people:resident", pk=visit.resident_id)
        status = 400
    return render(
        request, "partybuilding/visit_demand.html", {"form": form, "visit": visit}, status=status
    )
