"""One import of a spreadsheet (the area tree, rooms, residents, staff, party members, units,
departments): who, which file, what it changed. A small file is applied while the user waits
and its run is recorded done; a large one is a job a Celery worker runs (pending → running →
done or failed) whose row problems are kept on the run. Kept in the change log (registered in
grids.resident_registry)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.files import upload_to
from governance.models import TimeStampedModel
from grids.models.areas import Area


class ImportKind(models.TextChoices):
    AREAS = "areas", _("Area tree (by code)")
    ROOMS = "rooms", _("Rooms")
    RESIDENTS = "residents", _("Residents with their care tags")
    STAFF = "staff", _("Grid staff and their roles")
    PARTY_MEMBERS = "party_members", _("Party members")
    UNITS = "units", _("Co-construction units")
    DEPARTMENTS = "departments", _("Departments")


class ImportState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Not imported")


class ImportRun(TimeStampedModel):
    # Moved by grids.imports only (the job's claim and its end).
    state_fields = ("state",)

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
    state = models.CharField(
        _("state"), max_length=10, choices=ImportState, default=ImportState.DONE
    )
    # The uploaded file of a job, kept in private storage until the job has run.
    file = models.FileField(_("uploaded file"), upload_to=upload_to("imports"), blank=True)
    # The rows' problems of a job that failed: [{"row": 3, "column": "证件号码", "message": …}].
    problems = models.JSONField(_("problems"), default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=("state", "updated_at"), name="importrun_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)
