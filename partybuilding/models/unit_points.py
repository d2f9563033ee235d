"""Units' points (双报到单位积分): a street's scheme (points per kind of event, a cap per year) and
an append-only ledger per co-construction unit, credited from the events the portal already
records; the yearly ranking and the annual feedback letter read the ledger."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models import TimeStampedModel
from grids.models import Area


class UnitPointItem(models.TextChoices):
    SERVICE = "service", _("Service recorded on the unit's dual report")
    MEMBERS = "members", _("Service by the unit's in-service members")
    PROJECT = "project", _("Co-governance project completed")
    RESOURCE = "resource", _("Resource given")
    MEETING = "meeting", _("Meeting attended")
    WISH = "wish", _("Micro-wish fulfilled")


class UnitPointRule(TimeStampedModel):
    """One line of a street's scheme: what an event of ``item`` earns, and at most how much a
    unit earns from such events in a year."""

    area = models.ForeignKey(
        Area, verbose_name=_("street"), on_delete=models.PROTECT, related_name="unit_point_rules"
    )
    item = models.CharField(_("item"), max_length=10, choices=UnitPointItem)
    points = models.PositiveSmallIntegerField(_("points"), validators=[MinValueValidator(1)])
    yearly_cap = models.PositiveIntegerField(
        _("cap per year"), null=True, blank=True, help_text=_("Empty: no cap.")
    )

    class Meta:
        ordering = ("area", "item")
        verbose_name = _("unit points rule")
        verbose_name_plural = _("unit points scheme")
        constraints = [
            models.UniqueConstraint(
                fields=("area", "item"),
                name="unit_point_rule_unique_item",
                violation_error_message=_("The scheme has a line for this item already."),
            ),
            models.CheckConstraint(name="unit_point_rule_positive", condition=Q(points__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()} +{self.points}"


class UnitPointEntry(models.Model):
    """One line of a unit's points ledger (append-only); ``source_key`` names the event
    (``wish:<id>``, ...) and its unique constraint keeps an event from paying twice."""

    state_fields = ("amount",)

    unit = models.ForeignKey(
        "partybuilding.CoConstructionUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="point_entries",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    item = models.CharField(_("item"), max_length=10, choices=UnitPointItem)
    amount = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("reason"), max_length=200)
    source_key = models.CharField(_("source"), max_length=80, unique=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("-year", "unit", "-pk")
        verbose_name = _("unit points entry")
        verbose_name_plural = _("unit points ledger")
        indexes = [models.Index(fields=("year", "unit"), name="unit_points_year_unit")]
        constraints = [
            models.CheckConstraint(name="unit_point_entry_positive", condition=Q(amount__gt=0))
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year} +{self.amount} {self.reason}"
