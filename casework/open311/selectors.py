"""Reads of the public intake: what Open311 clients and residents may see.

Public means: cases of public categories in a jurisdiction, their public events and the photos
of public events. Every list is one query for its page (the latest public note and the first
public photo are correlated subqueries), whatever its length.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from casework.models import OPEN_STATUSES, Attachment, Case, CaseEvent, Category
from casework.open311.models import Intake, Jurisdiction, ServiceAttribute, ServiceDefinition
from governance import pinyin
from governance.processcache import ProcessCache
from grids.models import Area, AreaKind

# Personal data a reporter may type into a description: phone numbers, ID card numbers,
# e-mail addresses. Public responses show them masked.
_PHONE_OR_ID = r"(?<![0-9])(?:1[3-9][0-9]{9}(?![0-9])|[0-9]{17}[0-9Xx](?![0-9A-Za-z]))"
# Chinese text runs straight into an address ("联系邮箱li@example.cn，谢谢"), and a Unicode ``\w``
# took the words on either side as part of it (the whole description, when it has no
# punctuation). So an address's local part is read in ASCII only, and each label of its domain
# is either ASCII or in another script, not both ("163.com或来电" ends at "com"). A local part in
# another script (an internationalized address, "王@例子.中国") stays, its domain masked: what is
# left reaches nobody. On ASCII text the pattern masks what ``[\w.+-]+@[\w-]+(\.[\w-]+)+`` did.
_LABEL = r"(?:[A-Za-z0-9_-]+|[^\W\d_A-Za-z]+)"
_PERSONAL = re.compile(_PHONE_OR_ID + rf"|[A-Za-z0-9_.+-]*@{_LABEL}(?:\.{_LABEL})+")
# The e-mail alternative is tried from every character of a run of the local part's
# characters, each try to the run's end: quadratic in the run. It cannot match a text without
# "@"; the rest masks the same.
_PHONE_OR_ID_ONLY = re.compile(_PHONE_OR_ID)


def open311_status(status: str) -> str:
    """GeoReport's status of a case: ``open`` while somebody has to act, else ``closed``."""
    return "open" if status in OPEN_STATUSES else "closed"


def mask_personal(text: str) -> str:
    text = text or ""
    return (_PERSONAL if "@" in text else _PHONE_OR_ID_ONLY).sub("***", text)


# -- jurisdictions --------------------------------------------------------------------------
def only_jurisdiction() -> Jurisdiction | None:
    """The jurisdiction a request without ``jurisdiction_id`` means: the only active one
    (None when there are none or several)."""
    found = list(
        Jurisdiction.objects.filter(is_active=True).select_related("area").order_by("pk")[:2]
    )
    return found[0] if len(found) == 1 else None


def jurisdiction_by_id(jurisdiction_id: str) -> Jurisdiction | None:
    return (
        Jurisdiction.objects.filter(jurisdiction_id=jurisdiction_id, is_active=True)
        .select_related("area")
        .first()
    )


# -- services -------------------------------------------------------------------------------
def public_categories() -> QuerySet[Category]:
    """Sub-categories open to public reports, with their group (parent) and service settings."""
    has_children = Category.objects.filter(parent=OuterRef("pk"))
    return (
        Category.objects.filter(is_public=True, is_active=True)
        .filter(~Exists(has_children))
        .select_related("parent", "open311")
        .order_by(*Category.tree_order())
    )


def public_services() -> QuerySet[Category]:
    """Public categories with ``has_attributes`` (whether their service asks questions)."""
    questions = ServiceAttribute.objects.filter(service__category=OuterRef("pk"))
    return public_categories().annotate(has_attributes=Exists(questions))


def public_category(code: str) -> Category | None:
    return public_categories().filter(code=code).first()


def service_attributes(category: Category) -> list[ServiceAttribute]:
    """The questions of ``category``'s service with their options, in their order."""
    return list(
        ServiceAttribute.objects.filter(service__category=category)
        .prefetch_related("values")
        .order_by("order", "pk")
    )


def public_services_with_questions() -> list[Category]:
    """Public categories, each with ``questions`` (its attributes with options): two queries
    for the residents' page whatever the number of categories."""
    categories = list(public_categories())
    questions: dict[int, list[ServiceAttribute]] = {}
    for attribute in (
        ServiceAttribute.objects.filter(service__category__in=categories)
        .select_related("service")
        .prefetch_related("values")
        .order_by("order", "pk")
    ):
        questions.setdefault(attribute.service.category_id, []).append(attribute)
    for category in categories:
        category.questions = questions.get(category.pk, [])
    return categories


def changeset() -> datetime | None:
    """When the services last changed (categories, service settings, questions)."""
    moments = [
        qs.order_by("-updated_at").values_list("updated_at", flat=True).first()
        for qs in (
            Category.objects.filter(is_public=True),
            ServiceDefinition.objects.all(),
            ServiceAttribute.objects.all(),
        )
    ]
    moments = [m for m in moments if m is not None]
    return max(moments) if moments else None


# -- requests -------------------------------------------------------------------------------
class EpochSeconds(models.Func):
    """The whole seconds since 1970-01-01 UTC of a date-time (None stays None). A list of a
    thousand requests reads its date-times so: Django's PostgreSQL loader parses a date-time's
    text in Python, about 4 µs a value, where an integer costs next to nothing."""

    output_field = models.BigIntegerField()
    template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS bigint)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # "%%%%" is "%" once Django has filled the template and SQLite's placeholders in.
        template = "CAST(strftime('%%%%s', %(expressions)s) AS integer)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


