"""Pages of party organizations, members, the "show identity" cards and dual reporting."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from governance import pinyin, privacy
from governance.forms import RevealForm
from governance.scopes import visible
from grids.models import Area, AreaKind
from partybuilding import filters, selectors, services
from partybuilding.forms.organizations import DualReportForm, MemberForm, ServiceRecordForm
from partybuilding.models import (
    FEEDBACK_FIRST_YEAR,
    REPORT_STEPS,
    MemberStatus,
    PartyOrganization,
    ReportKind,
)
from partybuilding.permissions import PersonalData, may_change_in, may_change_somewhere
from partybuilding.views.common import (
    call_service,
    form_page,
    get_visible_or_404,
    paginate,
    party_page,
)


@party_page
def organizations(request):
    f = filters.OrganizationFilterSet(
        request.GET, queryset=selectors.organization_list_for(request.user)
    )
    qs = f.qs
    base = qs.aggregate(top=Min("level"))["top"] or 0
    if not request.GET.get("kind"):
        # Committees and branches; the party groups below a branch are on the branch's page.
        qs = qs.filter(level__lte=base + 2)
    nodes = list(qs[:500])
    for node in nodes:
        node.indent = node.level - base
    return render(request, "partybuilding/organizations.html", {"filter": f, "nodes": nodes})


@party_page
def organization_detail(request, pk):
    org = get_visible_or_404(request.user, selectors.organization_list_for(request.user), pk)
    personal = PersonalData(request.user)
    context = {
        "org": org,
        "ancestors": list(
            PartyOrganization.objects.filter(PartyOrganization.ancestors_q(org)).order_by(
                *PartyOrganization.tree_order()
            )
        ),
        "children": selectors.organization_list_for(request.user).filter(parent=org),
        "posts": selectors.organization_posts(org),
        **paginate(request, selectors.member_list_for(request.user).filter(organization=org)),
    }
    _mark_revealable(personal, context["rows"])
    return render(request, "partybuilding/organization_detail.html", context)


@party_page
def members(request):
    f = filters.MemberFilterSet(request.GET, queryset=selectors.member_list_for(request.user))
    personal = PersonalData(request.user)
    context = {"filter": f, "personal": personal, **paginate(request, f.qs)}
    _mark_revealable(personal, context["rows"])
    return render(request, "partybuilding/members.html", context)


def _mark_revealable(personal: PersonalData, members) -> None:
    """Phones and ID numbers are shown masked; a member whose data the user may read in full
    gets a link to the reveal page (no query per row)."""
    for member in members:
        member.revealable = personal.allowed(member.organization.area)


@party_page
def member_reveal(request, pk):
    """A member's phone and ID number in full: asked with a reason, read through
    governance.privacy (which checks role and scope and writes the access log)."""
    member = get_visible_or_404(request.user, selectors.member_list_for(request.user), pk)
    if not privacy.may_reveal(request.user, member, "phone"):
        raise PermissionDenied
    form = RevealForm(request.POST or None)
    labels = {"phone": _("Phone"), "id_number": _("ID number")}
    values = None
    if request.method == "POST":
        revealed = form.reveal(user=request.user, obj=member, names=labels)
        if revealed is not None:
            values = [(labels[name], value) for name, value in revealed.items()]
    return render(
        request,
        "partybuilding/member_reveal.html",
        {"member": member, "form": form, "values": values},
    )


@party_page
def member_new(request):
    return form_page(
        request,
        form=MemberForm(request.POST or None, user=request.user),
        save=lambda f: services.member_save(actor=request.user, member=f.instance),
        title=_("Register a party member"),
        back="partybuilding:members",
        success=_("The member has been registered."),
        done=lambda member: reverse("partybuilding:members"),
    )


@party_page
def identity_card(request, pk):
    """亮身份: the printable card of one building."""
    building = get_visible_or_404(
        request.user, Area.objects.filter(kind__in=[AreaKind.BUILDING, AreaKind.UNIT]), pk
    )
    members = selectors.show_identity_card(request.user, building)
    return render(
        request, "partybuilding/identity_card.html", {"building": building, "members": members}
    )


@party_page
def identity_index(request):
    """Buildings of the scope with party members living in them, to print their cards."""
    rows = (
        visible(request.user, Area.objects.filter(kind=AreaKind.BUILDING))
        .annotate(
            n=Count(
                "resident_party_members",
                filter=~Q(resident_party_members__status=MemberStatus.TRANSFERRED_OUT),
            )
        )
        .filter(n__gt=0)
        .order_by("code")
    )
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(pinyin.name_q(q))
    return render(request, "partybuilding/identity_index.html", {"q": q, **paginate(request, rows)})


@party_page
def dual_reports(request):
    f = filters.DualReportFilterSet(
        request.GET, queryset=selectors.dual_report_list_for(request.user)
    )
    context = {
        "filter": f,
        "board": selectors.dual_report_board(request.user),
        "communities": selectors.scope_communities(request.user),
        "can_change": may_change_somewhere(request.user),
        **paginate(request, f.qs),
    }
    return render(request, "partybuilding/dual_reports.html", context)


@party_page
def dual_report_new(request):
    return form_page(
        request,
        form=DualReportForm(request.POST or None, user=request.user),
        save=lambda f: services.dual_report_register(actor=request.user, **f.cleaned_data),
        title=_("Register a dual report"),
        back="partybuilding:dual-reports",
        success=_("The dual report has been registered."),
        done=lambda report: reverse("partybuilding:dual-report", args=[report.pk]),
    )


@party_page
def dual_report_detail(request, pk):
    report = get_visible_or_404(request.user, selectors.dual_report_list_for(request.user), pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action in REPORT_STEPS:
            call_service(
                request,
                lambda: services.dual_report_step(
                    actor=request.user,
                    report=report,
                    step=action,
                    reason=request.POST.get("reason", ""),
                ),
                _("The report has been updated."),
            )
        elif action == "service":
            form = ServiceRecordForm(request.POST)
            if form.is_valid():
                call_service(
                    request,
                    lambda: services.dual_report_record_service(
                        actor=request.user, report=report, **form.cleaned_data
                    ),
                    _("The service has been recorded."),
                )
            else:
                for errors in form.errors.values():
                    for e in errors:
                        messages.error(request, e)
        return redirect("partybuilding:dual-report", pk)
    today = timezone.localdate()
    context = {
        "report": report,
        "services": report.services.all()[:50],
        "can_change": may_change_in(request.user, report.community),
        "service_form": ServiceRecordForm(initial={"served_on": today}),
        "quarter": (today.month - 1) // 3 + 1,
        "year": today.year,
        "revealable": report.member_id
        and PersonalData(request.user).allowed(report.member.organization.area),
    }
    return render(request, "partybuilding/dual_report_detail.html", context)


@party_page
def feedback_sheet(request, pk):
    report = get_visible_or_404(
        request.user,
        selectors.dual_report_list_for(request.user).filter(kind=ReportKind.PERSONAL),
        pk,
    )
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        quarter = int(request.GET.get("quarter", (today.month - 1) // 3 + 1))
    except ValueError:
        raise Http404 from None
    if not (1 <= quarter <= 4 and FEEDBACK_FIRST_YEAR <= year <= today.year + 1):
        raise Http404
    return render(
        request,
        "partybuilding/feedback_sheet.html",
        selectors.feedback_sheet(report, year=year, quarter=quarter),
    )
