from rest_framework.routers import DefaultRouter

from grids.api import field_views, resident_views, views

router = DefaultRouter()
router.register("areas", views.AreaViewSet, basename="area")
router.register("staff", views.GridStaffViewSet, basename="staff")
router.register("patrols", field_views.PatrolViewSet, basename="patrol")
router.register("patrol-findings", field_views.PatrolFindingViewSet, basename="patrol-finding")
router.register("hidden-dangers", field_views.HiddenDangerViewSet, basename="hidden-danger")
router.register("danger-reminders", field_views.DangerReminderViewSet, basename="danger-reminder")
router.register(
    "mobilization-tasks", field_views.MobilizationTaskViewSet, basename="mobilization-task"
)
router.register(
    "mobilization-targets", field_views.MobilizationTargetViewSet, basename="mobilization-target"
)
router.register(
    "mobilization-signups", field_views.MobilizationSignupViewSet, basename="mobilization-signup"
)
router.register(
    "mobilization-reports", field_views.MobilizationReportViewSet, basename="mobilization-report"
)
router.register("residents", resident_views.ResidentViewSet, basename="resident")
router.register("rooms", resident_views.RoomViewSet, basename="room")
router.register("households", resident_views.HouseholdViewSet, basename="household")
router.register("care-tags", resident_views.CareTagViewSet, basename="care-tag")
router.register("visits", resident_views.VisitViewSet, basename="visit")

urlpatterns = router.urls
