"""Governance consortia (治理共同体): a named group of micro-grids or compounds plus units with a
shared team ("one body, two committees, seven grids"), whose demands, projects and meetings are
its own."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import LimitedTextField, TimeStampedModel
from grids.models import Area


class Consortium(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area,
        verbose_name=_("led from"),
        on_delete=models.PROTECT,
        related_name="consortia",
        help_text=_("The community (or street) whose party organization leads it."),
    )
    motto = models.CharField(_("motto"), max_length=100, blank=True)
    description = LimitedTextField(_("description"), blank=True)
    covered_areas = models.ManyToManyField(
        Area, verbose_name=_("covered grids and micro-grids"), blank=True, related_name="+"
    )
    compounds = models.ManyToManyField(
        "partybuilding.Compound", verbose_name=_("compounds"), blank=True, related_name="consortia"
    )
    units = models.ManyToManyField(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("units"),
        blank=True,
        related_name="consortia",
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("governance consortium")
        verbose_name_plural = _("governance consortia")

    def __str__(self) -> str:
        return self.name


def check_consortium_area(obj) -> None:
    """A consortium's own demand, project or meeting lies within the consortium's area (the
    one rule for the three models' ``clean()``)."""
    consortium = obj.consortium if obj.consortium_id else None
    if consortium is not None and obj.area_id and not obj.area.is_within(consortium.area):
        raise ValidationError(
            {
                "consortium": _("%(name)s works in %(area)s; choose a place within it.")
                % {"name": consortium.name, "area": consortium.area.name}
            }
        )


class ConsortiumSide(models.TextChoices):
    RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    PROPERTY = "property", _("Property company")
    UNIT = "unit", _("Co-construction unit")
    VOLUNTEER = "volunteer", _("Volunteer")
    PARTY = "party", _("Party organization")


class ConsortiumMember(models.Model):
    consortium = models.ForeignKey(
        Consortium,
        verbose_name=_("governance consortium"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    name = models.CharField(_("name"), max_length=50)
    side = models.CharField(_("side"), max_length=20, choices=ConsortiumSide)
    role = models.CharField(_("role in the team"), max_length=50)
    unit = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("unit"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    company = models.ForeignKey(
        "partybuilding.PropertyCompany",
        verbose_name=_("property company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    volunteer = models.ForeignKey(
        "partybuilding.Volunteer",
        verbose_name=_("volunteer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("consortium", "side", "name")
        verbose_name = _("consortium member")
        verbose_name_plural = _("consortium members")

    def __str__(self) -> str:
        return f"{self.name}（{self.role}）"
