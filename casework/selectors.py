"""Reads of cases, categories and their events, and who may act on a case. Every queryset is
scoped and names its joins here, so that pages and the API share them."""

from __future__ import annotations

import functools
import itertools
import math
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case as Choose
from django.db.models import F, Q, QuerySet, Value, When
from django.db.models.query import ModelIterable
from django.utils import timezone

from casework import workflow
from casework.models import (
    CENTER_WAITING,
    COMMUNITY_WAITING,
    OPEN_STATUSES,
    Attachment,
    Case,
    CaseEvent,
    Category,
    FilingKey,
    Holder,
    Priority,
    ResponseTemplate,
    Status,
    TimeLimit,
)
from governance import privacy
from governance.db import prepared
from governance.models import DEPARTMENT_ROLES, Department, Role
from governance.navigation import street_parts
from governance.processcache import ProcessCache, row_copy
from governance.scopes import area_role, department_role, reachable, scope_of, visible
from grids.models import Area

# "Near due" on the center's inbox: open cases due within this window.
NEAR_DUE_WINDOW = timedelta(hours=4)
# Inboxes put the earliest due first; cases without a due time (handled ones waiting for the
# check, suspended ones) after them. Explicit, because SQLite sorts NULL first, PostgreSQL last.
BY_DUE = (F("due_at").asc(nulls_last=True), "pk")
# Priorities from the most urgent.
PRIORITY_URGENCY = (Priority.CRITICAL, Priority.URGENT, Priority.NORMAL)
DUPLICATE_RADIUS_M = 100
DUPLICATE_DAYS = 7
EARTH_RADIUS_M = 6_371_000


# -- who may do what ------------------------------------------------------------------------
# These read only the user's cached role assignments and the case in hand: no query per case.
def case_role(user, case: Case, roles: Iterable[str]) -> str | None:
    """The first of ``roles`` through which ``user`` reaches ``case``: department roles through
    its department, area roles through its area."""
    for role in roles:
        if role in DEPARTMENT_ROLES:
            found = department_role(user, case.department_id, [role])
        else:
            found = area_role(user, case.area, [role])
        if found is not None:
            return found
    return None


def holder_role(user, case: Case) -> str | None:
    """The role in which ``user`` holds ``case`` now (acts for its holder), or None."""
    if scope_of(user).is_superuser:
        return "superuser"
    return case_role(user, case, workflow.HOLDER_ROLES.get(case.holder, ()))


def center_role(user, case: Case) -> str | None:
    """The center role in which ``user`` supervises ``case`` (its area in their scope)."""
    if scope_of(user).is_superuser:
        return "superuser"
    return case_role(user, case, workflow.CENTER_ROLES)


def role_for_step(
    user, step: workflow.Step, *, case: Case | None = None, area=None, ancestry: set | None = None
) -> str | None:
    """The role in which ``user`` may take ``step`` on ``case`` (or file a case in ``area``;
    with ``ancestry``, in the tree as it stands now: see ``scopes.area_role``), or None."""
    if scope_of(user).is_superuser:
        return "superuser"
    for role, needed_holder in step.roles.items():
        if case is None:
            found = (
                area_role(user, area, [role], ancestry=ancestry)
                if role not in DEPARTMENT_ROLES
                else None
            )
        elif needed_holder is None or case.holder == needed_holder:
            found = case_role(user, case, [role])
        else:
            found = None
        if found is not None:
            return found
    return None


def available_steps(user, case: Case) -> list[workflow.Step]:
    """The steps ``user`` may take on ``case`` now (status, guard, role and scope)."""
    steps = []
    for step in workflow.STEP_LIST:
        if step.creates or case.status not in step.sources:
            continue
        if step.guard is not None and step.guard(case):
            continue
        if role_for_step(user, step, case=case) is not None:
            steps.append(step)
    return steps


def can_report(user) -> bool:
    return scope_of(user).has_role(*workflow.STEPS["report"].roles)


# -- cases ----------------------------------------------------------------------------------
def case_queryset() -> QuerySet[Case]:
    return Case.objects.select_related(
        "category", "area", "department", "street", "community", "reporter"
    )


