"""Forms of the case pages. They collect and shape input only: every rule about cases (who may
file or step, required inputs, photo checks) lives in :mod:`casework.services`, whose
ValidationErrors the views attach to these forms field by field."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from casework import page_selectors, photo_drafts, services, workflow
from casework.dispatch_hints import suggested_department
from casework.models import Case, Priority, Satisfaction, Source
from governance import widgets
from governance.forms import PinyinSelect
from governance.images import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_STEP
from governance.models import Role
from governance.scopes import departments_for, scope_of, visible
from grids.models import Area

PHOTO_HELP = _("Up to %(n)d photos, each at most %(mb)d MB (JPEG, PNG or WebP).") % {
    "n": MAX_PHOTOS_PER_STEP,
    "mb": MAX_PHOTO_BYTES // (1024 * 1024),
}


class MultiplePhotoInput(widgets.ClearableFileInput):
    allow_multiple_selected = True

    def __init__(self, attrs=None, *, capture: bool = True):
        base = {"accept": "image/*", "multiple": True}
        if capture:
            # Opens the rear camera on a phone; desktops show the file chooser.
            base["capture"] = "environment"
        super().__init__({**base, **(attrs or {})})


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; the photo checks themselves are the services' (Pillow)."""

    def __init__(self, *args, capture: bool = True, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(capture=capture))
        kwargs.setdefault("help_text", PHOTO_HELP)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(MultiplePhotoField, self).clean(f, initial) for f in files if f]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        return files


