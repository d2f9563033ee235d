import math
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import ngettext
from rest_framework import exceptions, status, views
from rest_framework.settings import api_settings


class Conflict(exceptions.APIException):
    """Somebody acted first (a step on a changed record, a second decision): HTTP 409."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


@contextmanager
def service_errors():
    """Turn a service's Django errors into DRF's: 400 with field messages, or 403."""
    try:
        yield
    except DjangoValidationError as exc:
        # Django names errors of the whole object "__all__"; DRF clients expect its own key.
        messages = (
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        )
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): value
            for key, value in messages.items()
        }
        raise exceptions.ValidationError(detail) from exc
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc


def exception_handler(exc, context):
    """DRF's handler, with a plain message for a throttled caller."""
    if isinstance(exc, exceptions.Throttled):
        seconds = max(1, math.ceil(exc.wait or 1))
        message = ngettext(
            "Too many requests: try again in %(seconds)d second.",
            "Too many requests: try again in %(seconds)d seconds.",
            seconds,
        )
        exc = exceptions.Throttled(detail=message % {"seconds": seconds})
        # Set after construction: given to the constructor, DRF appends its own sentence.
        exc.wait = seconds
    return views.exception_handler(exc, context)
