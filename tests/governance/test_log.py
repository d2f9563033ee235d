import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import path

from governance.log import ClientErrorsBrief
from governance.urls import urlpatterns as portal_urls


def _forbidden(request):
    raise PermissionDenied("no")


def _broken(request):
    raise RuntimeError("boom")


# The portal's own routes too: the error pages link to them.
urlpatterns = [path("forbidden/", _forbidden), path("broken/", _broken), *portal_urls]


@pytest.fixture
def records():
    """What the django.request logger emits, after the portal's filter."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    logger = logging.getLogger("django.request")
    handler = Keep()
    handler.addFilter(ClientErrorsBrief())
    logger.addHandler(handler)
    yield seen
    logger.removeHandler(handler)


@pytest.mark.urls(__name__)
def test_a_refused_request_is_logged_in_one_line_without_a_traceback(client, records):
    client.raise_request_exception = False
    assert client.get("/forbidden/").status_code == 403
    (record,) = records
    assert record.status_code == 403
    assert record.exc_info is None


@pytest.mark.urls(__name__)
def test_a_server_error_keeps_its_traceback(client, records):
    client.raise_request_exception = False
    assert client.get("/broken/").status_code == 500
    assert records[-1].exc_info is not None
