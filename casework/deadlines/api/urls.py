from rest_framework.routers import DefaultRouter

from casework.deadlines.api import views

router = DefaultRouter()
router.register("deadline-requests", views.DeadlineRequestViewSet, basename="deadline-request")
router.register("supervision-orders", views.SupervisionOrderViewSet, basename="supervision-order")

urlpatterns = router.urls
