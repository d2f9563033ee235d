"""Forms of the deadline pages; they only parse input, the services in
:mod:`casework.deadlines.services` validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.deadlines.models import DeadlineRequest
from casework.deadlines.services import DEFAULT_REPLY_HOURS


class DeadlineRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What you ask for"), choices=DeadlineRequest.Kind.choices)
    hours = forms.DecimalField(
        label=_("Extra working hours"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("For an extension only. A suspension stops the clock until resumed."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. waiting for a court ruling, for dry weather, for an owner abroad."),
    )


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when refusing."),
    )


class ResumeForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SupervisionOrderForm(forms.Form):
    demand = forms.CharField(label=_("What is required"), widget=forms.Textarea(attrs={"rows": 3}))
    reply_hours = forms.DecimalField(
        label=_("Answer within (working hours)"),
        initial=DEFAULT_REPLY_HOURS,
        min_value=0,
        decimal_places=2,
    )


class AnswerForm(forms.Form):
    reply = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}))
