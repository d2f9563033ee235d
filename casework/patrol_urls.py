"""Casework's field-work pages (mounted at /field/ beside the grids app's)."""

from django.urls import path

from casework import patrol_views, visit_views

app_name = "fieldcases"

urlpatterns = [
    path("patrols/<int:pk>/findings/new/", patrol_views.finding_new, name="finding_new"),
    path("findings/<int:pk>/case/", patrol_views.finding_case, name="finding_case"),
    path("dangers/<int:pk>/escalate/", patrol_views.danger_escalate, name="danger_escalate"),
    path("residents/<int:pk>/visit/", visit_views.visit_new, name="visit_new"),
]
