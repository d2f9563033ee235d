"""The wall screen (指挥大屏): its link tokens and its data feed.

The wall computer in the grid center opens ``/wall/<key>/`` and needs no personal login: the key
is a read-only link token scoped to one area (:class:`WallToken`). It opens that page and its
feed and nothing else — no other view reads it, it is not a session and not an API token.
A street administrator issues and revokes tokens for areas they administer (the portal page and
the admin both call the services here).

Why short polling and not server-sent events: the embedded default serves with a few threads
and several web processes sit behind the proxy in production; an open SSE stream would hold a
thread (a sync worker) per wall for ever, and a new case filed through another process would need
a broker to reach it. A poll every few seconds is a plain short GET that any process answers from
the database, so it works the same on the embedded default and under several processes, and a
server restart or a lost connection costs nothing but the polls that failed (the page retries
with backoff and says it is reconnecting).
"""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from casework.models import Case, CaseEvent, Holder, Status
from casework.stats import compute, periods, rollup
from casework.stats.figures import FIGURES, RATES
from casework.stats.wall_models import WallLinkState, WallToken
from casework.workflow import step_label
from governance.keys import PREFIX_LENGTH, key_digest, new_key
from governance.models import Role
from governance.scopes import can_change_under, changeable, reachable
from governance.tokens import touch_last_used
from grids.models import Area, AreaKind

# The roles that issue and revoke wall links.
WALL_ADMIN_ROLES = frozenset({Role.STREET_ADMIN})
# A wall's area: a street, a community or a grid (the levels a wall shows sensibly).
WALL_AREA_KINDS = (AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID)
# The page polls this often (seconds); the backoff after failures doubles up to the maximum.
POLL_SECONDS = 5
MAX_BACKOFF_SECONDS = 60
# How many rows each list of the feed carries (today's cases: the most the wall's map keeps).
NEW_CASES = 200
# A poll sends the newest case the wall already holds (``after``) and gets only newer ones; once
# this often (seconds) the page asks for the whole list instead, which takes in a filing that
# committed after a newer one was shown and drops cases moved out of the area.
FULL_LIST_SECONDS = 60
LATEST_EVENTS = 12
LIST_ROWS = 8
# The month's rates and ranking are recomputed at most this often per area (seconds).
MONTH_CACHE_SECONDS = 60
# Today's figures on the wall, and this month's rates.
TODAY_FIGURES = ("reported", "accepted", "closed", "open", "near_due", "overdue", "escalated")
MONTH_RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")


# -- tokens -------------------------------------------------------------------------------
def wall_areas_for(user) -> QuerySet[Area]:
    """The areas ``user`` may put on a wall: inside the scope of their street-admin roles, of
    the kinds a wall shows."""
    return reachable(
        user, Area.objects.filter(kind__in=WALL_AREA_KINDS), WALL_ADMIN_ROLES
    ).order_by(*Area.tree_order())


def wall_tokens_for(user) -> QuerySet[WallToken]:
    """The wall links ``user`` manages (their street's), newest first."""
    return changeable(user, WallToken.objects.select_related("area", "created_by"))


def wall_token_issue(
    *, actor, area: Area, name: str, expires_at: datetime | None = None
) -> tuple[WallToken, str]:
    """Issue a link token for ``area``'s wall, valid until ``expires_at`` (None: until revoked);
    return it with its key. Only a street admin of the area may (PermissionDenied otherwise).
    The key is not stored, only its digest, and cannot be shown again."""
    if not can_change_under(actor, area, WALL_ADMIN_ROLES):
        raise PermissionDenied(_("Only the street's administrator may make a wall link."))
    if area.kind not in WALL_AREA_KINDS:
        raise ValidationError({"area": _("A wall shows a street, a community or a grid.")})
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the link a name (where the wall hangs).")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("A link's end of validity lies in the future.")})
    key = new_key()
    token = WallToken.objects.create(
        name=name[: WallToken._meta.get_field("name").max_length],
        area=area,
        prefix=key[:PREFIX_LENGTH],
        digest=key_digest(key),
        created_by=actor,
        expires_at=expires_at,
    )
    return token, key


