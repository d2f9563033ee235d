"""The resident register's pages (mounted at /people/): the list for staff, a resident's page,
a grid worker's visiting list on the phone, the export and the people's-sentiment handbook.

Personal fields are shown masked everywhere; a keeper of the register reveals one value at a
time on the resident's page, with a reason (:func:`governance.privacy.reveal`, logged). A visit
is recorded on casework's visit page, which can file the need found as a case at once.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from governance import exports, privacy
from governance.db import chunked
from governance.pagination import COUNT_CAP, CappedPaginator
from governance.scopes import scope_of, visible
from grids import resident_selectors as selectors
from grids import resident_services as services
from grids.field_forms import areas_under
from grids.field_pages import PAGE_SIZE, int_or_none
from grids.models import Area, AreaKind, CareTag, GridStaff, Resident, ResidentCareTag
from grids.resident_registry import KEEPER_ROLES, REGISTER_ROLES

FILTER_KINDS = (
    AreaKind.STREET,
    AreaKind.COMMUNITY,
    AreaKind.GRID,
    AreaKind.MICRO_GRID,
    AreaKind.BUILDING,
)
PERSONAL = ("id_number", "phone", "registered_address")
# Rows an export writes at most (a street's register); larger ones are narrowed by area first.
EXPORT_LIMIT = 100_000
# The count of a list filtered by a care tag stops here ("1,000+"), not at the usual 10,000: it
# joins every link of the tag to its resident, and 10,000 of those cost more than the page
# (bench/results/resident_list.md). Forty pages are more than anyone turns; an area narrows it.
TAG_COUNT_CAP = 1_000


def _require_register(user) -> None:
    if not scope_of(user).has_role(*REGISTER_ROLES):
        raise PermissionDenied


def masked_fields(resident: Resident) -> dict[str, str]:
    return {name: privacy.masked(resident, name) for name in PERSONAL}


def _filters(request):
    user = request.user
    area_pk = int_or_none(request.GET.get("area"))
    area = visible(user, Area.objects.filter(pk=area_pk)).first() if area_pk else None
    tag_pk = int_or_none(request.GET.get("tag"))
    tag = selectors.care_tag_list_for(user).filter(pk=tag_pk).first() if tag_pk else None
    status = request.GET.get("status") or "living"
    if status not in selectors.STATUSES:
        status = "living"
    return {
        "area": area,
        "tag": tag,
        "status": status,
        "q": (request.GET.get("q") or "").strip()[:50],
        "order": request.GET.get("order") or "area",
    }


@login_required
@require_GET
def resident_list(request):
    """The residents of the user's scope, filtered and searchable (a name; an ID number or a
    phone only in full unless the user may reveal it), personal fields masked."""
    user = request.user
    _require_register(user)
    chosen = _filters(request)
    qs = selectors.resident_list_for(user, **chosen)
    cap = TAG_COUNT_CAP if chosen["tag"] is not None else COUNT_CAP
    paginator = CappedPaginator(qs, PAGE_SIZE, cap=cap, keys_first=True)
    page = paginator.get_page(request.GET.get("page"))
    rows = [(r, masked_fields(r)) for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "grids/people/residents.html",
        {
            **chosen,
            "rows": rows,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "filter_areas": areas_under(user, REGISTER_ROLES, FILTER_KINDS),
            "tags": selectors.care_tag_list_for(user).filter(active=True),
            "statuses": [
                ("living", _("Living here")),
                ("moved_out", _("Moved out")),
                ("deceased", _("Deceased")),
                ("all", _("All")),
            ],
            "query": query.urlencode(),
            "is_keeper": scope_of(user).has_role(*KEEPER_ROLES),
        },
    )


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[(n, n) for n in PERSONAL], widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Why do you need it?"), max_length=privacy.MAX_REASON
    )


class TagForm(forms.Form):
    tag = forms.ModelChoiceField(label=gettext_lazy("Care tag"), queryset=CareTag.objects.none())
    notes = forms.CharField(label=gettext_lazy("Notes"), max_length=200, required=False)


class DatedStepForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))


def _detail_context(request, resident, **extra) -> dict:
    user = request.user
    keeper = scope_of(user).is_superuser or services.can_keep(user, resident)
    tag_form = None
    if keeper and resident.is_living_here:
        tag_form = TagForm()
        held = [link.tag_id for link in resident.care_tags.all()]
        tag_form.fields["tag"].queryset = selectors.care_tags_for_area(resident.area).exclude(
            pk__in=held
        )
    return {
        "resident": resident,
        "masked": masked_fields(resident),
        "may_reveal": keeper and privacy.may_reveal_any(user, Resident, "phone"),
        "visits": selectors.visit_list_for(user, resident=resident)[:20],
        "is_keeper": keeper,
        "tag_form": tag_form,
        "step_form": DatedStepForm(initial={"on": timezone.localdate()}) if keeper else None,
        "revealed": {},
        **extra,
    }


@login_required
@require_GET
def resident_detail(request, pk: int):
    _require_register(request.user)
    resident = selectors.resident_detail_for(request.user, pk)
    if resident is None:
        raise Http404
    return render(request, "grids/people/resident.html", _detail_context(request, resident))


@login_required
@require_POST
def resident_reveal(request, pk: int):
    """Show one personal value of the resident in full, once, with the reason logged."""
    resident = selectors.resident_detail_for(request.user, pk)
    if resident is None:
        raise Http404
    form = RevealForm(request.POST)
    revealed = {}
    status = 200
    if form.is_valid():
        name = form.cleaned_data["field"]
        try:
            revealed[name] = privacy.reveal(
                user=request.user,
                obj=resident,
                name=name,
                reason=form.cleaned_data["reason"],
                interface=privacy.Interface.WEB,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
    else:
        messages.error(request, _("Say why you need the full value."))
        status = 400
    response = render(
        request,
        "grids/people/resident.html",
        _detail_context(request, resident, revealed=revealed),
        status=status,
    )
    # A value read in full is not kept by the browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def resident_tag_add(request, pk: int):
    resident = selectors.resident_detail_for(request.user, pk)
    if resident is None:
        raise Http404
    form = TagForm(request.POST)
    form.fields["tag"].queryset = selectors.care_tags_for_area(resident.area)
    if form.is_valid():
        try:
            services.resident_tag_add(
                actor=request.user,
                resident=resident,
                tag=form.cleaned_data["tag"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Care tag added."))
    else:
        messages.error(request, _("Choose a care tag."))
    return redirect("people:resident", pk=pk)


@login_required
@require_POST
def resident_tag_remove(request, pk: int, link: int):
    resident = selectors.resident_detail_for(request.user, pk)
    found = ResidentCareTag.objects.filter(pk=link, resident_id=pk).first() if resident else None
    if found is None:
        raise Http404
    services.resident_tag_remove(actor=request.user, link=found)
    messages.success(request, _("Care tag removed."))
    return redirect("people:resident", pk=pk)


@login_required
@require_POST
def resident_step(request, pk: int, step: str):
    """Moving out or death: a dated step; the resident stays in the register."""
    steps = {"move-out": services.resident_move_out, "death": services.resident_record_death}
    resident = selectors.resident_detail_for(request.user, pk)
    if resident is None or step not in steps:
        raise Http404
    form = DatedStepForm(request.POST)
    if form.is_valid():
        try:
            steps[step](actor=request.user, resident=resident, on=form.cleaned_data["on"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Enter a valid date."))
    return redirect("people:resident", pk=pk)


@login_required
@require_GET
def visits_due(request):
    """A grid worker's visiting list on the phone: residents whose visit by their care tags is
    overdue or due soon, the most overdue first."""
    _require_register(request.user)
    today = timezone.localdate()
    qs = selectors.residents_due_for(request.user, today=today)
    page = CappedPaginator(qs, PAGE_SIZE, keys_first=True).get_page(request.GET.get("page"))
    return render(
        request,
        "grids/people/due.html",
        {
            "residents": page.object_list,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "today": today,
        },
    )


@login_required
@require_GET
def resident_export(request):
    """The filtered list as .xlsx or .csv, scoped, personal fields masked, text never a
    formula (governance.exports)."""
    user = request.user
    _require_register(user)
    chosen = _filters(request)
    qs = selectors.resident_list_for(user, **chosen)[:EXPORT_LIMIT]
    fmt = request.GET.get("format") if request.GET.get("format") in exports.FORMATS else "xlsx"
    headers = [
        _("Building"),
        _("Room"),
        _("Name"),
        _("Gender"),
        _("Birth date"),
        _("Document type"),
        _("ID number"),
        _("Phone"),
        _("Ethnicity"),
        _("Political status"),
        _("Resident type"),
        _("Registered address"),
        _("Care tags"),
        _("Moved in on"),
        _("Moved out on"),
        _("Deceased on"),
        _("Last visited on"),
    ]

    def rows():
        for r in chunked(qs, 2000):
            shown = masked_fields(r)
            yield [
                r.area.name,
                r.room.number if r.room else "",
                r.name,
                r.get_gender_display(),
                r.birth_date,
                r.get_id_type_display(),
                shown["id_number"],
                shown["phone"],
                r.ethnicity,
                r.get_political_status_display(),
                r.get_resident_type_display(),
                shown["registered_address"],
                "、".join(link.tag.name for link in r.care_tags.all()),
                r.moved_in_on,
                r.moved_out_on,
                r.deceased_on,
                r.last_visit_on,
            ]

    return exports.spreadsheet_response(
        filename=_("residents"),
        headers=headers,
        rows=rows(),
        fmt=fmt,
        sheet_title=_("Residents"),
        text_columns=(1, 6, 7),
    )


@login_required
@require_GET
def handbook(request, pk: int):
    """The people's-sentiment handbook (民情手册) of a micro-grid (or a grid): its buildings, its
    leaders, its care residents and the latest visits, as one printable page."""
    user = request.user
    _require_register(user)
    area = visible(user, Area.objects.filter(pk=pk)).first()
    if area is None:
        raise Http404
    if area.kind not in (AreaKind.GRID, AreaKind.MICRO_GRID):
        raise Http404
    buildings = list(
        Area.objects.within(area, include_self=False)
        .filter(kind=AreaKind.BUILDING)
        .order_by(*Area.tree_order())
    )
    staff = list(
        GridStaff.objects.filter(Area.subtree_q(area, prefix="area__"), ended_on__isnull=True)
        .select_related("area")
        .order_by("area__code", "position", "name_sort", "name")
    )
    cared = (
        selectors.resident_list_for(user, area=area)
        .filter(care_tags__isnull=False)
        .distinct()
        .order_by("area__code", "name", "pk")
    )
    visits = selectors.visit_list_for(user).filter(Area.subtree_q(area, prefix="area__"))[:30]
    residents = selectors.resident_base(user).filter(Area.subtree_q(area, prefix="area__"))
    return render(
        request,
        "grids/people/handbook.html",
        {
            "area": area,
            "buildings": buildings,
            "staff": staff,
            "cared": [(r, masked_fields(r)) for r in cared[:500]],
            "visits": visits,
            "population": residents.living_here().count(),
            "households": selectors.household_list_for(user)
            .filter(Area.subtree_q(area, prefix="area__"))
            .count(),
            "printed_on": timezone.localdate(),
        },
    )


@login_required
@require_GET
def handbook_index(request):
    """The micro-grids (and grids) whose handbook the user may print."""
    _require_register(request.user)
    areas = areas_under(request.user, REGISTER_ROLES, (AreaKind.GRID, AreaKind.MICRO_GRID))
    return render(request, "grids/people/handbook_index.html", {"areas": areas[:400]})
