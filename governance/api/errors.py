"""One error format for every answer of ``/api/v1/`` that is not a success.

Every error is a JSON object ``{"code": ..., "message": ..., "fields": {...}}``:

- ``code``: what went wrong, for programs: ``invalid`` (400, validation), ``parse_error`` (400,
  unreadable body), ``not_authenticated`` / ``authentication_failed`` (401),
  ``permission_denied`` (403), ``not_found`` (404), ``method_not_allowed`` (405),
  ``not_acceptable`` (406), ``conflict`` (409), ``unsupported_media_type`` (415),
  ``throttled`` (429; ``too_soon`` for a patrol position sent before its interval,
  ``locked_out`` for a token login after too many failed ones),
  ``server_error`` (500);
- ``message``: one sentence for people, in the caller's language;
- ``fields``: the messages per input field (``non_field_errors`` for the input as a whole),
  each a list of sentences; nested inputs nest the same way; ``{}`` when no field is at fault.

The schema documents the shape once (``Error``) and names it for each error status of each
operation (``governance/api/schema.py``).
"""

import math
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, serializers, status, views
from rest_framework.settings import api_settings


class Conflict(exceptions.APIException):
    """Somebody acted first (a step on a changed record, a second decision): HTTP 409."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (for the schema; the handler below writes it)."""

    code = serializers.CharField(
        help_text="What went wrong, for programs: invalid, parse_error, not_authenticated, "
        "authentication_failed, permission_denied, not_found, method_not_allowed, "
        "not_acceptable, conflict, unsupported_media_type, throttled, too_soon, locked_out, "
        "server_error."
    )
    message = serializers.CharField(help_text="One sentence for people, in the caller's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (non_field_errors: the input as a whole); "
        "nested inputs nest the same way; empty when no field is at fault.",
    )


@contextmanager
def service_errors():
    """Turn a service's Django errors into DRF's: 400 with field messages, or 403."""
    try:
        yield
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(field_messages(exc)) from exc
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc


def field_messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django validation error's messages by field, under DRF's key for the whole input."""
    messages = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): value
        for key, value in messages.items()
    }


def _plain(detail):
    """DRF's error details as plain JSON: lists, objects and strings."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list | tuple):
        return [_plain(item) for item in detail]
    return str(detail)


def _sentences(detail) -> list[str]:
    if isinstance(detail, dict):
        return [text for value in detail.values() for text in _sentences(value)]
    if isinstance(detail, list):
        return [text for item in detail for text in _sentences(item)]
    return [detail]


def error_body(exc: exceptions.APIException) -> dict:
    detail = exc.detail
    is_validation = isinstance(exc, exceptions.ValidationError)
    if isinstance(detail, dict):
        fields = _plain(detail)
    elif isinstance(detail, list) and is_validation:
        fields = {api_settings.NON_FIELD_ERRORS_KEY: _plain(detail)}
    else:
        fields = {}
    whole = fields.get(api_settings.NON_FIELD_ERRORS_KEY)
    if not isinstance(detail, dict | list):
        message = str(detail)
    elif isinstance(whole, list) and whole and all(isinstance(m, str) for m in whole):
        message = " ".join(whole)
    elif is_validation:
        message = _("Some of the data given is not valid: see the messages by field.")
    else:
        message = " ".join(_sentences(fields))
    if is_validation:
        code = "invalid"
    else:
        code = getattr(detail, "code", None) if isinstance(detail, str) else None
        code = code or exc.default_code
    return {"code": code, "message": message, "fields": fields}


def exception_handler(exc, context):
    """DRF's handler (status, ``WWW-Authenticate``, ``Retry-After``), answering in the one
    error format, with a plain message for a throttled caller."""
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
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = views.exception_handler(exc, context)
    if response is not None:
        response.data = error_body(exc)
    return response


def json_error(request, *, status_code: int, code: str, message: str) -> JsonResponse:
    """The same format outside DRF's views: an unknown path or a crash under ``/api/``."""
    return JsonResponse(
        {"code": code, "message": message, "fields": {}},
        status=status_code,
        json_dumps_params={"ensure_ascii": False},
    )
