"""Forms of the party-officer pages. Choice lists are narrowed to the user's scope."""

from __future__ import annotations

from django import forms
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from casework.models import Category
from governance.scopes import visible
from grids.models import Area, AreaKind
from partybuilding import selectors
from partybuilding.models import (
    Activity,
    CoConstructionUnit,
    Demand,
    DualReport,
    MicroWish,
    PartyMember,
    PartyOrganization,
    Project,
    ServiceType,
    Volunteer,
)
from partybuilding.permissions import PARTY_CHANGE_ROLES

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def changeable_areas(user, *kinds: str):
    """Areas where ``user`` may write party-building records, of the given kinds."""
    from governance.scopes import scope_of

    scope = scope_of(user)
    qs = Area.objects.filter(kind__in=kinds) if kinds else Area.objects.all()
    if scope.is_superuser:
        return qs.order_by("code")
    nodes = scope.areas(PARTY_CHANGE_ROLES)
    return qs.filter(Area.subtrees_q(nodes)).order_by("code")


class MemberForm(forms.ModelForm):
    class Meta:
        model = PartyMember
        fields = (
            "name",
            "organization",
            "gender",
            "birth_year",
            "id_number",
            "phone",
            "join_date",
            "status",
            "home_building",
            "in_service",
            "work_unit",
        )
        widgets = {"join_date": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        areas = changeable_areas(user)
        self.fields["organization"].queryset = PartyOrganization.objects.filter(
            area__in=areas
        ).order_by("lft")
        self.fields["home_building"].queryset = areas.filter(kind=AreaKind.BUILDING)


class DualReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=DualReport.Kind.choices, initial=DualReport.Kind.PERSONAL
    )
    community = forms.ModelChoiceField(label=_("Community"), queryset=Area.objects.none())
    member = forms.ModelChoiceField(
        label=_("Party member"), queryset=PartyMember.objects.none(), required=False
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=CoConstructionUnit.objects.none(), required=False
    )
    service_post = forms.ChoiceField(label=_("Service post"), choices=ServiceType.choices)
    pledges = forms.CharField(label=_("Pledges"), widget=forms.Textarea(attrs={"rows": 3}))
    yearly_target = forms.IntegerField(label=_("Services a year (target)"), min_value=1, initial=4)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = changeable_areas(user, AreaKind.COMMUNITY)
        self.fields["member"].queryset = (
            visible(user, PartyMember.objects.filter(in_service=True))
            .exclude(status="transferred_out")
            .order_by("name")
        )
        self.fields["unit"].queryset = visible(user, CoConstructionUnit.objects.all())

    def clean(self):
        data = super().clean()
        if data.get("kind") == DualReport.Kind.PERSONAL and not data.get("member"):
            self.add_error("member", _("Choose the member who reports."))
        if data.get("kind") == DualReport.Kind.UNIT and not data.get("unit"):
            self.add_error("unit", _("Choose the unit that reports."))
        return data


class ServiceRecordForm(forms.Form):
    served_on = forms.DateField(label=_("Served on"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours"), min_value=0, max_digits=5, decimal_places=1)
    description = forms.CharField(label=_("What was done"), max_length=200)


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
            user, PartyMember.objects.exclude(status="transferred_out")
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


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = (
            "title",
            "service_type",
            "area",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
            "points_per_hour",
            "organizer_unit",
            "description",
        )
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = changeable_areas(
            user, AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID
        )
        self.fields["organizer_unit"].queryset = visible(user, CoConstructionUnit.objects.all())
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M"]


class SignUpForm(forms.Form):
    volunteer = forms.ModelChoiceField(label=_("Volunteer"), queryset=Volunteer.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = visible(
            user, Volunteer.objects.filter(is_active=True)
        ).order_by("name")


class RedeemForm(forms.Form):
    reward = forms.ModelChoiceField(label=_("Reward"), queryset=None)

    def __init__(self, *args, user, volunteer, **kwargs):
        super().__init__(*args, **kwargs)
        rewards = selectors.reward_list_for(user) if user != volunteer.user else None
        if rewards is None:
            # A volunteer redeems the rewards offered where they live.
            rewards = selectors.rewards_for_volunteer(volunteer)
        self.fields["reward"].queryset = rewards.filter(is_active=True, stock__gt=0)


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
            "description",
        )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = changeable_areas(user).exclude(kind=AreaKind.UNIT)


class OpenCaseForm(forms.Form):
    """A case from a resolution: what kind of problem and where (inside the meeting's area)."""

    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    area = forms.ModelChoiceField(label=_("Where"), queryset=Area.objects.none())
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the area's name."),
    )

    def __init__(self, *args, user, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()
        self.fields["area"].queryset = (
            visible(
                user,
                Area.objects.filter(
                    Area.subtree_q(meeting.area),
                    kind__in=[AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID],
                ),
            )
            .select_related("parent")
            .order_by("code")
        )
        self.fields["area"].label_from_instance = area_label
        self.fields["category"].label_from_instance = category_label


def leaf_categories():
    """Active case categories that take cases (the leaves), with their parent for the label."""
    return (
        Category.objects.filter(is_active=True, rght=F("lft") + 1)
        .select_related("parent")
        .order_by(*Category.tree_order())
    )


def category_label(category: Category) -> str:
    return f"{category.parent.name} · {category.name}" if category.parent_id else category.name


def area_label(area: Area) -> str:
    return (
        f"{area.parent.name} · {area.name}"
        if area.parent_id and area.kind != AreaKind.COMMUNITY
        else area.name
    )
