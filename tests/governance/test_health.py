import os

import pytest
from kombu.exceptions import OperationalError

from governance import health


@pytest.fixture
def checks(monkeypatch):
    """Swap single checks for ones that fail, without touching the others."""

    def fail(name: str, exc: Exception) -> None:
        def broken(*args, **kwargs):
            raise exc

        monkeypatch.setitem(health.CHECKS, name, broken)

    return fail


@pytest.mark.django_db
def test_health_is_ok_when_every_service_answers(client):
    response = client.get("/health/")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["database", "cache", "broker"])
def test_health_names_the_failed_check(client, checks, name):
    checks(name, ConnectionError(f"{name} is down"))
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"][name] == f"error: ConnectionError: {name} is down"
    assert [k for k, v in body["checks"].items() if v != "ok"] == [name]


@pytest.mark.django_db
def test_health_needs_no_sign_in(client):
    assert client.get("/health/").status_code == 200


def test_the_cache_check_notices_a_cache_that_forgets(monkeypatch):
    monkeypatch.setattr(health.cache, "get", lambda key: None)
    with pytest.raises(RuntimeError, match="did not return"):
        health.check_cache()


def test_the_broker_check_fails_when_nothing_listens():
    with pytest.raises(OperationalError):
        health.check_broker("redis://127.0.0.1:1/0")


@pytest.mark.redis
def test_the_broker_check_works_against_real_redis():
    url = next(
        os.environ[name]
        for name in ("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL")
        if os.environ.get(name, "").startswith("redis://")
    )
    health.check_broker(url)
