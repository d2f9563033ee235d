"""Casework's pages of field work: record a patrol finding (and file it as a case at once), file
an earlier finding as a case, escalate a hidden danger as a case. They choose a case category,
which only casework knows; the writes are :mod:`casework.patrols`'s."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import page_selectors, patrols
from casework.forms import _grouped_categories
from casework.models import Priority
from governance.forms import apply_service_errors
from grids import field_selectors
from grids.danger_services import DangerConflict
from grids.field_forms import AreaChoiceField, LocationMixin, PhotoField
from grids.field_pages import geometry, map_settings
from grids.models import Area, AreaKind


class _CaseFields(forms.Form):
    """The case's own fields: category, title (defaults to the description), priority."""

    category = forms.ModelChoiceField(
        label=gettext_lazy("Case category"),
        queryset=page_selectors.report_categories(),
        empty_label=gettext_lazy("Choose a sub-category"),
    )
    title = forms.CharField(
        label=gettext_lazy("Case title"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Empty: the start of the description."),
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"),
        required=False,
        choices=[("", gettext_lazy("As the category says")), *Priority.choices],
    )

    def offer_categories(self) -> None:
        self.fields["category"].choices = _grouped_categories(
            list(page_selectors.report_categories())
        )

    def case_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data.get("category"),
            "title": data.get("title", ""),
            "priority": data.get("priority") or None,
        }


class FindingForm(LocationMixin, _CaseFields):
    description = forms.CharField(
        label=gettext_lazy("What did you find?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    area = AreaChoiceField(label=gettext_lazy("Where"))
    photo = PhotoField(label=gettext_lazy("Photo"))
    file_case = forms.BooleanField(
        label=gettext_lazy("File it as a case now"), required=False, initial=True
    )
    field_order = (
        "description",
        "area",
        "address",
        "photo",
        "file_case",
        "category",
        "title",
        "priority",
    )

    def __init__(self, *args, patrol, **kwargs):
        super().__init__(*args, **kwargs)
        areas = list(
            Area.objects.within(patrol.area)
            .exclude(kind=AreaKind.UNIT)
            .order_by(*Area.tree_order())
            .only("pk", "name", "kind", "code")
        )
        self.fields["area"].offer(areas, _("Choose where"))
        self.fields["area"].initial = patrol.area_id
        self.offer_categories()
        self.fields["category"].required = False

    def clean(self):
        data = super().clean()
        if data.get("file_case") and not data.get("category"):
            self.add_error("category", _("Choose the case category, or untick “file as a case”."))
        return data


class FileCaseForm(_CaseFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_categories()


class EscalateForm(_CaseFields):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=gettext_lazy("Why it needs a case"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_categories()


@login_required
def finding_new(request, pk: int):
    """Record a finding on the user's patrol, filed as a case in the same step unless the
    worker unticks it."""
    patrol = field_selectors.patrol_detail_for(request.user, pk)
    if patrol is None or patrol.worker_id != request.user.pk:
        raise Http404
    form = FindingForm(request.POST or None, request.FILES or None, patrol=patrol)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            case_kwargs = form.case_kwargs() if data["file_case"] else {"category": None}
            try:
                _finding, case = patrols.finding_report(
                    actor=request.user,
                    patrol=patrol,
                    description=data["description"],
                    area=data["area"],
                    address=data["address"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    photo=data["photo"],
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
                        _("Finding recorded and filed as case %(number)s.")
                        % {"number": case.number},
                    )
                else:
                    messages.success(request, _("Finding recorded."))
                if patrol.is_open:
                    return redirect("field:patrols")
                return redirect("field:patrol", pk=patrol.pk)
        status = 400
    return render(
        request,
        "casework/field/finding_new.html",
        {
            "form": form,
            "patrol": patrol,
            "map": {**map_settings(), "boundary": geometry(patrol.area.boundary)},
            "photos_dropped": status == 400 and bool(request.FILES),
        },
        status=status,
    )


@login_required
def finding_case(request, pk: int):
    """File an earlier finding as a case, in one step."""
    finding = field_selectors.finding_detail_for(request.user, pk)
    if finding is None:
        raise Http404
    if finding.case_id:
        return redirect("casework:detail", pk=finding.case_id)
    form = FileCaseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = patrols.finding_file_case(
                    actor=request.user, finding=finding, **form.case_kwargs()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Filed as case %(number)s.") % {"number": case.number})
                return redirect("casework:detail", pk=case.pk)
        status = 400
    return render(
        request,
        "casework/field/finding_case.html",
        {"form": form, "finding": finding},
        status=status,
    )


@login_required
def danger_escalate(request, pk: int):
    """Escalate a hidden danger as a case (the danger's "escalate" step, with the case)."""
    danger = field_selectors.danger_detail_for(request.user, pk)
    if danger is None:
        raise Http404
    form = EscalateForm(
        request.POST or None, initial={"version": danger.version, "title": danger.title}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = patrols.danger_escalate(
                    actor=request.user,
                    danger=danger,
                    comment=form.cleaned_data["comment"],
                    version=form.cleaned_data["version"],
                    **form.case_kwargs(),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            except DangerConflict as exc:
                messages.error(request, exc.message)
                return redirect("field:danger", pk=danger.pk)
            else:
                messages.success(
                    request,
                    _("Escalated as case %(number)s.") % {"number": case.number},
                )
                return redirect("field:danger", pk=danger.pk)
        status = 400
    return render(
        request,
        "casework/field/danger_escalate.html",
        {"form": form, "danger": danger},
        status=status,
    )