# What a row of the case tables (the list page, the inboxes) shows: the case's own columns only;
# its category, areas and department come from the process caches (related_from_caches), not
# from joins. PostgreSQL spent 9–13 ms planning the seven-table join of case_queryset, 3–18 ms
# the six of the rows before this, for 0.3–0.6 ms of execution: it searches every join order of
# the statement's tables, and a path through each of the case table's indexes for each. The
# street is the working-time clock's ("time left": its place in the tree keys the street's
# hours). With every column, Django spent more CPU compiling the query and building the model
# instances than drawing the page (issue 15).
ROW_RELATIONS = ("category", "area", "street", "community", "department")
ROW_FIELDS = (
    "number", "title", "status", "priority", "holder", "due_at", "reported_at", "handled_at",
    *ROW_RELATIONS,
)  # fmt: skip


def case_rows(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """``queryset`` (already scoped) with the columns and related rows of a table row."""
    return related_from_caches(queryset.select_related(None).only(*ROW_FIELDS), *ROW_RELATIONS)


# What an item of the API's case list shows (CaseListSerializer): category, area, department,
# from the process caches (the four-table join planned in 0.4–0.5 ms for less execution), and
# the columns it shows, only those: the other 24 of the case's columns (its reporter, place,
# the moments of each step) cost 0.8 ms of CPU a page of 50 to read and build (issue 15).
SUMMARY_RELATIONS = ("category", "area", "department")
SUMMARY_FIELDS = (
    "number", "title", "status", "priority", "source", "holder", "due_at", "reported_at",
    "updated_at", "satisfaction", *SUMMARY_RELATIONS,
)  # fmt: skip


def case_summaries(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """``queryset`` (already scoped) with the columns and related rows of an API list item."""
    return related_from_caches(
        queryset.select_related(None).only(*SUMMARY_FIELDS), *SUMMARY_RELATIONS
    )


def case_list_for(user, filters: dict | None = None) -> QuerySet[Case]:
    """Cases ``user`` may see, narrowed by ``filters`` (the query parameters of CaseFilterSet).
    Invalid filter values give no rows; pages that show the errors use the FilterSet itself."""
    from casework.filters import CaseFilterSet  # the filters build on this module's reads

    qs = visible(user, case_queryset())
    if filters:
        filterset = CaseFilterSet(filters, queryset=qs, request=None)
        qs = filterset.qs if filterset.is_valid() else qs.none()
    return qs.order_by("-reported_at", "-pk")


# One case (the case page, the API's detail and steps). PostgreSQL searches every join order of
# a statement's tables (up to join_collapse_limit, 8) and weighs a path through each of the case
# table's foreign-key indexes for each: the nine tables the page once joined (four of them areas,
# the case table twice for the original of a duplicate) planned in 13–32 ms for 0.3 ms of
# execution, five in 0.8–1.3 ms (bench/RESULTS.md, "Planning above execution"). So one case
# joins the area that decides the scope and the reporter (a user: no process cache); its
# category and department come from the process caches, and the original of a merged case is
# read when it is shown (only merged cases have one).
DETAIL_JOINS = ("area", "reporter")
DETAIL_RELATIONS = ("category", "department")
# The places above the case's area, for the page (its path, the map) and the working-time clock.
CASE_PLACES = ("street", "community", "grid")


def case_details(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """``queryset`` (already scoped) with the joins and related rows of one case, to be narrowed
    to one case by its primary key: its statement is a prepared one."""
    return related_from_caches(
        prepared(queryset.select_related(None).select_related(*DETAIL_JOINS)), *DETAIL_RELATIONS
    )


def with_places(case: Case) -> Case:
    """``case`` with its street, community and grid, from the process cache :data:`AREAS` (one
    query for those it does not keep yet; no join)."""
    fill_from_caches([case], CASE_PLACES)
    return case


def case_detail_for(user, pk: int, *, places: bool = True) -> Case | None:
    """The case ``pk`` if ``user`` may see it, with what its page shows; with ``places`` its
    street, community and grid too (the API's detail shows none of them)."""
    # Not first(): it orders by the key, and Django matches an ordering against each of the 70
    # or so columns selected (a tenth of the statement's compiling); one row needs no order.
    found = case_details(visible(user, Case.objects.all())).filter(pk=pk).order_by()[:1]
    case = next(iter(found), None)
    return with_places(case) if case is not None and places else case


def events_for(user, case: Case) -> QuerySet[CaseEvent]:
    """The case's events with their departments (from the process cache, as a case's) and
    photos, oldest first (``case`` already checked visible); not their actors' rows (an event
    keeps its actor's name). Their statement is a prepared one: one plan whatever the case, its
    events by the case's index and a sort (bench/RESULTS.md, "More prepared reads"); the
    photos' (by a list of events) is not."""
    return related_from_caches(
        prepared(
            CaseEvent.objects.filter(case=case)
            .prefetch_related("attachments")
            .order_by("created_at", "pk")
        ),
        "department",
    )


def event_feed_for(user) -> QuerySet[CaseEvent]:
    """The events of every case ``user`` may see, with their cases and photos: the API's feed of
    steps across cases (paged and ordered by the caller)."""
    return (
        CaseEvent.objects.filter(case__in=visible(user, Case.objects.all()).values("pk"))
        .select_related("actor", "department", "case")
        .prefetch_related("attachments")
    )


def attachments_for(user, case: Case) -> QuerySet[Attachment]:
    return Attachment.objects.filter(case=case).select_related("event").order_by("created_at", "pk")


def near_due_q(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(status__in=list(OPEN_STATUSES), due_at__gte=now, due_at__lt=now + NEAR_DUE_WINDOW)


# -- inboxes --------------------------------------------------------------------------------
def dispatcher_inbox(user, now: datetime | None = None) -> QuerySet[Case]:
    """Reported, returned and accepted-not-dispatched cases held by the community, in the
    communities the user dispatches for: the most urgent priority first, within it the cases
    just reported (``Case.new_q``, marked "new"), then by due time."""
    ranks = [When(priority=p, then=Value(i)) for i, p in enumerate(PRIORITY_URGENCY)]
    return (
        _in_areas(user, workflow.HOLDER_ROLES[Holder.COMMUNITY], COMMUNITY_WAITING)
        .annotate(
            urgency=Choose(*ranks, default=Value(len(ranks))),
            staleness=Choose(When(Case.new_q(now), then=Value(0)), default=Value(1)),
        )
        .order_by("urgency", "staleness", *BY_DUE)
    )


def department_inbox(user) -> QuerySet[Case]:
    """Cases dispatched to, or being handled by, the user's departments."""
    scope = scope_of(user)
    ids = [d.pk for d in scope.departments(workflow.HOLDER_ROLES[Holder.DEPARTMENT])]
    if not ids:
        return Case.objects.none()
    return (
        case_queryset()
        .filter(
            department_id__in=ids,
            holder=Holder.DEPARTMENT,
            status__in=[Status.DISPATCHED, Status.IN_PROGRESS],
        )
        .order_by(*BY_DUE)
    )


def verification_inbox(user) -> QuerySet[Case]:
    """Handled cases waiting for an on-site check in the user's grids."""
    return _in_areas(user, [Role.GRID_WORKER], Q(status=Status.HANDLED)).order_by(
        "handled_at", "pk"
    )


def center_inbox(user, now: datetime | None = None) -> QuerySet[Case]:
    """For the center: escalated cases it holds, handled cases to verify, and every open case
    near its due time or overdue, in the user's streets."""
    return _in_areas(
        user,
        workflow.CENTER_ROLES,
        CENTER_WAITING | Q(status=Status.HANDLED) | Case.overdue_q(now) | near_due_q(now),
    ).order_by(*BY_DUE)


def inbox_for(user) -> dict[str, QuerySet[Case]]:
    """The inboxes that apply to ``user``'s roles, by key."""
    scope = scope_of(user)
    boxes: dict[str, QuerySet[Case]] = {}
    if scope.areas(workflow.HOLDER_ROLES[Holder.COMMUNITY]):
        boxes["dispatch"] = dispatcher_inbox(user)
    if scope.departments(workflow.HOLDER_ROLES[Holder.DEPARTMENT]):
        boxes["department"] = department_inbox(user)
    if scope.areas([Role.GRID_WORKER]):
        boxes["verification"] = verification_inbox(user)
    if scope.areas(workflow.CENTER_ROLES):
        boxes["center"] = center_inbox(user)
    return boxes


# An inbox counts at most this many cases, on its page ("1,000+", pages up to there) and on the
# badge: nobody pages through more of the most urgent first (the case list's filters find the
# rest), and the page reads its count and its keys in one statement of at most this many keys.
INBOX_COUNT_CAP = 1_000


def inbox_count(user) -> int | None:
    """The number on the inbox badge: cases waiting for this user (None when none apply).
    Counted up to :data:`INBOX_COUNT_CAP` per inbox: a badge needs no more, and the count stays
    cheap."""
    boxes = inbox_for(user)
    if not boxes:
        return None
    ids: set[int] = set()
    for qs in boxes.values():
        # Unordered: the first thousand matches, not the thousand most urgent of all of them
        # (ordering made PostgreSQL sort every match first: 7–10 s at a million cases).
        ids.update(qs.order_by().values_list("pk", flat=True)[:INBOX_COUNT_CAP])
    return len(ids)


def _in_areas(user, roles: Iterable[str], condition: Q) -> QuerySet[Case]:
    return reachable(user, case_queryset().filter(condition), roles)


# -- duplicates -----------------------------------------------------------------------------
def possible_duplicates(
    user,
    *,
    category: Category,
    area=None,
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    exclude: Case | None = None,
    now: datetime | None = None,
    limit: int = 10,
) -> list[Case]:
    """Open cases of the same category reported in the last 7 days in the same building or
    micro-grid, or within 100 m. The distance is computed only for the rows that pass an indexed
    bounding-box prefilter on latitude/longitude."""
    now = now or timezone.now()
    base = visible(user, case_queryset()).filter(
        category=category,
        status__in=list(OPEN_STATUSES),
        reported_at__gte=now - timedelta(days=DUPLICATE_DAYS),
    )
    if exclude is not None:
        base = base.exclude(pk=exclude.pk)
    near = Q(pk__in=[])
    if area is not None:
        near |= Q(area=area)
    if latitude is not None and longitude is not None:
        lat, lng = float(latitude), float(longitude)
        dlat = math.degrees(DUPLICATE_RADIUS_M / EARTH_RADIUS_M)
        dlng = dlat / max(math.cos(math.radians(lat)), 0.01)
        near |= Q(
            latitude__range=(lat - dlat, lat + dlat), longitude__range=(lng - dlng, lng + dlng)
        )
    candidates = list(base.filter(near).order_by("-reported_at")[: limit * 5])
    result = []
    for case in candidates:
        same_place = area is not None and case.area_id == area.pk
        if not same_place and latitude is not None and case.latitude is not None:
            case.distance_m = round(
                distance_m(float(latitude), float(longitude), case.latitude, case.longitude)
            )
            if case.distance_m > DUPLICATE_RADIUS_M:
                continue
        else:
            case.distance_m = None
        result.append(case)
    return result[:limit]


def distance_m(lat1: float, lng1: float, lat2, lng2) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lng2) - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


# -- categories and limits ------------------------------------------------------------------
def category_tree() -> QuerySet[Category]:
    return (
        Category.objects.filter(is_active=True)
        .select_related("default_department")
        .prefetch_related("time_limits")
        .order_by(*Category.tree_order())
    )


# Categories are edited a few times a year and read on every filing over the API: kept per
# process like the limits (same watch). Read-only instances, shared by the process's requests.
CATEGORIES = ProcessCache("categories")


def category_by_pk(pk: int) -> Category | None:
    """The category ``pk`` (None when there is none), from the process cache :data:`CATEGORIES`."""
    return CATEGORIES.get(pk, lambda: Category.objects.filter(pk=pk).first())


# Areas a case is filed on, each with its ancestors (filing needs its street, community and grid,
# and its tree position for the scope check): read on every filing, changed rarely. Strict, as
# the roles are (governance.processcache): what it holds decides where a user may file. Any
# save or delete of an area, or a tree rebuilt, drops every process's copy (watched in
# casework's AppConfig).
AREAS = ProcessCache("areas-with-ancestors", strict=True)


def area_with_ancestors(pk: int) -> Area | None:
    """The area ``pk`` with its ancestors loaded (``Area.with_ancestors``), or None, from the
    process cache :data:`AREAS`. Each caller gets its own copy of the node (its ancestors are
    shared: read only)."""
    kept = AREAS.get(pk, lambda: Area.with_ancestors(pk))
    return None if kept is None else row_copy(kept)


# Limits change a few times a year and are read on every filing and step: kept per process,
# dropped on any save or delete of a category or a limit (watched in casework's AppConfig).
TIME_LIMITS = ProcessCache("time-limits")


def time_limit_for(category: Category, priority: str) -> TimeLimit | None:
    """The limits of ``category`` at ``priority``, or of its nearest ancestor that has them
    (from the process cache :data:`TIME_LIMITS`: no query once read). Read-only: the instance
    is shared by the process's requests."""
    return TIME_LIMITS.get(
        (category.pk, priority),
        lambda: (
            TimeLimit.objects.filter(
                Category.ancestors_q(category, prefix="category__", include_self=True),
                priority=priority,
            )
            .order_by("-category__level")
            .first()
        ),
    )


# Departments are few (a street's dozens) and renamed rarely; cases show their names.
DEPARTMENTS = ProcessCache("departments")

# The case list's count ("N cases"), kept per process under its statement and parameters
# (governance.pagination: ``kept``): counting a street's cases was most of a list page's
# database time (issue 15), and the count changes only when a case is written. In parts by
# street, as the menu's badges (watched and partitioned in casework's AppConfig): a step taken
# in one street recounts that street's lists, not every street's. A case whose community was
# moved to another street names the street of its filing: a write of it recounts the lists of
# its new street only after ``max_age``, as it moves their badges. Not for a list narrowed by
# the clock (CaseFilterSet.reads_the_clock).
CASE_COUNTS = ProcessCache("case-list-counts", max_age=60, max_entries=2_000)


def case_count_parts(user) -> tuple[str, ...]:
    """The parts of :data:`CASE_COUNTS` that the count of a list of ``user``'s cases depends on."""
    return street_parts(user)


# The related rows a case reads from a process cache instead of a join: the cache, and how it
# reads the keys it does not keep yet (a dict by key, in one query).
_RELATION_CACHES = {
    "category": (CATEGORIES, Category.objects.in_bulk),
    "department": (DEPARTMENTS, Department.objects.in_bulk),
    **dict.fromkeys(("area", *CASE_PLACES), (AREAS, Area.with_ancestors_many)),
}


def cached_rows(relation: str, keys: Iterable) -> dict:
    """The related rows of ``relation`` (a name in :data:`_RELATION_CACHES`) with ``keys``, by
    key (None for a key with no row), from their process cache: read-only, shared by the
    process's answers."""
    process_cache, load = _RELATION_CACHES[relation]
    return process_cache.get_many(keys, load)


def fill_from_caches(cases: list[Case], relations: Iterable[str]) -> None:
    """Set each of ``relations`` (foreign keys in :data:`_RELATION_CACHES`, of Case or of
    another model whose key of that name points to the same model: an event's department) on
    ``cases`` (rows of one model) from the process caches, where its key column was read and
    the row is not loaded yet: no query for what the caches keep, one per cache for the rest.
    Each answer gets its own copy of a cached row (shared by its cases), so that what a reader
    loads onto it stays there."""
    if not cases:
        return
    meta = type(cases[0])._meta
    wanted: dict[ProcessCache, tuple[Callable, set]] = {}
    plan = []
    for name in relations:
        field = meta.get_field(name)
        process_cache, load = _RELATION_CACHES[name]
        for case in cases:
            key = case.__dict__.get(field.attname)
            if key is not None and not field.is_cached(case):
                wanted.setdefault(process_cache, (load, set()))[1].add(key)
                plan.append((case, field, process_cache, key))
    copies = {}
    for process_cache, (load, keys) in wanted.items():
        for key, value in process_cache.get_many(keys, load).items():
            if value is not None:
                copies[process_cache, key] = row_copy(value)
    for case, field, process_cache, key in plan:
        if (process_cache, key) in copies:
            # What assigning the related row does, less its checks: the row is of the field's
            # model, read for the key the case holds (the key column stays as read). The
            # descriptor's checks were a sixtieth of a list page's CPU (issue 15).
            field.set_cached_value(case, copies[process_cache, key])


class _FilledFromCaches(ModelIterable):
    relations: tuple[str, ...] = ()
    # Rows filled at a time: every page at once; an iterator() over many rows in bounded memory.
    batch = 1000

    def __iter__(self):
        rows = super().__iter__()
        while batch := list(itertools.islice(rows, self.batch)):
            fill_from_caches(batch, self.relations)
            yield from batch


@functools.cache
def _iterable_filling(relations: tuple[str, ...], rows: type[ModelIterable]) -> type:
    return type("FilledFromCaches", (_FilledFromCaches, rows), {"relations": relations})


def related_from_caches(queryset: QuerySet[Case], *relations: str) -> QuerySet[Case]:
    """``queryset`` whose cases come with ``relations`` filled by :func:`fill_from_caches` when
    it is read (instead of joins: PostgreSQL plans a statement of one or two tables in a
    fraction of a millisecond, one of five or six in several). The queryset's own way of
    reading its rows is kept under the filling (:func:`governance.db.prepared`: its statement
    prepared, and the caches' reads after it not)."""
    queryset = queryset.all()
    rows = queryset._iterable_class
    while issubclass(rows, _FilledFromCaches):
        rows = rows.__bases__[-1]
    queryset._iterable_class = _iterable_filling(relations, rows)
    return queryset


# Whether a user may use any active quick reply at all, kept per process: the case page asks for
# the quick replies on every visit, and nearly everyone has none (the list's query was a tenth of
# the page's CPU, issue 15). Strict, as the roles it follows are: any save or delete of a quick
# reply, a role assignment or an area (what the quick replies' scope rule reads) drops every
# process's copy (watched in casework's AppConfig).
QUICK_REPLY_USERS = ProcessCache("quick-reply-users", strict=True)


def has_quick_replies(user) -> bool:
    """Does ``user`` see any active quick reply (of any category and step)? From
    :data:`QUICK_REPLY_USERS`."""
    return QUICK_REPLY_USERS.get(
        (user.pk, user.is_superuser),
        lambda: visible(user, ResponseTemplate.objects.filter(is_active=True)).exists(),
    )


def response_templates_for(user, *, category: Category | None = None, step: str = "") -> list:
    """Quick replies ``user`` may use for ``step`` on a case of ``category``: the category's, its
    ancestors' and the general ones, of the user's street, its district and every street. No
    query for a user who has none at all (:func:`has_quick_replies`)."""
    if not has_quick_replies(user):
        return []
    qs = visible(user, ResponseTemplate.objects.filter(is_active=True))
    if category is not None:
        qs = qs.filter(
            Q(category__isnull=True)
            | Category.ancestors_q(category, prefix="category__", include_self=True)
        )
    if step:
        qs = qs.filter(Q(step="") | Q(step=step))
    return list(qs.select_related("category").order_by("order", "title"))


REPORTER_FIELDS = ("reporter_name", "reporter_phone")


def may_reveal_reporter(user, case: Case) -> bool:
    """May ``user`` read the resident reporter's name and phone in full (through the logged
    reveal)? Those who work the case, by the privacy rule registered in apps.py; a viewer not."""
    if not (case.reporter_name or case.reporter_phone):
        return False
    return privacy.may_reveal(user, case, "reporter_phone")


def case_for_filing_key(*, actor, key: uuid.UUID) -> Case | None:
    """The case ``actor`` filed with idempotency key ``key``, if any."""
    found = FilingKey.objects.filter(actor=actor, key=key).select_related("case").first()
    return found.case if found is not None else None
