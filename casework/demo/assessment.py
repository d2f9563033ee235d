"""The demo street's assessment scheme (网格化管理月度考核办法) and its last three months frozen,
with a manual score or two from the center."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from casework.stats import assessment
from casework.stats.models import AssessmentItem, AssessmentScheme, ManualScore
from governance.demo import DemoContext
from governance.models import Role
from grids.models import Area, AreaKind

COMPUTED = (
    # name, figure, target, weight
    ("响应及时", "response_rate", 95, 25),
    ("问题解决", "resolution_rate", 90, 25),
    ("群众满意", "satisfaction_rate", 90, 20),
    ("按期办结", "on_time_rate", 90, 10),
    ("处置效率", "handling_hours", 16, 10),
)
MONTHS = 3


def seed_assessment(ctx: DemoContext) -> None:
    street = ctx.data["street"]
    if AssessmentScheme.objects.filter(street=street).exists():
        ctx.say("  assessment scheme exists already: left as it is")
        return
    scheme = AssessmentScheme.objects.create(street=street, name="网格化管理月度考核办法")
    for order, (name, figure, target, weight) in enumerate(COMPUTED, start=1):
        AssessmentItem.objects.create(
            scheme=scheme,
            name=name,
            kind=AssessmentItem.Kind.COMPUTED,
            figure=figure,
            target=Decimal(target),
            weight=Decimal(weight),
            order=order,
        )
    discipline = AssessmentItem.objects.create(
        scheme=scheme,
        name="工作纪律与台账",
        kind=AssessmentItem.Kind.MANUAL,
        weight=Decimal(10),
        full_marks=Decimal(10),
        order=len(COMPUTED) + 1,
    )
    users = ctx.data["users"]
    center = users[Role.CENTER_SUPERVISOR]
    _grant_admin_permissions(users[Role.STREET_ADMIN])
    today = timezone.localdate()
    months = []
    month = today.replace(day=1)
    for _i in range(MONTHS):
        month = assessment.previous_month(month)
        months.append(month)
    communities = list(
        Area.objects.within(street, include_self=False)
        .filter(kind=AreaKind.COMMUNITY)
        .order_by(*Area.tree_order())
    )
    notes = ("台账更新不及时", "例会缺席一次", "网格巡查记录缺漏")
    for index, (community, note) in enumerate(zip(communities, notes, strict=False)):
        ManualScore.objects.create(
            item=discipline,
            month=months[index % len(months)],
            area=community,
            score=Decimal(7 + index),
            note=note,
            entered_by=center,
        )
    for month in reversed(months):
        following = (month + timedelta(days=32)).replace(day=1)
        frozen_at = timezone.make_aware(
            timezone.datetime.combine(following, timezone.datetime.min.time())
        ) + timedelta(minutes=30)
        assessment.assessment_freeze(scheme=scheme, month=month, now=frozen_at)
    ctx.say(f"  assessment scheme with {len(COMPUTED) + 1} items, {MONTHS} months frozen")


def _grant_admin_permissions(user) -> None:
    """The street admin keeps the scheme and the manual scores and may recompute a month."""
    from django.contrib.auth.models import Permission

    codenames = [
        f"{action}_{model}"
        for model in ("assessmentscheme", "assessmentitem", "manualscore")
        for action in ("view", "add", "change", "delete")
    ]
    codenames += [
        "view_assessmentmonth",
        "change_assessmentmonth",
        "view_assessmentresult",
        "view_assessmentrecompute",
    ]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="casework", codename__in=codenames)
    )


def seed_stats_rollup(ctx: DemoContext) -> None:
    """The statistics rollups take in every demo case (the first read would otherwise)."""
    from casework.stats import rollup

    changed = rollup.catch_up(margin=rollup.TASK_MARGIN)
    ctx.say(f"  {changed} cases counted into the statistics rollups")
