"""The monthly assessment (考核): a street's scheme of items, and each month's scores of its
communities, grids and departments, frozen on the 1st of the next month.

Imported by :mod:`casework.models` (which registers them with the case app). Written only by
:mod:`casework.stats.assessment` (freezing, recomputing) and the admin (schemes, items, manual
scores); a frozen month's results change only by an explicit recompute with a reason, which is
logged.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models import AppendOnlyModel, Department, LimitedTextField, TimeStampedModel

# What a computed item may be scored on: the rates of casework.stats.figures and the handling
# time. (Named here rather than imported: the figures import the case models, which import these.)
ITEM_FIGURES = (
    ("response_rate", _("Response rate")),
    ("resolution_rate", _("Resolution rate")),
    ("satisfaction_rate", _("Satisfaction rate")),
    ("on_time_rate", _("On-time rate")),
    ("on_spot_share", _("Resolved on the spot")),
    ("handling_hours", _("Avg. hours")),
)


class SubjectKind(models.TextChoices):
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    DEPARTMENT = "department", _("Department")


class AssessmentScheme(TimeStampedModel):
    """How a street assesses its communities, grids and departments each month."""

    street = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("street"),
        on_delete=models.PROTECT,
        related_name="assessment_schemes",
    )
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ("street", "name")
        constraints = [
            models.UniqueConstraint(
                fields=("street",),
                condition=Q(is_active=True),
                name="assessment_one_active_scheme_per_street",
                violation_error_message=_("The street already has a scheme in use."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.street_id and self.street.kind != "street":
            raise ValidationError({"street": _("A scheme belongs to a street.")})


class AssessmentItem(models.Model):
    """One item of a scheme: computed from a figure (full marks at ``target`` or better) or
    entered by the center each month with a note. ``weight`` is its share of the total of 100."""

    class Kind(models.TextChoices):
        COMPUTED = "computed", _("Computed from a figure")
        MANUAL = "manual", _("Entered by the center")

    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="items"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.COMPUTED)
    figure = models.CharField(_("figure"), max_length=30, choices=ITEM_FIGURES, blank=True)
    target = models.DecimalField(
        _("target"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Full marks at this value or better (a rate in %; for the handling time, hours or "
            "fewer)."
        ),
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Points of the total of 100."),
    )
    full_marks = models.DecimalField(
        _("full marks"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    order = models.PositiveSmallIntegerField(_("order"), default=10)

    class Meta:
        verbose_name = _("assessment item")
        verbose_name_plural = _("assessment items")
        ordering = ("scheme", "order", "pk")
        constraints = [
            models.CheckConstraint(
                name="assessment_item_kind_valid",
                condition=Q(kind="computed", target__gt=0) & ~Q(figure="")
                | Q(kind="manual", figure=""),
                violation_error_message=_(
                    "A computed item needs a figure and a target above zero; a manual item has "
                    "no figure."
                ),
            ),
            models.CheckConstraint(
                name="assessment_item_weight_positive", condition=Q(weight__gt=0, full_marks__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ManualScore(TimeStampedModel):
    """A manual item's score of one community, grid or department in one month, with the
    center's note."""

    item = models.ForeignKey(
        AssessmentItem,
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        related_name="manual_scores",
        limit_choices_to={"kind": "manual"},
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    area = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("community or grid"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    note = LimitedTextField(_("note"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("manual score")
        verbose_name_plural = _("manual scores")
        ordering = ("-month", "item", "pk")
        constraints = [
            models.CheckConstraint(
                name="manual_score_one_subject",
                condition=Q(area__isnull=False, department__isnull=True)
                | Q(area__isnull=True, department__isnull=False),
                violation_error_message=_("Score either an area or a department."),
            ),
            models.CheckConstraint(name="manual_score_first_day", condition=Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.month:%Y-%m}"

    def clean(self) -> None:
        super().clean()
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("Give the first day of the month.")})
        if self.item_id and not Decimal(0) <= (self.score or 0) <= self.item.full_marks:
            raise ValidationError(
                {"score": _("Between 0 and %(max)s.") % {"max": self.item.full_marks}}
            )
        if not (self.note or "").strip():
            raise ValidationError({"note": _("Say why.")})


class AssessmentMonth(TimeStampedModel):
    """One month of a scheme. Its results are written once, when it is frozen (by the task on
    the 1st of the next month), and again only by a logged recompute."""

    state_fields = ("frozen_at",)

    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="months"
    )
    month = models.DateField(_("month"))
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("assessment month")
        verbose_name_plural = _("assessment months")
        ordering = ("-month", "scheme")
        constraints = [
            models.UniqueConstraint(fields=("scheme", "month"), name="assessment_month_once"),
            models.CheckConstraint(name="assessment_month_first_day", condition=Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.month:%Y-%m}"


class AssessmentResult(models.Model):
    """The frozen figures, item scores, total and rank of one subject in one month."""

    assessment = models.ForeignKey(
        AssessmentMonth, verbose_name=_("month"), on_delete=models.CASCADE, related_name="results"
    )
    subject_kind = models.CharField(_("assessed"), max_length=12, choices=SubjectKind)
    area = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank"))
    # {"figures": {...}, "items": [{"item": id, "name", "value", "score", "note"}]}
    detail = models.JSONField(_("detail"), default=dict)

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        ordering = ("assessment", "subject_kind", "rank", "pk")
        constraints = [
            models.CheckConstraint(
                name="assessment_result_one_subject",
                condition=Q(area__isnull=False, department__isnull=True)
                | Q(area__isnull=True, department__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} {self.name} {self.total}"


class AssessmentRecompute(AppendOnlyModel):
    """A frozen month computed again: who, when, why (the log the admin action writes)."""

    assessment = models.ForeignKey(
        AssessmentMonth,
        verbose_name=_("month"),
        on_delete=models.PROTECT,
        related_name="recomputes",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = LimitedTextField(_("reason"))
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("assessment recompute")
        verbose_name_plural = _("assessment recomputes")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.assessment} · {self.created_at:%Y-%m-%d %H:%M}"


# -- rollups (see casework.stats.rollup) ----------------------------------------------------
# The day figures a case adds to the rollup, and the event figures (a case counts once in a
# period however many such events it had: see CaseRollupOverlap).
ROLLUP_DAY_FIGURES = (
    "reported",
    "accepted",
    "closed",
    "escalated",
    "taken_on",
    "resolved",
    "evaluated",
    "satisfied",
    "closed_on_time",
    "on_spot",
    "extended",
    "suspended",
)
ROLLUP_EVENT_FIGURES = ("acknowledged", "acknowledged_late", "returned", "reworked", "went_overdue")
ROLLUP_KEY = ("area_id", "department_id", "category_id", "source")


class RollupFigures(models.Model):
    """The summed figures of a rollup row (see casework.stats.rollup)."""

    area_id = models.BigIntegerField()
    department_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    source = models.CharField(max_length=20)
    reported = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    taken_on = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    evaluated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    on_spot = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    suspended = models.IntegerField(default=0)
    acknowledged = models.IntegerField(default=0)
    acknowledged_late = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    went_overdue = models.IntegerField(default=0)
    # The closed cases of the day and their handling time in working microseconds.
    handled = models.IntegerField(default=0)
    handling_us = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class CaseRollup(RollupFigures):
    """The figures of the cases of one lowest area, department, category and source, per local
    day: sums of every case's contribution (CaseRollupState), kept by casework.stats.rollup.
    Plain integer keys (0: no department) so that one unique key serves the upsert everywhere."""

    day = models.DateField()

    class Meta:
        verbose_name = _("statistics rollup")
        verbose_name_plural = _("statistics rollups")
        constraints = [
            models.UniqueConstraint(
                fields=("day", "area_id", "department_id", "category_id", "source"),
                name="case_rollup_key",
            )
        ]
        indexes = [models.Index(fields=("area_id", "day"), name="case_rollup_area_day")]

    def __str__(self) -> str:
        return f"{self.day} · {self.area_id}/{self.department_id}/{self.category_id}/{self.source}"


class CaseRollupMonth(RollupFigures):
    """The same sums per local calendar month (``month``: its first day), kept by the same
    refresh in the same transaction: whole months (the 12-month trend, the assessment, a
    period's whole months) read one row per group and month instead of one per day."""

    month = models.DateField()

    class Meta:
        verbose_name = _("statistics monthly rollup")
        verbose_name_plural = _("statistics monthly rollups")
        constraints = [
            models.UniqueConstraint(
                fields=("month", "area_id", "department_id", "category_id", "source"),
                name="case_rollup_month_key",
            )
        ]
        indexes = [models.Index(fields=("area_id", "month"), name="case_rollup_month_area")]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} · {self.area_id}/{self.department_id}/{self.category_id}/"
            f"{self.source}"
        )


class CaseRollupOpen(models.Model):
    """The open cases now, per lowest area, department, category, source and the local day of
    their due time (``due_day``; 9999-12-31 for none): how many are open and how many of them
    suspended. Kept by the same refresh from each case's state. A read counts the cases due
    before today from here and only the cases due from today on directly (the figures'
    definitions at ``now``), so it does not read every open case."""

    area_id = models.BigIntegerField()
    department_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    source = models.CharField(max_length=20)
    due_day = models.DateField()
    open = models.IntegerField(default=0)
    suspended_now = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("statistics open cases rollup")
        verbose_name_plural = _("statistics open cases rollups")
        constraints = [
            models.UniqueConstraint(
                fields=("area_id", "department_id", "category_id", "source", "due_day"),
                name="case_rollup_open_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.due_day} · {self.area_id}/{self.department_id}/{self.category_id}"


class CaseRollupOverlap(models.Model):
    """For an event figure: cases with such events on two days in a row of their own (``first``
    then ``following``, none between). A period holding both days counts the case once, not
    twice: the reader subtracts these pairs (count = event days − consecutive pairs, exact for
    any range of days)."""

    area_id = models.BigIntegerField()
    department_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    source = models.CharField(max_length=20)
    figure = models.CharField(max_length=30)
    first = models.DateField()
    following = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("statistics rollup overlap")
        verbose_name_plural = _("statistics rollup overlaps")
        constraints = [
            models.UniqueConstraint(
                fields=(
                    "area_id",
                    "department_id",
                    "category_id",
                    "source",
                    "figure",
                    "first",
                    "following",
                ),
                name="case_rollup_overlap_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.figure} {self.first}→{self.following} · {self.area_id}"


class CaseRollupState(models.Model):
    """What one case adds to the rollups now (so that a refresh subtracts it before adding the
    new contribution) and the case version it was computed from. No foreign key: a deleted
    case's state still says what to take away."""

    case_id = models.BigIntegerField(primary_key=True)
    case_updated_at = models.DateTimeField(db_index=True)
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("statistics rollup state")
        verbose_name_plural = _("statistics rollup states")

    def __str__(self) -> str:
        return f"case {self.case_id}"
