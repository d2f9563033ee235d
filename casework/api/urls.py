from rest_framework.routers import DefaultRouter

from casework.api import views

router = DefaultRouter()
router.register("cases", views.CaseViewSet, basename="case")
router.register("case-exports", views.CaseExportViewSet, basename="case-export")
router.register("case-events", views.CaseEventViewSet, basename="case-event")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("response-templates", views.ResponseTemplateViewSet, basename="response-template")

urlpatterns = router.urls
