"""A lost database connection answers 503 — the Chinese page, or the API's JSON error — and
the page is rendered without reading the database; any other failure stays a 500. The same
with a real PostgreSQL stopped under gunicorn: tests/casework/test_database_away.py."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from casework import selectors

pytestmark = pytest.mark.django_db

LOST = OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def broken(client, cast, settings_lang_zh):
    client.raise_request_exception = False
    client.force_login(cast.street_admin)
    return client


def test_a_page_answers_the_chinese_503_page_without_the_database(broken):
    with (
        mock.patch.object(selectors, "case_list_for", side_effect=LOST),
        mock.patch("django.template.context_processors.request") as context,
    ):
        response = broken.get("/cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "数据库暂时无法访问" in page and "<html" in page
    context.assert_not_called()  # rendered without the request's context


def test_the_api_answers_its_json_error(broken):
    with mock.patch.object(selectors, "case_list_for", side_effect=LOST):
        response = broken.get("/api/v1/cases/")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "service_unavailable" and "数据库" in body["message"]


def test_any_other_database_error_is_still_a_500(broken):
    with mock.patch.object(
        selectors, "case_list_for", side_effect=OperationalError("could not obtain lock")
    ):
        assert broken.get("/api/v1/cases/").status_code == 500
