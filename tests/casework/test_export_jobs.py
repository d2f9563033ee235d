"""Exports over MAX_ROWS cases run as a background job (issue 15): started from the list's
export button or the API, written by a worker in the owner's scope with the same columns and
text cells as the direct export, followed by its progress, downloaded by its owner alone,
deleted by beat once expired."""

from __future__ import annotations

import datetime as dt
import os
from io import BytesIO
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from casework import export_jobs, exports
from casework.models import CaseExport, Status
from tests.casework.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def cases(tree, categories):
    """Three cases of community A (one closed, one titled like a formula), one of B."""
    a = dict(area=tree.grid_a1, community=tree.community_a, category=categories.garbage)
    return [
        CaseFactory(title="=HYPERLINK(1)", **a),
        CaseFactory(title="路灯不亮", status=Status.CLOSED, **a),
        CaseFactory(title="井盖缺失", **a),
        CaseFactory(
            title="社区B的案件",
            area=tree.grid_b1,
            community=tree.community_b,
            category=categories.garbage,
        ),
    ]


def _rows(export: CaseExport) -> list[list]:
    export.refresh_from_db()
    with export.file.open("rb") as handle:
        sheet = load_workbook(BytesIO(handle.read())).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_a_worker_writes_the_owners_scope_in_chunks_once(crew, cases):
    export = export_jobs.case_export_start(owner=crew.dispatcher_a, query="")
    with mock.patch.object(
        CaseExport.objects, "filter", wraps=CaseExport.objects.filter
    ) as progress:
        assert export_jobs.case_export_write(export_id=export.pk, chunk_size=1) is True
    # Claim, total, one progress row per case of the chunk size 1, and the end.
    assert progress.call_count >= 3 + 3
    export.refresh_from_db()
    assert (export.state, export.total, export.written, export.percent) == ("done", 3, 3, 100)
    rows = _rows(export)
    titles = [row[1] for row in rows[1:]]
    assert sorted(titles) == sorted(["=HYPERLINK(1)", "路灯不亮", "井盖缺失"])
    assert "社区B的案件" not in titles
    # A second run (a redelivered task, another worker) finds nothing to do.
    assert export_jobs.case_export_write(export_id=export.pk) is False


def test_text_that_looks_like_a_formula_stays_text(crew, cases):
    export = export_jobs.case_export_start(owner=crew.dispatcher_a, query="")
    export_jobs.case_export_write(export_id=export.pk)
    export.refresh_from_db()
    with export.file.open("rb") as handle:
        sheet = load_workbook(BytesIO(handle.read())).active
    cell = next(row[1] for row in sheet.iter_rows(min_row=2) if row[1].value == "=HYPERLINK(1)")
    assert (cell.data_type, cell.quotePrefix) == ("s", True)


def test_the_filters_are_those_of_the_list(crew, cases):
    export = export_jobs.case_export_start(owner=crew.dispatcher_a, query="status=closed")
    export_jobs.case_export_write(export_id=export.pk)
    assert [row[1] for row in _rows(export)[1:]] == ["路灯不亮"]


def test_invalid_filters_are_refused_before_anything_is_written(crew, cases):
    with pytest.raises(export_jobs.ValidationError):
        export_jobs.case_export_start(owner=crew.dispatcher_a, query="area=nonsense")
    assert not CaseExport.objects.exists()


def test_a_failure_is_recorded_not_left_running(crew, cases):
    export = export_jobs.case_export_start(owner=crew.dispatcher_a, query="")
    with mock.patch.object(exports, "write_cases", side_effect=RuntimeError("disk full")):
        assert export_jobs.case_export_write(export_id=export.pk) is False
    export.refresh_from_db()
    assert export.state == "failed" and "RuntimeError" in export.error


