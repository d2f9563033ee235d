from django.urls import path
from rest_framework.routers import DefaultRouter

from governance.api import views

router = DefaultRouter()
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("changes", views.ObjectChangeViewSet, basename="change")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("auth/tokens", views.ApiTokenViewSet, basename="token")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("auth/token/", views.AuthTokenView.as_view(), name="api-token"),
    *router.urls,
]
