"""Forms of positions and room bookings."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.scopes import visible
from partybuilding.forms.common import DATE, PLACE_KINDS, area_field
from partybuilding.models import (
    Activity,
    BookingKind,
    CoConstructionUnit,
    Meeting,
    MeetingStatus,
    Position,
)

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PositionForm(forms.ModelForm):
    class Meta:
        model = Position
        fields = (
            "name",
            "kind",
            "area",
            "address",
            "unit",
            "facilities",
            "description",
            "open_in_working_hours",
            "requires_approval",
            "is_public",
        )
        widgets = {
            "facilities": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        area_field(self, "area", user, *PLACE_KINDS)
        self.fields["unit"].queryset = visible(user, CoConstructionUnit.objects.order_by("name"))


class BookingForm(forms.Form):
    """Book one of a position's rooms; the service checks opening hours, capacity and clashes."""

    room = forms.ModelChoiceField(label=_("Room"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=120)
    kind = forms.ChoiceField(label=_("Booked for"), choices=BookingKind.choices)
    meeting = forms.ModelChoiceField(label=_("Meeting"), queryset=None, required=False)
    activity = forms.ModelChoiceField(label=_("Activity"), queryset=None, required=False)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False)
    group_name = forms.CharField(label=_("Resident group"), max_length=80, required=False)
    day = forms.DateField(label=_("Day"), widget=DATE)
    starts = forms.TimeField(label=_("Start time"), widget=TIME)
    ends = forms.TimeField(label=_("End time"), widget=TIME)
    expected_people = forms.IntegerField(label=_("Expected people"), min_value=1, max_value=2000)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user, position: Position, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = position.rooms.filter(is_active=True).order_by("name")
        self.fields["room"].label_from_instance = lambda room: (
            _("%(room)s (%(n)d seats)")
            % {
                "room": room.name,
                "n": room.capacity,
            }
        )
        now = timezone.now()
        self.fields["meeting"].queryset = visible(
            user,
            Meeting.objects.filter(
                status=MeetingStatus.SCHEDULED,
                starts_at__gte=now - dt.timedelta(days=1),
                starts_at__lte=now + dt.timedelta(days=120),
            ),
        ).order_by("starts_at")
        self.fields["activity"].queryset = visible(
            user,
            Activity.objects.filter(ends_at__gte=now, starts_at__lte=now + dt.timedelta(days=120)),
        ).order_by("starts_at")
        self.fields["unit"].queryset = visible(user, CoConstructionUnit.objects.order_by("name"))

    def clean(self):
        data = super().clean()
        day, starts, ends = data.get("day"), data.get("starts"), data.get("ends")
        if day and starts and ends:
            tz = timezone.get_current_timezone()
            data["starts_at"] = dt.datetime.combine(day, starts, tzinfo=tz)
            data["ends_at"] = dt.datetime.combine(day, ends, tzinfo=tz)
            if ends <= starts:
                self.add_error("ends", _("A booking ends after it starts."))
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "room",
                "title",
                "kind",
                "meeting",
                "activity",
                "unit",
                "group_name",
                "starts_at",
                "ends_at",
                "expected_people",
                "note",
            )
        }
