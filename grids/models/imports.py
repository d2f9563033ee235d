"""One applied import of a spreadsheet into the register (rooms, residents): who, which file,
what it changed. Kept in the change log (registered in grids.resident_registry)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import TimeStampedModel
from grids.models.areas import Area


class ImportKind(models.TextChoices):
    AREAS = "areas", _("Area tree (by code)")
    ROOMS = "rooms", _("Rooms")
    RESIDENTS = "residents", _("Residents with their care tags")


class ImportRun(TimeStampedModel):
    kind = models.CharField(_("what was imported"), max_length=20, choices=ImportKind)
    file_name = models.CharField(_("file"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The top of the importer's area: the run is seen by those who see that area.
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="import_runs"
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    new_rows = models.PositiveIntegerField(_("new"), default=0)
    updated_rows = models.PositiveIntegerField(_("changed"), default=0)
    skipped_rows = models.PositiveIntegerField(_("unchanged"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name}"
