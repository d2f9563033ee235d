"""Cases (案件), their categories, the append-only event log and photo attachments.

A case's status only ever changes through :mod:`casework.services`, which follows the one
step table in :mod:`casework.workflow`; nothing else (forms, admin, API serializers) writes
``status``, ``holder`` or ``due_at``. The rules that read a case's state (open, overdue,
suspended) are defined here once, as a method for one case and as a filter for many.

The deadline models live in :mod:`casework.deadlines.models` and the public intake's in
:mod:`casework.open311.models`; importing them here registers them with the app (they name the case
and the category by their labels, so the import runs one way).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from casework.choices import (
    OPEN_STATUSES,
    STATUS_STAGE,
    Holder,
    Priority,
    Satisfaction,
    Source,
    Stage,
    Status,
)
from casework.deadlines.models import DeadlineRequest, Reminder, SupervisionOrder
from casework.open311.models import (
    ApiKey,
    Intake,
    Jurisdiction,
    ServiceAttribute,
    ServiceAttributeValue,
    ServiceDefinition,
)
from casework.stats.models import (
    AssessmentItem,
    AssessmentMonth,
    AssessmentRecompute,
    AssessmentResult,
    AssessmentScheme,
    CaseRollup,
    CaseRollupMonth,
    CaseRollupOpen,
    CaseRollupOverlap,
    CaseRollupState,
    ManualScore,
)
from casework.stats.wall_models import WallToken
from governance import files
from governance.models import (
    AppendOnlyModel,
    Department,
    LimitedTextField,
    Role,
    TimeStampedModel,
    TreeModel,
)
from governance.models.people import owner_choices
from governance.pinyin import PinyinNamedModel

# A reported case this recent is "new" in the dispatcher's inbox (first within its priority).
NEW_CASE_WINDOW = timedelta(hours=2)
# What waits for the community: reported and returned cases it holds (its inbox, its digest).
COMMUNITY_WAITING = Q(status__in=[Status.REPORTED, Status.ACCEPTED], holder=Holder.COMMUNITY)
# What waits for the center to accept and dispatch: the cases escalated to it (its inbox).
CENTER_WAITING = Q(status__in=[Status.REPORTED, Status.ACCEPTED], holder=Holder.CENTER)

__all__ = [
    "OPEN_STATUSES",
    "STATUS_STAGE",
    "ApiKey",
    "AssessmentItem",
    "AssessmentMonth",
    "AssessmentRecompute",
    "AssessmentResult",
    "AssessmentScheme",
    "Attachment",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseRollup",
    "CaseRollupMonth",
    "CaseRollupOpen",
    "CaseRollupOverlap",
    "CaseRollupState",
    "Category",
    "DeadlineRequest",
    "FilingKey",
    "Holder",
    "Intake",
    "Jurisdiction",
    "ManualScore",
    "PhotoDraft",
    "Priority",
    "Reminder",
    "ResponseTemplate",
    "Satisfaction",
    "ServiceAttribute",
    "ServiceAttributeValue",
    "ServiceDefinition",
    "Source",
    "Stage",
    "Status",
    "SupervisionOrder",
    "TimeLimit",
    "WallToken",
]


class Category(PinyinNamedModel, TreeModel, TimeStampedModel):
    """A case category (大类 → 小类). It gives new cases their default department and priority,
    and its time limits (or its nearest ancestor's) set the due time of every stage."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-Za-z_-]+$", _("Letters, digits, - and _ only."))],
    )
    name = models.CharField(_("name"), max_length=50)
    description = LimitedTextField(_("description"), blank=True)
    default_department = models.ForeignKey(
        Department,
        verbose_name=_("default department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    default_priority = models.CharField(
        _("default priority"), max_length=10, choices=Priority, default=Priority.NORMAL
    )
    around_the_clock = models.BooleanField(
        _("limits run around the clock"),
        default=False,
        help_text=_("Urgent matters (fire, gas, flooding) count every hour, not working time."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_public = models.BooleanField(
        _("open to public reports"),
        default=False,
        help_text=_(
            "Residents (the residents' page) and Open311 clients may report problems of this "
            "sub-category."
        ),
    )

    class MPTTMeta:
        # Categories read in the order of their codes (01 市容环境, 0101 暴露垃圾, ...).
        order_insertion_by = ("code",)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        constraints = [
            models.CheckConstraint(
                name="category_priority_valid", condition=Q(default_priority__in=Priority.values)
            )
        ]

    def __str__(self) -> str:
        return self.name


class TimeLimit(models.Model):
    """Hours allowed for each stage of a case of ``category`` at ``priority``.

    A sub-category without its own row uses its nearest ancestor's (see selectors.time_limit_for).
    """

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="time_limits"
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority)
    accept_hours = models.DecimalField(
        _("accept within (hours)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    dispatch_hours = models.DecimalField(
        _("dispatch within (hours)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    acknowledge_hours = models.DecimalField(
        _("acknowledge within (hours)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25"))],
    )
    handle_hours = models.DecimalField(
        _("handle within (hours)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25"))],
    )

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ("category", "priority")
        constraints = [
            models.UniqueConstraint(
                fields=("category", "priority"), name="unique_time_limit_per_priority"
            ),
            models.CheckConstraint(
                name="time_limit_priority_valid", condition=Q(priority__in=Priority.values)
            ),
            models.CheckConstraint(
                name="time_limit_hours_positive",
                condition=Q(accept_hours__gt=0)
                & Q(dispatch_hours__gt=0)
                & Q(acknowledge_hours__gt=0)
                & Q(handle_hours__gt=0),
                violation_error_message=_("Every time limit must be more than zero hours."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.get_priority_display()}"

    def hours_for(self, stage: str) -> Decimal:
        return getattr(self, f"{stage}_hours")


class CaseCounter(models.Model):
    """The last case number given out per street and year; incremented under a row lock."""

    street = models.ForeignKey(
        settings.SCOPE_AREA_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case number counter")
        verbose_name_plural = _("case number counters")
        constraints = [
            models.UniqueConstraint(fields=("street", "year"), name="unique_counter_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.street_id}/{self.year}: {self.last}"


class CaseQuerySet(models.QuerySet):
    def overdue(self, now=None) -> CaseQuerySet:
        return self.filter(Case.overdue_q(now))

    def suspended(self) -> CaseQuerySet:
        return self.filter(Case.suspended_q())


class Case(TimeStampedModel):
    Status = Status
    Holder = Holder
    Source = Source
    Priority = Priority
    Satisfaction = Satisfaction
    state_fields = ("status", "holder", "department", "due_at", "result", "satisfaction")

    objects = CaseQuerySet.as_manager()

    number = models.CharField(_("number"), max_length=20, editable=False)
    street = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("street"),
        on_delete=models.PROTECT,
        related_name="street_cases",
        editable=False,
    )
    # The community and grid above ``area``, kept so that rankings group by them directly and
    # the community and grid scopes read them (casework.services keeps them, also when an area
    # moves). Without an index of their own: a community's text search then reads the text
    # index and checks the community on the matches (1 ms at 1,000,000 cases); with one, the
    # planner combined it with the text index and read the community's 200,000 cases (9 ms,
    # issue 15). The inbox and map indexes carry them for their index-only reads.
    community = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="community_cases",
        editable=False,
        db_index=False,
    )
    grid = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grid_cases",
        editable=False,
        db_index=False,
    )
    title = models.CharField(_("title"), max_length=100)
    description = LimitedTextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    area = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="cases",
        help_text=_("The lowest node known: a building or a micro-grid."),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = models.CharField(
        _("reporter's phone"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9+\-\s]{5,20}$", _("Enter a valid phone number."))],
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority)
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.REPORTED, editable=False
    )
    holder = models.CharField(
        _("held by"),
        max_length=20,
        choices=Holder,
        default=Holder.COMMUNITY,
        blank=True,
        editable=False,
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        editable=False,
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        editable=False,
    )
    result = LimitedTextField(_("handling result"), blank=True, editable=False)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=20, choices=Satisfaction, blank=True, editable=False
    )
    # Moments of the loop, for the monthly measures (response, on-time, handling time).
    reported_at = models.DateTimeField(_("reported at"), db_index=True, editable=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True, editable=False)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True, editable=False)
    acknowledged_at = models.DateTimeField(
        _("acknowledged at"), null=True, blank=True, editable=False
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True, editable=False)
    resolved_on_spot = models.BooleanField(_("resolved on the spot"), default=False, editable=False)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0, editable=False)
    return_count = models.PositiveSmallIntegerField(_("returns"), default=0, editable=False)
    # Raised each time the case enters a stage, again after a return, a rework or an
    # escalation: deadline reminders go out once per entry of a stage, not once per stage.
    stage_entry = models.PositiveIntegerField(_("stage entry"), default=1, editable=False)
    # Raised by every step: a step taken on a stale copy is refused as a conflict.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ("-reported_at", "-pk")
        constraints = [
            models.UniqueConstraint(fields=("street", "number"), name="unique_case_number"),
            models.CheckConstraint(name="case_status_valid", condition=Q(status__in=Status.values)),
            models.CheckConstraint(name="case_holder_valid", condition=Q(holder__in=Holder.values)),
            models.CheckConstraint(name="case_source_valid", condition=Q(source__in=Source.values)),
            models.CheckConstraint(
                name="case_priority_valid", condition=Q(priority__in=Priority.values)
            ),
            models.CheckConstraint(
                name="case_department_holds_with_department",
                condition=~Q(holder=Holder.DEPARTMENT) | Q(department__isnull=False),
            ),
            models.CheckConstraint(
                name="case_merged_has_original",
                condition=~Q(status=Status.MERGED) | Q(duplicate_of__isnull=False),
            ),
            models.CheckConstraint(
                name="case_not_duplicate_of_itself",
                condition=Q(duplicate_of__isnull=True) | ~Q(duplicate_of=models.F("pk")),
            ),
            models.CheckConstraint(
                name="case_open_has_holder",
                condition=~Q(status__in=sorted(OPEN_STATUSES)) | ~Q(holder=""),
            ),
            models.CheckConstraint(
                name="case_satisfaction_only_when_closed",
                condition=Q(satisfaction="") | Q(status=Status.CLOSED),
            ),
            models.CheckConstraint(
                name="case_location_given",
                condition=(Q(latitude__isnull=False) & Q(longitude__isnull=False)) | ~Q(address=""),
                violation_error_message=_("Give the location: a point on the map or an address."),
            ),
            models.CheckConstraint(
                name="case_coordinates_paired",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
            ),
            models.CheckConstraint(
                name="case_reporter_known",
                condition=Q(reporter__isnull=False) | ~Q(reporter_name=""),
                violation_error_message=_("Name the reporter."),
            ),
        ]
        # Text search (title, address) has character-pair indexes on PostgreSQL (migration 0018).
        indexes = [
            # A case number typed into the search box is a prefix lookup on this index.
            models.Index(
                fields=("number",), name="case_number_prefix", opclasses=("varchar_pattern_ops",)
            ),
            # The search box matches a reporter's whole name; every branch of its OR has an index,
            # so PostgreSQL can combine them instead of walking the list order.
            models.Index(fields=("reporter_name",), name="case_reporter_name"),
            # The incremental feed (?updated_after=) reads cases in the order they changed.
            models.Index(fields=("updated_at", "id"), name="case_updated"),
            models.Index(fields=("status", "due_at"), name="case_status_due"),
            # The dispatcher's inbox, its count and its badge: the waiting cases of the scope's
            # areas, with what the inbox sorts by, read from the index alone (the status index
            # read every waiting case of every community: 10,000 heap rows at 100,000 cases);
            # a community's scope (its kept community) is checked in the index too.
            models.Index(
                fields=("area",),
                include=("id", "priority", "status", "reported_at", "due_at", "community", "grid"),
                condition=COMMUNITY_WAITING,
                name="case_community_waiting",
            ),
            # The center's inbox: the escalated cases it holds, from an index of their own. The
            # status index read every waiting case of the communities too and checked the holder
            # on the table (2,127 rows for none at 1,000,000 cases, issue 15).
            models.Index(
                fields=("due_at", "id"), condition=CENTER_WAITING, name="case_center_waiting"
            ),
            # The map's markers: the located open cases of a subtree grouped by a cell of their
            # coordinates, read from this index alone (no visit of a case row; the status index
            # fetched every open case's row: 5,000 pages at 1,000,000 cases, bench/stats.py).
            models.Index(
                fields=("area",),
                include=("latitude", "longitude", "due_at", "category", "id", "community", "grid"),
                condition=Q(
                    status__in=sorted(OPEN_STATUSES),
                    latitude__isnull=False,
                    longitude__isnull=False,
                ),
                name="case_open_located",
            ),
            # The wall's escalated open cases (their count and the newest few at every poll):
            # only those cases are in it, not every open case.
            models.Index(
                fields=("escalated_at", "id"),
                condition=Q(status__in=sorted(OPEN_STATUSES), escalated_at__isnull=False),
                name="case_open_escalated",
            ),
            models.Index(fields=("department", "status"), name="case_department_status"),
            models.Index(fields=("category", "reported_at"), name="case_category_reported"),
            models.Index(fields=("latitude", "longitude"), name="case_location"),
            # The deadline scan reads open cases by due time; closed ones stay out of the index.
            models.Index(
                fields=("due_at",),
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="case_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def stage(self) -> str | None:
        return STATUS_STAGE.get(self.status)

    # -- the state rules: one method for a case, one filter for many (kept in agreement by
    # tests/casework/test_rules.py) ---------------------------------------------------------
    def is_overdue(self, now=None) -> bool:
        """Open and past the due time of its stage (a suspended case has none)."""
        return self.is_open and self.due_at is not None and self.due_at < (now or timezone.now())

    @staticmethod
    def overdue_q(now=None) -> Q:
        return Q(status__in=sorted(OPEN_STATUSES), due_at__lt=now or timezone.now())

    def is_new(self, now=None) -> bool:
        """Reported and not taken up yet, within the last NEW_CASE_WINDOW: the inbox puts it
        first among cases of its priority and marks it "new"."""
        now = now or timezone.now()
        return self.status == Status.REPORTED and self.reported_at >= now - NEW_CASE_WINDOW

    @staticmethod
    def new_q(now=None) -> Q:
        return Q(status=Status.REPORTED, reported_at__gte=(now or timezone.now()) - NEW_CASE_WINDOW)

    @property
    def is_suspended(self) -> bool:
        """The clock is stopped: an approved suspension not resumed yet."""
        return self.active_suspension is not None

    @cached_property
    def active_suspension(self) -> DeadlineRequest | None:
        """The suspension that stops the clock now (one query, once per loaded case)."""
        return DeadlineRequest.objects.active_suspensions().filter(case=self).first()

    @staticmethod
    def suspended_q() -> Q:
        return Q(Exists(DeadlineRequest.objects.active_suspensions().filter(case=OuterRef("pk"))))

    @property
    def reporter_display(self) -> str:
        """Who reported the case, in full (for a logged reveal only: see reporter_shown)."""
        return self.reporter_name or (str(self.reporter) if self.reporter_id else "")

    @property
    def reporter_shown(self) -> str:
        """Who reported the case as pages, lists, exports and the API show it: a resident's
        name masked (governance.privacy, 张**), a staff member who filed it by name."""
        if self.reporter_name:
            return self.reporter_shown_of(self.reporter_name, "")
        return str(self.reporter) if self.reporter_id else ""

    @staticmethod
    def reporter_shown_of(reporter_name: str, reporter: str) -> str:
        """:attr:`reporter_shown` from plain values (``reporter``: the filing user's name), for
        readers of many rows that hold no case instance (the export)."""
        from governance import privacy

        if reporter_name:
            kind = privacy.personal_fields(Case)["reporter_name"].kind
            return privacy.mask_value(kind, reporter_name)
        return reporter

    @property
    def reporter_phone_shown(self) -> str:
        """The reporter's phone masked (138****1234); in full only through a logged reveal."""
        from governance import privacy

        return privacy.masked(self, "reporter_phone") if self.reporter_phone else ""


class CaseEvent(AppendOnlyModel):
    """One step taken on a case: who, in which role, from which state to which, and why."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events"
    )
    step = models.CharField(_("step"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_events",
    )
    actor_name = models.CharField(_("actor's name"), max_length=150, blank=True)
    role = models.CharField(_("role used"), max_length=30, blank=True)
    from_status = models.CharField(_("from"), max_length=20, choices=Status, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status)
    to_holder = models.CharField(_("held by afterwards"), max_length=20, choices=Holder, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    comment = LimitedTextField(_("comment"), blank=True, max_length=4000)
    is_public = models.BooleanField(
        _("public"),
        default=True,
        help_text=_("Public events are shown to the reporter; internal ones to staff only."),
    )
    due_at = models.DateTimeField(_("next stage due"), null=True, blank=True)
    # Whether this step came within the time limit of the stage it ended (None: no limit ran).
    on_time = models.BooleanField(_("on time"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ("created_at", "pk")
        indexes = [models.Index(fields=("case", "created_at"), name="case_event_case_time")]

    def __str__(self) -> str:
        when = timezone.localtime(self.created_at).strftime("%Y-%m-%d %H:%M")
        return f"{self.get_step_display()} · {self.actor_name} · {when}"

    @classmethod
    def note(cls, case: Case, *, step: str, actor, actor_name: str, role: str, comment: str, now):
        """An unsaved internal event that changes nothing of the case: the deadline steps
        (requests, decisions, orders, overdue records) are logged with the case's state as it
        is."""
        return cls(
            case=case,
            step=step,
            actor=actor,
            actor_name=actor_name,
            role=role,
            from_status=case.status,
            to_status=case.status,
            to_holder=case.holder,
            comment=comment,
            is_public=False,
            due_at=case.due_at,
            created_at=now,
        )

    def get_step_display(self) -> str:
        from casework.workflow import step_label

        return str(step_label(self.step))

    def get_role_display(self) -> str:
        if self.role == "superuser":
            return str(_("Superuser"))
        return str(Role(self.role).label) if self.role in Role.values else self.role


def _attachment_path(instance, filename: str) -> str:
    return f"cases/{instance.created_at:%Y/%m}/{filename}"


class Attachment(AppendOnlyModel):
    """A photo taken with a step: before (the problem) or after (the fix). Stored re-encoded as
    JPEG with the EXIF orientation applied and the metadata (GPS included) dropped."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="attachments"
    )
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("event"), on_delete=models.PROTECT, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    image = models.ImageField(_("photo"), upload_to=_attachment_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_attachment_path)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ("created_at", "pk")
        constraints = [
            models.CheckConstraint(
                name="attachment_kind_valid", condition=Q(kind__in=["before", "after"])
            )
        ]

    def __str__(self) -> str:
        return self.original_name or self.image.name


class ResponseTemplate(TimeStampedModel):
    """A quick reply (常用语) offered for a step, for one category's subtree or for all, in its
    owner's streets (a street's own, or a district's for every street of it) or everywhere."""

    owner = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to=owner_choices,
        help_text=_("The street or district that uses it; empty: every street."),
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="response_templates",
        help_text=_("Empty: offered for every category."),
    )
    step = models.CharField(
        _("step"), max_length=30, blank=True, help_text=_("Empty: offered for every step.")
    )
    title = models.CharField(_("title"), max_length=50)
    text = LimitedTextField(_("text"))
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        ordering = ("order", "title")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from casework.workflow import STEPS

        super().clean()
        if self.step and self.step not in STEPS:
            raise ValidationError({"step": _("Unknown step.")})


