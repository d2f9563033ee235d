"""Forms of the field-work pages. They collect and shape input only: every rule (who may, bounds,
required inputs, the questions of a task) lives in the services, whose ValidationErrors the
views attach to these forms field by field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.images import MAX_PHOTO_BYTES
from governance.scopes import scope_of
from grids import checkforms, danger_workflow
from grids.field_common import FIELD_AREA_KINDS
from grids.mobilization_services import ISSUER_ROLES, TASK_AREA_KINDS
from grids.mobilization_templates import TEMPLATES, questions_for
from grids.models import (
    Area,
    Capacity,
    CheckUnit,
    DangerCategory,
    MobilizationKind,
    MobilizationTask,
)
from grids.models.mobilization import SELF_DECLARED

PHOTO_HELP = _("One photo, at most %(mb)d MB (JPEG, PNG or WebP).") % {
    "mb": MAX_PHOTO_BYTES // (1024 * 1024)
}
# Rows of the question editor on the issuing page.
QUESTION_ROWS = 8


class PhotoField(forms.FileField):
    """One photo from the camera or the gallery; its content is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        )
        kwargs.setdefault("help_text", PHOTO_HELP)
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        # The page script names a file that is too large before it is uploaded.
        self.max_bytes = MAX_PHOTO_BYTES


def area_choices(areas: list[Area], empty: str) -> list[tuple]:
    """Choices indented by depth below the first (shallowest) area."""
    top = min((a.rank for a in areas), default=0)
    return [("", empty)] + [(a.pk, "\u3000" * max(0, a.rank - top) + a.name) for a in areas]


def areas_under(user, roles, kinds) -> list[Area]:
    """Areas of ``kinds`` in the subtrees of ``user``'s assignments of ``roles``, tree order."""
    scope = scope_of(user)
    qs = Area.objects.filter(kind__in=sorted(kinds))
    if not scope.is_superuser:
        tops = scope.areas(roles)
        if not tops:
            return []
        qs = qs.filter(Area.subtrees_q(tops))
    return list(qs.order_by(*Area.tree_order()).only("pk", "name", "kind", "code"))


class AreaChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Area.objects.none())
        super().__init__(*args, **kwargs)

    def offer(self, areas: list[Area], empty: str) -> None:
        self.queryset = Area.objects.filter(pk__in=[a.pk for a in areas])
        self.choices = area_choices(areas, empty)


class LocationMixin(forms.Form):
    latitude = forms.DecimalField(
        required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6
    )
    longitude = forms.DecimalField(
        required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. East side of building 1")}),
    )


# -- patrols --------------------------------------------------------------------------------
class PatrolStartForm(forms.Form):
    area = AreaChoiceField(label=_("Area to patrol"))

    def __init__(self, *args, areas: list[Area], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].offer(areas, _("Choose the area"))
        if areas:
            self.fields["area"].initial = areas[0].pk


class PatrolEndForm(forms.Form):
    summary = forms.CharField(
        label=_("What you saw on the way"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("e.g. All quiet; bins emptied")}),
    )


