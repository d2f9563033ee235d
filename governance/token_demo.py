"""The demo's API tokens: programs that already call the API for some of the demo users, so that
"my account" and the admin's token list show what a street in use looks like."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from governance.demo import DemoContext
from governance.models import ApiToken, Role
from governance.tokens import token_issue

# (role, token name, hours since its last use; None: never used)
DEMO_TOKENS = [
    (Role.GRID_WORKER, "巡查App（华为手机）", 2),
    (Role.STREET_ADMIN, "数据大屏对接", 20),
    (Role.STREET_ADMIN, "12345热线工单同步", None),
]


def seed_api_tokens(ctx: DemoContext) -> None:
    users = ctx.data["users"]
    made = 0
    for role, name, hours in DEMO_TOKENS:
        user = users[role]
        if ApiToken.objects.filter(user=user, name=name).exists():
            continue
        token, _key = token_issue(user=user, name=name)
        if hours is not None:
            ApiToken.objects.filter(pk=token.pk).update(
                last_used_at=timezone.now() - timedelta(hours=hours)
            )
        made += 1
    ctx.say(f"  {ApiToken.objects.count()} API tokens ({made} new; their keys were never shown)")
    # The street admin reads and revokes the tokens of the users they manage in the admin.
    users[Role.STREET_ADMIN].user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="governance",
            codename__in=("view_apitoken", "delete_apitoken"),
        )
    )
