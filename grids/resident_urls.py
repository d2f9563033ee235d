"""The resident register (mounted at /people/)."""

from django.urls import path

from grids import import_views, resident_edit_views
from grids import resident_views as views

app_name = "people"

urlpatterns = [
    path("residents/", views.resident_list, name="residents"),
    path("residents/export/", views.resident_export, name="resident_export"),
    path("residents/new/", resident_edit_views.resident_new, name="resident_new"),
    path("residents/<int:pk>/edit/", resident_edit_views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("residents/<int:pk>/tags/", views.resident_tag_add, name="resident_tag_add"),
    path(
        "residents/<int:pk>/tags/<int:link>/remove/",
        views.resident_tag_remove,
        name="resident_tag_remove",
    ),
    path("residents/<int:pk>/steps/<str:step>/", views.resident_step, name="resident_step"),
    path("visits/due/", views.visits_due, name="due"),
    path("handbook/", views.handbook_index, name="handbooks"),
    path("import/", import_views.import_start, name="import"),
    path("import/apply/", import_views.import_apply, name="import_apply"),
    path("import/jobs/<int:pk>/", import_views.import_job, name="import_job"),
    path(
        "import/jobs/<int:pk>/progress/",
        import_views.import_job_progress,
        name="import_job_progress",
    ),
    path("import/templates/<str:kind>/", import_views.import_template, name="import_template"),
    path("handbook/<int:pk>/", views.handbook, name="handbook"),
]
