"""Routes of the composition root and of governance: accounts, change log, notifications, tokens,
departments, the API's root, schema and docs."""

from tests.routes.expect import ADMIN, PUBLIC, detail, page, viewset

ROUTES = {
    "home": page(ok=ADMIN, ok_status=(200, 302)),
    "account": page(ok=ADMIN),
    "account-token-new": page(),
    "account-token-revoke": detail("token"),
    "login": page(anonymous=PUBLIC, writes=()),
    # Logging out ends the session the sweep reuses: tried anonymously only.
    "logout": page(anonymous=PUBLIC, roles=(), writes=()),
    "password_change": page(ok=ADMIN),
    "password_change_done": page(),
    # 503 while Redis or the workers are down (no worker runs in the tests).
    "health": page(anonymous=PUBLIC, allowed_errors=(503,)),
    # A redirect to the static icon, for every visitor.
    "favicon": page(anonymous=PUBLIC, writes=()),
    # The installable portal: the same for everyone, nothing personal in them.
    "manifest": page(anonymous=PUBLIC, writes=()),
    "service_worker": page(anonymous=PUBLIC, writes=()),
    "offline": page(anonymous=PUBLIC, writes=()),
    "changelog": page(ok=ADMIN, sees=ADMIN),
    "access-log": page(ok=ADMIN, sees=ADMIN),
    "notifications:list": page(ok=("community_dispatcher",), sees=("community_dispatcher",)),
    "notifications:read_all": page(),
    "notifications:open": detail("notification"),
    "notifications:read": detail("notification"),
    "set_language": page(anonymous=PUBLIC),
    "api-me": page(ok=ADMIN),
    # The token login answers anonymous callers (400 without credentials).
    "api-token": page(anonymous=PUBLIC),
    "api-root": page(),
    # Generating the schema takes seconds: one user of each street.
    "api-schema": page(ok=ADMIN, roles=ADMIN, writes=()),
    "api-docs": page(),
    "api-redoc": page(),
    **viewset("department", "department"),
    **viewset("change", "change"),
    **viewset(
        "notification",
        "notification",
        actions=("read",),
        list_actions=("read-all", "unread-count"),
        sees=("community_dispatcher",),
        ok=("community_dispatcher",),
    ),
    **viewset("token", "token", sees=("community_dispatcher",), ok=("community_dispatcher",)),
}