def wall_token_revoke(*, actor, token: WallToken) -> bool:
    """Revoke ``token``: its key stops opening the wall at the next poll. One conditional update
    (a second revoke changes nothing); True when this call revoked it."""
    if not changeable(actor, WallToken.objects.filter(pk=token.pk)).exists():
        raise PermissionDenied(_("Only the street's administrator may revoke this wall link."))
    now = timezone.now()
    done = WallToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now)
    if done:
        token.revoked_at = now
    return bool(done)


def wall_token_lookup(key: str) -> tuple[WallToken | None, str]:
    """The token with this key (with its area) and what it does now
    (:meth:`WallToken.state`): ``(token, "live")``, ``(token, "revoked" or "expired")``, or
    ``(None, "unknown")``. The wall says which, so that nobody stares at a frozen screen."""
    token = None
    if key and len(key) <= 100:
        token = WallToken.objects.select_related("area").filter(digest=key_digest(key)).first()
    if token is None:
        return None, WallLinkState.UNKNOWN
    return token, token.state()


def wall_link_gone_message(state: str) -> str:
    """What the wall shows when its link no longer opens it (revoked, expired, unknown)."""
    if state == WallLinkState.REVOKED:
        return _("This wall link has been revoked. Please contact the grid center.")
    if state == WallLinkState.EXPIRED:
        return _("This wall link has expired. Please contact the grid center.")
    return _("This wall link is not valid. Please contact the grid center.")


def wall_token_touch(*, token: WallToken) -> None:
    """Record that ``token`` was used now, by :func:`governance.tokens.touch_last_used` (at most
    once a ``LAST_USED_RESOLUTION``), so that a wall polling every few seconds does not write on
    every poll."""
    touch_last_used(token)


# -- the feed -------------------------------------------------------------------------------
def wall_cases(area: Area) -> QuerySet[Case]:
    """The cases the wall of ``area`` shows: its subtree's (the token's whole scope)."""
    return Case.objects.filter(Area.subtree_q(area, prefix="area__"))


def _when(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _case_row(case: Case, holders: dict) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "category": case.category.name,
        "area": case.area.name,
        "status": str(Status(case.status).label),
        "holder": case.department.name if case.department_id else str(holders.get(case.holder, "")),
        "reported_at": _when(case.reported_at),
        "due_at": _when(case.due_at),
        "lat": float(case.latitude) if case.latitude is not None else None,
        "lng": float(case.longitude) if case.longitude is not None else None,
    }


def _month_part(source: rollup.Subtree, area: Area, month: periods.Period, now: datetime) -> dict:
    """This month's rates and the ranking of the areas below, from the rollups as on the
    dashboard (``compute.count_by`` over a ``rollup.Subtree``: the same figures, one home),
    shared by every wall of the area and every web process through the cache for
    MONTH_CACHE_SECONDS; a ranking a minute old is fine on a wall, today's figures and lists
    are read at every poll."""
    key = f"wall-month:{area.pk}:{month.first:%Y%m}:{get_language()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    month_figures = compute.count_by(source, month, now, ("area_id",))
    month_total = compute.regroup(month_figures, None)[None]
    ranking = sorted(
        (
            {
                "name": child.name,
                "reported": f["reported"],
                "closed": f["closed"],
                "overdue": f["overdue"],
                "resolution_rate": f.rate("resolution_rate"),
            }
            for child, f in compute.by_children(
                source, area, month, now, by_leaf=compute.regroup(month_figures, 0)
            )
        ),
        key=lambda r: (
            -(r["resolution_rate"] if r["resolution_rate"] is not None else -1),
            -r["closed"],
            r["name"],
        ),
    )
    part = {
        "rates": [
            {"key": key, "label": str(RATES[key].label), "value": month_total.rate(key)}
            for key in MONTH_RATES
        ],
        "ranking": ranking,
    }
    cache.set(key, part, MONTH_CACHE_SECONDS)
    return part


def _escalated_open_q(today: periods.Period, now: datetime) -> Q:
    """Escalated to the street and still open, now."""
    return FIGURES["open"].cases(today, now) & Q(escalated_at__isnull=False)


def _today_figures(source: rollup.Subtree, today: periods.Period, now: datetime) -> dict[str, int]:
    """Today's figures of the wall (TODAY_FIGURES) from the rollups, as the dashboard counts
    them (``compute.count_by`` over a ``rollup.Subtree``: today's daily rows, and the open
    cases by due day with the ones due from today on counted directly), and the escalated
    open cases (the partial index ``case_open_escalated``: only those cases are read). None of
    it reads every open case, so a poll does not grow with them."""
    figures = compute.regroup(compute.count_by(source, today, now, ()), None)[None]
    counts = {key: figures[key] for key in TODAY_FIGURES}
    counts["escalated_open"] = (
        source.cases().filter(_escalated_open_q(today, now)).order_by().count()
    )
    return counts


