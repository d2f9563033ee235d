"""A Redis that speaks TLS only (``rediss://``, as a managed Redis): the portal's broker and cache
reach it with the certificate authority they are given (``REDIS_TLS_CA_FILE``) and refuse it
without (the certificate is checked). The broker's outage under TLS: test_broker_outage.py."""

from __future__ import annotations

import shutil

import pytest

from tests.clean_env import output, run_python
from tests.conftest import missing
from tests.processes import RedisServer

# The broker connection and a cache round trip, with the portal's settings.
PROBE = """
import json, django
django.setup()
from django.core.cache import cache
from governance.celery import app
try:
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0)
        broker = type(connection.transport).__module__
except Exception as exc:
    broker = f"refused: {exc}"
cache.set("tls-probe", "青松")
print(json.dumps([broker, cache.get("tls-probe")]))
"""


@pytest.fixture
def tls_redis(tmp_path):
    if not (shutil.which("redis-server") and shutil.which("openssl")):
        missing("this test starts a redis-server with TLS (apt-get install redis-server openssl)")
    server = RedisServer(tmp_path, tls=True)
    server.start()
    yield server
    server.stop()


def _probe(tmp_path, server: RedisServer, **env):
    return output(
        run_python(
            tmp_path,
            ["-c", PROBE],
            {
                "DEBUG": "1",
                "CELERY_BROKER_URL": f"{server.url}/0",
                "REDIS_URL": f"{server.url}/1",
                **env,
            },
        )
    )


def test_the_broker_and_the_cache_reach_redis_over_tls_with_its_authority(tmp_path, tls_redis):
    broker, cached = _probe(tmp_path, tls_redis, REDIS_TLS_CA_FILE=str(tls_redis.ca_file))
    assert (broker, cached) == ("governance.broker", "青松")


def test_without_the_authority_the_certificate_is_refused(tmp_path, tls_redis):
    broker, cached = _probe(tmp_path, tls_redis)
    assert broker.startswith("refused:") and "CERTIFICATE_VERIFY_FAILED" in broker
    assert cached is None  # the cache fails soft: a miss, not an error page
