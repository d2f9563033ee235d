"""The residents' report form (随手拍). It collects input only: the rules of an outside report are
:func:`casework.open311.services.intake_submit`'s, whose errors the view puts on these fields."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from casework.forms import MultiplePhotoField
from casework.open311.models import Datatype
from casework.open311.verification import is_mobile, normalize_phone

MAX_RESIDENT_PHOTOS = 4


def question_field_name(category_pk: int, code: str) -> str:
    return f"q-{category_pk}-{code}"


class ResidentReportForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Type of problem"), coerce=int)
    description = forms.CharField(
        label=_("Describe it"),
        max_length=4000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("What is wrong, since when, anything that helps.")}
        ),
    )
    latitude = forms.DecimalField(
        required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6
    )
    longitude = forms.DecimalField(
        required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6
    )
    building = forms.CharField(
        label=_("Building"),
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("Name or code, e.g. 青松里3号楼"), "autocomplete": "off"}
        ),
    )
    building_code = forms.CharField(required=False, max_length=21, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Where exactly"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. by the bins east of building 3")}),
    )
    photos = MultiplePhotoField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to %(n)d photos.") % {"n": MAX_RESIDENT_PHOTOS},
    )
    anonymous = forms.BooleanField(label=_("Report without giving my phone number"), required=False)
    name = forms.CharField(
        label=_("How should we address you?"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 王女士"), "autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0000 0000"}
        ),
    )
    code = forms.CharField(
        label=_("Verification code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories
        groups: dict[str, list] = {}
        for category in categories:
            group = category.parent.name if category.parent_id else ""
            groups.setdefault(group, []).append((category.pk, category.name))
        self.fields["category"].choices = [("", _("Choose…")), *groups.items()]
        # One fieldset of questions per category; the page shows the chosen category's.
        self.question_sets = []
        for category in categories:
            names = []
            for question in category.questions:
                if not question.variable:
                    continue
                name = question_field_name(category.pk, question.code)
                self.fields[name] = _question_field(question)
                names.append(name)
            self.question_sets.append(
                {
                    "category": category,
                    "notes": [q for q in category.questions if not q.variable],
                    "fields": [self[name] for name in names],
                }
            )

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        if len(photos) > MAX_RESIDENT_PHOTOS:
            raise forms.ValidationError(_("At most %(n)d photos.") % {"n": MAX_RESIDENT_PHOTOS})
        return photos

    def clean(self):
        data = super().clean()
        if data.get("anonymous"):
            data["phone"] = data["name"] = data["code"] = ""
            return data
        phone = normalize_phone(data.get("phone", ""))
        if not is_mobile(phone):
            self.add_error("phone", _("Enter your 11-digit mobile number, or report without it."))
        elif not (data.get("code") or "").strip():
            self.add_error("code", _("Enter the code sent to your phone."))
        data["phone"] = phone
        return data

    def answers(self) -> dict[str, list[str]]:
        """The chosen category's answers by question code, as the service takes them."""
        chosen = self.cleaned_data.get("category")
        result: dict[str, list[str]] = {}
        for category in self.categories:
            if category.pk != chosen:
                continue
            for question in category.questions:
                name = question_field_name(category.pk, question.code)
                value = self.cleaned_data.get(name)
                if value in (None, "", []):
                    continue
                if isinstance(value, list):
                    result[question.code] = value
                elif hasattr(value, "isoformat"):
                    result[question.code] = [
                        timezone.localtime(value).isoformat(timespec="seconds")
                    ]
                else:
                    result[question.code] = [str(value)]
        return result


def _question_field(question) -> forms.Field:
    # Not required as form fields (only the chosen category's count): the service checks them.
    label = (
        format_lazy("{} {}", question.description, _("(required)"))
        if question.required
        else question.description
    )
    common = {"label": label, "required": False, "help_text": question.datatype_description}
    datatype = question.datatype
    options = [(v.key, v.name) for v in question.values.all()]
    if datatype == Datatype.TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, **common)
    if datatype == Datatype.NUMBER:
        return forms.DecimalField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
    if datatype == Datatype.DATETIME:
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
            **common,
        )
    if datatype == Datatype.SINGLEVALUELIST:
        return forms.ChoiceField(choices=[("", _("Choose…")), *options], **common)
    if datatype == Datatype.MULTIVALUELIST:
        return forms.MultipleChoiceField(
            choices=options, widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.CharField(max_length=200, **common)