def feed_cursor(value: str | None) -> int | None:
    """The ``after`` of a feed request: None when absent or empty, else a case id (digits
    only, within a database integer); ValueError for anything else (the feed answers 400)."""
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ValueError(value)
    return int(value)


def wall_feed(area: Area, now: datetime | None = None, *, after: int | None = None) -> dict:
    """Everything the wall shows, as plain data (the page puts it in with text nodes only):
    today's figures, this month's rates, today's cases with their places (the map), the latest
    steps, the overdue and the escalated open cases, and the ranking of the areas below. No
    personal data: no reporter, no title, no comment, no actor's name. A fixed number of
    queries whatever the size of the area.

    Today's cases (``cases``): with ``after`` None, the newest NEW_CASES filed today; with
    ``after`` a case id (the ``cases_cursor`` of an earlier answer), only today's cases with a
    larger id, the newest NEW_CASES of them. ``cases_after`` says which of the two the answer
    is; ``cases_cursor`` is the largest id the wall then holds (``after`` when nothing is
    newer, None when it holds nothing), to send back as ``after``; ``day`` is today's local
    date (a case filed on another day leaves the map). A poll thus draws only what was filed
    since the previous one, however many cases the day holds (bench/results/wall.md)."""
    now = now or timezone.now()
    # The rollups caught up once per poll (what the workflow wrote since the last one).
    source = rollup.Subtree.of(area)
    cases = wall_cases(area)
    today = periods.preset("today")
    month = periods.preset("month")
    figures = _today_figures(source, today, now)
    holders = dict(Holder.choices)
    related = ("category", "area", "department")
    # What a row shows (_case_row), nothing more: an area's boundary or a case's description
    # read for 200 rows at every poll is most of the time of an answer.
    shown = (
        "number",
        "category__name",
        "area__name",
        "status",
        "holder",
        "department__name",
        "reported_at",
        "due_at",
        "latitude",
        "longitude",
    )

    todays = cases.filter(reported_at__gte=today.start, reported_at__lt=today.end)
    if after is not None:
        todays = todays.filter(pk__gt=after)
    new_cases = list(
        todays.select_related(*related).only(*shown).order_by("-reported_at", "-pk")[:NEW_CASES]
    )
    overdue_q = FIGURES["overdue"].cases(today, now)
    overdue = list(
        cases.filter(overdue_q)
        .select_related(*related)
        .only(*shown)
        .order_by("due_at", "pk")[:LIST_ROWS]
    )
    escalated = list(
        cases.filter(_escalated_open_q(today, now))
        .select_related(*related)
        .only(*shown, "escalated_at")
        .order_by("-escalated_at", "-pk")[:LIST_ROWS]
    )
    events = list(
        CaseEvent.objects.filter(Area.subtree_q(area, prefix="case__area__"))
        .select_related("case__area")
        .only("created_at", "step", "to_status", "case__number", "case__area__name")
        .order_by("-created_at", "-pk")[:LATEST_EVENTS]
    )
    return {
        "generated_at": _when(now),
        "area": area.name,
        "poll_seconds": POLL_SECONDS,
        "today": [
            {"key": key, "label": str(FIGURES[key].label), "value": figures[key]}
            for key in TODAY_FIGURES
        ],
        **_month_part(source, area, month, now),
        "escalated_open": figures["escalated_open"],
        "day": today.first.isoformat(),
        "cases": [_case_row(c, holders) for c in new_cases],
        "cases_after": after,
        "cases_cursor": max((c.pk for c in new_cases), default=after),
        "overdue": [_case_row(c, holders) for c in overdue],
        "escalated": [_case_row(c, holders) for c in escalated],
        "events": [
            {
                "id": e.pk,
                "time": _when(e.created_at),
                "number": e.case.number,
                "area": e.case.area.name,
                "step": str(step_label(e.step)),
                "status": str(Status(e.to_status).label) if e.to_status else "",
            }
            for e in events
        ],
    }
