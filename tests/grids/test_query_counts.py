"""Field-work pages and endpoints that show many rows of one record (a resident's visits, a
patrol's findings and route, a building's check reports, an export) answer in a fixed number of
queries however many rows there are (issue 12: the lists that had no such test)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids import mobilization_services, patrol_services
from grids import resident_services as services
from grids.models import CheckUnit, MobilizationTarget, Patrol, PatrolPoint
from tests.grids.field_factories import GOOD_ANSWERS, task
from tests.grids.resident_factories import CareTagFactory, ResidentFactory, tag

pytestmark = pytest.mark.django_db
BUDGET = 25


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured.captured_queries)


def _fixed(client, url, grow) -> None:
    """The queries of ``url`` with a few rows and with many: no more with many."""
    grow(2)
    small = _count(client, url)
    grow(8)
    large = _count(client, url)
    assert large <= small <= BUDGET, (url, small, large)


def test_a_residents_page_with_its_visits_and_tags(client, field, tree):
    resident = ResidentFactory(area=tree.building_a1)

    def grow(n):
        for _ in range(n):
            services.visit_record(actor=field.worker_a, resident=resident, need="需要助餐")
            care = CareTagFactory(street=tree.street, name=f"关爱{resident.visits.count()}")
            tag(resident, care, timezone.localdate())

    client.force_login(field.dispatcher_a)
    _fixed(client, reverse("people:resident", args=[resident.pk]), grow)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_resident_export(client, field, tree, fmt):
    weekly = CareTagFactory(street=tree.street, visit_every_days=7)

    def grow(n):
        for _ in range(n):
            r = ResidentFactory(area=tree.building_a1)
            tag(r, weekly, timezone.localdate() - dt.timedelta(days=3))

    client.force_login(field.dispatcher_a)
    _fixed(client, reverse("people:resident_export") + f"?format={fmt}", grow)


def test_the_visit_list_of_the_api_with_visits(api, field, tree):
    resident = ResidentFactory(area=tree.building_a1)
    client = api(field.dispatcher_a)

    def grow(n):
        for _ in range(n):
            services.visit_record(actor=field.worker_a, resident=resident, need="需要助餐")

    grow(2)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/api/v1/visits/").status_code == 200
    grow(8)
    with CaptureQueriesContext(connection) as large:
        body = client.get("/api/v1/visits/").json()
    assert body["count"] == 10
    assert len(large.captured_queries) <= len(small.captured_queries) <= 6 + api.auth_queries


def test_a_patrols_page_with_its_findings_and_route(client, field, tree):
    started = timezone.now() - dt.timedelta(hours=3)
    patrol = Patrol.objects.create(worker=field.worker_a, area=tree.grid_a1, started_at=started)

    def grow(n):
        done = patrol.points.count()
        for i in range(done, done + n):
            PatrolPoint.objects.create(
                patrol=patrol,
                recorded_at=started + dt.timedelta(minutes=i + 1),
                latitude=Decimal("39.9") + Decimal(i) / 10_000,
                longitude=Decimal("116.4"),
            )
            patrol_services.finding_record(
                actor=field.worker_a,
                patrol=patrol,
                description=f"巡查发现{i}",
                area=tree.building_a1,
                now=started + dt.timedelta(minutes=i + 1),
            )

    client.force_login(field.worker_a)
    _fixed(client, reverse("field:patrol", args=[patrol.pk]), grow)


def test_a_buildings_check_reports_and_the_task_export(client, field, tree):
    t = task(field.street_admin, tree.street, unit=CheckUnit.HOUSEHOLD)
    target = MobilizationTarget.objects.select_related("building", "task").get(
        task=t, building=tree.building_a1
    )
    others = list(
        MobilizationTarget.objects.filter(task=t, grid=tree.grid_a1)
        .exclude(pk=target.pk)
        .select_related("building", "task")
    )

    spare = iter(others)

    def grow(n):
        for _ in range(n):
            household = f"{target.reports.count() + 1}01室"
            report(target, household)
            other = next(spare, None)
            if other is not None:
                report(other, "101室")

    def report(building, household):
        mobilization_services.report_submit(
            actor=field.worker_a, target=building, answers=GOOD_ANSWERS, household=household
        )

    client.force_login(field.street_admin)
    _fixed(client, reverse("field:target", args=[t.pk, target.pk]), grow)
    _fixed(client, reverse("field:task_export", args=[t.pk]), grow)
