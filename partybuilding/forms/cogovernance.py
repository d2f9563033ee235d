"""Forms of co-construction units, agreements, projects, the three lists and micro-wishes."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.forms import PersonalDataFormMixin
from governance.scopes import visible
from grids.models import AreaKind
from partybuilding.forms.common import (
    DATE,
    PLACE_KINDS,
    area_field,
    changeable_areas,
    consortium_field,
    status_field,
)
from partybuilding.models import (
    UNIT_FIELDS,
    CoConstructionUnit,
    Demand,
    MemberStatus,
    MicroWish,
    PairingAgreement,
    PartyMember,
    PartyOrganization,
    Project,
)


class UnitForm(PersonalDataFormMixin, forms.ModelForm):
    class Meta:
        model = CoConstructionUnit
        fields = UNIT_FIELDS
        widgets = {"offers": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        area_field(self, "area", user, AreaKind.COMMUNITY, AreaKind.GRID)


AGREEMENT_FIELDS = (
    "unit",
    "community",
    "party_organization",
    "signed_on",
    "starts_on",
    "ends_on",
    "status",
    "commitments",
    "document",
)


class AgreementForm(forms.ModelForm):
    """An agreement's terms; its status is offered along its steps and moved by the service
    (so it is a field of the form, not of the model form)."""

    status = forms.ChoiceField(label=_("Status"))
    field_order = AGREEMENT_FIELDS

    class Meta:
        model = PairingAgreement
        fields = tuple(name for name in AGREEMENT_FIELDS if name != "status")
        widgets = {
            "signed_on": DATE,
            "starts_on": DATE,
            "ends_on": DATE,
            "commitments": forms.Textarea(attrs={"rows": 4}),
            "document": forms.ClearableFileInput(
                attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
            ),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = visible(user, CoConstructionUnit.objects.all()).order_by(
            "name"
        )
        area_field(self, "community", user, AreaKind.COMMUNITY)
        status_field(self)
        self.fields["party_organization"].queryset = PartyOrganization.objects.filter(
            area__in=changeable_areas(user),
            kind__in=[
                PartyOrganization.Kind.COMMUNITY_COMMITTEE,
                PartyOrganization.Kind.GENERAL_BRANCH,
                PartyOrganization.Kind.BRANCH,
            ],
        ).order_by(*PartyOrganization.tree_order())


class ProjectForm(forms.ModelForm):
    """A project or sub-project. Status and progress are not edited here: they move on the
    project's timeline (a parent's progress comes from its sub-projects)."""

    class Meta:
        model = Project
        fields = (
            "name",
            "kind",
            "year",
            "parent",
            "weight",
            "area",
            "agreement",
            "units",
            "owners",
            "owner_names",
            "budget",
            "beneficiaries",
            "beneficiary_count",
            "starts_on",
            "due_on",
            "consortium",
            "description",
        )
        widgets = {
            "starts_on": DATE,
            "due_on": DATE,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, consortium=None, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        areas = changeable_areas(user)
        area_field(self, "area", user, *PLACE_KINDS)
        parents = Project.objects.filter(area__in=areas, year__gte=timezone.localdate().year - 1)
        if self.instance.pk:
            parents = parents.exclude(Project.subtree_q(self.instance))
        self.fields["parent"].queryset = parents.order_by("-year", *Project.tree_order())
        self.fields["parent"].label = _("Sub-project of")
        self.fields["agreement"].queryset = (
            PairingAgreement.objects.filter(community__in=areas)
            .select_related("unit", "community")
            .order_by("-signed_on")
        )
        self.fields["units"].queryset = visible(user, CoConstructionUnit.objects.all()).order_by(
            "name"
        )
        self.fields["owners"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, role_assignments__area__in=areas)
            .distinct()
            .order_by("name_sort", "username")
        )
        self.fields["owners"].label_from_instance = lambda u: f"{u}（{u.username}）"
        for name in ("units", "owners"):
            self.fields[name].widget.attrs["size"] = 6
            self.fields[name].help_text = _("Hold Ctrl (⌘ on a Mac) to choose several.")
        self.fields["year"].initial = timezone.localdate().year
        consortium_field(self, user, consortium)


class ProjectStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Project.Status.choices)
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Leave empty to use the status's usual progress."),
    )
    text = forms.CharField(label=_("What happened"), max_length=300)


class DemandForm(forms.ModelForm):
    class Meta:
        model = Demand
        fields = (
            "title",
            "service_type",
            "source",
            "area",
            "raised_by",
            "beneficiaries",
            "consortium",
            "description",
        )

    def __init__(self, *args, user, consortium=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = changeable_areas(user).exclude(kind=AreaKind.UNIT)
        consortium_field(self, user, consortium)


class DemandMatchForm(forms.Form):
    name = forms.CharField(label=_("Project name"), max_length=150)
    resources = forms.ModelMultipleChoiceField(
        label=_("Resources"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, suggestions, **kwargs):
        super().__init__(*args, **kwargs)
        from partybuilding.models import Resource

        self.fields["resources"].queryset = Resource.objects.filter(
            pk__in=[r.pk for r in suggestions]
        )


class WishForm(forms.ModelForm):
    class Meta:
        model = MicroWish
        fields = ("title", "description", "resident_name", "resident_phone", "area")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = changeable_areas(
            user, AreaKind.BUILDING, AreaKind.MICRO_GRID, AreaKind.GRID
        )


class WishClaimForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Claimed by member"), queryset=PartyMember.objects.none(), required=False
    )
    unit = forms.ModelChoiceField(
        label=_("or by unit"), queryset=CoConstructionUnit.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = visible(
            user, PartyMember.objects.exclude(status=MemberStatus.TRANSFERRED_OUT)
        ).order_by("name")
        self.fields["unit"].queryset = visible(user, CoConstructionUnit.objects.all())

    def clean(self):
        data = super().clean()
        if bool(data.get("member")) == bool(data.get("unit")):
            raise forms.ValidationError(_("Choose one member or one unit."))
        return data


class WishFulfilForm(forms.Form):
    note = forms.CharField(label=_("How it was fulfilled"), max_length=200)
    photo = forms.ImageField(label=_("Photo"), required=False)
