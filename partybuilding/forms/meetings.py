"""Forms of councils, meetings, fixed-day sessions and the case a resolution opens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.models import Category
from governance.scopes import visible
from grids.models import Area, AreaKind
from partybuilding.forms.common import (
    DATE,
    DATETIME,
    PLACE_KINDS,
    area_field,
    area_label,
    category_label,
    changeable_areas,
    consortium_field,
    leaf_categories,
    status_field,
)
from partybuilding.models import (
    Council,
    Meeting,
    MeetingSeries,
)


class CouncilForm(forms.ModelForm):
    class Meta:
        model = Council
        fields = ("name", "kind", "area", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        area_field(self, "area", user, *PLACE_KINDS)


def _council_field(form, user) -> None:
    form.fields["council"].queryset = (
        Council.objects.filter(area__in=changeable_areas(user))
        .select_related("area")
        .order_by("name")
    )


MEETING_FIELDS = (
    "title",
    "kind",
    "council",
    "area",
    "starts_at",
    "ends_at",
    "place",
    "chaired_by",
    "status",
    "consortium",
    "agenda",
    "minutes",
    "minutes_public",
)


class MeetingForm(forms.ModelForm):
    """A meeting's facts and minutes; its status is offered along its steps and moved by the
    service (so it is a field of the form, not of the model form)."""

    status = forms.ChoiceField(label=_("Status"))
    field_order = MEETING_FIELDS

    class Meta:
        model = Meeting
        fields = tuple(name for name in MEETING_FIELDS if name != "status")
        widgets = {
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "minutes": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, user, consortium=None, **kwargs):
        super().__init__(*args, **kwargs)
        area_field(self, "area", user, *PLACE_KINDS)
        _council_field(self, user)
        consortium_field(self, user, consortium)
        status_field(self)
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
        area_field(self, "area", user, *PLACE_KINDS)
        _council_field(self, user)


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