def _draft_path(instance, filename: str) -> str:
    return f"drafts/{instance.created_at:%Y/%m/%d}/{filename}"


class PhotoDraft(models.Model):
    """A photo uploaded as soon as it was chosen on the filing form, before the form is sent.

    The form names it by its id, so a form the server refuses keeps its photos. It is checked
    and re-encoded on upload (like an attachment), is seen only by its uploader, becomes an
    attachment when the case is filed, and is deleted with its files once it is older than
    ``PHOTO_DRAFT_HOURS`` (``casework.tasks.clear_photo_drafts``, run by beat).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    image = models.ImageField(_("photo"), upload_to=_draft_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_draft_path)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("photo draft")
        verbose_name_plural = _("photo drafts")
        ordering = ("created_at",)

    def __str__(self) -> str:
        return self.original_name or str(self.id)


class FilingKey(models.Model):
    """The idempotency key a filing came with (a UUID the form or the API caller made, one per
    draft): the same person sending the same key again gets the case it filed, not a second one.

    A phone that lost the signal after sending cannot know whether the case was filed, so it
    sends the draft again; the unique constraint on (actor, key) makes any number of replays,
    concurrent ones included, file exactly one case. A key is the actor's: another person's
    replay of it files their own case and never reads this one.
    """

    key = models.UUIDField(_("idempotency key"), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="filing_key"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("filing key")
        verbose_name_plural = _("filing keys")
        constraints = [
            models.UniqueConstraint(fields=("actor", "key"), name="filingkey_actor_key_unique")
        ]

    def __str__(self) -> str:
        return str(self.key)


class CaseExport(models.Model):
    """An export of the case list too large to write while the user waits (over
    ``casework.exports.MAX_ROWS`` rows, or any export asked for through the API).

    It keeps who asked and the list's filters as a query string; a Celery worker re-reads the
    cases in the owner's scope at run time, streams them into a write-only workbook and stores
    the file privately. Only its owner sees it (its page, its progress in the API, its file
    through the scope-checked view); beat deletes it with its file once ``expires_at`` passes.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("writing")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PENDING)
    total = models.PositiveIntegerField(_("rows to write"), null=True, blank=True)
    written = models.PositiveIntegerField(_("rows written"), default=0)
    file = files.ProtectedFileField(
        _("file"),
        url_name="casework:export_file",
        upload_to=files.upload_to("exports"),
        blank=True,
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    # Touched with every chunk written: a running export whose worker died goes quiet.
    updated_at = models.DateTimeField(_("last progress"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("deleted after"), db_index=True)

    # Written by casework.export_jobs alone (see governance.api.state).
    state_fields = ("state", "total", "written", "file", "error", "finished_at")

    class Meta:
        verbose_name = _("case export")
        verbose_name_plural = _("case exports")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["state", "updated_at"], name="case_export_state")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_state_display()}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, 100 * self.written // self.total)

    @property
    def download_name(self) -> str:
        return f"cases-{timezone.localtime(self.created_at):%Y%m%d-%H%M}.xlsx"
