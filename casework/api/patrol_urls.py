"""Casework's field-work endpoints: a patrol finding filed as a case, a hidden danger escalated
as one."""

from django.urls import path

from casework.api import patrol_views

urlpatterns = [
    path(
        "patrol-findings/<int:pk>/case/",
        patrol_views.FindingCaseView.as_view(),
        name="api-finding-case",
    ),
    path(
        "hidden-dangers/<int:pk>/escalate/",
        patrol_views.DangerEscalateView.as_view(),
        name="api-danger-escalate",
    ),
    path("visits/<int:pk>/case/", patrol_views.VisitCaseView.as_view(), name="api-visit-case"),
]
