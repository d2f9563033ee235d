"""Settings come from the environment, strictly. Each case starts a fresh interpreter with a
clean environment, because settings are read once at import."""

from __future__ import annotations

import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured

from governance.env import env_bool, env_int, env_list, env_str
from tests.clean_env import output, run_python

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "from django.db import connection; "
)


def run(tmp_path, code: str, **env) -> subprocess.CompletedProcess:
    return run_python(tmp_path, ["-c", SHOW + code], env)


def test_production_refuses_the_dev_secret_key(tmp_path):
    result = run(tmp_path, "print('started')")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_an_empty_secret_key(tmp_path):
    result = run(tmp_path, "print('started')", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_starts_with_a_secret_key_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("a-long-production-secret-0123456789\n")
    result = run(
        tmp_path, "print(json.dumps([s.SECRET_KEY, s.DEBUG]))", SECRET_KEY_FILE=str(secret)
    )
    assert output(result) == ["a-long-production-secret-0123456789", False]


def test_an_unreadable_secret_file_is_an_error(tmp_path):
    result = run(tmp_path, "print('started')", SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert result.returncode != 0
    assert "SECRET_KEY_FILE" in result.stderr


def test_a_malformed_boolean_stops_the_start(tmp_path):
    result = run(tmp_path, "print('started')", DEBUG="ture")
    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr


def test_the_embedded_default_is_sqlite_in_wal_mode_with_immediate_transactions(tmp_path):
    code = (
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); mode = c.fetchone()[0]; "
        "d = s.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], str(d['NAME']), d['OPTIONS']['transaction_mode'], mode,"
        " s.CELERY_BROKER_URL,"
        " sorted(s.CELERY_BROKER_TRANSPORT_OPTIONS), hasattr(s, 'CELERY_BROKER_TRANSPORT')]))"
    )
    engine, name, transaction_mode, journal, broker, broker_options, transport = output(
        run(tmp_path, code, DEBUG="1")
    )
    assert engine == "django.db.backends.sqlite3"
    assert name == str(tmp_path / "var" / "portal.sqlite3")
    assert transaction_mode == "IMMEDIATE"
    assert journal == "wal"
    assert broker.startswith("filesystem://")
    assert "data_folder_in" in broker_options
    assert not transport  # kombu's filesystem transport, named by the URL
    assert (tmp_path / "var" / "celery-broker" / "queue").is_dir()


def test_a_tls_broker_has_the_portals_transport_and_checks_the_certificate(tmp_path):
    code = (
        "print(json.dumps([s.CELERY_BROKER_TRANSPORT, s.CELERY_BROKER_USE_SSL,"
        " s.CACHES['default']['OPTIONS']]))"
    )
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    broker = "rediss://broker.example:6380/3"
    transport, tls, cache = output(
        run(tmp_path, code, DEBUG="1", CELERY_BROKER_URL=broker, REDIS_URL=broker)
    )
    # The outage-proof transport (governance/broker.py), the certificate checked (ssl.CERT_REQUIRED)
    # against the system's authorities: kombu's default for rediss:// checks nothing.
    assert (transport, tls) == ("governance.broker:Transport", {"ssl_cert_reqs": 2})
    assert "ssl_ca_certs" not in cache
    transport, tls, cache = output(
        run(tmp_path, code, DEBUG="1", CELERY_BROKER_URL=broker, REDIS_URL=broker,
            REDIS_TLS_CA_FILE=str(ca))
    )  # fmt: skip
    assert tls == {"ssl_cert_reqs": 2, "ssl_ca_certs": str(ca)}
    assert cache["ssl_ca_certs"] == str(ca)
    result = run(tmp_path, code, DEBUG="1", REDIS_TLS_CA_FILE=str(tmp_path / "missing.pem"))
    assert result.returncode != 0 and "REDIS_TLS_CA_FILE" in result.stderr


def test_database_url_and_broker_url_switch_to_postgresql_and_redis(tmp_path):
    code = (
        "d = s.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], d['NAME'], d['HOST'], d['PORT'], s.CELERY_BROKER_URL,"
        " hasattr(s, 'CELERY_BROKER_TRANSPORT_OPTIONS'), s.CACHES['default']['BACKEND'],"
        " s.CELERY_BROKER_TRANSPORT]))"
    )
    result = run(
        tmp_path,
        code,
        ALLOW_DEV_SECRET_KEY="1",
        DATABASE_URL="postgres://portal:pw@db.example:5433/portal",
        CELERY_BROKER_URL="redis://broker.example:6379/3",
        REDIS_URL="redis://broker.example:6379/4",
    )
    engine, name, host, port, broker, fs_options, cache, transport = output(result)
    assert engine == "django.db.backends.postgresql"
    assert (name, host, port) == ("portal", "db.example", 5433)
    assert broker == "redis://broker.example:6379/3"
    assert not fs_options
    # kombu's Redis transport with a channel that survives a broker outage (governance/broker.py).
    assert transport == "governance.broker:Transport"
    assert cache == "governance.cache.ResilientRedisCache"  # Redis, failing soft
    assert not (tmp_path / "var" / "celery-broker").exists()


def test_prepared_statements_are_off_unless_asked_for_and_only_on_postgresql(tmp_path):
    code = "print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))"
    url = "postgres://portal:pw@db.example:5433/portal"
    plain = output(run(tmp_path, code, ALLOW_DEV_SECRET_KEY="1", DATABASE_URL=url))
    prepared = output(
        run(
            tmp_path, code, ALLOW_DEV_SECRET_KEY="1", DATABASE_URL=url,
            DATABASE_PREPARED_STATEMENTS="1", DATABASE_PREPARE_THRESHOLD="3",
        )
    )  # fmt: skip
    embedded = output(run(tmp_path, code, DEBUG="1", DATABASE_PREPARED_STATEMENTS="1"))

    assert "server_side_binding" not in plain and "prepare_threshold" not in plain
    assert prepared["server_side_binding"] is True and prepared["prepare_threshold"] == 3
    assert "server_side_binding" not in embedded  # SQLite has no such option
    result = run(tmp_path, "print('started')", DEBUG="1", DATABASE_PREPARED_STATEMENTS="some")
    assert "DATABASE_PREPARED_STATEMENTS='some' is not a boolean" in result.stderr


@pytest.mark.parametrize("raw,expected", [("1", True), ("Yes", True), ("off", False), ("", False)])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not expected) is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("FLAG")


def test_env_int_refuses_a_word(monkeypatch):
    monkeypatch.setenv("PORT_NUMBER", "five")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("PORT_NUMBER", 1)


def test_every_kind_of_setting_can_come_from_a_file(monkeypatch, tmp_path):
    for name, value in {"FLAG": "yes", "COUNT": "7", "HOSTS": "a.example, b.example"}.items():
        path = tmp_path / name
        path.write_text(value + "\n")
        monkeypatch.setenv(f"{name}_FILE", str(path))
        monkeypatch.setenv(name, "ignored-when-a-file-is-given")
    assert env_bool("FLAG") is True
    assert env_int("COUNT", 0) == 7
    assert env_list("HOSTS") == ["a.example", "b.example"]
    assert env_str("MISSING", "fallback") == "fallback"
