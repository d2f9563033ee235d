from django.urls import path

from partybuilding import views

app_name = "partybuilding"

urlpatterns = [
    path("", views.home, name="home"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization"),
    path("members/", views.members, name="members"),
    path("members/new/", views.member_new, name="member-new"),
    path("identity/", views.identity_index, name="identity"),
    path("identity/<int:pk>/", views.identity_card, name="identity-card"),
    path("dual-reports/", views.dual_reports, name="dual-reports"),
    path("dual-reports/new/", views.dual_report_new, name="dual-report-new"),
    path("dual-reports/<int:pk>/", views.dual_report_detail, name="dual-report"),
    path("dual-reports/<int:pk>/feedback/", views.feedback_sheet, name="feedback-sheet"),
    path("units/", views.units, name="units"),
    path("agreements/", views.agreements, name="agreements"),
    path("lists/", views.lists, name="lists"),
    path("demands/", views.demands, name="demands"),
    path("demands/new/", views.demand_new, name="demand-new"),
    path("demands/<int:pk>/match/", views.demand_match, name="demand-match"),
    path("resources/", views.resources, name="resources"),
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("results/<int:pk>/", views.project_result, name="project-result"),
    path("wishes/", views.wishes, name="wishes"),
    path("wishes/new/", views.wish_new, name="wish-new"),
    path("wishes/<int:pk>/", views.wish_action, name="wish-action"),
    path("activities/", views.activities, name="activities"),
    path("activities/new/", views.activity_new, name="activity-new"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("volunteers/", views.volunteers, name="volunteers"),
    path("volunteers/<int:pk>/", views.volunteer_detail, name="volunteer"),
    path("me/", views.my_volunteering, name="me"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
]