class DraftPhotoIdsField(forms.Field):
    """The ids of photos uploaded as soon as they were chosen (see casework.photo_drafts)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return [str(v) for v in (value or []) if v]


# -- filing ---------------------------------------------------------------------------------
class CaseReportForm(forms.Form):
    title = forms.CharField(
        label=_("Short title"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Rubbish piled up by building 3")}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=page_selectors.report_categories(),
        empty_label=_("Choose a sub-category"),
        widget=PinyinSelect,
    )
    area = forms.ModelChoiceField(
        label=_("Grid, micro-grid or building"),
        queryset=Area.objects.none(),
        help_text=_("Your grid, or the micro-grid or building inside it."),
        widget=PinyinSelect,
    )
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
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. East side of building 1, by the bins")}
        ),
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=Case._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[("", _("As the category says")), *Priority.choices],
    )
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices, initial=Source.PATROL)
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("Resident's phone"), max_length=20, required=False)
    photos = MultiplePhotoField(label=_("Photos"), required=False)
    photos_drafts = DraftPhotoIdsField(required=False)
    resolve_on_spot = forms.BooleanField(
        label=_("I resolved it on the spot"),
        required=False,
        help_text=_(
            "Closes the case at once; describe what you did and add a photo after the fix."
        ),
    )
    result = forms.CharField(
        label=_("What you did"),
        required=False,
        max_length=Case._meta.get_field("result").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    after_photos = MultiplePhotoField(label=_("Photos after the fix"), required=False)
    after_photos_drafts = DraftPhotoIdsField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope = scope_of(user)
        self.can_resolve_on_spot = scope.has_role(*workflow.STEPS["resolve_on_spot"].roles)
        if not self.can_resolve_on_spot:
            for name in ("resolve_on_spot", "result", "after_photos", "after_photos_drafts"):
                del self.fields[name]
        # Photo drafts named by a post, per photo field: kept on a refused form.
        self.drafts: dict[str, list] = {"photos": [], "after_photos": []}
        area_qs = page_selectors.report_areas_for(user)
        areas = list(area_qs)
        self.fields["area"].queryset = area_qs
        # Choices from the list read once, indented by depth (the queryset validates a post).
        self.fields["area"].choices = [("", _("Choose where the problem is"))] + [
            (a.pk, _area_label(a, areas[0].rank if areas else 0)) for a in areas
        ]
        default_area = page_selectors.default_report_area(user)
        if default_area is not None:
            self.fields["area"].initial = default_area.pk
        categories = list(page_selectors.report_categories())
        self.fields["category"].choices = _grouped_categories(categories)
        self.fields["category"].widget.pinyin = {str(c.pk): c.name_pinyin for c in categories}
        self.fields["area"].widget.pinyin = {str(a.pk): a.name_pinyin for a in areas}
        self.category_groups = [c for c in categories if not c.is_leaf]
        if not scope.has_role(Role.GRID_WORKER) and not scope.is_superuser:
            self.fields["source"].initial = Source.RESIDENT

    def clean(self):
        data = super().clean()
        for name in ("photos", "after_photos"):
            if name not in self.fields:
                continue
            asked = data.get(f"{name}_drafts") or []
            self.drafts[name] = photo_drafts.photo_drafts_of(owner=self.user, ids=asked)
            if len(self.drafts[name]) < len(asked):
                self.add_error(name, _("Some photos were kept too long: choose them again."))
        if data.get("resolve_on_spot"):
            if not (data.get("result") or "").strip():
                self.add_error("result", _("Describe what was done."))
            if not data.get("after_photos") and not self.drafts["after_photos"]:
                self.add_error("after_photos", _("Add at least one photo after the fix."))
        # The service's own checks, on what could be read, so that every problem shows at once
        # (a field that failed its own check keeps that message alone).
        problems = services.case_report_errors(
            title=data.get("title"),
            category=data.get("category"),
            area=data.get("area"),
            source=data.get("source"),
            priority=data.get("priority"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            address=data.get("address"),
            reporter_name=data.get("reporter_name"),
        )
        for name, messages in problems.items():
            # The position is a hidden field: its problems show on the location's address.
            field = "address" if name in ("latitude", "longitude") else name
            if field in self.fields and field not in self.errors and name in self.fields:
                for message in messages:
                    self.add_error(field, message)
        return data

    def report_kwargs(self) -> dict:
        """The arguments of services.case_report taken from this form."""
        d = self.cleaned_data
        return {
            "title": d["title"],
            "category": d["category"],
            "area": d["area"],
            "source": d["source"],
            "description": d["description"],
            "priority": d["priority"] or None,
            "latitude": d["latitude"],
            "longitude": d["longitude"],
            "address": d["address"],
            "reporter_name": d["reporter_name"],
            "reporter_phone": d["reporter_phone"],
            "photos": [*d["photos"], *photo_drafts.draft_files(self.drafts["photos"])],
        }

    def after_photo_files(self) -> list:
        d = self.cleaned_data
        return [*d["after_photos"], *photo_drafts.draft_files(self.drafts["after_photos"])]

    def used_drafts(self) -> list:
        return [*self.drafts["photos"], *self.drafts["after_photos"]]


def _area_label(area, top_rank: int) -> str:
    indent = "\u3000" * max(0, area.rank - top_rank)
    return f"{indent}{area.name}（{area.get_kind_display()}）"


def _grouped_categories(categories) -> list:
    """Leaves grouped under their top-level category: the native select is the two-level
    picker (大类 → 小类) without JavaScript; the page script adds search and a 大类 select."""
    by_parent: dict[int | None, list] = {}
    for c in categories:
        by_parent.setdefault(c.parent_id, []).append(c)
    roots = by_parent.get(None, [])
    groups: list = [("", _("Choose a sub-category"))]
    for root in roots:
        leaves = []
        stack = list(reversed(by_parent.get(root.pk, [])))
        while stack:
            node = stack.pop()
            children = by_parent.get(node.pk)
            if children:
                stack.extend(reversed(children))
            elif node.is_leaf:
                leaves.append((node.pk, node.name))
        if leaves:
            groups.append((root.name, leaves))
        elif root.is_leaf:
            groups.append((root.pk, root.name))
    return groups


# -- steps ----------------------------------------------------------------------------------
class StepForm(forms.Form):
    """The inputs of one step on one case, built from the step table."""

    # The step forms' widgets draw their markup in Python: a case page draws three to five forms
    # (bench/RESULTS.md, "The case page's CPU (branch casepage)").
    version = forms.IntegerField(widget=widgets.HiddenInput)

    def __init__(
        self,
        *args,
        step: workflow.Step,
        case: Case,
        user,
        duplicates=(),
        **kwargs,
    ):
        kwargs.setdefault("prefix", step.name)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", case.version)
        super().__init__(*args, **kwargs)
        self.step = step
        self.case = case
        self.user = user
        self.duplicates = list(duplicates)
        required = set(step.required)
        for name in step.inputs:
            builder = getattr(self, f"_field_{name}")
            self.fields[name] = builder(name in required)

    def _field_comment(self, required: bool):
        label = self.step.comment_label or (_("Comment") if not required else _("Reason"))
        return forms.CharField(
            label=label,
            required=required,
            max_length=2000,
            widget=widgets.Textarea(attrs={"rows": 2}),
        )

    def _field_department(self, required: bool):
        queryset = departments_for(self.user, area=self.case.area)
        field = forms.ModelChoiceField(
            label=_("Department"),
            queryset=queryset,
            required=required,
            empty_label=_("The category's default department"),
        )
        # Pre-selected (and still editable), before the category's default department: the
        # department an app suggests for the case's place, such as the property company of the
        # compound it lies in.
        suggestion = suggested_department(self.case)
        if suggestion is not None and queryset.filter(pk=suggestion.pk).exists():
            self.initial["department"] = suggestion.pk
            field.help_text = _("Suggested: %(department)s serves this place.") % {
                "department": suggestion.name
            }
        return field

    def _field_duplicate_of(self, required: bool):
        return forms.CharField(
            label=_("Number of the original case"),
            required=required,
            max_length=20,
            widget=forms.TextInput(
                attrs={"list": f"{self.prefix}-duplicates", "placeholder": "2026-000123"}
            ),
            help_text=_("The case this one repeats; it stays open and this one is closed."),
        )

    def _field_result(self, required: bool):
        return forms.CharField(
            label=_("What was done"),
            required=required,
            max_length=Case._meta.get_field("result").max_length,
            widget=widgets.Textarea(attrs={"rows": 2}),
        )

    def _field_satisfaction(self, required: bool):
        return forms.ChoiceField(
            label=_("Satisfaction"),
            required=required,
            choices=Satisfaction.choices,
            widget=forms.RadioSelect,
        )

    def _field_photos(self, required: bool):
        label = _("Photos after the fix") if self.step.photo_kind == "after" else _("Photos")
        return MultiplePhotoField(label=label, required=required)

    def _field_is_public(self, required: bool):
        return forms.BooleanField(
            label=_("Show this step to the reporter"),
            required=False,
            initial=self.step.public,
        )

    def clean_duplicate_of(self):
        value = (self.cleaned_data.get("duplicate_of") or "").strip()
        if not value:
            return None
        original = (
            visible(self.user, Case.objects.filter(number=value, street_id=self.case.street_id))
            .only("pk")
            .first()
        )
        if original is None:
            raise ValidationError(_("No case with this number in your scope."))
        return original.pk

    def step_inputs(self) -> dict:
        """The keyword inputs of services.case_step taken from this form."""
        d = self.cleaned_data
        return {name: d.get(name) for name in self.step.inputs}
