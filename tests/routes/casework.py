"""Routes of the casework app: cases, deadlines and supervision, patrol findings turned into cases,
Open311 and the residents' pages."""

from tests.routes.expect import ADMIN, API_WRITES, PUBLIC, Expectation, detail, page, viewset


def _open311(**kwargs) -> Expectation:
    return Expectation(anonymous=PUBLIC, **kwargs)


def _global(key: str):
    """A record that belongs to no street (both streets' users may read it)."""
    return lambda s: s.objects[key].pk


JSON = {"fmt": lambda s: "json"}

ROUTES = {
    "casework:list": page(ok=ADMIN, sees=ADMIN),
    "casework:inbox": page(ok=("department_handler",), sees=("department_handler",)),
    "casework:new": page(ok=("grid_worker",)),
    "casework:duplicates": page(),
    # The micro-grids and buildings around the filing area (the map and building list).
    "casework:places": page(ok=("grid_worker",)),
    "casework:export": page(ok=ADMIN, sees=ADMIN),
    "casework:detail": detail("case", ok=ADMIN, sees=ADMIN),
    "casework:reporter_reveal": detail("case", ok=ADMIN, sees=ADMIN),
    "casework:step": detail("case", extra={"step": lambda s: "acknowledge"}),
    "casework:photo": detail(
        "case", extra={"attachment": "attachment", "size": lambda s: "thumb"}, binary=True
    ),
    # Photos uploaded while filing: POST only; a draft is seen by its uploader alone.
    "casework:photo_draft_upload": page(),
    "casework:photo_draft": detail("photo_draft", ok=ADMIN, binary=True),
    # Background exports: each is its owner's alone (street A's admin here).
    "casework:export_job": detail("case_export", ok=ADMIN, sees=ADMIN),
    "casework:export_file": detail("case_export", ok=ADMIN, binary=True),
    **viewset("case-export", "case_export", actions=("file",)),
    "deadlines:desk": page(ok=ADMIN, sees=ADMIN),
    "deadlines:order": detail("supervision_order", ok=ADMIN),
    "deadlines:answer": detail("supervision_order"),
    "deadlines:decide": detail("deadline_request"),
    "deadlines:case": detail("case"),
    "deadlines:request": detail("case"),
    "deadlines:resume": detail("case"),
    "deadlines:order_new": detail("case"),
    "fieldcases:finding_new": detail("patrol"),
    "fieldcases:finding_case": detail("finding"),
    "fieldcases:danger_escalate": detail("danger"),
    "fieldcases:visit_new": detail("resident", ok=("grid_worker",)),
    "api-visit-case": detail("visit", writes=("POST",)),
    # Open311 GeoReport v2 and the residents' pages are public by design (reads need no key,
    # a resident's tracking token is the key to their own report).
    "open311:root": _open311(),
    "open311:discovery": _open311(kwargs=JSON),
    "open311:services": _open311(kwargs=JSON),
    "open311:service": _open311(kwargs={"code": lambda s: "0101", **JSON}),
    "open311:requests": _open311(kwargs=JSON),
    "open311:request": _open311(kwargs={"pk": lambda s: s.objects["case"].number, **JSON}),
    "open311:token": _open311(kwargs={"token": lambda s: s.objects["intake"].token, **JSON}),
    "open311:updates": _open311(kwargs=JSON),
    "open311:not-found": _open311(kwargs={"path": lambda s: "nothing.json"}),
    "residents:lookup": _open311(),
    "residents:track": _open311(kwargs={"token": lambda s: s.objects["intake"].token}),
    "residents:photo": _open311(
        kwargs={"pk": "attachment", "size": lambda s: "thumb"}, binary=True
    ),
    "residents:report": _open311(kwargs={"street_code": lambda s: s.areas["street"].code}),
    "residents:code": _open311(kwargs={"street_code": lambda s: s.areas["street"].code}),
    "residents:buildings": _open311(kwargs={"street_code": lambda s: s.areas["street"].code}),
    **viewset(
        "case",
        "case",
        actions=("attachments", "events", "resume", "reveal", "transitions"),
        list_actions=("duplicates",),
    ),
    "case-event-list": page(ok=ADMIN, sees=ADMIN),
    **viewset("category", None, sees=()),
    "category-detail": Expectation(kwargs={"pk": _global("category")}, ok=ADMIN),
    **viewset("response-template", None, sees=()),
    "response-template-detail": Expectation(kwargs={"pk": lambda s: 987654}),
    **viewset("deadline-request", "deadline_request", actions=("approve", "refuse")),
    **viewset("supervision-order", "supervision_order", actions=("answer",)),
    "api-finding-case": detail("finding", writes=("POST",)),
    "api-danger-escalate": detail("danger", writes=("POST",)),
    # The dashboard, its figures in the API, the monthly ranking and bulletin.
    "stats:dashboard": page(ok=ADMIN, sees=ADMIN),
    "stats:export": page(ok=ADMIN, binary=True),
    # The cases of one group of the map (JSON); without the group's cell, a 400 naming it.
    "stats:map-cases": page(ok=ADMIN, ok_status=(400,), binary=True),
    "stats:ranking": page(ok=ADMIN, sees=ADMIN),
    "stats:bulletin": page(ok=ADMIN, sees=ADMIN),
    "stats:bulletin-export": page(ok=ADMIN, binary=True),
    # Wall links: the street admin's page; the wall itself opens by its key, without a login.
    "stats:wall-links": page(ok=ADMIN, sees=ADMIN),
    "stats:wall-link-revoke": detail("wall_token"),
    "wall:screen": Expectation(
        anonymous=PUBLIC, kwargs={"key": lambda s: s.objects["wall_token"].key}
    ),
    "wall:feed": Expectation(
        anonymous=PUBLIC, kwargs={"key": lambda s: s.objects["wall_token"].key}
    ),
    "stats-summary": page(ok=ADMIN, sees=ADMIN, writes=API_WRITES),
    "stats-areas": page(ok=ADMIN, sees=ADMIN, writes=API_WRITES),
    "stats-departments": page(ok=ADMIN, sees=ADMIN, writes=API_WRITES),
}
