"""The resident register in Chromium: on a 390-px phone a grid worker opens their visiting list,
records a visit whose need opens a case in the same step, and reads a phone number in full with a
reason; on a desktop the list, the resident's page and the handbook."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.models import Case
from governance.models import PersonalDataAccess
from grids import resident_services as services
from grids.models import Visit
from tests.casework.factories import CategoryFactory
from tests.grids.resident_factories import CareTagFactory, ResidentFactory, tag
from tests.grids.test_field_browser import DESKTOP, PHONE, _fits_the_phone

pytestmark = [pytest.mark.browser]


def test_a_worker_records_a_visit_whose_need_opens_a_case(
    transactional_db,
    live_server,
    session,
    tree,
    field,
    artifacts_dir,
):
    shots = artifacts_dir / "residents"
    shots.mkdir(exist_ok=True)
    CategoryFactory(code="R0", name="民生服务")
    category = CategoryFactory(code="R1", name="设施维修")
    weekly = CareTagFactory(street=tree.street, name="独居老人", visit_every_days=7)
    today = timezone.localdate()
    resident = ResidentFactory(
        area=tree.building_a1, name="李桂英", phone="13912345678", birth_date=None
    )
    tag(resident, weekly, today - dt.timedelta(days=12))
    for n in range(3):
        other = ResidentFactory(area=tree.building_a1, name=f"张秀兰{n}", birth_date=None)
        tag(other, weekly, today - dt.timedelta(days=8 - n))
    services.refresh_visit_due(list(tree.building_a1.residents.values_list("pk", flat=True)))

    worker = session(field.worker_a, PHONE)
    worker.goto(f"{live_server.url}/people/visits/due/")
    _fits_the_phone(worker)
    first = worker.locator(".due-item").first
    assert "李桂英" in first.inner_text()  # the most overdue first
    worker.screenshot(path=shots / "1-phone-visits-due.png", full_page=True)

    first.locator("a.btn-primary").click()
    worker.wait_for_selector("form.visit-form")
    worker.check("input[name=in_home][value='1']")
    worker.fill("textarea[name=notes]", "老人身体尚好，独自在家")
    worker.fill("textarea[name=need]", "卫生间扶手松动，需要维修")
    worker.check("input[name=file_case]")
    worker.select_option("select[name=category]", str(category.pk))
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "2-phone-record-visit.png", full_page=True)
    with worker.expect_navigation():
        worker.click("form.visit-form button[type=submit]")
    visit = Visit.objects.get(resident=resident)
    case = Case.objects.get()
    assert visit.case == case and case.visit == visit
    assert case.number in worker.inner_text(".messages")
    assert "李桂英" not in worker.inner_text(".due-list")
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "3-phone-after-visit.png", full_page=True)

    # The resident's page: the phone is masked until read in full, with a reason.
    worker.goto(f"{live_server.url}/people/residents/{resident.pk}/")
    assert worker.inner_text("[data-field=phone]") == "139****5678"
    worker.click(".reveal > summary")
    worker.select_option("#reveal-field", "phone")
    worker.fill("#reveal-reason", "联系老人子女")
    with worker.expect_navigation():
        worker.click(".reveal button[type=submit]")
    assert worker.inner_text("[data-field=phone]") == "13912345678"
    assert PersonalDataAccess.objects.get().reason == "联系老人子女"
    assert case.number in worker.inner_text(".visit-list")
    _fits_the_phone(worker)
    worker.screenshot(path=shots / "4-phone-resident.png", full_page=True)
    assert not worker.errors

    staff = session(field.street_admin, DESKTOP)
    staff.goto(f"{live_server.url}/people/residents/")
    assert "139****5678" in staff.inner_text("table")
    staff.screenshot(path=shots / "5-desktop-residents.png", full_page=True)
    staff.goto(f"{live_server.url}/people/handbook/{tree.micro_a1.pk}/")
    assert "李桂英" in staff.inner_text(".handbook")
    staff.screenshot(path=shots / "6-desktop-handbook.png", full_page=True)
    phone = session(field.street_admin, PHONE)
    phone.goto(f"{live_server.url}/people/handbook/{tree.micro_a1.pk}/")
    _fits_the_phone(phone)
    phone.screenshot(path=shots / "7-phone-handbook.png", full_page=True)
    phone.goto(f"{live_server.url}/people/residents/")
    _fits_the_phone(phone)
    phone.screenshot(path=shots / "8-phone-residents.png", full_page=True)
    assert not staff.errors and not phone.errors
