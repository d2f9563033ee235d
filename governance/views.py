import hashlib
import json
import sys
from functools import cache

from django import db
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import cache_control, never_cache
from django.views.generic import ListView

from governance.api.errors import json_error
from governance.changelog_display import readable_changes
from governance.filters import ObjectChangeFilterSet, PersonalDataAccessFilterSet
from governance.health import run_checks
from governance.models import Role
from governance.navigation import start_page_for
from governance.pagination import CappedPaginator
from governance.scopes import scope_of
from governance.selectors import access_log_for, change_log_for


@login_required
def home(request):
    """Send each user to the start page of their first role (the apps register them)."""
    target = start_page_for(request.user)
    if target:
        return redirect(target)
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "governance/no_role.html", status=403)


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask /favicon.ico of every page, the admin's included: the portal's mark."""
    return redirect(static("img/favicon.ico"))


# -- the installable portal (web app manifest, service worker, offline page) -----------------
# The shell the service worker keeps for a weak connection: the portal's own CSS, scripts and
# icons (no page HTML and no API answer: those hold personal data and are never stored).
SHELL_STATIC = (
    "css/portal.css",
    "css/casework.css",
    "js/portal.js",
    "js/outbox.js",
    "js/casework_new.js",
    "js/casework_photos.js",
    "js/point_picker.js",
    "img/favicon.svg",
    "img/icon-192.png",
)


def manifest(request):
    """The web app manifest: the portal installs on a phone's home screen under its name."""
    data = {
        "name": _("Grid governance portal"),
        "short_name": _("Grid governance"),
        "description": _("File, dispatch and follow up the cases of the grid."),
        "lang": request.LANGUAGE_CODE,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f4f1",
        "theme_color": "#8e231e",
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    response["Vary"] = "Accept-Language, Cookie"
    return response


@cache
def _service_worker_source() -> str:
    shell = [static(name) for name in SHELL_STATIC]
    offline_url = reverse("offline")
    config = {
        "shell": [*shell, offline_url],
        "offline": offline_url,
        "static": settings.STATIC_URL
        if settings.STATIC_URL.startswith("/")
        else "/" + settings.STATIC_URL,
        # Hashed names (the manifest storage) never change content: the cache answers first.
        "hashed": settings.STATIC_MANIFEST,
    }
    body = render_to_string("governance/service_worker.js", {"config": json.dumps(config)})
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    return body.replace("__VERSION__", version)


@never_cache
def service_worker(request):
    """The service worker, served from the site root so that its scope is the whole portal
    (``Service-Worker-Allowed: /``); a script file like any other (the CSP allows 'self')."""
    response = HttpResponse(_service_worker_source(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


def offline(request):
    """What the service worker shows when a page cannot be reached: the same for everyone
    (it is stored on the device, so it is rendered without the user: no name, no menu, no
    token), with the drafts waiting to be sent listed by the script from the device."""
    html = render_to_string("governance/offline.html", {"LANGUAGE_CODE": request.LANGUAGE_CODE})
    return HttpResponse(html)


@never_cache
def health(request):
    results = run_checks()
    healthy = all(v == "ok" for v in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results},
        status=200 if healthy else 503,
    )


class ChangeLogView(LoginRequiredMixin, ListView):
    template_name = "governance/changelog.html"
    paginate_by = 50
    paginator_class = CappedPaginator
    context_object_name = "changes"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not scope_of(user).has_role(Role.STREET_ADMIN):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        self.filterset = ObjectChangeFilterSet(
            self.request.GET or None, queryset=change_log_for(self.request.user)
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(filter=self.filterset, **kwargs)
        readable_changes(context["changes"])
        return context


class AccessLogView(LoginRequiredMixin, ListView):
    """The personal data access log (PIPL) of the street admin's subtree, searchable."""

    template_name = "governance/access_log.html"
    paginate_by = 50
    context_object_name = "entries"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not scope_of(user).has_role(Role.STREET_ADMIN):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        self.filterset = PersonalDataAccessFilterSet(
            self.request.GET or None, queryset=access_log_for(self.request.user)
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter=self.filterset, **kwargs)


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def page_not_found(request, exception):
    """Django's page, or the API's error format under ``/api/``."""
    if _is_api(request):
        return json_error(request, status_code=404, code="not_found", message=_("Not found."))
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's page, or the API's error format under ``/api/``. When the database is away (a
    restart, a failover) the answer is 503 with ``Retry-After``. Every write is one
    transaction, so a write under way when the connection went is either committed whole or
    not at all (committed, if only the answer's re-read failed: the message says to check).
    Neither page reads the database: both are rendered without the request's context."""
    if database_unavailable(sys.exc_info()[1]):
        message = _(
            "The database is unavailable for a moment. Try again shortly; if you were saving "
            "something, check whether it was saved before you repeat it."
        )
        if _is_api(request):
            response = json_error(
                request, status_code=503, code="service_unavailable", message=message
            )
        else:
            response = HttpResponse(
                loader.get_template("503.html").render({"message": message}), status=503
            )
        response["Retry-After"] = "30"
        return response
    if _is_api(request):
        return json_error(
            request,
            status_code=500,
            code="server_error",
            message=_("Something went wrong on the server. It has been logged; try again later."),
        )
    return defaults.server_error(request)


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is the database connection failing, not a query's
    fault: those errors are OperationalError/InterfaceError, as are lock timeouts, so the
    message is read too."""
    while exc is not None:
        if isinstance(exc, db.InterfaceError):
            return True
        if isinstance(exc, db.OperationalError):
            text = str(exc).lower()
            return any(sign in text for sign in _CONNECTION_LOST)
        exc = exc.__cause__ or exc.__context__
    return False


_CONNECTION_LOST = (
    "connection",
    "server closed",
    "terminating",
    "shutting down",
    "starting up",
    "could not connect",
    "the database system is",
    "ssl syscall",
    "eof detected",
)
