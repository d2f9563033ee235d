from rest_framework.routers import SimpleRouter

from casework.stats.api import views

router = SimpleRouter()
router.register("stats", views.StatsViewSet, basename="stats")

urlpatterns = router.urls
