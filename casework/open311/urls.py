"""Open311 GeoReport v2: every method with its format extension (``.xml`` or ``.json``)."""

from django.urls import path, re_path
from django.views.generic import RedirectView

from casework.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    path(
        "",
        RedirectView.as_view(pattern_name="open311:discovery", query_string=True),
        {"fmt": "xml"},
        name="root",
    ),
    re_path(rf"^discovery{FMT}", views.discovery, name="discovery"),
    re_path(rf"^services{FMT}", views.services_list, name="services"),
    re_path(rf"^services/(?P<code>[0-9A-Za-z_-]+){FMT}", views.service_definition, name="service"),
    re_path(rf"^requests{FMT}", views.requests, name="requests"),
    re_path(rf"^requests/(?P<pk>[^/.]+){FMT}", views.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[^/.]+){FMT}", views.token, name="token"),
    re_path(rf"^servicerequestupdates{FMT}", views.updates, name="updates"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]
