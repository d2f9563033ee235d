"""Forms of members and dual reporting."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.scopes import visible
from grids.models import Area, AreaKind
from partybuilding.forms.common import (
    DATE,
    changeable_areas,
    status_field,
)
from partybuilding.models import (
    CoConstructionUnit,
    DualReport,
    MemberStatus,
    PartyMember,
    PartyOrganization,
    ServiceType,
)


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
            "employer",
        )
        widgets = {"join_date": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        areas = changeable_areas(user)
        self.fields["organization"].queryset = PartyOrganization.objects.filter(
            area__in=areas
        ).order_by(*PartyOrganization.tree_order())
        self.fields["home_building"].queryset = areas.filter(kind=AreaKind.BUILDING)
        self.fields["employer"].queryset = visible(user, CoConstructionUnit.objects.all()).order_by(
            "name"
        )
        status_field(self)


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
            .exclude(status=MemberStatus.TRANSFERRED_OUT)
            .order_by("name_sort", "pk")
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
