"""Pages of the three carriages: the compounds in scope with their residents' committee,
owners' committee and property company, and one compound with its committee's members, its
contracts, its joint meetings and the cases its property company handles there."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from casework.models import Case
from governance.scopes import visible
from grids.models import Area
from partybuilding import cogov_selectors as selectors
from partybuilding.models import Council, MeetingKind
from partybuilding.views.common import paginate, party_page

ELECTION_WARNING_DAYS = 90


@party_page
def compounds(request):
    today = timezone.localdate()
    context = {
        **paginate(request, selectors.compound_list_for(request.user, today=today)),
        "today": today,
        "warn_days": ELECTION_WARNING_DAYS,
    }
    return render(request, "partybuilding/compounds.html", context)


@party_page
def compound_detail(request, pk):
    today = timezone.localdate()
    compound = selectors.compound_list_for(request.user, today=today).filter(pk=pk).first()
    if compound is None:
        raise Http404
    committee = getattr(compound, "owners_committee", None)
    company = compound.current_contract[0].company if compound.current_contract else None
    councils = visible(
        request.user,
        Council.objects.filter(area=compound.area, kind=MeetingKind.THREE_CARRIAGES),
    ).prefetch_related("meetings")
    cases = []
    if company is not None:
        cases = (
            visible(
                request.user,
                Case.objects.filter(
                    Area.subtree_q(compound.area, prefix="area__"), department=company.department
                ),
            )
            .select_related("category")
            .order_by("-reported_at")[:10]
        )
    context = {
        "compound": compound,
        "committee": committee,
        "members": committee.members.select_related("party_member") if committee else (),
        "election_due": committee is not None
        and committee.term_ends_within(ELECTION_WARNING_DAYS, today),
        "company": company,
        "contract": compound.current_contract[0] if company else None,
        "contracts": compound.contracts.select_related("company__department"),
        "councils": councils,
        "cases": cases,
    }
    return render(request, "partybuilding/compound_detail.html", context)
