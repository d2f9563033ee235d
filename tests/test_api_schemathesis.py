"""schemathesis over /api/v1/: every GET operation of the published schema, called by a street
admin's token with a few generated examples each, answers without a server error and with a body
that matches the schema for its status code.

The street and its records come from the route sweep's world (tests/routes/world.py).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from governance.models import Role
from governance.wsgi import application
from tests.routes.world import build_side

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def api_street(db, settings, tmp_path):
    """The street admin's credentials, with the street's records in place."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ALLOWED_HOSTS = ["*"]
    side = build_side("a")
    # schemathesis calls the WSGI application itself, whose end of request would close the
    # test's database connection (and its transaction); Django's test client holds it open
    # the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Token {side.tokens[Role.STREET_ADMIN]}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_get_operation_keeps_to_the_schema(api_street):
    loaded = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", application, headers=api_street
    )
    operations = [result.ok() for result in loaded.include(method="GET").get_all_operations()]
    assert len(operations) > 50  # the whole API, not an empty or truncated schema

    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            case.call_and_validate(headers=api_street, checks=CHECKS)

        try:
            call()
        except Exception as failure:  # one line per failing operation, all of them reported
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
