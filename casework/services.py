"""Writes to cases. Filing is :func:`case_report`; every later step goes through
:func:`case_step`, which carries out the table in :mod:`casework.workflow`.

Guarantees of every step: the case row is locked (``SELECT ... FOR UPDATE``) for the whole step; a
step taken on a stale copy of the case (another step came first) raises :class:`CaseConflict`; the
actor's role and scope and the case's status are checked against the table; exactly one
:class:`CaseEvent` is written, with its photos; the due time of the next stage is set. When anything
is refused, nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import clock, workflow
from casework.deadlines.services import suspension_end_for_new_stage
from casework.models import (
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    FilingKey,
    Holder,
    Priority,
    Satisfaction,
    Source,
    Status,
)
from casework.selectors import case_for_filing_key, role_for_step
from governance.db import prepared_statements
from governance.images import PreparedPhoto, prepare_photos
from governance.models import Department, Role
from governance.scopes import departments_for, visible
from grids.models import Area, AreaKind


class CaseConflict(Exception):
    """The case changed between the moment the actor saw it and their step (HTTP 409)."""

    def __init__(self, message: str, *, case: Case | None = None):
        super().__init__(message)
        self.message = message
        self.case = case


# Kinds of area a case may be filed on: the lowest node known, never above a community.
CASE_AREA_KINDS = frozenset(
    {AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID, AreaKind.BUILDING, AreaKind.UNIT}
)
# Sources whose reporter is a resident (named), not the portal user who files the case.
RESIDENT_SOURCES = frozenset({Source.RESIDENT, Source.HOTLINE, Source.OPEN311})
# An outside report that could not be placed below its street is filed on the street itself
# and held by the center, the street's dispatcher, as if escalated.
STREET_LEVEL_SOURCES = frozenset({Source.RESIDENT, Source.OPEN311})
MAX_COMMENT = 2000


# -- filing ---------------------------------------------------------------------------------
def case_report(
    *,
    actor,
    title: str,
    category: Category,
    area: Area,
    source: str,
    description: str = "",
    priority: str | None = None,
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    photos=(),
    comment: str = "",
    now: datetime | None = None,
) -> Case:
    """File a new case (the "report" step of the table: reported, held by the community) with
    its "before" photos. An outside report filed on the street itself (not placed lower) is
    held by the center, as if escalated.

    The case number is unique per street and year: it comes from a per-(street, year) counter
    row incremented under a row lock, and a unique constraint backs it. Writes the case, one
    "report" event and the photos in one transaction; the accept stage's due time is set.

    The community and grid the case keeps are read inside that transaction, with the number,
    after the areas' ancestry lock is taken shared (``Area.lock_ancestry``): a move of the area
    or of one above it either waits for this filing and carries its case along
    (:func:`cases_follow_area`), or committed before and is seen; in that case the filer's
    role is checked again against the tree as it stands now (a grid worker whose building moved
    to another community's grid meanwhile may no longer file there). The street stays the one
    read before (it numbers the case; see :data:`MOVING_LEVELS`).
    """
    step = workflow.STEPS["report"]
    errors = case_report_errors(
        title=title,
        category=category,
        area=area,
        source=source,
        priority=priority,
        latitude=latitude,
        longitude=longitude,
        address=address,
        reporter_name=reporter_name,
    )
    if errors:
        raise ValidationError(errors)
    title = title.strip()
    if priority in (None, ""):
        priority = category.default_priority
    latitude, longitude = _coordinates(latitude, longitude, {})
    address = (address or "").strip()
    reporter_name = (reporter_name or "").strip()
    reporter_phone = (reporter_phone or "").strip()

    levels = case_levels(area)
    if levels["street"] is None:
        raise ValidationError({"area": _("This area does not belong to a street.")})
    role = _filing_role(actor, step, area, source)

    prepared = prepare_photos(photos)
    now = now or timezone.now()
    on_street = area.kind == AreaKind.STREET
    case = Case(
        title=title,
        description=(description or "").strip(),
        category=category,
        area=area,
        **levels,
        latitude=latitude,
        longitude=longitude,
        address=address,
        source=source,
        reporter=None if source in RESIDENT_SOURCES else actor,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        priority=priority,
        status=step.target,
        holder=Holder.CENTER if on_street else step.holder,
        escalated_at=now if on_street else None,
        reported_at=now,
    )
    case.due_at = clock.due_time(case, start=now)
    # Field validators only (the phone number); the constraints are checked above and by the DB.
    # The related rows are the instances given or just read: validating them again would read
    # each one more time by id (three queries of a filing's eighteen).
    case.full_clean(
        exclude=[
            "number",
            "street",
            "community",
            "grid",
            "reported_at",
            "category",
            "area",
            "reporter",
        ],
        validate_unique=False,
        validate_constraints=False,
    )
    saved: list[str] = []
    try:
        with transaction.atomic():
            # The community and grid above the area as the tree stands now, under the ancestry
            # lock: no move commits between this read and COMMIT, and any move that committed
            # before it is seen (those read above may be older: the API's come from a process
            # cache). Read along with the number: the lock is the one statement it costs. Both
            # statements are prepared (governance.db): their plans do not depend on the values,
            # and the upsert with its walk up the tree planned in 0.9 ms for 0.3–0.4 of execution.
            with prepared_statements():
                Area.lock_ancestry(shared=True)
                case.number, now_levels = next_case_number(
                    street=case.street, year=timezone.localtime(now).year, levels_of=area
                )
            if any(getattr(case, f"{name}_id") != pk for name, pk in now_levels.items()):
                # A move committed between the check above and the lock: check the filer
                # again against the tree as it stands now (one statement, on this path only).
                role = _filing_role(actor, step, area, source, Area.stored_ancestry(area.pk))
            for name, pk in now_levels.items():
                setattr(case, f"{name}_id", pk)
            case.save()
            event = CaseEvent.objects.create(
                case=case,
                step=step.name,
                actor=actor,
                actor_name=_actor_name(actor),
                role=role,
                from_status="",
                to_status=case.status,
                to_holder=case.holder,
                comment=(comment or "").strip()[:MAX_COMMENT],
                is_public=True,
                due_at=case.due_at,
                created_at=now,
            )
            _store_photos(case, event, prepared, kind=step.photo_kind, actor=actor, saved=saved)
    except BaseException:
        _discard(saved)
        raise
    return case


def _filing_role(actor, step, area: Area, source: str, ancestry: set | None = None) -> str:
    """The role in which ``actor`` files a case from ``source`` in ``area`` (in the tree as it
    stands now with ``ancestry``: see ``scopes.area_role``); PermissionDenied if none."""
    role = role_for_step(actor, step, area=area, ancestry=ancestry)
    if role is None:
        raise PermissionDenied(_("You may not report cases in %(area)s.") % {"area": area.name})
    if source not in workflow.REPORT_SOURCES.get(role, Source.values):
        raise PermissionDenied(
            _("As %(role)s you may file cases from these sources only: %(sources)s.")
            % {
                "role": Role(role).label,
                "sources": "、".join(str(Source(s).label) for s in workflow.REPORT_SOURCES[role]),
            }
        )
    return role


def case_report_once(
    *, actor, idempotency_key: uuid.UUID | None, file: Callable[[], Case]
) -> tuple[Case, bool]:
    """File a case at most once per ``(actor, idempotency_key)``: ``file`` files it (the report
    step, and whatever the caller takes with it, e.g. resolving on the spot) and its key is
    stored in the same transaction. Returns the case and whether it was filed now (False: the
    key was sent before, and the case it filed then is returned; nothing is written).

    Replays that race each other are safe: the unique (actor, key) constraint lets one
    transaction commit; the others roll back what ``file`` wrote (savepoint) and return the
    committed case. Without a key ``file`` simply runs.
    """
    if idempotency_key is None:
        return file(), True
    existing = case_for_filing_key(actor=actor, key=idempotency_key)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            case = file()
            FilingKey.objects.create(actor=actor, key=idempotency_key, case=case)
    except IntegrityError:
        existing = case_for_filing_key(actor=actor, key=idempotency_key)
        if existing is None:
            raise
        return existing, False
    return case, True


def case_report_errors(
    *,
    title: str | None,
    category: Category | None,
    area: Area | None,
    source: str | None,
    priority: str | None = None,
    latitude=None,
    longitude=None,
    address: str | None = "",
    reporter_name: str | None = "",
) -> dict[str, list]:
    """Every input check of filing a case, all at once: field name → messages (empty: fine).

    ``case_report`` refuses with these; the filing form asks for them too, with the inputs it
    could read (None for one it could not), so that a form is refused once with every problem.
    """
    errors: dict[str, list] = {}
    title = (title or "").strip()
    if not title:
        errors.setdefault("title", []).append(_("Give the case a short title."))
    elif len(title) > 100:
        errors.setdefault("title", []).append(_("At most 100 characters."))
    if category is None:
        errors.setdefault("category", []).append(_("Choose a category."))
    elif not category.is_active:
        errors.setdefault("category", []).append(_("This category is no longer in use."))
    elif not category.is_leaf:
        errors.setdefault("category", []).append(
            _("Choose a sub-category of %(name)s.") % {"name": category.name}
        )
    if area is None:
        errors.setdefault("area", []).append(_("Choose where the problem is."))
    elif area.kind not in CASE_AREA_KINDS and not (
        area.kind == AreaKind.STREET and source in STREET_LEVEL_SOURCES
    ):
        errors.setdefault("area", []).append(
            _("Choose a community, grid, micro-grid or building, not a %(kind)s.")
            % {"kind": area.get_kind_display()}
        )
    if source not in Source.values:
        errors.setdefault("source", []).append(_("Choose where the case comes from."))
    if priority not in (None, "") and priority not in Priority.values:
        errors.setdefault("priority", []).append(_("Choose a priority."))
    latitude, longitude = _coordinates(latitude, longitude, errors)
    if latitude is None and not (address or "").strip():
        errors.setdefault("address", []).append(
            _("Give the location: a point on the map or an address.")
        )
    if source in RESIDENT_SOURCES and not (reporter_name or "").strip():
        errors.setdefault("reporter_name", []).append(
            _("Give the name of the resident who reported it.")
        )
    return errors


def next_case_number(
    *, street: Area, year: int, levels_of: Area | None = None
) -> tuple[str, dict[str, int | None]]:
    """The next number of ``street`` in ``year`` (call inside the transaction that uses it), and
    with ``levels_of`` the ids of the areas above that area now, by :data:`MOVING_LEVELS` name
    (read by the same statement: filing reads them here, after ``Area.lock_ancestry``).

    One statement: an upsert that increments the (street, year) row and returns the new value
    (PostgreSQL and SQLite both speak it). The row stays locked until the transaction ends, so
    two filings in one street never get one number, and a rolled-back filing gives its number
    back. It replaced a locking read and an update: one round trip less per filing."""
    q = connection.ops.quote_name
    table, street_id, year_, last = (
        q(name) for name in (CaseCounter._meta.db_table, "street_id", "year", "last")
    )
    names = MOVING_LEVELS if levels_of is not None else ()
    prefix, returning, params = "", [last], []
    if names:
        prefix = Area.stored_ancestors_cte("above", ["kind"])
        params.append(levels_of.pk)
    params += [street.pk, year]
    for name in names:
        returning.append(f"(SELECT {q('pk')} FROM {q('above')} WHERE {q('kind')} = %s)")
        params.append(CASE_LEVELS[name].value)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{prefix}INSERT INTO {table} ({street_id}, {year_}, {last}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({street_id}, {year_}) DO UPDATE SET {last} = {table}.{last} + 1 "
            f"RETURNING {', '.join(returning)}",
            params,
        )
        number, *above_ids = cursor.fetchone()
    return f"{year}-{number:06d}", dict(zip(names, above_ids, strict=True))


def _coordinates(latitude, longitude, errors) -> tuple[Decimal | None, Decimal | None]:
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    if latitude in (None, "") or longitude in (None, ""):
        errors.setdefault("latitude", []).append(_("Give both latitude and longitude, or neither."))
        return None, None
    try:
        lat = Decimal(str(latitude)).quantize(Decimal("0.000001"))
        lng = Decimal(str(longitude)).quantize(Decimal("0.000001"))
    except ArithmeticError:
        errors.setdefault("latitude", []).append(_("Latitude and longitude are numbers."))
        return None, None
    if not -90 <= lat <= 90:
        errors.setdefault("latitude", []).append(_("Latitude lies between -90 and 90."))
    if not -180 <= lng <= 180:
        errors.setdefault("longitude", []).append(_("Longitude lies between -180 and 180."))
    return lat, lng


# The ancestors a case keeps beside its area (field → area kind), each the area of that kind at
# or above the case's area (None when there is none): the rankings group by them, and the
# community and grid scopes read them instead of the area's subtree (governance.scopes'
# level_paths, registered in casework.apps). Derived here alone: :func:`case_levels` on filing
# (and the test factory), the community and grid read again inside the filing's transaction by
# :func:`next_case_number` (under the ancestry lock: case_report), :func:`cases_follow_area`
# when an area moves. A case's area never
# changes after filing; the bulk loaders (seed_scale, the benchmarks, the demo) write the same
# values, and ``Case.objects.with_stale_levels()`` finds any case that disagrees (their tests).
CASE_LEVELS = {"street": AreaKind.STREET, "community": AreaKind.COMMUNITY, "grid": AreaKind.GRID}
# The street also numbers the case (unique per street and year): it stays the street of the
# filing when a community is moved to another street (the numbers of two streets may meet), so
# only the community and grid follow a move, and street scopes keep the subtree condition.
MOVING_LEVELS = ("community", "grid")


def case_levels(area: Area) -> dict[str, Area | None]:
    """The street, community and grid a case filed on ``area`` keeps: those read with it
    (``Area.with_ancestors``, the API's filing), else one query."""
    kinds = set(CASE_LEVELS.values())
    loaded = getattr(area, "loaded_ancestors", None)
    if loaded is not None:
        nodes = [node for node in [*loaded, area] if node.kind in kinds]
    else:
        nodes = Area.objects.filter(Area.ancestors_q(area, include_self=True), kind__in=kinds)
    found = {node.kind: node for node in nodes}
    return {name: found.get(kind) for name, kind in CASE_LEVELS.items()}


def cases_with_stale_levels(levels: Iterable[str] = tuple(CASE_LEVELS)) -> QuerySet[Case]:
    """The cases whose kept ``levels`` (by default street, community and grid) are not the areas
    of those kinds at or above their area now: none while every writer keeps them (the tests of
    filing, of moves and of the bulk loaders ask). A case's street stays that of its filing when
    its community moved to another street (see ``MOVING_LEVELS``)."""
    cases = Case.objects.all()
    stale = Q(pk__in=[])
    for name in levels:
        above = Area.objects.filter(
            Area.outer_ancestors_q(outer="area"), kind=CASE_LEVELS[name]
        ).values("pk")[:1]
        cases = cases.annotate(
            **{
                f"kept_{name}": Coalesce(f"{name}_id", 0),
                f"derived_{name}": Coalesce(Subquery(above), 0),
            }
        )
        stale |= ~Q(**{f"kept_{name}": F(f"derived_{name}")})
    return cases.filter(stale)


def cases_follow_area(area: Area) -> int:
    """After ``area`` moved in the tree (another parent, another kind; ``grids.models.area_moved``
    calls this inside the move's transaction): the community and grid of every case filed in its
    subtree become those above its area now. Two queries to read the subtree and its ancestors,
    one UPDATE per (community, grid) pair met, touching only the cases that disagree. Returns the
    number of cases changed. ``updated_at`` is left alone: no step was taken.

    No filing escapes it: the move holds the ancestry lock exclusive from before the tree
    changes (``Area.save_locked``) and a filing holds it shared from before it reads the
    community and grid in its transaction (:func:`case_report`), so a filing either committed
    before this runs (and is updated here) or reads the moved tree. A case made by another
    writer that does not take the lock (a bulk loader while areas move) is found by
    ``cases_with_stale_levels()``; calling this again on the area repairs it."""
    fields = {name: CASE_LEVELS[name] for name in MOVING_LEVELS}
    columns = [f"{name}_id" for name in MOVING_LEVELS]
    chain = list(Area.objects.filter(Area.ancestors_q(area)).order_by("lft"))
    groups: dict[tuple, list[int]] = {}
    for node in Area.objects.within(area).order_by("lft").only("kind", "tree_id", "lft", "rght"):
        while chain and not node.is_within(chain[-1]):
            chain.pop()
        chain.append(node)
        found = {above.kind: above.pk for above in chain}
        groups.setdefault(tuple(found.get(kind) for kind in fields.values()), []).append(node.pk)
    changed = 0
    for key, area_ids in groups.items():
        values = dict(zip(columns, key, strict=True))
        changed += Case.objects.filter(area_id__in=area_ids).exclude(**values).update(**values)
    return changed


# -- steps ----------------------------------------------------------------------------------
def case_step(
    *,
    case: Case,
    actor,
    step: str,
    version: int | None = None,
    now: datetime | None = None,
    **inputs,
) -> Case:
    """Take ``step`` on ``case`` with the step's ``inputs`` (see workflow.INPUTS).

    ``version`` is the case version the actor saw (defaults to ``case.version``): if another step
    came in between, :class:`CaseConflict` names who took it. Refusals: ValidationError on
    ``step`` (not possible in this status) or on an input field; PermissionDenied (role or
    scope). Returns the updated case; writes exactly one event. A step that starts a new stage
    ends an open suspension (the new stage's limit runs from now).
    """
    spec = workflow.STEPS.get(step)
    if spec is None or spec.creates:
        raise ValidationError({"step": _("Unknown step: %(step)s.") % {"step": step}})
    unexpected = sorted(
        name for name, value in inputs.items() if name not in spec.inputs and _given(value)
    )
    if unexpected:
        raise ValidationError(
            {name: _("This step does not take this field.") for name in unexpected}
        )
    expected_version = case.version if version is None else version

    # First checks on the caller's copy, so that photos are decoded only for steps that can be
    # taken, and outside the row lock; a stale version first, since whatever the actor chose was
    # meant for a case that has moved on. Everything is checked again under the lock below.
    if case.version != expected_version:
        raise CaseConflict(conflict_message(case), case=case)
    _check_step(actor, case, spec)
    prepared = prepare_photos(inputs.get("photos")) if "photos" in spec.inputs else []

    now = now or timezone.now()
    saved: list[str] = []
    try:
        with transaction.atomic():
            locked = (
                Case.objects.select_for_update(of=("self",))
                .select_related("area", "street", "category")
                .get(pk=case.pk)
            )
            if locked.version != expected_version:
                raise CaseConflict(conflict_message(locked), case=locked)
            role = _check_step(actor, locked, spec)
            values = _clean_inputs(spec, locked, actor, inputs, prepared)
            entry = locked.stage_entry
            event = apply_step(spec, locked, actor=actor, role=role, values=values, now=now)
            locked.save()
            event.save()
            if locked.stage_entry != entry:
                suspension_end_for_new_stage(case=locked, now=now)
            _store_photos(locked, event, prepared, kind=spec.photo_kind, actor=actor, saved=saved)
    except BaseException:
        _discard(saved)
        raise
    return locked


def _check_step(actor, case: Case, spec: workflow.Step) -> str:
    """The role ``actor`` takes ``spec`` in; raises when the status or the actor do not allow it."""
    if case.status not in spec.sources:
        raise ValidationError(
            {
                "step": _("%(step)s is not possible while the case is %(status)s.")
                % {"step": spec.label, "status": case.get_status_display()}
            }
        )
    if spec.guard is not None:
        reason = spec.guard(case)
        if reason:
            raise ValidationError({"step": reason})
    role = role_for_step(actor, spec, case=case)
    if role is None:
        raise PermissionDenied(
            _("You may not %(step)s this case (held by: %(holder)s).")
            % {"step": str(spec.label).lower(), "holder": case.get_holder_display()}
        )
    return role


def _given(value) -> bool:
    return value not in (None, "", [], ())


def _clean_inputs(spec: workflow.Step, case: Case, actor, inputs: dict, prepared) -> dict:
    errors: dict[str, list] = {}
    values: dict = {}
    comment = str(inputs.get("comment") or "").strip()
    if len(comment) > MAX_COMMENT:
        errors.setdefault("comment", []).append(_("At most %(n)d characters.") % {"n": MAX_COMMENT})
    if "comment" in spec.required and not comment:
        errors.setdefault("comment", []).append(
            _("Give the reason.") if spec.comment_label else _("This field is required.")
        )
    values["comment"] = comment

    if "result" in spec.inputs:
        result = str(inputs.get("result") or "").strip()
        if not result:
            errors.setdefault("result", []).append(_("Describe what was done."))
        values["result"] = result

    if "photos" in spec.required and not prepared:
        errors.setdefault("photos", []).append(_("Add at least one photo."))

    if "satisfaction" in spec.inputs:
        satisfaction = inputs.get("satisfaction") or ""
        if satisfaction not in Satisfaction.values:
            errors.setdefault("satisfaction", []).append(
                _("Choose satisfied, basically satisfied or dissatisfied.")
            )
        values["satisfaction"] = satisfaction

    if "department" in spec.inputs:
        department = _department(inputs.get("department"), case, actor, errors)
        if department is None and "department" not in errors:
            department = default_department_for(case.category)
            if department is None:
                errors.setdefault("department", []).append(
                    _("Choose the department: this category has no default one.")
                )
            elif not departments_for(actor, area=case.area).filter(pk=department.pk).exists():
                errors.setdefault("department", []).append(
                    _("Choose the department: the category's default one does not serve here.")
                )
        values["department"] = department

    if "duplicate_of" in spec.inputs:
        values["duplicate_of"] = _original_case(inputs.get("duplicate_of"), case, actor, errors)

    is_public = inputs.get("is_public")
    values["is_public"] = spec.public if is_public in (None, "") else bool(is_public)
    if errors:
        raise ValidationError(errors)
    return values


def _department(value, case: Case, actor, errors) -> Department | None:
    """The chosen department, if it is active, the actor may choose it and it serves the case's
    area (its own street's, its district's or a city-wide one)."""
    if not _given(value):
        return None
    pk = value.pk if isinstance(value, Department) else value
    department = (
        departments_for(actor, area=case.area).filter(pk=pk).first() if str(pk).isdigit() else None
    )
    if department is None:
        errors.setdefault("department", []).append(
            _("Unknown or inactive department, or one that does not serve this case's area.")
        )
    return department


def _original_case(value, case: Case, actor, errors) -> Case | None:
    if not _given(value):
        errors.setdefault("duplicate_of", []).append(_("Choose the case this one duplicates."))
        return None
    pk = value.pk if isinstance(value, Case) else value
    original = visible(actor, Case.objects.filter(pk=pk)).first() if str(pk).isdigit() else None
    if original is None:
        errors.setdefault("duplicate_of", []).append(_("Unknown case."))
    elif original.pk == case.pk:
        errors.setdefault("duplicate_of", []).append(_("A case cannot duplicate itself."))
    elif original.status in (Status.REJECTED, Status.MERGED):
        errors.setdefault("duplicate_of", []).append(
            _("Merge into a case that is being handled, not a %(status)s one.")
            % {"status": original.get_status_display()}
        )
    elif original.street_id != case.street_id:
        errors.setdefault("duplicate_of", []).append(_("That case belongs to another street."))
    else:
        return original
    return None


def apply_step(
    spec: workflow.Step,
    case: Case,
    *,
    actor,
    role: str,
    values: dict,
    now: datetime,
    limits: clock.TimeLimits | None = None,
) -> CaseEvent:
    """Move ``case`` (in memory) through ``spec`` and return its unsaved event.

    Carries out what the table says the step does (status, holder, the inputs it writes, fixed
    values, times, counters), then the next stage's due time (``clock.due_time``; ``limits``
    for callers that take many steps) and the version. Callers have checked role, scope and
    inputs; they save the case and the event.
    """
    from_status = case.status
    from_holder = case.holder
    on_time = None if case.due_at is None or not spec.changes_state else now <= case.due_at

    if spec.target is not None:
        case.status = spec.target
    case.holder = spec.holder_after(case)
    for name in spec.writes:
        setattr(case, name, values[name])
    for name, value in spec.sets.items():
        setattr(case, name, value)
    for name in spec.stamps:
        setattr(case, name, now)
    for name in spec.counts:
        setattr(case, name, getattr(case, name) + 1)

    if case.status != from_status or case.holder != from_holder:
        case.due_at = clock.due_time(case, start=now, limits=limits)
        case.stage_entry += 1
    case.version += 1
    comment = values.get("comment", "")
    if not comment and values.get("result"):
        comment = values["result"]
    return CaseEvent(
        case=case,
        step=spec.name,
        actor=actor,
        actor_name=_actor_name(actor),
        role=role,
        from_status=from_status,
        to_status=case.status,
        to_holder=case.holder,
        # A step that hands the case to a department names it.
        department=case.department if spec.holder == Holder.DEPARTMENT else None,
        comment=comment,
        is_public=values.get("is_public", spec.public),
        due_at=case.due_at,
        on_time=on_time,
        created_at=now,
    )


def conflict_message(case: Case) -> str:
    """Who changed ``case`` last, for the actor whose step came too late (pages and API)."""
    last = case.events.order_by("-created_at", "-pk").first()
    if last is None:
        return _("This case has just been changed; check it again before you act.")
    return _(
        "This case was already changed by %(name)s (%(step)s at %(time)s); check it again "
        "before you act."
    ) % {
        "name": last.actor_name or _("someone"),
        "step": workflow.step_label(last.step),
        "time": timezone.localtime(last.created_at).strftime("%H:%M:%S"),
    }


def _actor_name(actor) -> str:
    return str(actor)[:150] if actor is not None else ""


# -- defaults -------------------------------------------------------------------------------
def default_department_for(category: Category) -> Department | None:
    """The category's default department, or its nearest ancestor's."""
    if category.default_department_id:
        return category.default_department
    ancestor = (
        Category.objects.filter(Category.ancestors_q(category), default_department__isnull=False)
        .select_related("default_department")
        .order_by("-level")
        .first()
    )
    return ancestor.default_department if ancestor else None


# -- photos ---------------------------------------------------------------------------------
def _store_photos(
    case: Case,
    event: CaseEvent,
    prepared: list[PreparedPhoto],
    *,
    kind: str,
    actor,
    saved: list[str],
) -> None:
    for photo in prepared:
        attachment = Attachment(
            case=case,
            event=event,
            kind=kind,
            width=photo.width,
            height=photo.height,
            size=photo.size,
            original_name=photo.original_name,
            uploaded_by=actor,
            created_at=event.created_at,
        )
        stem = uuid.uuid4().hex
        attachment.image.save(f"{stem}.jpg", ContentFile(photo.data), save=False)
        saved.append(attachment.image.name)
        attachment.thumbnail.save(f"{stem}_thumb.jpg", ContentFile(photo.thumbnail), save=False)
        saved.append(attachment.thumbnail.name)
        attachment.save()


def _discard(names: list[str]) -> None:
    """Remove files written for a step that did not commit."""
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)
