"""One error format on every status of /api/v1/: {"code", "message", "fields"}, the message in
the caller's language, and the schema naming it for each error an operation can answer."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from casework.models import Case, Source, Status
from casework.services import case_report

pytestmark = pytest.mark.usefixtures("in_english")

KEYS = {"code", "message", "fields"}


@pytest.fixture
def case_a(tree, categories, crew):
    return case_report(
        actor=crew.worker_a,
        title="青松垃圾",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="东侧路口",
    )


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == KEYS, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_a_field_error_is_named_under_fields_with_a_general_message(api, crew, tree):
    body = error(api(crew.worker_a).post("/api/v1/cases/", {}, format="json"), 400, "invalid")
    assert {"title", "category", "area"} <= set(body["fields"])
    assert body["message"] == "Some of the data given is not valid: see the messages by field."
    assert all(isinstance(m, str) for m in body["fields"]["title"])


def test_an_error_of_the_whole_input_is_the_message(api, case_a, crew):
    client = api(crew.dispatcher_a)
    url = f"/api/v1/cases/{case_a.pk}/transitions/"
    body = error(client.post(url, {"step": "complete"}, format="json"), 400, "invalid")
    assert "step" in body["fields"]
    token = APIClient().post("/api/v1/auth/token/", {"username": "x", "password": "y"})
    body = error(token, 400, "invalid")
    assert body["fields"] == {"non_field_errors": [body["message"]]}
    assert body["message"].startswith("Unable to log in")


def test_an_unreadable_body_is_a_parse_error(api, crew):
    response = api(crew.worker_a).post(
        "/api/v1/cases/", data="{not json", content_type="application/json"
    )
    assert error(response, 400, "parse_error")["fields"] == {}


def test_no_or_a_wrong_token_is_401_with_the_scheme(db):
    response = APIClient().get("/api/v1/cases/")
    assert error(response, 401, "not_authenticated")["fields"] == {}
    assert response["WWW-Authenticate"] == "Token"
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token not-a-key")
    error(wrong.get("/api/v1/cases/"), 401, "authentication_failed")


def test_a_step_outside_the_role_is_403_with_the_reason(api, case_a, crew):
    response = api(crew.viewer_a).post(
        f"/api/v1/cases/{case_a.pk}/transitions/", {"step": "accept"}, format="json"
    )
    assert "You may not accept this case" in error(response, 403, "permission_denied")["message"]
    assert Case.objects.get(pk=case_a.pk).status == Status.REPORTED


def test_a_session_without_the_csrf_token_is_403(case_a, crew):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(crew.dispatcher_a)
    response = client.post(
        f"/api/v1/cases/{case_a.pk}/transitions/", {"step": "accept"}, format="json"
    )
    assert "CSRF" in error(response, 403, "permission_denied")["message"]


def test_a_case_out_of_scope_and_an_unknown_path_are_404(api, case_a, crew):
    client = api(crew.dispatcher_b)
    error(client.get(f"/api/v1/cases/{case_a.pk}/"), 404, "not_found")
    error(client.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_a_method_the_endpoint_lacks_is_405(api, case_a, crew):
    response = api(crew.dispatcher_a).delete(f"/api/v1/cases/{case_a.pk}/")
    assert error(response, 405, "method_not_allowed")["message"] == 'Method "DELETE" not allowed.'
    assert Case.objects.filter(pk=case_a.pk).exists()


def test_a_stale_step_is_409_naming_who_acted_first(api, case_a, crew):
    client = api(crew.dispatcher_a)
    url = f"/api/v1/cases/{case_a.pk}/transitions/"
    assert client.post(url, {"step": "accept", "version": 1}, format="json").status_code == 200
    body = error(
        client.post(url, {"step": "dispatch", "version": 1}, format="json"), 409, "conflict"
    )
    assert (
        "already changed by" in body["message"] and crew.dispatcher_a.full_name in body["message"]
    )
    assert body["fields"] == {}


def test_too_many_requests_is_429_with_the_wait(api, cast, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "user": "1/minute"},
    )
    client = api(cast.dispatcher_a)
    assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    body = error(response, 429, "throttled")
    assert body["message"].startswith("Too many requests: try again in ")
    assert int(response["Retry-After"]) > 0


def test_messages_are_in_the_callers_language(api, case_a, crew, settings_lang_zh):
    client = api(crew.dispatcher_b)
    response = client.get(f"/api/v1/cases/{case_a.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert error(response, 404, "not_found")["message"] == "未找到。"
    response = api(crew.worker_a).post(
        "/api/v1/cases/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    body = error(response, 400, "invalid")
    assert body["message"] == "部分数据无效：请看各字段的提示。"
    assert body["fields"]["title"] == ["此项为必填项。"]


def test_the_schema_names_the_error_body_for_every_error_status(api, cast):
    schema = api(cast.worker_a).get("/api/v1/schema/", {"format": "json"}).json()
    error_ref = "#/components/schemas/Error"
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == KEYS

    def ref(operation, status):
        return operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path in ("/api/v1/schema/", "/api/v1/docs/"):
                continue
            assert ref(operation, "429") == error_ref, (path, method)
            if path != "/api/v1/auth/token/" or method != "post":
                assert ref(operation, "401") == error_ref, (path, method)
                assert ref(operation, "403") == error_ref, (path, method)
            if "{" in path:
                assert ref(operation, "404") == error_ref, (path, method)
            if method in ("post", "put", "patch"):
                assert ref(operation, "400") == error_ref, (path, method)
    steps = schema["paths"]["/api/v1/cases/{id}/transitions/"]
    assert ref(steps["post"], "409") == error_ref
    assert "409" not in steps["get"]["responses"]
    assert "400" not in schema["paths"]["/api/v1/me/"]["get"]["responses"]


def test_a_crash_under_the_api_is_a_500_in_the_format_and_pages_keep_their_html(cast, monkeypatch):
    from governance.api import views

    def crash(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.MeView, "get_object", crash)
    client = APIClient(raise_request_exception=False)
    client.force_login(cast.dispatcher_a)
    body = error(client.get("/api/v1/me/"), 500, "server_error")
    assert "boom" not in body["message"] and body["fields"] == {}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
