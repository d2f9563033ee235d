"""Pages that register a resident and change their record (mounted at /people/), for the
register's keepers in scope. Moving out and death are steps of their own (resident_views); a
resident is never deleted. Writes go through ``resident_services.resident_save``, which checks
the scope and validates the record (the ID number's check digit among them).

The edit page never prefills an ID number, a phone or a registered address: they are masked for
reading (PIPL), and showing them in a form would reveal them without the logged reveal. Left
empty, they keep their current value."""

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
from governance.scopes import reachable, scope_of
from grids import resident_selectors as selectors
from grids import resident_services as services
from grids.models import Area, Resident, Room
from grids.models.residents import HOUSING_KINDS
from grids.resident_registry import KEEPER_ROLES

PERSONAL = ("id_number", "phone", "registered_address")


def buildings_kept_by(user):
    qs = Area.objects.filter(kind__in=HOUSING_KINDS).order_by("code")
    if scope_of(user).is_superuser:
        return qs
    return reachable(user, qs, KEEPER_ROLES)


class ResidentForm(forms.ModelForm):
    building = forms.ModelChoiceField(label=gettext_lazy("Building"), queryset=Area.objects.none())
    room_number = forms.CharField(
        label=gettext_lazy("Room number"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("As registered for the building, e.g. 302."),
    )

    class Meta:
        model = Resident
        fields = services.RECORD_FIELDS
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}),
            "moved_in_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    field_order = ("building", "room_number", *services.RECORD_FIELDS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings_kept_by(user)
        editing = self.instance.pk is not None
        if editing:
            self.fields["building"].initial = self.instance.area_id
            self.fields["room_number"].initial = (
                self.instance.room.number if self.instance.room_id else ""
            )
            for name in PERSONAL:
                self.initial[name] = ""
                self.fields[name].help_text = _("Leave empty to keep the current value.")

    def _post_clean(self):
        # The record is validated by the service (resident_save), not by the form.
        pass

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in services.RECORD_FIELDS}
        if self.instance.pk is not None:
            for name in PERSONAL:
                if not data[name]:
                    data.pop(name)
        data["id_number"] = data.get("id_number", self.instance.id_number or "").strip().upper()
        building = self.cleaned_data["building"]
        data["area"] = building
        number = self.cleaned_data["room_number"].strip()
        data["room"] = None
        if number:
            room = Room.objects.filter(area=building, number=number).first()
            if room is None:
                raise ValidationError(
                    {
                        "room_number": _("Building %(code)s has no room %(number)s.")
                        % {"code": building.code, "number": number}
                    }
                )
            data["room"] = room
        return data


def _save(request, form, resident):
    if not form.is_valid():
        return None
    try:
        return services.resident_save(actor=request.user, resident=resident, **form.service_data())
    except ValidationError as exc:
        apply_service_errors(form, exc, rename={"area": "building", "room": "room_number"})
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None


def _require_keeper(user) -> None:
    if not scope_of(user).has_role(*KEEPER_ROLES):
        raise PermissionDenied


@login_required
def resident_new(request):
    """Register a resident in a building the user keeps."""
    _require_keeper(request.user)
    form = ResidentForm(request.POST or None, user=request.user, instance=Resident())
    if request.method == "POST":
        resident = _save(request, form, None)
        if resident is not None:
            messages.success(request, _("%(name)s has been registered.") % {"name": resident.name})
            return redirect("people:resident", pk=resident.pk)
    return render(
        request,
        "grids/people/resident_form.html",
        {"form": form, "resident": None},
        status=400 if form.is_bound else 200,
    )


@login_required
def resident_edit(request, pk: int):
    """Change a resident's record (not their moving out or death: those are steps)."""
    resident = selectors.resident_detail_for(request.user, pk)
    if resident is None:
        raise Http404
    if not services.can_keep(request.user, resident):
        raise PermissionDenied
    if not resident.is_living_here:
        messages.error(request, _("The resident no longer lives here: the record is kept as is."))
        return redirect("people:resident", pk=resident.pk)
    form = ResidentForm(request.POST or None, user=request.user, instance=resident)
    if request.method == "POST":
        saved = _save(request, form, resident)
        if saved is not None:
            messages.success(request, _("The record has been saved."))
            return redirect("people:resident", pk=saved.pk)
    return render(
        request,
        "grids/people/resident_form.html",
        {"form": form, "resident": resident},
        status=400 if form.is_bound else 200,
    )
