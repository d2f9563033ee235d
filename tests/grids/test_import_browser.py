"""Import jobs and the resident form in Chromium: on a 390-px phone a grid worker registers a
resident (a wrong ID check digit first) and lists a visit's need as a party-building demand; on
a desktop a street admin's large file is imported in the background while its page shows the
progress, then its rows' problems."""

from __future__ import annotations

import pytest

from grids import import_jobs, imports, resident_services
from grids.models import ImportRun, ImportState, Resident
from partybuilding.models import Demand
from tests.grids.resident_factories import id_number
from tests.grids.test_field_browser import DESKTOP, PHONE, _fits_the_phone
from tests.grids.test_import_jobs import _csv, _rows

pytestmark = [pytest.mark.browser]


def test_a_worker_registers_a_resident_and_lists_a_need_as_a_demand(
    transactional_db,
    live_server,
    session,
    tree,
    field,
    artifacts_dir,
):
    shots = artifacts_dir / "imports"
    shots.mkdir(exist_ok=True)
    worker = session(field.worker_a, PHONE)
    worker.goto(f"{live_server.url}/people/residents/new/")
    _fits_the_phone(worker)
    worker.select_option("select[name=building]", str(tree.building_a1.pk))
    worker.fill("input[name=name]", "赵淑芬")
    good = id_number(serial=11)
    worker.fill("input[name=id_number]", good[:-1] + ("0" if good[-1] != "0" else "1"))
    worker.click("form[data-resident-form] button[type=submit]")
    worker.wait_for_selector(".field.has-error")
    assert not Resident.objects.exists()
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "1-phone-resident-id-error.png", full_page=True)
    worker.fill("input[name=id_number]", good)
    with worker.expect_navigation():
        worker.click("form[data-resident-form] button[type=submit]")
    resident = Resident.objects.get()
    assert resident.name == "赵淑芬" and resident.birth_date is not None

    resident_services.visit_record(actor=field.worker_a, resident=resident, need="想参加老年大学")
    worker.goto(f"{live_server.url}/people/residents/{resident.pk}/")
    worker.click("text=列为党建需求")
    worker.wait_for_selector("select[name=service_type]")
    worker.select_option("select[name=service_type]", "elderly_care")
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "2-phone-visit-demand.png", full_page=True)
    with worker.expect_navigation():
        worker.click("form[data-demand-form] button[type=submit]")
    assert Demand.objects.get().visit.resident == resident
    assert "党建需求" in worker.inner_text(".visit-list")
    _fits_the_phone(worker)


def test_a_large_file_shows_its_progress_and_then_its_problems(
    transactional_db,
    live_server,
    session,
    tree,
    field,
    artifacts_dir,
    monkeypatch,
):
    shots = artifacts_dir / "imports"
    shots.mkdir(exist_ok=True)
    monkeypatch.setattr(imports, "SYNC_MAX_ROWS", 3)
    rows = _rows(tree, 6)
    rows[4][2] = ""  # no name
    upload = _csv(rows)
    run = import_jobs.job_start(
        user=field.street_admin,
        kind="residents",
        upload=upload,
        dataset=imports.read_upload(upload),
    )
    ImportRun.objects.filter(pk=run.pk).update(state=ImportState.RUNNING)
    import_jobs.report_progress(run.pk, 2)
    admin = session(field.street_admin, DESKTOP)
    admin.goto(f"{live_server.url}/people/import/jobs/{run.pk}/")
    admin.wait_for_function("document.querySelector('[data-job-bar]').value === 2")
    admin.screenshot(path=shots / "3-desktop-job-running.png", full_page=True)
    # The worker picks the job up (put back to pending as a lost job would be) and fails it.
    ImportRun.objects.filter(pk=run.pk).update(state=ImportState.PENDING)
    assert import_jobs.job_run(run_id=run.pk)
    admin.wait_for_selector("[data-job-problems] tr", timeout=15_000)
    assert "姓名" in admin.inner_text("[data-job-problems]")
    assert admin.evaluate("document.querySelector('[data-import-job]').dataset.finished") == "1"
    admin.screenshot(path=shots / "4-desktop-job-failed.png", full_page=True)
    phone = session(field.street_admin, PHONE)
    phone.goto(f"{live_server.url}/people/import/jobs/{run.pk}/")
    _fits_the_phone(phone)
    phone.screenshot(path=shots / "5-phone-job-failed.png", full_page=True)
