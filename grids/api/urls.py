from rest_framework.routers import DefaultRouter

from grids.api import views

router = DefaultRouter()
router.register("areas", views.AreaViewSet, basename="area")
router.register("staff", views.GridStaffViewSet, basename="staff")

urlpatterns = router.urls
