"""Pages of units' points: the yearly ranking (settled from the year's events by an officer of
the street) and the printable annual feedback letter to a unit's party organization."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from governance.scopes import scope_of
from grids.models import Area
from partybuilding import cogov_selectors as selectors
from partybuilding import services
from partybuilding.models import CoConstructionUnit, UnitPointRule
from partybuilding.permissions import PARTY_CHANGE_ROLES, may_change_in
from partybuilding.views.common import (
    call_service,
    get_visible_or_404,
    paginate,
    party_page,
    year_param,
)


def _streets(user) -> list:
    """The streets whose scheme the user may settle."""
    return [
        a
        for a in scope_of(user).areas(PARTY_CHANGE_ROLES)
        if a.kind == Area.STREET_KIND and may_change_in(user, a)
    ]


@party_page
def ranking(request):
    year = year_param(request)
    streets = _streets(request.user)
    if request.method == "POST":
        street = next((s for s in streets if str(s.pk) == request.POST.get("street")), None)
        if street is None:
            raise Http404
        created = call_service(
            request,
            lambda: services.unit_points_settle(actor=request.user, street=street, year=year),
            _("The year's events have been credited."),
        )
        if created is not None:
            return redirect(f"{request.path}?year={year}")
    context = {
        **paginate(request, selectors.unit_ranking(request.user, year)),
        "year": year,
        "streets": streets,
        "rules": UnitPointRule.objects.filter(area__in=streets).order_by("item"),
    }
    return render(request, "partybuilding/unit_ranking.html", context)


@party_page
def feedback_letter(request, pk):
    year = year_param(request)
    unit = get_visible_or_404(request.user, CoConstructionUnit.objects.select_related("area"), pk)
    context = {"unit": unit, "year": year, **selectors.unit_year(unit, year)}
    return render(request, "partybuilding/unit_letter.html", context)
