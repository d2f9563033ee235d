"""Django admin: every route of every registered model, tried by each street's admin (given every
permission on the project's models, see world.ADMIN_APPS)."""

from tests.routes.expect import ADMIN, Expectation, admin_model, known_defect, page

USERS = "a project's owner choices list users of every street"
_SITE = {"roles": ADMIN}
ROUTES = {
    "admin:index": page(ok=ADMIN, **_SITE),
    "admin:login": page(anonymous="public", writes=(), **_SITE),
    # Logging out ends the session the sweep reuses: tried anonymously only.
    "admin:logout": page(anonymous="public", roles=(), writes=()),
    "admin:password_change": page(ok=ADMIN, **_SITE),
    "admin:password_change_done": page(**_SITE),
    "admin:autocomplete": page(**_SITE),
    "admin:jsi18n": page(anonymous="public", **_SITE),
    "admin:view_on_site": Expectation(
        kwargs={
            "content_type_id": lambda s: s.content_type("casework.case"),
            "object_id": "case",
        },
        **_SITE,
    ),
    "admin:app_list": Expectation(kwargs={"app_label": lambda s: "casework"}, **_SITE),
    # The admin's catch-all for unknown addresses.
    "admin/(?P<url>.*)$": Expectation(kwargs={"url": lambda s: "no/such/page/"}, **_SITE),
    "admin:auth_user_password_change": Expectation(kwargs={"id": "user"}, **_SITE),
    # Models of libraries: only a superuser manages them.
    **admin_model("auth.group", None),
    **admin_model("axes.accessattempt", None),
    **admin_model("axes.accesslog", None),
    **admin_model("axes.accessfailurelog", None),
    # governance
    **admin_model("governance.user", "user"),
    **admin_model("governance.roleassignment", "role_assignment"),
    **admin_model("governance.department", "department"),
    **admin_model("governance.objectchange", "change"),
    **admin_model("governance.calendarday", None),
    **admin_model("governance.workinghours", "working_hours", sees=False),
    **admin_model("governance.notification", "notification"),
    **admin_model("governance.delivery", None),
    **admin_model("governance.apitoken", "token"),
    **admin_model("governance.webhookendpoint", "webhook"),
    **admin_model("governance.webhookdelivery", None),
    # grids
    **admin_model("grids.area", "area"),
    **admin_model("grids.gridstaff", "staff"),
    **admin_model("grids.patrol", "patrol", sees=False),
    **admin_model("grids.patrolpoint", "patrol_point", sees=False),
    **admin_model("grids.patrolfinding", "finding"),
    **admin_model("grids.hiddendanger", "danger"),
    **admin_model("grids.hiddendangerevent", "danger_event", sees=False),
    **admin_model("grids.dangerreminder", "danger_reminder", sees=False),
    **admin_model("grids.mobilizationtask", "task"),
    **admin_model("grids.mobilizationtarget", "target"),
    **admin_model("grids.mobilizationsignup", "signup", sees=False),
    **admin_model("grids.mobilizationreport", "report", sees=False),
    **admin_model("grids.room", "room"),
    **admin_model("grids.household", "household"),
    **admin_model("grids.resident", "resident"),
    **admin_model("grids.caretag", "care_tag"),
    **admin_model("grids.visit", "visit"),
    **admin_model("grids.importrun", "import_run"),
    # casework
    **admin_model("casework.category", None),
    **admin_model("casework.timelimit", None),
    **admin_model("casework.responsetemplate", None),
    **admin_model("casework.case", "case"),
    **admin_model("casework.caseevent", "case_event", sees=False),
    **admin_model("casework.attachment", "attachment", sees=False),
    **admin_model("casework.casecounter", "case_counter", sees=False),
    **admin_model("casework.reminder", "reminder", sees=False),
    **admin_model("casework.deadlinerequest", "deadline_request", sees=False),
    **admin_model("casework.supervisionorder", "supervision_order", sees=False),
    **admin_model("casework.jurisdiction", "jurisdiction", sees=False),
    **admin_model("casework.servicedefinition", None),
    **admin_model("casework.serviceattribute", None),
    **admin_model("casework.apikey", "api_key"),
    **admin_model("casework.intake", "intake", sees=False),
    # partybuilding
    **admin_model("partybuilding.partyorganization", "organization"),
    **admin_model("partybuilding.organizationpost", "post", sees=False),
    **admin_model("partybuilding.partymember", "member"),
    **admin_model("partybuilding.dualreport", "dual_report", sees=False),
    **admin_model("partybuilding.dualreportservice", "dual_report_service", sees=False),
    **admin_model("partybuilding.coconstructionunit", "unit"),
    **admin_model("partybuilding.pairingagreement", "agreement", sees=False),
    **admin_model("partybuilding.demand", "demand"),
    **admin_model("partybuilding.resource", "resource"),
    **admin_model("partybuilding.project", "project"),
    **admin_model("partybuilding.projectupdate", "project_update", sees=False),
    **admin_model("partybuilding.microwish", "wish"),
    **admin_model("partybuilding.volunteer", "volunteer"),
    **admin_model("partybuilding.activity", "activity"),
    **admin_model("partybuilding.participation", "participation", sees=False),
    **admin_model("partybuilding.pointentry", "point_entry", sees=False),
    **admin_model("partybuilding.reward", "reward"),
    **admin_model("partybuilding.redemption", "redemption", sees=False),
    **admin_model("partybuilding.council", "council"),
    **admin_model("partybuilding.councilmember", "council_member"),
    **admin_model("partybuilding.meetingseries", "meeting_series"),
    **admin_model("partybuilding.meeting", "meeting"),
    **admin_model("partybuilding.meetingattendee", "attendee"),
    **admin_model("partybuilding.resolution", "resolution"),
    **admin_model("governance.personaldataaccess", "access"),
}

known_defect(
    ROUTES,
    USERS,
    # A project's owners are chosen from every user.
    "admin:partybuilding_project_add",
    "admin:partybuilding_project_change",
)
