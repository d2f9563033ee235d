"""Celery tasks of case handling. Each fetches by id (or scans) and calls a service; each is
idempotent, so a redelivery after a lost worker (acks_late) does no harm."""

from __future__ import annotations

from celery import shared_task

from casework.deadlines import digest, reminders


@shared_task(ignore_result=True)
def scan_deadlines() -> int:
    """Beat runs this every 30 s; overlapping runs skip each other's locked cases."""
    return reminders.scan_deadlines().total


@shared_task(ignore_result=True)
def notify_reminders(reminder_ids: list[int]) -> int:
    """Tell people of each reminder; one already told is skipped, so a rerun is harmless."""
    return sum(reminders.notify_reminder(reminder_id=pk) for pk in reminder_ids)


@shared_task(ignore_result=True)
def send_daily_digest() -> int:
    """Beat runs this at 8:30 every day; it sends nothing on days off."""
    return digest.send_daily_digest()


@shared_task(ignore_result=True)
def clear_photo_drafts() -> int:
    """Beat runs this hourly: photos uploaded for a case that was never filed are deleted."""
    from casework.photo_drafts import photo_drafts_clear

    return photo_drafts_clear()


@shared_task(ignore_result=True)
def freeze_assessment_month() -> int:
    """Beat runs this on the 1st of each month: last month's assessment is frozen once per
    scheme, however many times it runs."""
    from casework.stats.assessment import freeze_previous_month

    return freeze_previous_month()


@shared_task(ignore_result=True)
def write_case_export(export_id: str) -> bool:
    """Write one large case export; a second run of the same export does nothing."""
    from casework.export_jobs import case_export_write

    return case_export_write(export_id=export_id)


@shared_task(ignore_result=True)
def sweep_case_exports() -> int:
    """Beat runs this every ten minutes: expired exports go, lost ones start again."""
    from casework.export_jobs import case_exports_sweep

    return case_exports_sweep()


@shared_task(ignore_result=True)
def stats_rollup_catch_up() -> int:
    """Beat runs this every minute: the statistics rollups take in the cases changed since,
    looking a day back (a read looks ten minutes back and takes in what is left)."""
    from casework.stats import rollup

    return rollup.catch_up(margin=rollup.TASK_MARGIN)
