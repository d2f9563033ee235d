"""Forms of the deputies' contact station: a station, a deputy, a reception day, an opinion
recorded at a reception, and the three ways an opinion is handled."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import Area, AreaKind
from partybuilding.forms.common import (
    DATE,
    PLACE_KINDS,
    area_field,
    area_label,
    category_label,
    changeable_areas,
    leaf_categories,
    status_field,
)
from partybuilding.models import ContactStation, Deputy, Opinion, Reception, ServiceType
from partybuilding.station_selectors import deputy_accounts_for

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class StationForm(forms.ModelForm):
    class Meta:
        model = ContactStation
        fields = ("name", "area", "address", "phone", "is_public", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        area_field(self, "area", user, AreaKind.STREET, AreaKind.COMMUNITY)


class DeputyForm(forms.ModelForm):
    class Meta:
        model = Deputy
        fields = (
            "name",
            "kind",
            "level",
            "term",
            "term_start",
            "term_end",
            "work_unit",
            "area",
            "stations",
            "user",
        )
        widgets = {"term_start": DATE, "term_end": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        area_field(self, "area", user, AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY)
        self.fields["stations"].queryset = ContactStation.objects.filter(
            area__in=changeable_areas(user)
        ).order_by("name")
        self.fields["stations"].widget = forms.CheckboxSelectMultiple(
            choices=self.fields["stations"].choices
        )
        account = self.fields["user"]
        account.queryset = deputy_accounts_for(user, self.instance)
        account.label_from_instance = account_label
        account.help_text = _(
            "Signed in, the deputy follows the opinions received. Only accounts within your "
            "scope that no other deputy uses can be chosen; leave empty to unlink."
        )
        account.error_messages["invalid_choice"] = _(
            "Choose a portal account within your scope that no deputy uses yet."
        )


def account_label(user) -> str:
    name = str(user)
    return name if name == user.username else f"{name}（{user.username}）"


class ReceptionForm(forms.ModelForm):
    """A reception day; its status is offered along its steps and moved by the service."""

    status = forms.ChoiceField(label=_("Status"))
    field_order = ("station", "day", "starts", "ends", "topic", "status", "deputies")

    class Meta:
        model = Reception
        fields = ("station", "day", "starts", "ends", "topic", "deputies")
        widgets = {"day": DATE, "starts": TIME, "ends": TIME}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        status_field(self)
        self.fields["station"].queryset = ContactStation.objects.filter(
            area__in=changeable_areas(user)
        ).order_by("name")
        self.fields["deputies"].queryset = (
            Deputy.objects.filter(stations__area__in=changeable_areas(user))
            .distinct()
            .order_by("name")
        )
        self.fields["deputies"].widget = forms.CheckboxSelectMultiple(
            choices=self.fields["deputies"].choices
        )
        for name in ("starts", "ends"):
            self.fields[name].input_formats = ["%H:%M", "%H:%M:%S"]


class OpinionForm(forms.ModelForm):
    """An opinion heard at ``reception``: by one of its deputies, about a place within the
    station's area."""

    class Meta:
        model = Opinion
        fields = ("deputy", "area", "resident_name", "resident_phone", "content")
        widgets = {"content": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, reception: Reception, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputy"].queryset = reception.deputies.order_by("name")
        self.fields["area"].queryset = (
            changeable_areas(user, AreaKind.COMMUNITY, *PLACE_KINDS, AreaKind.BUILDING)
            .filter(Area.subtree_q(reception.station.area))
            .select_related("parent")
        )
        self.fields["area"].label_from_instance = area_label


class OpinionDemandForm(forms.Form):
    title = forms.CharField(
        label=_("Demand"),
        max_length=120,
        required=False,
        help_text=_("Leave empty to use the opinion's first line."),
    )
    service_type = forms.ChoiceField(label=_("Type"), choices=ServiceType.choices)


class OpinionCaseForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=None)
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the area's name."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = leaf_categories()
        self.fields["category"].label_from_instance = category_label


class OpinionReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Answer given"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
