"""Forms of the party-officer pages. Choice lists are narrowed to the user's scope."""

from __future__ import annotations

from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Category
from governance.scopes import visible
from grids.models import Area, AreaKind
from partybuilding import selectors
from partybuilding.models import (
    Activity,
    CoConstructionUnit,
    Council,
    Demand,
    DualReport,
    Meeting,
    MeetingSeries,
    MicroWish,
    PairingAgreement,
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


# -- create and edit pages --------------------------------------------------------------------
PLACE_KINDS = (AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID)


def _area_field(form, name: str, user, *kinds: str) -> None:
    field = form.fields[name]
    field.queryset = changeable_areas(user, *kinds).select_related("parent")
    field.label_from_instance = area_label


class UnitForm(forms.ModelForm):
    class Meta:
        model = CoConstructionUnit
        fields = (
            "name",
            "kind",
            "area",
            "address",
            "contact_name",
            "contact_phone",
            "party_organization_name",
            "party_member_count",
            "offers",
        )
        widgets = {"offers": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _area_field(self, "area", user, AreaKind.COMMUNITY, AreaKind.GRID)


class AgreementForm(forms.ModelForm):
    class Meta:
        model = PairingAgreement
        fields = (
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
        _area_field(self, "community", user, AreaKind.COMMUNITY)
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
            "description",
        )
        widgets = {
            "starts_on": DATE,
            "due_on": DATE,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        areas = changeable_areas(user)
        _area_field(self, "area", user, *PLACE_KINDS)
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
            .order_by("username")
        )
        self.fields["owners"].label_from_instance = lambda u: f"{u}（{u.username}）"
        for name in ("units", "owners"):
            self.fields[name].widget.attrs["size"] = 6
            self.fields[name].help_text = _("Hold Ctrl (⌘ on a Mac) to choose several.")
        self.fields["year"].initial = timezone.localdate().year


class CouncilForm(forms.ModelForm):
    class Meta:
        model = Council
        fields = ("name", "kind", "area", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _area_field(self, "area", user, *PLACE_KINDS)


def _council_field(form, user) -> None:
    form.fields["council"].queryset = (
        Council.objects.filter(area__in=changeable_areas(user))
        .select_related("area")
        .order_by("name")
    )


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = (
            "title",
            "kind",
            "council",
            "area",
            "starts_at",
            "ends_at",
            "place",
            "chaired_by",
            "status",
            "agenda",
            "minutes",
            "minutes_public",
        )
        widgets = {
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "minutes": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _area_field(self, "area", user, *PLACE_KINDS)
        _council_field(self, user)
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M"]


class DaysOfMonthField(forms.CharField):
    """ "5, 15, 25" ↔ [5, 15, 25]."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(d) for d in value)
        return value

    def to_python(self, value):
        text = super().to_python(value).replace("，", ",").replace("、", ",")
        parts = [p.strip() for p in text.split(",") if p.strip()]
        try:
            days = [int(p) for p in parts]
        except ValueError:
            raise forms.ValidationError(
                _("Give days of the month as numbers separated by commas, e.g. 5, 15, 25.")
            ) from None
        if not days or not all(1 <= d <= 31 for d in days) or len(set(days)) != len(days):
            raise forms.ValidationError(_("Give distinct days of the month between 1 and 31."))
        return sorted(days)


class SeriesForm(forms.ModelForm):
    days_of_month = DaysOfMonthField(
        label=_("Days of the month"), help_text=_("For example 5, 15, 25.")
    )

    class Meta:
        model = MeetingSeries
        fields = (
            "title",
            "kind",
            "council",
            "area",
            "days_of_month",
            "time",
            "duration_minutes",
            "place",
            "starts_on",
            "ends_on",
        )
        widgets = {
            "time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "starts_on": DATE,
            "ends_on": DATE,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _area_field(self, "area", user, *PLACE_KINDS)
        _council_field(self, user)
