"""Case exports written by a Celery worker (services and selectors).

An export of more than ``casework.exports.MAX_ROWS`` cases would hold a web worker for minutes,
so it becomes a :class:`~casework.models.CaseExport`: the page (or the API) records who asked
and the list's filters, a worker claims the row with a conditional update (any number of
workers, a redelivered task, beat's sweep: one of them writes it), reads the cases in the
owner's scope through a server-side cursor one chunk at a time and streams them into
openpyxl's write-only workbook — the same columns, masking and text cells as the direct export
(:mod:`casework.exports` over :mod:`governance.exports`) — so memory stays flat at any size.
Progress is written after every chunk; the file is stored under a random name and served only
to its owner through :func:`governance.files.file_response`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import exports, page_selectors, selectors
from casework.filters import CaseFilterSet
from casework.models import Case, CaseExport
from governance.queue import send_later

logger = logging.getLogger(__name__)

CHUNK = 2000
# The task is nudged again by the sweep when it has waited this long without a worker.
PENDING_GRACE = timedelta(minutes=1)


# -- selectors ------------------------------------------------------------------------------
def export_cases_for(owner, query: str) -> QuerySet[Case]:
    """The cases an export of ``owner`` with the list filters ``query`` (a query string) holds,
    in the list's order. Raises ValidationError when the filters are not valid."""
    base = selectors.case_list_for(owner)
    data = QueryDict(query)
    filterset = CaseFilterSet(data or None, queryset=base, request=SimpleNamespace(user=owner))
    if not filterset.is_bound:
        return base.order_by("-reported_at", "-pk")
    if not filterset.is_valid():
        raise ValidationError(
            {name: list(errors) for name, errors in filterset.form.errors.items()}
        )
    return filterset.qs.order_by("-reported_at", "-pk")


def case_export_for(user, pk) -> CaseExport | None:
    """``user``'s own export ``pk`` (None for anyone else's, or an expired one)."""
    return CaseExport.objects.filter(pk=pk, owner=user, expires_at__gt=timezone.now()).first()


def case_exports_of(user) -> QuerySet[CaseExport]:
    return CaseExport.objects.filter(owner=user, expires_at__gt=timezone.now())


# -- services -------------------------------------------------------------------------------
def case_export_start(*, owner, query: str) -> CaseExport:
    """Record an export of the cases ``owner`` sees with the list filters ``query`` and, once
    the row is committed, hand it to a worker. Raises ValidationError for invalid filters. A
    broker that is down only delays it: beat's sweep enqueues a waiting export again."""
    export_cases_for(owner, query)  # the filters are checked now, not in the worker
    now = timezone.now()
    export = CaseExport.objects.create(
        owner=owner,
        query=query[:2000],
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(hours=settings.CASE_EXPORT_HOURS),
    )
    transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _enqueue(pk) -> None:
    from casework.tasks import write_case_export

    send_later(write_case_export, str(pk))


def case_export_write(*, export_id, chunk_size: int = CHUNK) -> bool:
    """Write export ``export_id`` if it is still waiting; returns whether this call wrote it.

    The claim is a conditional update (pending → running), so a second worker or a redelivered
    task finds nothing to do. Rows are read through ``QuerySet.iterator`` (a server-side cursor
    on PostgreSQL) ``chunk_size`` at a time; after each chunk the progress is saved. A failure
    marks the export failed with a short reason; the owner can start another one."""
    now = timezone.now()
    claimed = CaseExport.objects.filter(pk=export_id, state=CaseExport.State.PENDING).update(
        state=CaseExport.State.RUNNING, updated_at=now, written=0
    )
    if not claimed:
        return False
    export = CaseExport.objects.select_related("owner").get(pk=export_id)
    try:
        qs = export_cases_for(export.owner, export.query)
        total = qs.count()
        CaseExport.objects.filter(pk=export.pk).update(total=total, updated_at=timezone.now())
        rows = _counted(
            page_selectors.export_rows(qs, chunk_size=chunk_size), export.pk, chunk_size
        )
        with exports.write_cases(rows) as handle:
            export.file.save(export.download_name, File(handle), save=False)
    except Exception as exc:
        logger.exception("Case export %s failed", export.pk)
        CaseExport.objects.filter(pk=export.pk).update(
            state=CaseExport.State.FAILED,
            error=(_("The export failed: %(error)s") % {"error": type(exc).__name__})[:300],
            finished_at=timezone.now(),
        )
        return False
    CaseExport.objects.filter(pk=export.pk).update(
        state=CaseExport.State.DONE,
        file=export.file.name,
        written=total,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return True


def _counted(rows: Iterable[dict], pk, every: int) -> Iterator[dict]:
    for written, row in enumerate(rows, 1):
        yield row
        if written % every == 0:
            CaseExport.objects.filter(pk=pk).update(written=written, updated_at=timezone.now())


def case_exports_sweep(*, now: datetime | None = None) -> int:
    """Beat's sweep. Deletes expired exports and their files; a running export that has made
    no progress for ``CASE_EXPORT_STALE_SECONDS`` (its worker died) goes back to waiting; a
    waiting one older than a minute (its task was lost, say the broker was down) is enqueued
    again. Returns how many exports were deleted. Safe to run from several workers."""
    now = now or timezone.now()
    expired = list(CaseExport.objects.filter(expires_at__lte=now).only("pk", "file"))
    deleted, _counts = CaseExport.objects.filter(pk__in=[e.pk for e in expired]).delete()
    for export in expired:
        if export.file.name:
            export.file.storage.delete(export.file.name)
    stale = now - timedelta(seconds=settings.CASE_EXPORT_STALE_SECONDS)
    CaseExport.objects.filter(state=CaseExport.State.RUNNING, updated_at__lt=stale).update(
        state=CaseExport.State.PENDING, updated_at=now - PENDING_GRACE
    )
    waiting = CaseExport.objects.filter(
        state=CaseExport.State.PENDING, updated_at__lte=now - PENDING_GRACE
    ).values_list("pk", flat=True)
    for pk in waiting:
        _enqueue(pk)
    return deleted
