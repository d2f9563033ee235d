"""Reads of the deputies' contact station: stations, reception days (and the public list of
upcoming ones), residents' opinions with their follow-up, and a deputy's yearly summary. The
joins are named here, so pages and API share them."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from casework.models import Status
from governance.scopes import users_within, visible
from partybuilding.models import (
    ContactStation,
    DemandStatus,
    Deputy,
    Opinion,
    OpinionOutcome,
    Reception,
)
from partybuilding.permissions import PARTY_CHANGE_ROLES

# Case states in which the problem counts as solved for the deputy's summary.
SOLVED_CASE_STATES = frozenset({Status.CLOSED})
# Demand states in which it counts as taken up.
TAKEN_UP_DEMAND_STATES = frozenset({DemandStatus.MATCHED, DemandStatus.CLOSED})


def station_list_for(user) -> QuerySet[ContactStation]:
    today = timezone.localdate()
    return (
        visible(user, ContactStation.objects.select_related("area"))
        .annotate(
            deputy_count=Count("deputies", distinct=True),
            upcoming=Count(
                "receptions",
                filter=Q(receptions__day__gte=today)
                & ~Q(receptions__status=Reception.Status.CANCELLED),
                distinct=True,
            ),
        )
        .order_by("name")
    )


def reception_list_for(user) -> QuerySet[Reception]:
    return (
        visible(user, Reception.objects.select_related("station"))
        .prefetch_related(Prefetch("deputies", queryset=Deputy.objects.order_by("name")))
        .annotate(opinion_count=Count("opinions"))
    )


def upcoming_public_receptions(today: dt.date | None = None) -> QuerySet[Reception]:
    """Reception days to come at stations that publish them (anyone may read this)."""
    today = today or timezone.localdate()
    return (
        Reception.objects.filter(station__is_public=True, day__gte=today)
        .exclude(status=Reception.Status.CANCELLED)
        .select_related("station")
        .prefetch_related(Prefetch("deputies", queryset=Deputy.objects.order_by("name")))
        .order_by("day", "starts", "station__name")
    )


def opinion_rows(queryset: QuerySet[Opinion]) -> QuerySet[Opinion]:
    """Opinions with what a list shows: reception, station, deputy, place and follow-up."""
    return queryset.select_related(
        "reception__station", "deputy", "area", "demand", "case"
    ).order_by("-reception__day", "-pk")


def opinion_list_for(user) -> QuerySet[Opinion]:
    return opinion_rows(visible(user, Opinion.objects.all()))


def deputy_list_for(user) -> QuerySet[Deputy]:
    return (
        visible(user, Deputy.objects.select_related("area"))
        .prefetch_related("stations")
        .annotate(opinion_count=Count("opinions"))
        .order_by("name")
    )


def deputy_accounts_for(actor, deputy: Deputy | None = None) -> QuerySet:
    """The portal accounts ``actor`` may link to a deputy: those lying wholly inside the
    actor's party-building scope (``governance.scopes.users_within``) that no deputy uses yet,
    and the deputy's current account, which may stay as it is."""
    free = users_within(actor, PARTY_CHANGE_ROLES).filter(deputy__isnull=True)
    q = Q(pk__in=free.values("pk"))
    if deputy is not None and deputy.pk is not None:
        q |= Q(deputy=deputy)
    return get_user_model().objects.filter(q).order_by("username")


def deputy_for(user, pk) -> Deputy | None:
    """The deputy ``pk`` if ``user`` reads party work in their area, or is that deputy."""
    qs = Deputy.objects.select_related("area").prefetch_related("stations")
    deputy = visible(user, qs.filter(pk=pk)).first()
    if deputy is None and getattr(user, "is_authenticated", False):
        deputy = qs.filter(pk=pk, user=user).first()
    return deputy


def deputy_year(deputy: Deputy, year: int) -> dict:
    """A deputy's year: reception days attended, opinions received by outcome, and how many
    of the cases and demands they became have been solved or taken up (a fixed number of
    queries)."""
    opinions = list(opinion_rows(deputy.opinions.filter(reception__day__year=year)))
    by_outcome = {value: 0 for value in OpinionOutcome.values}
    for o in opinions:
        by_outcome[o.outcome] += 1
    cases = [o.case for o in opinions if o.case is not None]
    demands = [o.demand for o in opinions if o.demand is not None]
    return {
        "opinions": opinions,
        "receptions": deputy.receptions.filter(day__year=year)
        .exclude(status=Reception.Status.CANCELLED)
        .count(),
        "by_outcome": [(label, by_outcome[value]) for value, label in OpinionOutcome.choices],
        "total": len(opinions),
        "cases": len(cases),
        "cases_solved": sum(c.status in SOLVED_CASE_STATES for c in cases),
        "demands": len(demands),
        "demands_taken_up": sum(d.status in TAKEN_UP_DEMAND_STATES for d in demands),
        "replies": by_outcome[OpinionOutcome.REPLY],
    }
