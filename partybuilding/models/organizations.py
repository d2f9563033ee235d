"""Party organizations (a tree tied to the area tree), their committees, members, dual reporting."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.models import LimitedTextField, TimeStampedModel, TreeModel
from governance.pinyin import PinyinNamedModel, PinyinQuerySet
from grids.models import Area, AreaKind
from partybuilding.models.common import ServiceType, SteppedStatus, mask_phone, steps_from

phone_validator = RegexValidator(r"^[0-9+\-\s]{5,20}$", _("Enter a valid phone number."))


class OrganizationKind(models.TextChoices):
    STREET_COMMITTEE = "street_committee", _("Street party working committee")
    COMMUNITY_COMMITTEE = "community_committee", _("Community party committee")
    GENERAL_BRANCH = "general_branch", _("General party branch")
    BRANCH = "branch", _("Party branch")
    PARTY_GROUP = "party_group", _("Party group")


# Depth order of the kinds (a child is always deeper; levels may be skipped, e.g. a branch
# directly under the community committee) and the area kinds each kind may be tied to.
ORGANIZATION_RANK = {kind: rank for rank, kind in enumerate(OrganizationKind.values)}
ORGANIZATION_AREA_KINDS = {
    OrganizationKind.STREET_COMMITTEE: {AreaKind.DISTRICT, AreaKind.STREET},
    OrganizationKind.COMMUNITY_COMMITTEE: {AreaKind.COMMUNITY},
    OrganizationKind.GENERAL_BRANCH: {AreaKind.COMMUNITY, AreaKind.GRID},
    OrganizationKind.BRANCH: {AreaKind.COMMUNITY, AreaKind.GRID},
    OrganizationKind.PARTY_GROUP: {
        AreaKind.GRID,
        AreaKind.MICRO_GRID,
        AreaKind.BUILDING,
        AreaKind.UNIT,
    },
}


class PartyOrganization(TreeModel, TimeStampedModel):
    """A party organization: street working committee → community committee → branch → group."""

    Kind = OrganizationKind

    kind = models.CharField(_("kind"), max_length=30, choices=OrganizationKind)
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="party_organizations"
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    notes = LimitedTextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("party organization")
        verbose_name_plural = _("party organizations")
        constraints = [
            models.CheckConstraint(
                name="party_org_kind_valid", condition=Q(kind__in=OrganizationKind.values)
            ),
            models.UniqueConstraint(fields=("area", "name"), name="party_org_unique_name_in_area"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_secretary_post(self) -> bool:
        """Committees and branches have a secretary; a party group has a group leader."""
        return self.kind != OrganizationKind.PARTY_GROUP

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        if self.kind not in ORGANIZATION_RANK:
            return
        parent = self.parent if self.parent_id else None
        if parent is not None and ORGANIZATION_RANK[self.kind] <= ORGANIZATION_RANK[parent.kind]:
            errors.setdefault("kind", []).append(
                _("A %(kind)s cannot be placed under a %(parent_kind)s.")
                % {"kind": self.get_kind_display(), "parent_kind": parent.get_kind_display()}
            )
        if parent is None and self.kind != OrganizationKind.STREET_COMMITTEE:
            errors.setdefault("parent", []).append(
                _("Only a street party working committee stands at the top of the tree.")
            )
        if self.area_id:
            area = self.area
            if area.kind not in ORGANIZATION_AREA_KINDS[self.kind]:
                errors.setdefault("area", []).append(
                    _("A %(kind)s cannot be tied to a %(area_kind)s.")
                    % {"kind": self.get_kind_display(), "area_kind": area.get_kind_display()}
                )
            elif parent is not None and not area.is_within(parent.area):
                errors.setdefault("area", []).append(
                    _("The area must lie within the parent organization's area (%(area)s).")
                    % {"area": parent.area.name}
                )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Every write path (services, admin, API, shell) validates: a bad tree is never stored.
        self.full_clean(validate_unique=False, validate_constraints=False)
        return super().save(*args, **kwargs)


class PostPosition(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    ORGANIZATION = "organization", _("Committee member for organization")
    PUBLICITY = "publicity", _("Committee member for publicity")
    DISCIPLINE = "discipline", _("Committee member for discipline")
    MEMBER = "member", _("Committee member")
    GROUP_LEADER = "group_leader", _("Party group leader")


class OrganizationPost(TimeStampedModel):
    """A seat on an organization's committee, held for a term (the secretary is one of them)."""

    Position = PostPosition

    organization = models.ForeignKey(
        PartyOrganization,
        verbose_name=_("party organization"),
        on_delete=models.CASCADE,
        related_name="posts",
    )
    member = models.ForeignKey(
        "partybuilding.PartyMember",
        verbose_name=_("party member"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    position = models.CharField(_("position"), max_length=30, choices=PostPosition)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    ceased_on = models.DateField(_("ceased on"), null=True, blank=True)

    class Meta:
        ordering = ("organization", "position", "term_start")
        verbose_name = _("committee post")
        verbose_name_plural = _("committee posts")
        constraints = [
            models.CheckConstraint(
                name="post_position_valid", condition=Q(position__in=PostPosition.values)
            ),
            models.CheckConstraint(
                name="post_ceased_after_start",
                condition=Q(ceased_on__isnull=True) | Q(ceased_on__gte=models.F("term_start")),
                violation_error_message=_("A post cannot cease before its term starts."),
            ),
            models.UniqueConstraint(
                fields=("organization",),
                condition=Q(position=PostPosition.SECRETARY, ceased_on__isnull=True),
                name="post_one_sitting_secretary",
                violation_error_message=_("This organization already has a sitting secretary."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_position_display()} · {self.member}"


class MemberStatus(models.TextChoices):
    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")


# A member registers as a full or a probationary member; a probationary member becomes full;
# either may transfer out (which withdraws their dual report), and that is final here.
MEMBER_STATUS_STEPS = {
    None: frozenset({MemberStatus.FULL, MemberStatus.PROBATIONARY}),
    MemberStatus.PROBATIONARY: frozenset({MemberStatus.FULL, MemberStatus.TRANSFERRED_OUT}),
    MemberStatus.FULL: frozenset({MemberStatus.TRANSFERRED_OUT}),
    MemberStatus.TRANSFERRED_OUT: frozenset(),
}


class PartyMember(SteppedStatus, PinyinNamedModel, TimeStampedModel):
    """A party member registered with one organization of the street."""

    Status = MemberStatus
    status_steps = MEMBER_STATUS_STEPS

    organization = models.ForeignKey(
        PartyOrganization,
        verbose_name=_("party organization"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(
        _("gender"), max_length=1, choices=[("m", _("Male")), ("f", _("Female"))], blank=True
    )
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    join_date = models.DateField(_("joined the party on"))
    status = models.CharField(
        _("status"), max_length=20, choices=MemberStatus, default=MemberStatus.FULL
    )
    home_building = models.ForeignKey(
        Area,
        verbose_name=_("home building"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident_party_members",
        limit_choices_to={"kind__in": [AreaKind.BUILDING, AreaKind.UNIT]},
    )
    # The member's record in the street's resident register (grids): their political status
    # there is this membership.
    resident = models.OneToOneField(
        "grids.Resident",
        verbose_name=_("resident record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_member",
    )
    in_service = models.BooleanField(_("in service"), default=False)
    work_unit = models.CharField(_("work unit"), max_length=100, blank=True)
    # The co-construction unit the in-service member works for: the unit earns points for
    # the member's services in the community (units' points, item "members").
    employer = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("work unit (co-construction unit)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="in_service_members",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="party_member",
    )

    objects = PinyinQuerySet.as_manager()

    class Meta:
        ordering = ("organization", "name_sort", "name")
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        constraints = [
            models.CheckConstraint(
                name="member_status_valid", condition=Q(status__in=MemberStatus.values)
            ),
            models.CheckConstraint(
                name="member_in_service_has_work_unit",
                condition=Q(in_service=False) | ~Q(work_unit=""),
                violation_error_message=_("An in-service member needs a work unit."),
            ),
            models.UniqueConstraint(
                fields=("id_number",),
                condition=~Q(id_number=""),
                name="member_unique_id_number",
                violation_error_message=_("A member with this ID number is registered already."),
            ),
        ]
        indexes = [models.Index(fields=("name",)), models.Index(fields=("status",))]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def clean(self) -> None:
        super().clean()
        if self.in_service and not self.work_unit.strip():
            raise ValidationError({"work_unit": _("An in-service member needs a work unit.")})
        if self.employer_id and not self.in_service:
            raise ValidationError(
                {"employer": _("Only an in-service member has a co-construction unit.")}
            )


class ReportKind(models.TextChoices):
    UNIT = "unit", _("Unit report")
    PERSONAL = "personal", _("Personal report")


class ReportStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", pgettext_lazy("party dual report", "Withdrawn")


# The dual-report lifecycle as data (step → statuses it starts from, status it leads to): pages,
# API and services read the allowed steps from here.
REPORT_STEPS = {
    "activate": (frozenset({ReportStatus.REGISTERED}), ReportStatus.ACTIVE),
    "withdraw": (
        frozenset({ReportStatus.REGISTERED, ReportStatus.ACTIVE}),
        ReportStatus.WITHDRAWN,
    ),
}


# The first year a quarterly feedback sheet of dual reporting can be asked for (pages and API).
FEEDBACK_FIRST_YEAR = 2000


class DualReport(TimeStampedModel):
    """双报到: a unit's party organization, or an in-service member, registers with a community."""

    Kind = ReportKind
    Status = ReportStatus
    state_fields = ("status", "activated_on", "withdrawn_on", "withdraw_reason")

    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind)
    community = models.ForeignKey(
        Area,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="dual_reports",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
    )
    unit = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dual_reports",
    )
    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("party member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dual_reports",
    )
    service_post = models.CharField(_("service post"), max_length=30, choices=ServiceType)
    pledges = LimitedTextField(_("pledges"), blank=True)
    yearly_target = models.PositiveSmallIntegerField(
        _("services a year (target)"), default=4, validators=[MinValueValidator(1)]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus, default=ReportStatus.REGISTERED
    )
    registered_on = models.DateField(_("registered on"))
    activated_on = models.DateField(_("activated on"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdraw_reason = models.CharField(_("reason for withdrawal"), max_length=200, blank=True)

    class Meta:
        ordering = ("-registered_on", "-pk")
        verbose_name = _("dual report")
        verbose_name_plural = _("dual reports")
        constraints = [
            models.CheckConstraint(
                name="dual_report_party_matches_kind",
                condition=Q(kind=ReportKind.UNIT, unit__isnull=False, member__isnull=True)
                | Q(kind=ReportKind.PERSONAL, member__isnull=False, unit__isnull=True),
                violation_error_message=_(
                    "A unit report names a unit; a personal report names a member."
                ),
            ),
            models.CheckConstraint(
                name="dual_report_status_valid", condition=Q(status__in=ReportStatus.values)
            ),
            models.UniqueConstraint(
                fields=("member",),
                condition=Q(kind=ReportKind.PERSONAL) & ~Q(status=ReportStatus.WITHDRAWN),
                name="dual_report_one_open_per_member",
                violation_error_message=_(
                    "This member has reported to a community already; withdraw that report first."
                ),
            ),
            models.UniqueConstraint(
                fields=("unit", "community"),
                condition=Q(kind=ReportKind.UNIT) & ~Q(status=ReportStatus.WITHDRAWN),
                name="dual_report_one_open_per_unit_and_community",
                violation_error_message=_("This unit has reported to this community already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party_name} → {self.community}"

    @property
    def is_personal(self) -> bool:
        """An in-service member's own report (else a unit's); only these get a feedback sheet."""
        return self.kind == ReportKind.PERSONAL

    @property
    def party_name(self) -> str:
        return str(self.member if self.is_personal else self.unit)

    @property
    def next_steps(self) -> list[str]:
        """The steps of REPORT_STEPS this report may take now."""
        return steps_from(REPORT_STEPS, self.status)

    @property
    def takes_services(self) -> bool:
        """Services are recorded on active reports only."""
        return self.status == ReportStatus.ACTIVE


class DualReportService(TimeStampedModel):
    """One service a dual-reported member or unit gave in the community."""

    report = models.ForeignKey(
        DualReport, verbose_name=_("dual report"), on_delete=models.CASCADE, related_name="services"
    )
    served_on = models.DateField(_("served on"))
    hours = models.DecimalField(
        _("hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)]
    )
    description = models.CharField(_("what was done"), max_length=200)

    class Meta:
        ordering = ("-served_on", "-pk")
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        constraints = [
            models.CheckConstraint(name="service_hours_not_negative", condition=Q(hours__gte=0))
        ]

    def __str__(self) -> str:
        return f"{self.served_on} {self.description}"
