from django.urls import path
from rest_framework.routers import DefaultRouter

from partybuilding.api import views

router = DefaultRouter()
router.register("party/organizations", views.OrganizationViewSet, basename="party-organization")
router.register("party/posts", views.PostViewSet, basename="party-post")
router.register("party/members", views.MemberViewSet, basename="party-member")
router.register("party/dual-reports", views.DualReportViewSet, basename="dual-report")
router.register("party/units", views.UnitViewSet, basename="co-construction-unit")
router.register("party/agreements", views.AgreementViewSet, basename="pairing-agreement")
router.register("party/demands", views.DemandViewSet, basename="demand")
router.register("party/resources", views.ResourceViewSet, basename="resource")
router.register("party/projects", views.ProjectViewSet, basename="project")
router.register("party/wishes", views.WishViewSet, basename="micro-wish")
router.register("party/volunteers", views.VolunteerViewSet, basename="volunteer")
router.register("party/activities", views.ActivityViewSet, basename="activity")
router.register("party/participations", views.ParticipationViewSet, basename="participation")
router.register("party/points", views.PointEntryViewSet, basename="point-entry")
router.register("party/rewards", views.RewardViewSet, basename="reward")
router.register("party/redemptions", views.RedemptionViewSet, basename="redemption")
router.register("party/councils", views.CouncilViewSet, basename="council")
router.register("party/council-members", views.CouncilMemberViewSet, basename="council-member")
router.register("party/meeting-series", views.SeriesViewSet, basename="meeting-series")
router.register("party/meetings", views.MeetingViewSet, basename="meeting")
router.register("party/attendees", views.AttendeeViewSet, basename="meeting-attendee")
router.register("party/resolutions", views.ResolutionViewSet, basename="resolution")

urlpatterns = [
    path("party/leaderboard/", views.LeaderboardView.as_view(), name="party-leaderboard"),
    *router.urls,
]
