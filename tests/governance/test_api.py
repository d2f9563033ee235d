import pytest

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