# -- hidden dangers -------------------------------------------------------------------------
class DangerReportForm(LocationMixin):
    title = forms.CharField(
        label=_("What is the danger?"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Electric bikes charged in the hall")}),
    )
    category = forms.ChoiceField(
        label=_("Kind of danger"), choices=[("", _("Choose")), *DangerCategory.choices]
    )
    area = AreaChoiceField(label=_("Where"))
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible_party = forms.CharField(
        label=_("Responsible party"),
        required=False,
        max_length=100,
        help_text=_("Who must rectify it: an owner, a shop, a property company."),
    )
    photo = PhotoField(label=_("Photo"))
    field_order = (
        "title",
        "category",
        "area",
        "address",
        "description",
        "responsible_party",
        "photo",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        roles = danger_workflow.STEPS["report"].roles
        areas = areas_under(user, roles, FIELD_AREA_KINDS)
        self.fields["area"].offer(areas, _("Choose where the danger is"))
        own = [a for a in scope_of(user).areas(roles) if a.kind in FIELD_AREA_KINDS]
        if own:
            self.fields["area"].initial = own[0].pk


class DangerStepForm(forms.Form):
    """The inputs of one step of the table, and the version the actor saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    requirement = forms.CharField(
        label=_("What must be done"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    limit_days = forms.TypedChoiceField(
        label=_("Working days to rectify"),
        coerce=int,
        choices=[(d, d) for d in danger_workflow.LIMIT_DAY_CHOICES],
        initial=3,
    )
    responsible_party = forms.CharField(label=_("Responsible party"), max_length=100)
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = PhotoField(label=_("Photo"))

    def __init__(self, *args, step: danger_workflow.Step, danger, **kwargs):
        kwargs.setdefault("prefix", step.name)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", danger.version)
        if danger.responsible_party:
            kwargs["initial"].setdefault("responsible_party", danger.responsible_party)
        super().__init__(*args, **kwargs)
        self.step = step
        for name in [n for n in self.fields if n != "version"]:
            if name not in step.inputs:
                del self.fields[name]
            else:
                self.fields[name].required = name in step.required
        if "comment" in self.fields and step.comment_label:
            self.fields["comment"].label = step.comment_label

    def step_inputs(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


# -- mobilization ---------------------------------------------------------------------------
def _question_fields() -> dict:
    fields = {}
    types = [("", "—"), *[(k, v) for k, v in checkforms.QUESTION_TYPES.items()]]
    for i in range(1, QUESTION_ROWS + 1):
        fields[f"q{i}_label"] = forms.CharField(
            label=_("Question %(n)d") % {"n": i}, required=False, max_length=100
        )
        fields[f"q{i}_type"] = forms.ChoiceField(
            label=_("Type of answer"), required=False, choices=types
        )
        fields[f"q{i}_choices"] = forms.CharField(
            label=_("Choices"),
            required=False,
            max_length=400,
            widget=forms.TextInput(attrs={"placeholder": _("e.g. 自住、出租、空置")}),
        )
        fields[f"q{i}_required"] = forms.BooleanField(
            label=_("Required"), required=False, initial=True
        )
    return fields


class TaskIssueForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=MobilizationKind.choices)
    area = AreaChoiceField(label=_("Area checked"), help_text=_("Every building below it."))
    unit = forms.ChoiceField(label=_("What is reported"), choices=CheckUnit.choices)
    due_on = forms.DateField(
        label=_("To be finished by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    description = forms.CharField(
        label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo_required = forms.BooleanField(label=_("A photo is required"), required=False)
    volunteers_welcome = forms.BooleanField(
        label=_("Volunteers and party members may sign up"), required=False, initial=True
    )
    max_per_building = forms.IntegerField(
        label=_("Participants per building"), min_value=1, max_value=20, initial=3
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields.update(_question_fields())
        areas = areas_under(user, ISSUER_ROLES, TASK_AREA_KINDS)
        self.fields["area"].offer(areas, _("Choose the area"))
        if areas:
            self.fields["area"].initial = areas[0].pk

    def question_rows(self) -> list[list]:
        return [
            [self[f"q{i}_{part}"] for part in ("label", "type", "choices", "required")]
            for i in range(1, QUESTION_ROWS + 1)
        ]

    def questions(self) -> list[dict]:
        """The filled rows as the question list the service checks."""
        data = self.cleaned_data
        return [
            {
                "label": data.get(f"q{i}_label", ""),
                "type": data.get(f"q{i}_type", ""),
                "choices": data.get(f"q{i}_choices", ""),
                "required": data.get(f"q{i}_required", False),
            }
            for i in range(1, QUESTION_ROWS + 1)
            if (data.get(f"q{i}_label") or "").strip() or data.get(f"q{i}_type")
        ]

    @staticmethod
    def initial_for(kind: str) -> dict:
        """Initial values with the question template of ``kind``."""
        template = TEMPLATES.get(kind) or TEMPLATES[MobilizationKind.OTHER]
        initial = {
            "kind": kind,
            "title": str(template["title"]),
            "unit": template["unit"],
            "description": str(template["description"]),
        }
        questions = questions_for(kind)
        for i, question in enumerate(questions, start=1):
            initial[f"q{i}_label"] = question["label"]
            initial[f"q{i}_type"] = question["type"]
            initial[f"q{i}_choices"] = "、".join(question["choices"])
            initial[f"q{i}_required"] = question["required"]
        for i in range(len(questions) + 1, QUESTION_ROWS + 1):
            initial[f"q{i}_required"] = True
        return initial


class SignupForm(forms.Form):
    capacity = forms.ChoiceField(
        label=_("I take part as"),
        choices=[(c, Capacity(c).label) for c in SELF_DECLARED],
        initial=Capacity.VOLUNTEER,
        widget=forms.RadioSelect,
        required=False,
    )


class CheckReportForm(forms.Form):
    """The task's own questions, then the household, a note and a photo."""

    household = forms.CharField(
        label=_("Household"),
        max_length=30,
        help_text=_("Unit and room, e.g. 2单元301."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = PhotoField(label=_("Photo"))

    def __init__(self, *args, task: MobilizationTask, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        questions = {}
        for question in task.questions:
            questions[question["key"]] = _answer_field(question)
        self.fields = {**questions, **self.fields}
        if not task.by_household:
            del self.fields["household"]
        self.fields["photo"].required = task.photo_required
        self.question_keys = list(questions)

    def answers(self) -> dict:
        return {key: self.cleaned_data.get(key) for key in self.question_keys}


def _answer_field(question: dict) -> forms.Field:
    label = question["label"]
    required = question["required"]
    kind = question["type"]
    if kind == "yes_no":
        return forms.ChoiceField(
            label=label,
            required=required,
            choices=[(checkforms.YES, _("Yes")), (checkforms.NO, _("No"))],
            widget=forms.RadioSelect(attrs={"class": "choice-row"}),
        )
    if kind == "choice":
        return forms.ChoiceField(
            label=label,
            required=required,
            choices=[(c, c) for c in question["choices"]],
            widget=forms.RadioSelect(attrs={"class": "choice-row"}),
        )
    if kind == "number":
        attrs = {"inputmode": "decimal"}
        if question.get("min") is not None:
            attrs["min"] = question["min"]
        if question.get("max") is not None:
            attrs["max"] = question["max"]
        return forms.CharField(label=label, required=required, widget=forms.NumberInput(attrs))
    return forms.CharField(
        label=label,
        required=required,
        max_length=checkforms.MAX_TEXT_ANSWER,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
