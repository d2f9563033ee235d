"""The three carriages (三驾马车) of a residential compound: the compound itself (a node of the
area tree marked as a 小区 or 院落), its residents' committee, its owners' committee with members
and term, and the property-management company under contract.

A property company is a handling department (``governance.Department`` of kind "property"): the
community dispatches its compounds' cases to it like to any department, and its staff sign in
with the department role scoped to it. This module keeps what party building adds to it: the
street it is registered in, its service phone, a quality score and the red-property flag.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models import Department, TimeStampedModel
from grids.models import Area, AreaKind

# The levels of the area tree a compound may be marked on.
COMPOUND_AREA_KINDS = (AreaKind.GRID, AreaKind.MICRO_GRID, AreaKind.BUILDING)


class CompoundKind(models.TextChoices):
    ESTATE = "estate", _("Residential estate")
    COURTYARD = "courtyard", _("Courtyard")


class Compound(TimeStampedModel):
    """小区/院落: an area node marked as a residential compound."""

    area = models.OneToOneField(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="compound"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=CompoundKind, default="estate")
    households = models.PositiveIntegerField(_("households"), default=0)
    residents_committee = models.CharField(_("residents' committee"), max_length=100)
    residents_committee_phone = models.CharField(
        _("residents' committee phone"), max_length=30, blank=True
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.area_id and self.area.kind not in COMPOUND_AREA_KINDS:
            raise ValidationError(
                {"area": _("A compound is a grid, a micro-grid or a building of the area tree.")}
            )


class OwnersCommittee(TimeStampedModel):
    """业委会: elected by the owners of one compound for a term."""

    compound = models.OneToOneField(
        Compound,
        verbose_name=_("compound"),
        on_delete=models.CASCADE,
        related_name="owners_committee",
    )
    name = models.CharField(_("name"), max_length=100)
    elected_on = models.DateField(_("election date"))
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))

    class Meta:
        ordering = ("name",)
        verbose_name = _("owners' committee")
        verbose_name_plural = _("owners' committees")
        constraints = [
            models.CheckConstraint(
                name="owners_committee_term_ordered",
                condition=Q(term_end__gt=models.F("term_start")),
                violation_error_message=_("The term ends after it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def term_ends_within(self, days: int, today: dt.date) -> bool:
        """Is a new election due soon (the term ends within ``days``)?"""
        return self.term_end <= today + dt.timedelta(days=days)


class CommitteePost(models.TextChoices):
    DIRECTOR = "director", _("Director")
    DEPUTY = "deputy", _("Deputy director")
    MEMBER = "member", _("Member")


class OwnersCommitteeMember(models.Model):
    committee = models.ForeignKey(
        OwnersCommittee,
        verbose_name=_("owners' committee"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    name = models.CharField(_("name"), max_length=50)
    post = models.CharField(_("post"), max_length=10, choices=CommitteePost, default="member")
    party_member = models.ForeignKey(
        "partybuilding.PartyMember",
        verbose_name=_("party member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owners_committee_seats",
    )

    class Meta:
        ordering = ("committee", "post", "name")
        verbose_name = _("owners' committee member")
        verbose_name_plural = _("owners' committee members")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_post_display()}）"


class PropertyCompany(TimeStampedModel):
    """物业公司: a handling department of kind "property", registered with a street."""

    department = models.OneToOneField(
        Department,
        verbose_name=_("handling department"),
        on_delete=models.PROTECT,
        related_name="property_company",
        limit_choices_to={"kind": Department.Kind.PROPERTY},
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("registered in"),
        on_delete=models.PROTECT,
        related_name="property_companies",
    )
    service_phone = models.CharField(_("service phone"), max_length=30)
    quality_score = models.DecimalField(
        _("service quality score"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("0–100, from the street's yearly evaluation."),
    )
    is_red = models.BooleanField(
        _("red property"),
        default=False,
        help_text=_("红色物业: the company has a party organization working with the community."),
    )
    party_organization = models.ForeignKey(
        "partybuilding.PartyOrganization",
        verbose_name=_("party organization"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="property_companies",
    )

    class Meta:
        ordering = ("department__name_sort",)
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        constraints = [
            models.CheckConstraint(
                name="property_company_score_range",
                condition=Q(quality_score__isnull=True)
                | Q(quality_score__gte=0, quality_score__lte=100),
                violation_error_message=_("The score lies between 0 and 100."),
            )
        ]

    def __str__(self) -> str:
        return self.department.name

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.department_id and self.department.kind != Department.Kind.PROPERTY:
            errors["department"] = _("Choose a department of the kind “property company”.")
        if self.is_red and self.party_organization_id is None:
            errors["party_organization"] = _("A red property company names its party organization.")
        if errors:
            raise ValidationError(errors)


class PropertyContract(TimeStampedModel):
    """A property company serves a compound for a term."""

    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), on_delete=models.CASCADE, related_name="contracts"
    )
    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("property company"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ("compound", "-starts_on")
        verbose_name = _("property contract")
        verbose_name_plural = _("property contracts")
        constraints = [
            models.CheckConstraint(
                name="property_contract_ordered",
                condition=Q(ends_on__gte=models.F("starts_on")),
                violation_error_message=_("The contract ends after it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.compound} · {self.company}"
