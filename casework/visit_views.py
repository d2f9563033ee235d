"""Casework's page of a home visit (走访): a grid worker records the visit in a few taps on the
phone and, when a need was found, files it as a case in the same step. The writes are
:mod:`casework.visits`'s."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import visits
from casework.patrol_views import _CaseFields
from governance.forms import apply_service_errors
from grids import resident_selectors, resident_services


class VisitForm(_CaseFields):
    in_home = forms.TypedChoiceField(
        label=gettext_lazy("Met at home?"),
        choices=[("1", gettext_lazy("Yes, at home")), ("0", gettext_lazy("Not at home"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    notes = forms.CharField(
        label=gettext_lazy("How are they?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    need = forms.CharField(
        label=gettext_lazy("Need found"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Leave empty when there is none."),
    )
    file_case = forms.BooleanField(
        label=gettext_lazy("File the need as a case now"), required=False
    )
    field_order = ("in_home", "notes", "need", "file_case", "category", "title", "priority")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_categories()
        self.fields["category"].required = False

    def clean(self):
        data = super().clean()
        if data.get("file_case"):
            if not data.get("need"):
                self.add_error("need", _("Say what the resident needs, to file it as a case."))
            if not data.get("category"):
                self.add_error(
                    "category", _("Choose the case category, or untick “file as a case”.")
                )
        return data


@login_required
def visit_new(request, pk: int):
    """Record a home visit of a resident (a keeper of the register in scope)."""
    resident = resident_selectors.resident_detail_for(request.user, pk)
    if resident is None:
        raise Http404
    if not resident_services.can_keep(request.user, resident):
        raise PermissionDenied
    form = VisitForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            case_kwargs = form.case_kwargs() if data["file_case"] else {"category": None}
            try:
                _visit, case = visits.visit_report(
                    actor=request.user,
                    resident=resident,
                    in_home=data["in_home"],
                    notes=data["notes"],
                    need=data["need"],
                    **case_kwargs,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                if case is not None:
                    messages.success(
                        request,
                        _("Visit recorded and its need filed as case %(number)s.")
                        % {"number": case.number},
                    )
                else:
                    messages.success(request, _("Visit recorded."))
                return redirect("people:due")
        status = 400
    return render(
        request,
        "casework/field/visit_new.html",
        {"form": form, "resident": resident, "today": timezone.localdate()},
        status=status,
    )
