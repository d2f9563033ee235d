"""Routes of the grids app: the area tree, grid staff, patrols, hidden dangers, mobilization."""

from tests.routes.expect import ADMIN, Expectation, detail, page, viewset

WORKER = ("grid_worker",)


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
}
