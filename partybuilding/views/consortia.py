"""Pages of governance consortia: the list, and one consortium with its team, what it covers
and its figures, demands, projects and meetings."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from governance.scopes import can_change
from partybuilding import cogov_selectors as selectors
from partybuilding.views.common import paginate, party_page


@party_page
def consortia(request):
    return render(
        request,
        "partybuilding/consortia.html",
        paginate(request, selectors.consortium_list_for(request.user)),
    )


@party_page
def consortium_detail(request, pk):
    consortium = selectors.consortium_list_for(request.user).filter(pk=pk).first()
    if consortium is None:
        raise Http404
    figures = selectors.consortium_figures(consortium)
    context = {
        "consortium": consortium,
        "members": consortium.members.select_related("unit", "company__department"),
        "units": consortium.units.order_by("name"),
        "can_change": can_change(request.user, consortium),
        "map_data": {
            **selectors.consortium_map(figures["areas"], figures["compounds"]),
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        },
        **figures,
    }
    return render(request, "partybuilding/consortium_detail.html", context)
