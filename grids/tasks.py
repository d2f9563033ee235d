"""Celery tasks of field work. Each scans or fetches by id and calls a service; each is
idempotent, so a redelivery after a lost worker (acks_late) does no harm."""

from __future__ import annotations

from celery import shared_task

from grids import danger_reminders, import_jobs


@shared_task(ignore_result=True)
def scan_danger_deadlines() -> int:
    """Beat runs this every minute; overlapping runs skip each other's locked dangers."""
    return danger_reminders.scan_danger_deadlines().total


@shared_task(ignore_result=True)
def notify_danger_reminders(reminder_ids: list[int]) -> int:
    """Tell people of each reminder; one already told is skipped, so a rerun is harmless."""
    return sum(danger_reminders.notify_danger_reminder(reminder_id=pk) for pk in reminder_ids)


@shared_task(ignore_result=True)
def run_import_job(run_id: int) -> bool:
    """Import a large file in the background; a job already claimed or run is left alone."""
    return import_jobs.job_run(run_id=run_id)


@shared_task(ignore_result=True)
def resume_import_jobs() -> int:
    """Beat: enqueue again the import jobs whose message or worker was lost."""
    return import_jobs.resume_stale()
