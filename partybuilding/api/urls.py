from django.urls import path
from rest_framework.routers import DefaultRouter

from partybuilding.api.views import (
    cogovernance,
    compounds,
    meetings,
    organizations,
    positions,
    stations,
    visits,
    volunteers,
)

router = DefaultRouter()
router.register(
    "party/organizations", organizations.OrganizationViewSet, basename="party-organization"
)
router.register("party/posts", organizations.PostViewSet, basename="party-post")
router.register("party/members", organizations.MemberViewSet, basename="party-member")
router.register("party/dual-reports", organizations.DualReportViewSet, basename="dual-report")
router.register("party/units", cogovernance.UnitViewSet, basename="co-construction-unit")
router.register("party/agreements", cogovernance.AgreementViewSet, basename="pairing-agreement")
router.register("party/demands", cogovernance.DemandViewSet, basename="demand")
router.register("party/resources", cogovernance.ResourceViewSet, basename="resource")
router.register("party/projects", cogovernance.ProjectViewSet, basename="project")
router.register("party/wishes", cogovernance.WishViewSet, basename="micro-wish")
router.register("party/volunteers", volunteers.VolunteerViewSet, basename="volunteer")
router.register("party/activities", volunteers.ActivityViewSet, basename="activity")
router.register("party/participations", volunteers.ParticipationViewSet, basename="participation")
router.register("party/points", volunteers.PointEntryViewSet, basename="point-entry")
router.register("party/rewards", volunteers.RewardViewSet, basename="reward")
router.register("party/redemptions", volunteers.RedemptionViewSet, basename="redemption")
router.register("party/councils", meetings.CouncilViewSet, basename="council")
router.register("party/council-members", meetings.CouncilMemberViewSet, basename="council-member")
router.register("party/meeting-series", meetings.SeriesViewSet, basename="meeting-series")
router.register("party/meetings", meetings.MeetingViewSet, basename="meeting")
router.register("party/attendees", meetings.AttendeeViewSet, basename="meeting-attendee")
router.register("party/resolutions", meetings.ResolutionViewSet, basename="resolution")
router.register("party/positions", positions.PositionViewSet, basename="position")
router.register("party/position-hours", positions.PositionHoursViewSet, basename="position-hours")
router.register("party/rooms", positions.RoomViewSet, basename="position-room")
router.register("party/bookings", positions.BookingViewSet, basename="booking")
router.register("party/compounds", compounds.CompoundViewSet, basename="compound")
router.register(
    "party/owners-committees", compounds.OwnersCommitteeViewSet, basename="owners-committee"
)
router.register(
    "party/owners-committee-members",
    compounds.OwnersCommitteeMemberViewSet,
    basename="owners-committee-member",
)
router.register(
    "party/property-companies", compounds.PropertyCompanyViewSet, basename="property-company"
)
router.register(
    "party/property-contracts", compounds.PropertyContractViewSet, basename="property-contract"
)
router.register(
    "party/unit-point-rules", compounds.UnitPointRuleViewSet, basename="unit-point-rule"
)
router.register("party/unit-points", compounds.UnitPointEntryViewSet, basename="unit-point-entry")
router.register("party/consortia", compounds.ConsortiumViewSet, basename="consortium")
router.register(
    "party/consortium-members", compounds.ConsortiumMemberViewSet, basename="consortium-member"
)
router.register(
    "party/contact-stations", stations.ContactStationViewSet, basename="contact-station"
)
router.register("party/deputies", stations.DeputyViewSet, basename="deputy")
router.register("party/receptions", stations.ReceptionViewSet, basename="reception")
router.register("party/opinions", stations.OpinionViewSet, basename="station-opinion")

urlpatterns = [
    path("party/leaderboard/", volunteers.LeaderboardView.as_view(), name="party-leaderboard"),
    path("party/unit-ranking/", compounds.UnitRankingView.as_view(), name="party-unit-ranking"),
    path("visits/<int:pk>/demand/", visits.VisitDemandView.as_view(), name="api-visit-demand"),
    *router.urls,
]