def test_the_list_offers_a_background_export_over_the_limit(
    client, crew, cases, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    client.force_login(crew.dispatcher_a)
    url = reverse("casework:export")
    response = client.get(url)
    assert response.status_code == 200
    assert b"3 cases match" in response.content
    with (
        mock.patch.object(export_jobs, "send_later") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"{url}?status=reported")
    export = CaseExport.objects.get()
    assert (export.owner, export.query) == (crew.dispatcher_a, "status=reported")
    assert response.status_code == 302 and response.url == reverse(
        "casework:export_job", args=[export.pk]
    )
    send.assert_called_once()
    page = client.get(response.url)
    assert page.status_code == 200 and b"data-case-export" in page.content
    file_url = reverse("casework:export_file", args=[export.pk])
    assert client.get(file_url).status_code == 404  # not written yet
    export_jobs.case_export_write(export_id=export.pk)
    response = client.get(file_url)
    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPE
    assert response["Cache-Control"].startswith("private")


def test_an_export_is_its_owners_alone(client, crew, cases):
    export = export_jobs.case_export_start(owner=crew.dispatcher_a, query="")
    export_jobs.case_export_write(export_id=export.pk)
    for user in (crew.dispatcher_b, crew.street_admin, crew.admin_a):
        client.force_login(user)
        assert client.get(reverse("casework:export_job", args=[export.pk])).status_code == 404
        assert client.get(reverse("casework:export_file", args=[export.pk])).status_code == 404


def test_the_api_starts_an_export_and_reports_its_progress(
    api, crew, cases, django_assert_max_num_queries
):
    client = api(crew.dispatcher_a)
    url = reverse("case-export-list")
    response = client.post(url, {"filters": {"status": ["closed"]}}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["state"], body["download"], body["query"]) == ("pending", None, "status=closed")
    detail = reverse("case-export-detail", args=[body["id"]])
    export_jobs.case_export_write(export_id=body["id"])
    with django_assert_max_num_queries(1 + api.auth_queries):
        body = client.get(detail).json()
    assert (body["state"], body["percent"], body["total"]) == ("done", 100, 1)
    assert client.get(body["download"]).status_code == 200
    assert api(crew.dispatcher_b).get(detail).status_code == 404
    for _ in range(3):
        export_jobs.case_export_start(owner=crew.dispatcher_a, query="")
    with django_assert_max_num_queries(1 + api.auth_queries):
        listed = client.get(url).json()
    assert len(listed) == 4
    assert api(crew.dispatcher_b).get(url).json() == []


@pytest.mark.parametrize(
    "filters",
    [{"area": "nonsense"}, {"status": {"nested": 1}}, {"reported_from": "yesterday"}],
)
def test_the_api_refuses_bad_filters_with_a_400(api, crew, cases, filters):
    response = api(crew.dispatcher_a).post(
        reverse("case-export-list"), {"filters": filters}, format="json"
    )
    assert response.status_code == 400, response.content
    assert not CaseExport.objects.exists()


def test_beat_deletes_expired_exports_and_restarts_lost_ones(crew, cases, settings):
    old = export_jobs.case_export_start(owner=crew.dispatcher_a, query="")
    export_jobs.case_export_write(export_id=old.pk)
    old.refresh_from_db()
    path = old.file.path
    lost = export_jobs.case_export_start(owner=crew.dispatcher_a, query="")
    CaseExport.objects.filter(pk=lost.pk).update(state="running")
    later = timezone.now() + dt.timedelta(hours=settings.CASE_EXPORT_HOURS, minutes=1)
    with mock.patch.object(export_jobs, "send_later") as send:
        CaseExport.objects.filter(pk=lost.pk).update(expires_at=later + dt.timedelta(hours=1))
        assert export_jobs.case_exports_sweep(now=later) == 1
    assert not CaseExport.objects.filter(pk=old.pk).exists()
    assert not os.path.exists(path)
    lost.refresh_from_db()
    assert lost.state == "pending"
    send.assert_called_once()
    assert send.call_args.args[1] == str(lost.pk)
