"""The schema's operations name every error they can answer, in the one error format.

Each operation gets, unless it declares the status itself: 400 when it takes a body or query
parameters, 401 and 403 when it needs a signed-in caller, 404 when its path names a record, and
429 (every caller is rate-limited). A 409 is declared by the operations that can answer it
(``CONFLICT``), e.g. a step on a case that someone else changed first.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from governance.api.errors import ErrorSerializer

BAD_REQUEST = OpenApiResponse(
    ErrorSerializer, description="The input is not valid (code invalid or parse_error)."
)
NOT_AUTHENTICATED = OpenApiResponse(
    ErrorSerializer,
    description="No credentials, or a wrong, expired or revoked token "
    "(code not_authenticated or authentication_failed).",
)
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Signed in, but this is outside the caller's roles or scope "
    "(code permission_denied).",
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such record in the caller's scope (code not_found)."
)
CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="Somebody acted first: the record changed since it was read, or was decided "
    "already (code conflict). Read it again and decide anew.",
)
THROTTLED = OpenApiResponse(
    ErrorSerializer,
    description="Too many requests (code throttled); the Retry-After header gives the seconds "
    "to wait.",
)


class PortalAutoSchema(AutoSchema):
    """Also: an extra action of a viewset (``transitions/``, ``events/``, ...) takes no list
    filters, and is paged only when it pages (calls ``paginate_queryset``); otherwise
    drf-spectacular would draw each that answers a list as the viewset's filtered, paged list."""

    def get_filter_backends(self):
        return super().get_filter_backends() if self._action() in (None, "list") else []

    def _get_paginator(self):
        action = self._action()
        if action in (None, "list"):
            return super()._get_paginator()
        code = getattr(getattr(type(self.view), action, None), "__code__", None)
        if code is None or "paginate_queryset" not in code.co_names:
            return None
        return super()._get_paginator()

    def _action(self):
        return getattr(self.view, "action", None)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._error_responses():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _error_responses(self):
        if self.method != "GET" or self._takes_query_parameters():
            yield "400", BAD_REQUEST
        if self._needs_sign_in():
            yield "401", NOT_AUTHENTICATED
            yield "403", FORBIDDEN
        if "{" in self.path:
            yield "404", NOT_FOUND
        yield "429", THROTTLED

    def _takes_query_parameters(self) -> bool:
        return any(parameter["in"] == "query" for parameter in self._get_parameters())

    def _needs_sign_in(self) -> bool:
        auth = self.get_auth()
        return bool(auth) and {} not in auth
