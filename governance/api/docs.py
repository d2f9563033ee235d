"""The API schema and its Swagger UI: for signed-in users unless ``API_DOCS_PUBLIC`` is set."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
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
