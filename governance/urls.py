from django.contrib import admin
from django.urls import include, path

from governance import views
from governance.api.docs import DocsView, RedocView, SchemaView

api_v1 = [
    path("", include("governance.api.urls")),
    path("", include("grids.api.urls")),
    path("", include("casework.api.urls")),
    path("", include("casework.deadlines.api.urls")),
    path("", include("casework.api.patrol_urls")),
    path("", include("casework.stats.api.urls")),
    path("", include("partybuilding.api.urls")),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

urlpatterns = [
    # First: the API answers machines at rate (filing at 100 cases a second), and Django tries
    # the patterns in order; every other prefix below is distinct from it.
    path("api/v1/", include(api_v1)),
    path("", views.home, name="home"),
    path("", include("governance.account_urls")),
    path("health/", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("changelog/", views.ChangeLogView.as_view(), name="changelog"),
    path("access-log/", views.AccessLogView.as_view(), name="access-log"),
    path("notifications/", include("governance.notification_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("areas/", include("grids.urls")),
    path("cases/", include("casework.urls")),
    path("cases/", include("casework.deadlines.urls")),
    path("dashboard/", include("casework.stats.urls")),
    path("wall/", include("casework.stats.wall_urls")),
    path("field/", include("grids.field_urls")),
    path("field/", include("casework.patrol_urls")),
    path("people/", include("grids.resident_urls")),
    path("party/", include("partybuilding.urls")),
    path("open311/v2/", include("casework.open311.urls")),
    path("report/", include("casework.open311.resident_urls")),
    path("admin/", admin.site.urls),
]

# No uploaded file is served from MEDIA_URL, not even in development: each has a view that
# checks the record's scope (governance.files).
handler404 = "governance.views.page_not_found"
handler500 = "governance.views.server_error"
