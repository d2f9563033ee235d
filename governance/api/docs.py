"""The API schema, its Swagger UI and Redoc: for signed-in users unless ``API_DOCS_PUBLIC`` is
set."""

from csp.constants import NONCE, SELF
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.utils.decorators import method_decorator
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny, IsAuthenticated


def _permissions():
    return [AllowAny()] if settings.API_DOCS_PUBLIC else [IsAuthenticated()]


class SchemaView(SpectacularAPIView):
    def get_permissions(self):
        return _permissions()


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI, its start script served as a file of its own (the CSP forbids inline ones).
    A visitor who is not signed in is sent to the login page and back."""

    def get_permissions(self):
        return _permissions()

    def dispatch(self, request, *args, **kwargs):
        if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


# Redoc writes <style> elements at run time (styled-components, and its bundled CSS). They carry
# this request's nonce (static/js/redoc_init.js and Redoc's ``nonce`` option), which style-src
# allows on this page alone: no 'unsafe-inline', and script-src is unchanged. Its search runs
# in a worker it builds from a blob: URL of its own bundled code, hence worker-src here too.
@method_decorator(
    csp_update({"style-src": [NONCE], "worker-src": [SELF, "blob:"]}), name="dispatch"
)
class RedocView(SpectacularRedocView):
    """Redoc, served from the portal (drf-spectacular-sidecar), started by a script file."""

    template_name = "drf_spectacular/redoc_portal.html"

    def get_permissions(self):
        return _permissions()

    def dispatch(self, request, *args, **kwargs):
        if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


def local_times(result, generator, request, public):
    """A time of day is sent as ``09:00`` or ``09:00:00``, local time, without an offset; the
    OpenAPI ``format: time`` would promise RFC 3339's offset. Say what is sent."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("format") == "time":
                del node["format"]
                node["pattern"] = r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
                node.setdefault("example", "09:00:00")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
