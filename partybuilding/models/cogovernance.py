"""Co-construction units, pairing agreements, the three lists (demands, resources, projects)
and micro-wishes."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance import files
from governance.models import LimitedTextField, TimeStampedModel, TreeModel
from grids.models import Area, AreaKind
from partybuilding.models.common import ServiceType, SteppedStatus, mask_phone, steps_from
from partybuilding.models.consortia import check_consortium_area
from partybuilding.models.organizations import phone_validator
from partybuilding.validators import validate_agreement_document


class UnitKind(models.TextChoices):
    ORGAN = "organ", _("Government organ")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    ENTERPRISE = "enterprise", _("Enterprise")
    SOCIAL_ORGANIZATION = "social_organization", _("Social organization")
    MERCHANT = "merchant", _("Merchant")


# What a party officer sets on a unit, on its form and in an import file alike.
UNIT_FIELDS = (
    "name",
    "kind",
    "area",
    "address",
    "contact_name",
    "contact_phone",
    "party_organization_name",
    "party_member_count",
    "offers",
)


class CoConstructionUnit(TimeStampedModel):
    """共建单位: a unit stationed in the street that works with a community."""

    Kind = UnitKind

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=UnitKind)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="co_construction_units",
        help_text=_("The community (or grid) where the unit is stationed."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    party_organization_name = models.CharField(
        _("unit's party organization"), max_length=100, blank=True
    )
    party_member_count = models.PositiveIntegerField(_("party members in the unit"), default=0)
    offers = LimitedTextField(_("resources offered"), blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("co-construction unit")
        verbose_name_plural = _("co-construction units")
        constraints = [
            models.CheckConstraint(name="unit_kind_valid", condition=Q(kind__in=UnitKind.values))
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In force")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


# An agreement is entered as a draft, in force, or (for the record) expired; a draft comes into
# force or is dropped; one in force expires or is terminated early.
AGREEMENT_STATUS_STEPS = {
    None: frozenset({AgreementStatus.DRAFT, AgreementStatus.ACTIVE, AgreementStatus.EXPIRED}),
    AgreementStatus.DRAFT: frozenset({AgreementStatus.ACTIVE, AgreementStatus.TERMINATED}),
    AgreementStatus.ACTIVE: frozenset({AgreementStatus.EXPIRED, AgreementStatus.TERMINATED}),
    AgreementStatus.EXPIRED: frozenset(),
    AgreementStatus.TERMINATED: frozenset(),
}


class PairingAgreement(SteppedStatus, TimeStampedModel):
    """结对共建协议: binds a unit to a community (or one of its party organizations) for a term."""

    Status = AgreementStatus
    status_steps = AGREEMENT_STATUS_STEPS

    unit = models.ForeignKey(
        CoConstructionUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    community = models.ForeignKey(
        Area,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="pairing_agreements",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
    )
    party_organization = models.ForeignKey(
        "partybuilding.PartyOrganization",
        verbose_name=_("party organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pairing_agreements",
    )
    signed_on = models.DateField(_("signed on"))
    starts_on = models.DateField(_("term starts"))
    ends_on = models.DateField(_("term ends"))
    commitments = LimitedTextField(_("commitments"))
    status = models.CharField(
        _("status"), max_length=12, choices=AgreementStatus, default=AgreementStatus.ACTIVE
    )
    document = files.ProtectedFileField(
        _("agreement file"),
        url_name="partybuilding:agreement-document",
        upload_to=files.upload_to("partybuilding/agreements"),
        blank=True,
        validators=[validate_agreement_document],
        help_text=_("The signed agreement: PDF, JPEG or PNG, at most 10 MB."),
    )

    class Meta:
        ordering = ("-signed_on", "-pk")
        verbose_name = _("pairing agreement")
        verbose_name_plural = _("pairing agreements")
        constraints = [
            models.CheckConstraint(
                name="agreement_term_ordered",
                condition=Q(ends_on__gte=models.F("starts_on")),
                violation_error_message=_("The term cannot end before it starts."),
            ),
            models.CheckConstraint(
                name="agreement_status_valid", condition=Q(status__in=AgreementStatus.values)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ⇄ {self.community}"

    def clean(self) -> None:
        super().clean()
        if (
            self.party_organization_id
            and self.community_id
            and not self.party_organization.area.is_within(self.community)
        ):
            raise ValidationError(
                {"party_organization": _("Choose a party organization of this community.")}
            )


class DemandSource(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    MEETING = "meeting", _("Meeting")
    STATION = "station", _("Deputies' contact station")
    VISIT = "visit", _("Home visit")
    HOTLINE = "hotline", _("12345 hotline")


class DemandStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MATCHED = "matched", _("Matched")
    CLOSED = "closed", pgettext_lazy("party demand", "Closed")


class Demand(TimeStampedModel):
    """需求清单: a need of residents waiting to be matched with resources."""

    Source = DemandSource
    Status = DemandStatus
    # Matched with resources by ``services.demand_match``.
    state_fields = ("status",)

    title = models.CharField(_("title"), max_length=120)
    description = LimitedTextField(_("description"), blank=True)
    service_type = models.CharField(_("type"), max_length=30, choices=ServiceType)
    source = models.CharField(_("source"), max_length=12, choices=DemandSource)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="demands"
    )
    raised_by = models.CharField(_("raised by"), max_length=50, blank=True)
    beneficiaries = models.PositiveIntegerField(_("people concerned"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=DemandStatus, default=DemandStatus.OPEN
    )

    consortium = models.ForeignKey(
        "partybuilding.Consortium",
        verbose_name=_("governance consortium"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="demands",
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        indexes = [models.Index(fields=("service_type", "status"))]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        check_consortium_area(self)

    @property
    def is_open(self) -> bool:
        """Waiting to be matched with resources."""
        return self.status == DemandStatus.OPEN


class ResourceKind(models.TextChoices):
    VENUE = "venue", _("Venue")
    FUNDS = "funds", _("Funds")
    SERVICE = "service", _("Service")
    VOLUNTEERS = "volunteers", _("Volunteers")
    GOODS = "goods", _("Goods")


class Resource(TimeStampedModel):
    """资源清单: what a unit or a member offers to the community."""

    Kind = ResourceKind

    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=ResourceKind)
    service_type = models.CharField(_("type"), max_length=30, choices=ServiceType)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="resources"
    )
    unit = models.ForeignKey(
        CoConstructionUnit,
        verbose_name=_("offered by unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="resources",
    )
    member = models.ForeignKey(
        "partybuilding.PartyMember",
        verbose_name=_("offered by member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="resources",
    )
    description = LimitedTextField(_("description"), blank=True)
    is_available = models.BooleanField(_("available"), default=True)

    class Meta:
        ordering = ("title",)
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        constraints = [
            models.CheckConstraint(
                name="resource_has_one_provider",
                condition=Q(unit__isnull=False, member__isnull=True)
                | Q(unit__isnull=True, member__isnull=False),
                violation_error_message=_("A resource is offered by one unit or one member."),
            )
        ]
        indexes = [models.Index(fields=("service_type", "is_available"))]

    def __str__(self) -> str:
        return self.title

    @property
    def provider(self):
        return self.unit if self.unit_id else self.member


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", pgettext_lazy("party project", "Approved")
    IN_PROGRESS = "in_progress", pgettext_lazy("party project", "In progress")
    ACCEPTANCE = "acceptance", _("Awaiting acceptance")
    COMPLETED = "completed", _("Completed")
    SUSPENDED = "suspended", pgettext_lazy("party project", "Suspended")


# The progress a project shows when it enters a status (a leaf may report finer progress).
STATUS_PROGRESS = {
    ProjectStatus.PROPOSED: 0,
    ProjectStatus.APPROVED: 10,
    ProjectStatus.IN_PROGRESS: 40,
    ProjectStatus.ACCEPTANCE: 90,
    ProjectStatus.COMPLETED: 100,
    ProjectStatus.SUSPENDED: None,  # keeps the progress it had
}


class ProjectKind(models.TextChoices):
    CO_GOVERNANCE = "co_governance", _("Co-governance project")
    PRACTICAL = "practical", _("Practical thing for the masses")


class Project(TreeModel, TimeStampedModel):
    """项目清单: a demand matched with resources, carried out with owners and units.

    A project may have sub-projects; the progress of a parent is derived from its children
    (see ``services.project_rollup``) and never entered by hand.
    """

    Status = ProjectStatus
    Kind = ProjectKind
    # Status and progress move on the timeline (``services.project_set_status``); the result is
    # published by ``services.project_publish_result``.
    state_fields = ("status", "progress", "result", "is_public")

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(
        _("kind"), max_length=20, choices=ProjectKind, default=ProjectKind.CO_GOVERNANCE
    )
    year = models.PositiveSmallIntegerField(_("year"))
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="projects"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProjectStatus, default=ProjectStatus.PROPOSED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    weight = models.DecimalField(
        _("weight in the parent"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    demand = models.ForeignKey(
        Demand,
        verbose_name=_("demand"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    resources = models.ManyToManyField(
        Resource, verbose_name=_("resources"), blank=True, related_name="projects"
    )
    agreement = models.ForeignKey(
        PairingAgreement,
        verbose_name=_("pairing agreement"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )
    units = models.ManyToManyField(
        CoConstructionUnit,
        verbose_name=_("participating units"),
        blank=True,
        related_name="projects",
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("owners"), blank=True, related_name="+"
    )
    owner_names = models.CharField(_("responsible people"), max_length=200, blank=True)
    budget = models.DecimalField(
        _("budget (yuan)"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    beneficiaries = models.CharField(_("beneficiaries"), max_length=200, blank=True)
    beneficiary_count = models.PositiveIntegerField(_("people benefiting"), default=0)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    description = LimitedTextField(_("description"), blank=True)
    result = LimitedTextField(_("public result"), blank=True)
    is_public = models.BooleanField(_("result published"), default=False)

    consortium = models.ForeignKey(
        "partybuilding.Consortium",
        verbose_name=_("governance consortium"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.CheckConstraint(
                name="project_progress_range", condition=Q(progress__gte=0, progress__lte=100)
            ),
            models.CheckConstraint(
                name="project_status_valid", condition=Q(status__in=ProjectStatus.values)
            ),
            models.CheckConstraint(name="project_budget_not_negative", condition=Q(budget__gte=0)),
            models.CheckConstraint(
                name="project_due_after_start",
                condition=Q(due_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(due_on__gte=models.F("starts_on")),
                violation_error_message=_("The due date cannot be before the start."),
            ),
        ]
        indexes = [models.Index(fields=("year", "status"))]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        check_consortium_area(self)
        errors: dict[str, list] = {}
        if self.parent_id and self.area_id and not self.area.is_within(self.parent.area):
            errors.setdefault("area", []).append(
                _("A sub-project lies within its parent project's area.")
            )
        if self.weight is not None and not self.parent_id:
            errors.setdefault("weight", []).append(
                _("Only a sub-project has a weight in its parent.")
            )
        if errors:
            raise ValidationError(errors)


class ProjectUpdate(models.Model):
    """A dated entry on a project's timeline (append-only)."""

    state_fields = ("status", "progress")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="updates"
    )
    happened_on = models.DateField(_("date"))
    text = models.CharField(_("what happened"), max_length=300)
    status = models.CharField(_("status"), max_length=12, choices=ProjectStatus)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ("-happened_on", "-pk")
        verbose_name = _("project timeline entry")
        verbose_name_plural = _("project timeline")

    def __str__(self) -> str:
        return f"{self.happened_on} {self.text}"


class WishStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    CLAIMED = "claimed", _("Claimed")
    FULFILLED = "fulfilled", _("Fulfilled")
    WITHDRAWN = "withdrawn", pgettext_lazy("party wish", "Withdrawn")


# The steps of a wish (step → statuses it starts from, status it leads to): the wall shows the
# buttons of the steps a wish may take, the services check the same table.
WISH_STEPS = {
    "claim": (frozenset({WishStatus.PUBLISHED}), WishStatus.CLAIMED),
    "fulfil": (frozenset({WishStatus.CLAIMED}), WishStatus.FULFILLED),
    "release": (frozenset({WishStatus.CLAIMED}), WishStatus.PUBLISHED),
    "withdraw": (frozenset({WishStatus.PUBLISHED, WishStatus.CLAIMED}), WishStatus.WITHDRAWN),
}


class MicroWish(TimeStampedModel):
    """微心愿: one resident's small wish, claimed by one member or unit at a time."""

    Status = WishStatus
    state_fields = (
        "status",
        "claimed_by_member",
        "claimed_by_unit",
        "claimed_at",
        "fulfilled_at",
        "fulfilment_note",
        "photo",
    )

    title = models.CharField(_("wish"), max_length=120)
    description = LimitedTextField(_("details"), blank=True)
    resident_name = models.CharField(_("resident"), max_length=50)
    resident_phone = models.CharField(
        _("resident's phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="micro_wishes"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=WishStatus, default=WishStatus.PUBLISHED
    )
    claimed_by_member = models.ForeignKey(
        "partybuilding.PartyMember",
        verbose_name=_("claimed by member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_wishes",
    )
    claimed_by_unit = models.ForeignKey(
        CoConstructionUnit,
        verbose_name=_("claimed by unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_wishes",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    fulfilment_note = models.CharField(_("how it was fulfilled"), max_length=200, blank=True)
    # Cleaned by governance.images (EXIF and GPS position dropped) and served by a scoped view.
    photo = files.ProtectedImageField(
        _("photo"),
        upload_to=files.upload_to("partybuilding/wishes"),
        blank=True,
        url_name="partybuilding:wish-photo",
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("micro-wish")
        verbose_name_plural = _("micro-wishes")
        constraints = [
            models.CheckConstraint(
                name="wish_claimant_matches_status",
                condition=(
                    Q(
                        status__in=[WishStatus.PUBLISHED, WishStatus.WITHDRAWN],
                        claimed_by_member__isnull=True,
                        claimed_by_unit__isnull=True,
                    )
                    | Q(
                        status__in=[WishStatus.CLAIMED, WishStatus.FULFILLED],
                        claimed_by_member__isnull=False,
                        claimed_by_unit__isnull=True,
                    )
                    | Q(
                        status__in=[WishStatus.CLAIMED, WishStatus.FULFILLED],
                        claimed_by_member__isnull=True,
                        claimed_by_unit__isnull=False,
                    )
                ),
                violation_error_message=_(
                    "A claimed or fulfilled wish has exactly one claimant; an open one has none."
                ),
            ),
        ]
        indexes = [models.Index(fields=("status",))]

    def __str__(self) -> str:
        return self.title

    @property
    def claimant(self):
        return self.claimed_by_member or self.claimed_by_unit

    @property
    def next_steps(self) -> list[str]:
        """The steps of WISH_STEPS this wish may take now."""
        return steps_from(WISH_STEPS, self.status)
