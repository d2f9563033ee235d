"""Large files imported in the background: an :class:`~grids.models.ImportRun` is the job.

:func:`job_start` keeps the upload in private storage and records a pending run; after commit
a Celery task (:func:`grids.tasks.run_import_job`, enqueued with ``send_later``) calls
:func:`job_run`, which claims the run by a conditional update (any number of workers are safe),
validates and applies every row in ONE transaction and rolls it all back when a single row has
a problem: all rows or none, as for a small file. The run's end (done with its counts, or failed
with its rows' problems) is one save, in the change log under the importer's name.

While the file's transaction is open its progress cannot be read from the run's row, so the
rows done go to the shared cache, which the web process and the workers share (Redis in
production, files under var/ in the embedded default; never an in-process cache, which the web
process would not see): :func:`progress` reads them. The run's row is the outbox: :func:`resume_stale` (beat) enqueues again a job whose
message was lost and puts back a job whose worker died.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import changelog
from governance.cache import shared_cache
from governance.queue import send_each_later
from grids import imports
from grids.models import ImportRun, ImportState

logger = logging.getLogger(__name__)

# A pending job older than this lost its message; a running one not finished after
# RUNNING_TIMEOUT lost its worker (a 30,000-row file takes well under a minute).
PENDING_TIMEOUT = dt.timedelta(minutes=2)
RUNNING_TIMEOUT = dt.timedelta(minutes=30)
PROGRESS_TTL = 3600
# Shared by the web process and the workers (settings: CACHES["shared"]).
progress_cache = shared_cache


def _progress_key(run_id: int) -> str:
    return f"grids:import-progress:{run_id}"


def job_start(*, user, kind: str, upload, dataset) -> ImportRun:
    """Record a pending import of ``upload`` (already read into ``dataset``) and enqueue its
    task after commit. The importer's scope is checked now and again when the job runs."""
    area = imports.require_importer(user, kind)
    upload.seek(0)
    with transaction.atomic():
        run = ImportRun(
            kind=kind,
            file_name=upload.name[:200],
            user=user,
            area=area,
            total_rows=dataset.height,
            state=ImportState.PENDING,
        )
        run.file.save(upload.name, ContentFile(upload.read()), save=False)
        run.save()
        pk = run.pk
        transaction.on_commit(lambda: _enqueue([pk]))
    return run


def _enqueue(ids: list[int]) -> int:
    from grids.tasks import run_import_job

    return send_each_later(run_import_job, ids)


def _problem_dicts(problems) -> list[dict]:
    return [
        {"row": p.row, "column": p.column, "message": str(p.message)}
        for p in problems[: imports.MAX_KEPT_PROBLEMS]
    ]


def job_run(*, run_id: int) -> bool:
    """Run the pending job ``run_id`` once: False when another worker has it or it has run."""
    claimed = ImportRun.objects.filter(pk=run_id, state=ImportState.PENDING).update(
        state=ImportState.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return False
    run = ImportRun.objects.select_related("user").get(pk=run_id)
    report_progress(run.pk, 0)

    def report(done: int) -> None:
        report_progress(run.pk, done)

    problems: list = []
    preview = None
    try:
        with run.file.open("rb") as handle:
            upload = SimpleUploadedFile(run.file_name, handle.read())
        dataset = imports.read_upload(upload)
        run.total_rows = dataset.height
        with changelog.change_context(user=run.user):
            preview = imports.apply_rows(
                user=run.user, kind=run.kind, dataset=dataset, progress=report
            )
    except ValidationError as exc:
        rows = getattr(getattr(exc, "preview", None), "problems", None)
        problems = rows or [imports.RowProblem(1, "", message) for message in exc.messages]
    except Exception:
        logger.exception("Import job %s failed", run.pk)
        problems = [imports.RowProblem(1, "", _("The import failed: nothing was imported."))]
    if preview is not None:
        run.new_rows, run.updated_rows, run.skipped_rows = (
            preview.new,
            preview.updated,
            preview.skipped,
        )
    run.state = ImportState.FAILED if problems else ImportState.DONE
    run.problems = _problem_dicts(problems)
    # The file holds personal data: it is not kept once the job has run.
    run.file.delete(save=False)
    with changelog.change_context(user=run.user):
        run.save()
    progress_cache.delete(_progress_key(run.pk))
    return True


def report_progress(run_id: int, done: int) -> None:
    """Rows done of the running job ``run_id`` (read by :func:`progress`, in another process)."""
    progress_cache.set(_progress_key(run_id), done, PROGRESS_TTL)


def progress(run: ImportRun) -> dict:
    """What the import page shows while it polls: state, rows done of all, the problems (the
    first 500) once the job has failed. Text only; the page writes it as text nodes."""
    if run.state == ImportState.RUNNING:
        done = progress_cache.get(_progress_key(run.pk)) or 0
    elif run.finished:
        done = run.total_rows  # every row was read (and checked)
    else:
        done = 0
    return {
        "id": run.pk,
        "file_name": run.file_name,
        "state": run.state,
        "state_label": str(run.get_state_display()),
        "finished": run.finished,
        "done": min(done, run.total_rows),
        "total": run.total_rows,
        "new": run.new_rows,
        "updated": run.updated_rows,
        "skipped": run.skipped_rows,
        "problems": run.problems[:500] if run.state == ImportState.FAILED else [],
        "problem_count": len(run.problems),
    }


def resume_stale(*, now: dt.datetime | None = None) -> int:
    """Enqueue again the jobs whose message was lost, and put back (pending) the jobs whose
    worker died mid-file (their transaction was rolled back). Returns how many were enqueued."""
    now = now or timezone.now()
    ImportRun.objects.filter(
        state=ImportState.RUNNING, updated_at__lt=now - RUNNING_TIMEOUT
    ).update(state=ImportState.PENDING, updated_at=now - PENDING_TIMEOUT)
    ids = list(
        ImportRun.objects.filter(
            state=ImportState.PENDING, updated_at__lte=now - PENDING_TIMEOUT
        ).values_list("pk", flat=True)[:100]
    )
    return _enqueue(ids) if ids else 0
