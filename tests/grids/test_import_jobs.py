"""Large files imported in the background: the job, its task, its progress, its page."""

from __future__ import annotations

import csv
import io
import os
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance.models import ObjectChange
from grids import import_jobs, imports
from grids.models import ImportRun, ImportState, Resident
from grids.tasks import resume_import_jobs, run_import_job
from tests.grids.resident_factories import id_number
from tests.grids.test_imports import _resident_row

pytestmark = pytest.mark.django_db


def _csv(rows) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(imports.template_headers("residents"))
    writer.writerows(rows)
    return SimpleUploadedFile("big.csv", out.getvalue().encode("utf-8-sig"))


def _rows(tree, n, start=1):
    return [
        _resident_row(tree.building_a1, id_number(serial=i), f"居民{i}")
        for i in range(start, start + n)
    ]


@pytest.fixture
def small_sync(monkeypatch):
    """Files of more than 3 rows go to the background, progress every 2 rows."""
    monkeypatch.setattr(imports, "SYNC_MAX_ROWS", 3)
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)


def _upload(client, upload, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(run_import_job, "apply_async") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post("/people/import/", {"kind": "residents", "file": upload})
    return response, enqueue


def test_a_large_file_becomes_a_job_that_the_worker_applies(
    client, field, tree, small_sync, django_capture_on_commit_callbacks
):
    client.force_login(field.worker_a)
    response, enqueue = _upload(client, _csv(_rows(tree, 6)), django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == f"/people/import/jobs/{run.pk}/"
    assert run.state == ImportState.PENDING and run.total_rows == 6 and run.file
    enqueue.assert_called_once_with(args=(run.pk,), retry=False)
    assert not Resident.objects.exists()
    progress = client.get(f"/people/import/jobs/{run.pk}/progress/").json()
    assert progress["state"] == "pending" and progress["done"] == 0 and not progress["finished"]

    run_import_job.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.state == ImportState.DONE and run.new_rows == 6 and not run.file
    assert Resident.objects.count() == 6
    progress = client.get(f"/people/import/jobs/{run.pk}/progress/").json()
    assert progress["finished"] and progress["done"] == 6 and progress["new"] == 6
    assert ObjectChange.objects.filter(
        content_type__model="importrun", object_id=str(run.pk), user=field.worker_a
    ).exists()
    page = client.get(f"/people/import/jobs/{run.pk}/")
    assert page.status_code == 200 and "import_progress.js" in page.content.decode()


def test_progress_is_reported_while_the_file_is_applied(field, tree, small_sync):
    upload = _csv(_rows(tree, 7))
    run = import_jobs.job_start(
        user=field.worker_a, kind="residents", upload=upload, dataset=imports.read_upload(upload)
    )
    seen = []
    real_set = import_jobs.progress_cache.set

    def spy(key, value, *args, **kwargs):
        if key == import_jobs._progress_key(run.pk):
            seen.append(import_jobs.progress(ImportRun.objects.get(pk=run.pk))["state"])
            seen.append(value)
        return real_set(key, value, *args, **kwargs)

    with mock.patch.object(import_jobs.progress_cache, "set", spy):
        assert import_jobs.job_run(run_id=run.pk)
    assert seen[1::2] == [0, 2, 4, 6]
    assert set(seen[0::2]) == {"running"}


def test_progress_written_by_the_worker_process_is_read_by_the_web_process(field, tree):
    """The worker is another process: with an in-process cache (LocMem, the embedded default's
    cache) the page would show 0 rows done."""
    run = ImportRun.objects.create(
        kind="residents",
        file_name="a.csv",
        user=field.worker_a,
        area=tree.street,
        total_rows=100,
        state=ImportState.RUNNING,
    )
    pid = os.fork()
    if pid == 0:  # the worker: writes its progress and leaves at once (no database, no cleanup)
        code = 1
        try:
            import_jobs.report_progress(run.pk, 40)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    status = import_jobs.progress(run)
    assert (status["done"], status["total"], status["finished"]) == (40, 100, False)


def test_a_file_with_a_bad_row_imports_nothing_and_keeps_the_problems(
    client, field, tree, small_sync
):
    rows = _rows(tree, 5)
    rows[3][4] = "110105194912310021"  # wrong check digit
    upload = _csv(rows)
    run = import_jobs.job_start(
        user=field.worker_a, kind="residents", upload=upload, dataset=imports.read_upload(upload)
    )
    assert import_jobs.job_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.state == ImportState.FAILED and not Resident.objects.exists()
    assert [(p["row"], p["column"]) for p in run.problems] == [(5, "证件号码")]
    client.force_login(field.worker_a)
    status = client.get(f"/people/import/jobs/{run.pk}/progress/").json()
    assert status["state"] == "failed" and status["problems"][0]["row"] == 5
    assert "证件号码" in client.get(f"/people/import/jobs/{run.pk}/").content.decode()


def test_a_job_runs_once_and_a_reimport_changes_nothing(field, tree, small_sync):
    def start():
        upload = _csv(_rows(tree, 4))
        return import_jobs.job_start(
            user=field.worker_a,
            kind="residents",
            upload=upload,
            dataset=imports.read_upload(upload),
        )

    first = start()
    assert import_jobs.job_run(run_id=first.pk)
    assert not import_jobs.job_run(run_id=first.pk)
    second = start()
    assert import_jobs.job_run(run_id=second.pk)
    second.refresh_from_db()
    assert (second.new_rows, second.updated_rows, second.skipped_rows) == (0, 0, 4)
    assert Resident.objects.count() == 4


def test_another_streets_admin_cannot_read_a_job(client, field, tree, small_sync):
    upload = _csv(_rows(tree, 4))
    run = import_jobs.job_start(
        user=field.worker_a, kind="residents", upload=upload, dataset=imports.read_upload(upload)
    )
    client.force_login(field.worker_b)
    assert client.get(f"/people/import/jobs/{run.pk}/progress/").status_code == 404
    assert client.get(f"/people/import/jobs/{run.pk}/").status_code == 404


def test_lost_and_abandoned_jobs_are_enqueued_again(field, tree, small_sync):
    upload = _csv(_rows(tree, 4))
    run = import_jobs.job_start(
        user=field.worker_a, kind="residents", upload=upload, dataset=imports.read_upload(upload)
    )
    with mock.patch.object(run_import_job, "apply_async") as enqueue:
        assert resume_import_jobs.apply().get() == 0
        later = timezone.now() + import_jobs.PENDING_TIMEOUT
        assert import_jobs.resume_stale(now=later) == 1
        enqueue.assert_called_once_with(args=(run.pk,), retry=False)
        ImportRun.objects.filter(pk=run.pk).update(state=ImportState.RUNNING)
        much_later = timezone.now() + import_jobs.RUNNING_TIMEOUT * 2
        assert import_jobs.resume_stale(now=much_later) == 1
    run.refresh_from_db()
    assert run.state == ImportState.PENDING
    assert import_jobs.job_run(run_id=run.pk)
    assert Resident.objects.count() == 4
