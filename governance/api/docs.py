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