# What a request's public fields are made of (casework.open311.views._row): read as rows of
# values, not as a case with five related objects, for a list of up to 1,000 requests. Its
# service (category) comes from :func:`public_services_by_key`, its department, community and
# street from the process caches (``casework.selectors.cached_rows``); the statement joins only
# the area of the jurisdiction's scope. PostgreSQL planned the seven-table join in 6–7 ms for
# about 10 ms of execution at a million cases (bench/results/explain.md, issue 15).
REQUEST_FIELDS = (
    "pk", "status", "holder", "description", "address", "latitude", "longitude",
    "requested", "updated", "expected", "category_id", "department_id", "community_id",
    "street_id", "area__name", "area__code", "area__kind", "note_comment", "note_step",
    "photo_id",
)  # fmt: skip


class PublicService(NamedTuple):
    """What a request shows of its service: the category's name and code, and the notice of
    its service settings (None without them)."""

    name: str
    code: str
    notice: str | None


# Public categories by key, kept per process: read for every request list, edited a few times a
# year (watched, with their service settings, in casework.open311.setup).
PUBLIC_SERVICES = ProcessCache("open311-public-services")


def public_services_by_key() -> dict[int, PublicService]:
    """Every public category (a request's service) by its key: read-only, shared by the
    process's answers."""

    def load() -> dict[int, PublicService]:
        return {
            pk: PublicService(name, code, notice)
            for pk, name, code, notice in Category.objects.filter(is_public=True).values_list(
                "pk", "name", "code", "open311__notice"
            )
        }

    return PUBLIC_SERVICES.get("by-key", load)


def public_requests(jurisdiction: Jurisdiction, services: dict[int, PublicService]) -> QuerySet:
    """Cases of the public categories ``services`` (:func:`public_services_by_key`) in the
    jurisdiction as named rows of :data:`REQUEST_FIELDS`, with ``note_comment`` (the latest
    public comment, None when there is none), ``note_step`` (the step of the latest public
    event), ``photo_id`` (the first public photo) and three moments in :class:`EpochSeconds`:
    ``requested`` (when it was reported), ``updated`` (when it last changed; once it is no
    longer open, when it was closed if it was) and ``expected`` (its next deadline while it is
    open, else None)."""
    latest = CaseEvent.objects.filter(case=OuterRef("pk"), is_public=True).order_by(
        "-created_at", "-pk"
    )
    photo = Attachment.objects.filter(case=OuterRef("pk"), event__is_public=True).order_by(
        "created_at", "pk"
    )
    is_open = Q(status__in=sorted(OPEN_STATUSES))
    return (
        Case.objects.filter(category_id__in=sorted(services))
        .filter(Area.subtree_q(jurisdiction.area, prefix="area__"))
        .annotate(
            note_comment=Subquery(latest.exclude(comment="").values("comment")[:1]),
            note_step=Subquery(latest.values("step")[:1]),
            photo_id=Subquery(photo.values("pk")[:1]),
            requested=EpochSeconds("reported_at"),
            updated=EpochSeconds(
                models.Case(
                    models.When(is_open, then="updated_at"),
                    default=Coalesce("closed_at", "updated_at"),
                )
            ),
            expected=EpochSeconds(models.Case(models.When(is_open, then="due_at"))),
        )
        .values_list(*REQUEST_FIELDS, named=True)
    )


def public_updates(jurisdiction: Jurisdiction) -> QuerySet[CaseEvent]:
    """Public steps taken on public cases of the jurisdiction (not the filing itself), each
    with ``photo_id`` of its first photo."""
    photo = Attachment.objects.filter(event=OuterRef("pk")).order_by("pk")
    return (
        CaseEvent.objects.filter(is_public=True, case__category__is_public=True)
        .exclude(step="report")
        .filter(Area.subtree_q(jurisdiction.area, prefix="case__area__"))
        .select_related("case", "department")
        .annotate(photo_id=Subquery(photo.values("pk")[:1]))
    )


# -- the residents' page --------------------------------------------------------------------
def intake_by_token(token: str) -> Intake | None:
    return (
        Intake.objects.filter(token=token, case__category__is_public=True)
        .select_related(
            "case__category", "case__department", "case__community", "case__street", "case__area"
        )
        .first()
    )


def public_events(case: Case) -> list[CaseEvent]:
    """The case's public events with their photos, oldest first."""
    return list(
        CaseEvent.objects.filter(case=case, is_public=True)
        .select_related("department")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def public_photo(pk: int) -> Attachment | None:
    """A photo anyone may see: taken with a public event of a case of a public category."""
    return (
        Attachment.objects.filter(pk=pk, event__is_public=True, case__category__is_public=True)
        .only("pk", "image", "thumbnail")
        .first()
    )


def street_buildings(street: Area, text: str, *, limit: int = 20) -> list[Area]:
    """Buildings of ``street`` whose name or code matches ``text``, each with ``community``
    (its community's name, read in one more query for all of them)."""
    text = (text or "").strip()
    if not text:
        return []
    buildings = list(
        Area.objects.within(street)
        .filter(kind=AreaKind.BUILDING)
        .filter(pinyin.name_q(text) | Q(code__startswith=text))
        .order_by("code")[:limit]
    )
    ancestors = Area.ancestors_of_many(buildings)
    for building in buildings:
        building.community = next(
            (a.name for a in ancestors[building.pk] if a.kind == AreaKind.COMMUNITY), ""
        )
    return buildings
