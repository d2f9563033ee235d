"""Forms of activities, sign-ups and rewards."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.scopes import visible
from grids.models import AreaKind
from partybuilding import selectors
from partybuilding.forms.common import (
    DATETIME,
    changeable_areas,
)
from partybuilding.models import (
    Activity,
    CoConstructionUnit,
    Volunteer,
)


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
        ).order_by("name_sort", "pk")


class RedeemForm(forms.Form):
    reward = forms.ModelChoiceField(
        label=_("Reward"), queryset=None, empty_label=_("Choose a reward")
    )

    def __init__(self, *args, user, volunteer, **kwargs):
        super().__init__(*args, **kwargs)
        rewards = selectors.reward_list_for(user) if user != volunteer.user else None
        if rewards is None:
            # A volunteer redeems the rewards offered where they live.
            rewards = selectors.rewards_for_volunteer(volunteer)
        self.fields["reward"].queryset = rewards.filter(is_active=True, stock__gt=0)
