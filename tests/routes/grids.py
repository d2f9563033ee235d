"""Routes of the grids app: the area tree, grid staff, patrols, hidden dangers, mobilization, the
resident register (rooms, households, residents, care tags, home visits, imports)."""

from tests.routes.expect import ADMIN, Expectation, detail, page, viewset

WORKER = ("grid_worker",)
KEEPERS = (*ADMIN, *WORKER)


def _target(**kwargs) -> Expectation:
    return detail("task", extra={"target": "target"}, **kwargs)


ROUTES = {
    "grids:tree": page(ok=ADMIN, sees=ADMIN),
    "grids:area": detail("area", ok=ADMIN),
    "grids:children": detail("area"),
    "field:patrols": page(ok=WORKER, sees=WORKER),
    "field:patrol_start": page(),
    "field:patrol": detail("patrol", ok=WORKER),
    "field:patrol_end": detail("patrol"),
    "field:finding_photo": detail("finding", extra={"size": lambda s: "thumb"}, binary=True),
    "field:dangers": page(ok=WORKER, sees=WORKER),
    "field:danger_new": page(),
    "field:danger": detail("danger", ok=WORKER),
    "field:danger_step": detail("danger", extra={"step": lambda s: "rectify"}),
    "field:danger_photo": detail(
        "danger", extra={"event": "danger_event", "size": lambda s: "thumb"}, binary=True
    ),
    "field:tasks": page(ok=ADMIN, sees=ADMIN),
    "field:task_new": page(),
    "field:task": detail("task", ok=ADMIN),
    "field:task_data": detail("task", ok=ADMIN),
    "field:task_close": detail("task"),
    "field:task_export": detail("task", binary=True),
    "field:take_part": detail("task"),
    "field:target": _target(ok=WORKER),
    "field:target_signup": _target(),
    "field:target_check": _target(),
    "field:target_complete": _target(),
    "field:signup_withdraw": detail("task", extra={"signup": "signup"}),
    "field:report_photo": detail("report", extra={"size": lambda s: "thumb"}, binary=True),
    **viewset("area", "area", actions=("ancestors", "children", "move", "subtree")),
    **viewset("staff", "staff"),
    **viewset("patrol", "patrol", actions=("end", "points"), sees=WORKER, ok=WORKER),
    **viewset("patrol-finding", "finding", sees=WORKER, ok=WORKER),
    **viewset("hidden-danger", "danger", actions=("events", "transitions")),
    # Reminders are read by the person reminded.
    **viewset("danger-reminder", "danger_reminder", sees=(), ok=()),
    **viewset("mobilization-task", "task", actions=("close", "coverage")),
    **viewset("mobilization-target", "target"),
    **viewset("mobilization-signup", "signup", sees=WORKER, ok=WORKER),
    **viewset("mobilization-report", "report"),
    # The resident register (people/): read by its keepers and viewers, kept by grid workers,
    # community dispatchers and street admins.
    "people:residents": page(ok=KEEPERS, sees=KEEPERS),
    "people:resident_export": page(ok=KEEPERS, binary=True),
    "people:resident": detail("resident", ok=KEEPERS, sees=KEEPERS),
    "people:resident_new": page(ok=KEEPERS),
    "people:resident_edit": detail("resident", ok=KEEPERS, sees=KEEPERS),
    "people:resident_reveal": detail("resident"),
    "people:resident_tag_add": detail("resident"),
    "people:resident_tag_remove": detail("resident", extra={"link": "resident_tag"}),
    "people:resident_step": detail("resident", extra={"step": lambda s: "move-out"}),
    "people:due": page(ok=KEEPERS, sees=KEEPERS),
    "people:handbooks": page(ok=KEEPERS, sees=KEEPERS),
    "people:handbook": detail("area", ok=KEEPERS, sees=KEEPERS),
    "people:import": page(ok=KEEPERS),
    "people:import_apply": page(),
    # A run belongs to the street it was imported into: its admin reads it, a grid worker not.
    "people:import_job": detail("import_run", ok=ADMIN, sees=ADMIN),
    "people:import_job_progress": detail("import_run", ok=ADMIN, sees=ADMIN),
    "people:import_template": Expectation(
        kwargs={"kind": lambda s: "residents"}, ok=KEEPERS, binary=True
    ),
    **viewset(
        "resident",
        "resident",
        actions=("death", "move-out", "reveal", "tags"),
        list_actions=("due",),
        sees=KEEPERS,
        ok=KEEPERS,
    ),
    **viewset("room", "room", sees=KEEPERS, ok=KEEPERS),
    **viewset("household", "household", sees=KEEPERS, ok=KEEPERS),
    **viewset("care-tag", "care_tag", sees=KEEPERS, ok=KEEPERS),
    **viewset("visit", "visit", sees=KEEPERS, ok=KEEPERS),
}
