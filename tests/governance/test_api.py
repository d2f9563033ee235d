import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_me_shows_the_callers_roles(api, cast):
    body = api(cast.dispatcher_a).get("/api/v1/me/").json()
    assert body["username"] == "dispatcher_a"
    assert [(r["role"], r["area"]) for r in body["role_assignments"]] == [
        ("community_dispatcher", cast.tree.community_a.pk)
    ]


def test_the_api_schema_lists_the_foundation_endpoints(api, cast):
    response = api(cast.nobody).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/areas/", "/api/v1/staff/", "/api/v1/changes/", "/api/v1/auth/token/"):
        assert path in paths


def test_the_api_schema_builds_without_warnings_or_errors(tmp_path):
    """Every endpoint of every app is described (no view the generator has to skip) and every
    choice set has one name."""
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/party/leaderboard/" in text
    assert "CaseStatusEnum" in text


def test_redoc_asks_a_visitor_to_sign_in(client, settings):
    settings.API_DOCS_PUBLIC = False
    response = client.get(reverse("api-redoc"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_redoc_allows_its_own_styles_by_nonce_on_its_page_alone(client, cast):
    client.force_login(cast.worker_a)
    page = client.get(reverse("api-redoc"))
    assert page.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in page["Content-Security-Policy"].split(";"))
    nonce = page.wsgi_request.csp_nonce
    assert policy["style-src"] == f"'self' 'nonce-{nonce}'"
    assert policy["script-src"] == "'self'" and "unsafe" not in page["Content-Security-Policy"]
    body = page.content.decode()
    assert f'<meta property="csp-nonce" content="{nonce}">' in body
    assert "<style" not in body and "googleapis" not in body and "<script>" not in body
    other = client.get(reverse("api-docs"))
    assert "nonce-" not in other["Content-Security-Policy"]
