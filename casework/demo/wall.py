"""The demo street's wall screen link (指挥中心大屏): made once, its address printed that once."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from casework.stats import wall
from casework.stats.wall_models import WallToken
from governance.demo import DemoContext
from governance.models import Role

NAME = "指挥中心大厅大屏"


def seed_wall(ctx: DemoContext) -> None:
    street = ctx.data["street"]
    token = WallToken.objects.filter(area=street, name=NAME, revoked_at=None).first()
    if token is not None:
        ctx.say(f"  the wall screen link exists ({token.prefix}…): revoke it and make a new one")
        ctx.say("  on /dashboard/wall-links/ (as jiedao) to see an address again")
        return
    token, key = wall.wall_token_issue(
        actor=ctx.data["users"][Role.STREET_ADMIN], area=street, name=NAME
    )
    base = settings.PORTAL_BASE_URL.rstrip("/")
    ctx.say(f"  wall screen (no login, shown only now): {base}{reverse('wall:screen', args=[key])}")
