"""The case pages: filing, inboxes, the list with its export, and the case page with its steps.

Views stay thin: reads come from :mod:`casework.selectors` (and :mod:`casework.page_selectors`),
every write goes through :mod:`casework.services`, and the steps offered are the step
table's (``selectors.available_steps``).
"""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework import (
    case_page,
    export_jobs,
    exports,
    page_selectors,
    photo_drafts,
    selectors,
    services,
    tables,
    workflow,
)
from casework.deadlines import permissions as deadline_permissions
from casework.filters import SEARCH_COUNT_CAP, CaseFilterSet
from casework.forms import CaseReportForm, StepForm
from casework.models import Attachment, Case, Category
from governance import widgets
from governance.files import file_response
from governance.forms import RevealForm, apply_service_errors
from governance.images import MAX_PHOTO_BYTES
from governance.pagination import CappedPaginator
from governance.scopes import visible
from grids.models import Area

PAGE_SIZE = 25
INBOX_PAGE_SIZE = 20
# Sort keys of the list page → order_by; the default is the newest first.
SORTS = {
    "-reported": ("-reported_at", "-pk"),
    "reported": ("reported_at", "pk"),
    "due": ("due_at", "pk"),
    "-due": ("-due_at", "-pk"),
    "number": ("number", "pk"),
    "-number": ("-number", "-pk"),
}
# The inbox sections, in the order shown: key of selectors.inbox_for → title, explanation.
INBOX_SECTIONS = {
    "dispatch": (
        gettext_lazy("To accept and dispatch"),
        gettext_lazy("Reported and returned cases held by your community."),
    ),
    "department": (
        gettext_lazy("Dispatched to my department"),
        gettext_lazy("Acknowledge them, handle them and report the result."),
    ),
    "verification": (
        gettext_lazy("To verify on site"),
        gettext_lazy("Handled cases in your grid: check the fix and close or send back."),
    ),
    "center": (
        gettext_lazy("Supervision: near due and overdue"),
        gettext_lazy(
            "Escalated cases, cases to verify and every open case near or past its limit."
        ),
    ),
}


def case_or_404(user, pk: int) -> Case:
    """The case ``pk`` if ``user`` may see it (for the case and the deadline pages)."""
    case = selectors.case_detail_for(user, pk)
    if case is None:
        raise Http404(_("No such case, or it is outside your scope."))
    return case


# -- inbox ----------------------------------------------------------------------------------
@login_required
def inbox(request):
    """One page with a section per inbox the user's roles have, most urgent first."""
    boxes = selectors.inbox_for(request.user)
    if not boxes:
        return render(request, "casework/inbox.html", {"sections": [], "no_inbox": True})
    now = timezone.now()
    sections = []
    for key, (title, help_text) in INBOX_SECTIONS.items():
        qs = boxes.get(key)
        if qs is None:
            continue
        # The count and the page's keys from one read of the first keys in the inbox's order:
        # a count apart evaluated the inbox's condition and scope a second time, one statement
        # more to plan and run (the center's: its four branches and a street's subtree, issue 15).
        paginator = CappedPaginator(
            qs,
            INBOX_PAGE_SIZE,
            cap=selectors.INBOX_COUNT_CAP,
            rows=selectors.case_rows,
            count_keys=True,
        )
        page = paginator.get_page(request.GET.get(f"{key}_page"))
        cases = tables.annotate(page.object_list, now)
        sections.append(
            {
                "key": key,
                "title": title,
                "help": help_text,
                "page": page,
                "cases": cases,
                "rows": tables.rows_html(cases, now),
            }
        )
    return render(
        request,
        "casework/inbox.html",
        {"sections": sections, "can_report": selectors.can_report(request.user)},
    )


# -- list and export ------------------------------------------------------------------------
# The list's parameters that are not filters: paging through or sorting the whole list is not
# filtering it (the filter panel stays shut and offers no "Clear"; the filter set is not bound
# and cleaned for nothing, a tenth of a later page's CPU, issue 15).
NOT_FILTERS = frozenset({"page", "sort"})


def _filtered(request) -> tuple[CaseFilterSet, object]:
    base = selectors.case_list_for(request.user)
    filters = request.GET if any(key not in NOT_FILTERS for key in request.GET) else None
    filterset = CaseFilterSet(filters, queryset=base, request=request)
    qs = filterset.qs if filterset.is_bound else base
    if filterset.is_bound and not filterset.is_valid():
        qs = base.none()
    return filterset, qs


@login_required
@require_GET
def case_list(request):
    filterset, qs = _filtered(request)
    sort = request.GET.get("sort", "-reported")
    if sort not in SORTS:
        sort = "-reported"
    if filterset.searches:
        # A search reads and sorts its matches before the page: their keys alone first (the
        # case and its area, for the scope), then the page's rows with their joins. In one
        # statement PostgreSQL took a search for a row or two and joined every match to each
        # of its tables by a nested loop (路12号, 3,334 matches at a million cases: 1.1 s).
        # The count and the page share that read (the first keys up to the cap): counted
        # apart, the candidates of 路12号 were read twice (issue 15).
        qs = qs.select_related(None).order_by(*SORTS[sort])
        paginator = CappedPaginator(
            qs, PAGE_SIZE, cap=SEARCH_COUNT_CAP, rows=selectors.case_rows, count_keys=True
        )
    else:
        # The count kept until a case of the user's streets is written (selectors.CASE_COUNTS):
        # counting a street's cases was most of the page's database time (issue 15).
        kept = None if filterset.reads_the_clock else selectors.CASE_COUNTS
        paginator = CappedPaginator(
            selectors.case_rows(qs).order_by(*SORTS[sort]),
            PAGE_SIZE,
            kept=kept,
            parts=selectors.case_count_parts(request.user),
        )
    page = paginator.get_page(request.GET.get("page"))
    selected_area = filterset.form.data.get("area") if filterset.is_bound else None
    _shape_filter_form(filterset, request.user, selected_area)
    now = timezone.now()
    cases = tables.annotate(page.object_list, now)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    return render(
        request,
        "casework/list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "cases": cases,
            "rows": tables.rows_html(cases, now),
            "sort": sort,
            "base_query": query.urlencode(),
            "export_query": request.GET.urlencode(),
            "can_report": selectors.can_report(request.user),
            "filtered": filterset.is_bound,
            "figure_label": dict(filterset.form.fields["figure"].choices).get(
                filterset.form.data.get("figure") if filterset.is_bound else None, ""
            ),
        },
    )


def _shape_filter_form(filterset: CaseFilterSet, user, selected) -> None:
    """Draw the shared FilterSet for a page: check boxes for the multiple choices, indented
    trees, and in the area filter the levels people filter by (down to grids) rather than every
    building of the street (the field still accepts any visible area)."""
    fields = filterset.form.fields
    for name in ("status", "source", "priority"):
        fields[name].widget = widgets.CheckboxSelectMultiple(choices=fields[name].choices)
    for field in fields.values():  # the same markup, drawn without a template per option
        if type(field.widget) is forms.Select:
            field.widget = widgets.Select(attrs=field.widget.attrs, choices=field.widget.choices)
        elif type(field.widget) is forms.NullBooleanSelect:
            field.widget = widgets.NullBooleanSelect(attrs=field.widget.attrs)
        elif type(field.widget) is forms.TextInput:
            field.widget = widgets.TextInput(attrs=field.widget.attrs)
        elif type(field.widget) is forms.DateInput:
            field.widget = widgets.DateInput(attrs=field.widget.attrs, format=field.widget.format)
    fields["q"].widget.attrs["placeholder"] = _("Number, title or address")
    fields["department"].empty_label = _("All departments")
    for name in ("reported_from", "reported_to"):
        fields[name].widget.input_type = "date"
    field = fields["area"]
    selected_pk = int(selected) if str(selected or "").isdigit() else None
    top = None
    choices = [("", _("All areas"))]
    for pk, rank, name in page_selectors.filter_area_options(user, selected_pk):
        top = rank if top is None else top
        choices.append((pk, "\u3000" * max(0, rank - top) + name))
    field.widget.choices = choices
    fields["department"].widget.choices = [
        ("", fields["department"].empty_label),
        *page_selectors.filter_department_options(user),
    ]
    categories = filterset.form.fields["category"]
    categories.widget.choices = [
        ("", _("All categories")),
        *page_selectors.filter_category_choices(),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def case_export(request):
    """The filtered list as an Excel file, within the user's scope. Up to ``MAX_ROWS`` cases
    the file is written at once; more are offered as a background export (a POST starts it)."""
    if request.method == "POST":
        try:
            export = export_jobs.case_export_start(
                owner=request.user, query=request.GET.urlencode()
            )
        except ValidationError:
            messages.error(request, _("The filters are not valid: correct them and export again."))
            return redirect(f"{reverse('casework:list')}?{request.GET.urlencode()}")
        return redirect("casework:export_job", pk=export.pk)
    _filterset, qs = _filtered(request)
    ordered = qs.order_by("-reported_at", "-pk")
    head = page_selectors.export_head(ordered)
    count = len(head) if head is not None else qs.count()
    if count > exports.MAX_ROWS:
        return render(
            request,
            "casework/export_start.html",
            {
                "count": count,
                "max": exports.MAX_ROWS,
                "query": request.GET.urlencode(),
                "hours": settings.CASE_EXPORT_HOURS,
            },
        )
    rows = page_selectors.export_rows(ordered, head=head)
    handle = exports.write_cases(rows)
    name = f"cases-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=exports.CONTENT_TYPE,
    )


@login_required
@require_GET
def case_export_job(request, pk):
    """A background export of the user's own: its progress, then its download link."""
    export = export_jobs.case_export_for(request.user, pk)
    if export is None:
        raise Http404
    return render(request, "casework/export.html", {"export": export})


@login_required
@require_GET
def case_export_file(request, pk):
    """The file of the user's own finished export (404 for anyone else's)."""
    export = export_jobs.case_export_for(request.user, pk)
    if export is None or export.state != export.State.DONE:
        raise Http404
    return file_response(
        export.file, content_type=exports.CONTENT_TYPE, download_name=export.download_name
    )


# -- filing ---------------------------------------------------------------------------------
@login_required
def case_new(request):
    """The filing form. A post carries an idempotency key (the form's hidden field, or the
    ``Idempotency-Key`` header of a draft sent again from the phone's outbox): the same key
    twice files one case. A post that asks for JSON (the outbox) gets JSON: 201 (or 200 for a
    replay) with the case's page, 400 with the problems per field."""
    if not selectors.can_report(request.user):
        raise PermissionDenied(_("Your roles do not include filing cases."))
    form = CaseReportForm(request.POST or None, request.FILES or None, user=request.user)
    wants_json = "application/json" in request.headers.get("Accept", "")
    key = None
    status = 200
    if request.method == "POST":
        key = _idempotency_key(request)
        # A replay is answered before the form is read again: its photo drafts were used up
        # by the first post, and the case stands as it was filed.
        before = _filed_before(request, key)
        if before is not None:
            return _filed(request, before, created=False, wants_json=wants_json)
        valid = form.is_valid()
        if key is False:
            form.add_error(None, _("The idempotency key must be a UUID."))
        elif valid:
            filed = _file_case(request, form, key)
            if filed is not None:
                return _filed(request, *filed, wants_json=wants_json)
        # Refused, perhaps for drafts a concurrent replay has just used up: filed meanwhile?
        before = _filed_before(request, key)
        if before is not None:
            return _filed(request, before, created=False, wants_json=wants_json)
        status = 400
        if wants_json:
            errors = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
            return JsonResponse({"errors": errors}, status=400)
    default_area = page_selectors.default_report_area(request.user)
    center = None
    if default_area is not None and default_area.latitude is not None:
        center = [float(default_area.latitude), float(default_area.longitude)]
    boundary = default_area.boundary if default_area is not None else None
    context = {
        "form": form,
        # A fresh key per form shown; a refused post keeps the key it came with.
        "idempotency_key": key if isinstance(key, uuid.UUID) else uuid.uuid4(),
        # The user's own grid is outlined so that a point can be picked on a plain background;
        # its micro-grids and buildings come from places_url when the map or list is opened.
        "map": {
            **_map_settings(),
            "center": center,
            "boundary": boundary,
            "placesUrl": reverse("casework:places"),
        },
        "duplicates_url": reverse("casework:duplicates"),
        # A browser never refills a file input: say so when a refused post carried photos
        # itself (photos uploaded on choosing are kept as drafts).
        "photos_dropped": status == 400 and bool(request.FILES),
        "photo_draft_url": reverse("casework:photo_draft_upload"),
        "photo_max_bytes": MAX_PHOTO_BYTES,
    }
    return render(request, "casework/new.html", context, status=status)


def _filed(request, case: Case, created: bool, *, wants_json: bool):
    """The answer to a filing post: the case's page (JSON naming it, for the outbox)."""
    if not created:
        messages.info(request, _("Case %(number)s was filed already.") % {"number": case.number})
    elif case.resolved_on_spot:
        messages.success(
            request,
            _("Case %(number)s filed and closed as resolved on the spot.")
            % {"number": case.number},
        )
    else:
        messages.success(request, _("Case %(number)s filed.") % {"number": case.number})
    url = reverse("casework:detail", args=[case.pk])
    if wants_json:
        answer = {"id": case.pk, "number": case.number, "url": url, "created": created}
        return JsonResponse(answer, status=201 if created else 200)
    return redirect(url)


def _filed_before(request, key) -> Case | None:
    if not isinstance(key, uuid.UUID):
        return None
    return selectors.case_for_filing_key(actor=request.user, key=key)


def _idempotency_key(request) -> uuid.UUID | bool | None:
    """The post's idempotency key (header first, then the form field): None when there is
    none, False when it is not a UUID."""
    value = request.headers.get("Idempotency-Key") or request.POST.get("idempotency_key") or ""
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return False


def _file_case(request, form: CaseReportForm, key: uuid.UUID | None) -> tuple[Case, bool] | None:
    """Report the case (and resolve it on the spot when asked) in one transaction, once per
    idempotency key; a refusal of either step leaves nothing written and is shown on the form."""
    stage = "report"

    def file() -> Case:
        nonlocal stage
        case = services.case_report(actor=request.user, **form.report_kwargs())
        if form.cleaned_data.get("resolve_on_spot"):
            stage = "resolve_on_spot"
            case = services.case_step(
                case=case,
                actor=request.user,
                step="resolve_on_spot",
                result=form.cleaned_data["result"],
                photos=form.after_photo_files(),
            )
        photo_drafts.photo_drafts_used(form.used_drafts())
        return case

    try:
        with transaction.atomic():
            return services.case_report_once(actor=request.user, idempotency_key=key, file=file)
    except ValidationError as exc:
        # The photos of the resolving step are the form's "after" photos.
        rename = {"photos": "after_photos"} if stage == "resolve_on_spot" else None
        apply_service_errors(form, exc, rename=rename)
        return None
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You may not file this case."))
        return None


@login_required
@require_GET
def duplicates(request):
    """HTML fragment for the filing form: open cases that may be the same problem."""
    category = _int(request.GET.get("category"))
    if category is None:
        return render(request, "casework/_duplicates.html", {"cases": []})
    category = Category.objects.filter(pk=category).first()
    area_pk = _int(request.GET.get("area"))
    area = visible(request.user, Area.objects.filter(pk=area_pk)).first() if area_pk else None
    latitude = _float(request.GET.get("latitude"), limit=90)
    longitude = _float(request.GET.get("longitude"), limit=180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    found = []
    if category is not None and (area is not None or latitude is not None):
        found = selectors.possible_duplicates(
            request.user, category=category, area=area, latitude=latitude, longitude=longitude
        )
    return render(request, "casework/_duplicates.html", {"cases": found})


@login_required
@require_GET
def places(request):
    """JSON for the filing form's map and building list: the micro-grids and buildings around
    the chosen area (its grid), with their boundaries, names and centre points. Names go into
    the page as text, never as HTML."""
    if not selectors.can_report(request.user):
        raise PermissionDenied(_("Your roles do not include filing cases."))
    area_pk = _int(request.GET.get("area"))
    area = Area.objects.filter(pk=area_pk).first() if area_pk else None
    base, found = page_selectors.report_places_for(request.user, area)
    if base is None:
        return JsonResponse({"area": None, "places": []})
    return JsonResponse(
        {
            "area": {"id": base.pk, "name": base.name, "boundary": _geometry(base.boundary)},
            "places": [
                {
                    "id": place.pk,
                    "name": place.name,
                    "kind": place.kind,
                    "kindLabel": place.get_kind_display(),
                    "parent": place.parent_id,
                    "boundary": _geometry(place.boundary),
                    "point": _centre(place),
                }
                for place in found
            ],
        }
    )


def _geometry(boundary) -> dict | None:
    if not boundary:
        return None
    return boundary.get("geometry") if boundary.get("type") == "Feature" else boundary


def _centre(area: Area) -> list[float] | None:
    """[lat, lng] of the area's centre point, else the mean of its boundary's outer ring."""
    if area.latitude is not None:
        return [float(area.latitude), float(area.longitude)]
    geometry = _geometry(area.boundary)
    try:
        rings = (
            geometry["coordinates"] if geometry["type"] == "Polygon" else geometry["coordinates"][0]
        )
        ring = rings[0][:-1] or rings[0]
        return [
            round(sum(p[1] for p in ring) / len(ring), 6),
            round(sum(p[0] for p in ring) / len(ring), 6),
        ]
    except (KeyError, TypeError, IndexError, ZeroDivisionError):
        # No boundary, or one stored without the model's check: no centre.
        return None


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def _float(value, *, limit: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -limit <= number <= limit else None


def _map_settings() -> dict:
    return {"tileUrl": settings.MAP_TILE_URL, "tileAttribution": settings.MAP_TILE_ATTRIBUTION}


# -- the case page --------------------------------------------------------------------------
@login_required
def case_detail(request, pk: int):
    case = case_or_404(request.user, pk)
    return _render_detail(request, case)


@login_required
def reporter_reveal(request, pk: int):
    """The resident reporter's name and phone in full: asked with a reason, read through
    governance.privacy (which checks role and scope and writes one access-log row per field).
    A case outside the user's scope is not found; a viewer is refused."""
    case = case_or_404(request.user, pk)
    if not selectors.may_reveal_reporter(request.user, case):
        raise PermissionDenied(_("You may not read the reporter's personal data."))
    form = RevealForm(request.POST or None)
    values = None
    status = 200
    if request.method == "POST":
        values = form.reveal(user=request.user, obj=case, names=selectors.REPORTER_FIELDS)
        if values is None:
            status = 400
    return render(
        request,
        "casework/reporter_reveal.html",
        {"case": case, "form": form, "values": values},
        status=status,
    )


def _step_forms(request, case: Case, *, bound: StepForm | None = None) -> list[StepForm]:
    forms = []
    # The main step of the moment first (dispatch before merge), then the table's order.
    steps = sorted(selectors.available_steps(request.user, case), key=lambda s: not s.primary)
    templates = (
        selectors.response_templates_for(request.user, category=case.category) if steps else []
    )
    for step in steps:
        if bound is not None and bound.step.name == step.name:
            form = bound
        else:
            form = _build_step_form(request, case, step)
        form.quick_replies = [t for t in templates if t.step in ("", step.name)]
        # A quick reply fills the result when the step has one, else the comment.
        form.quick_target = "result" if "result" in step.inputs else "comment"
        form.style = "primary" if step.primary else ""
        forms.append(form)
    return forms


def _build_step_form(request, case: Case, step: workflow.Step, data=None, files=None) -> StepForm:
    initial = {}
    duplicates = []
    if "department" in step.inputs:
        default = services.default_department_for(case.category)
        initial["department"] = default.pk if default else None
    if "duplicate_of" in step.inputs:
        duplicates = selectors.possible_duplicates(
            request.user,
            category=case.category,
            area=case.area,
            latitude=case.latitude,
            longitude=case.longitude,
            exclude=case,
        )
    return StepForm(
        data,
        files,
        step=step,
        case=case,
        user=request.user,
        initial=initial,
        duplicates=duplicates,
    )


def _render_detail(request, case: Case, *, bound: StepForm | None = None, status: int = 200):
    events = list(selectors.events_for(request.user, case))
    photos = [a for e in events for a in e.attachments.all()]
    case_page.label_events(case, events)
    step_forms = _step_forms(request, case, bound=bound)
    # A refused step the user is not offered (any more) has no form to show its reason on.
    refused = bound if bound is not None and bound not in step_forms else None
    # Links to the case's deadline page for what the user may do there.
    user = request.user
    context = {
        "case": case,
        "may_reveal_reporter": selectors.may_reveal_reporter(request.user, case),
        "may_ask_for_time": deadline_permissions.may_ask_for_time(user, case),
        "may_resume": deadline_permissions.may_resume(user, case),
        "may_supervise": deadline_permissions.may_supervise(user, case),
        "photo_max_bytes": MAX_PHOTO_BYTES,
        "refused": refused,
        "step_forms": step_forms,
        "events": events,
        "photos": photos,
        "timeline": case_page.timeline_html(case, events),
        "gallery": case_page.gallery_html(case, photos),
        "map_data": {
            **_map_settings(),
            "point": [float(case.latitude), float(case.longitude)]
            if case.latitude is not None
            else None,
            "area": [float(case.area.latitude), float(case.area.longitude)]
            if case.area.latitude is not None
            else None,
            # The outline of the case's area (or of its grid) gives the point its surroundings.
            "boundary": case.area.boundary or (case.grid.boundary if case.grid else None),
        },
    }
    return render(request, "casework/detail.html", context, status=status)


@login_required
@require_POST
def take_step(request, pk: int, step: str):
    """Take one step from the case page. A refusal re-renders the page with the reason on the
    step's form; a conflict (someone acted first) names who did and shows the case as it is."""
    case = case_or_404(request.user, pk)
    spec = workflow.STEPS.get(step)
    if spec is None or spec.creates:
        raise Http404
    form = _build_step_form(request, case, spec, request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, case, bound=form, status=400)
    try:
        services.case_step(
            case=case,
            actor=request.user,
            step=spec.name,
            version=form.cleaned_data["version"],
            **form.step_inputs(),
        )
    except services.CaseConflict as exc:
        messages.error(request, exc.message)
        return redirect("casework:detail", pk=case.pk)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _render_detail(request, case, bound=form, status=400)
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You may not take this step."))
        return _render_detail(request, case, bound=form, status=403)
    messages.success(
        request,
        _("%(step)s: done for case %(number)s.") % {"step": spec.label, "number": case.number},
    )
    if selectors.case_detail_for(request.user, case.pk) is None:
        # The step took the case out of the user's sight (a department returned it).
        return redirect("casework:inbox")
    return redirect("casework:detail", pk=case.pk)


@login_required
@require_GET
def photo(request, pk: int, attachment: int, size: str):
    """A case photo, served only to users who may see the case."""
    if size not in ("full", "thumb"):
        raise Http404
    case = case_or_404(request.user, pk)
    item = Attachment.objects.filter(case=case, pk=attachment).first()
    if item is None:
        raise Http404
    return file_response(
        item.thumbnail if size == "thumb" else item.image, content_type="image/jpeg"
    )


@login_required
@require_POST
def photo_draft_upload(request):
    """One photo chosen on the filing form, kept as a draft: 201 with its id and thumbnail, or
    400 with the reason (not a photo, too large, too many waiting)."""
    if not selectors.can_report(request.user):
        raise PermissionDenied(_("Your roles do not include filing cases."))
    upload = request.FILES.get("photo")
    if upload is None:
        return JsonResponse({"error": _("Choose a photo.")}, status=400)
    try:
        draft = photo_drafts.photo_draft_upload(owner=request.user, upload=upload)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse(
        {
            "id": str(draft.pk),
            "name": draft.original_name,
            "thumbnail": reverse("casework:photo_draft", args=[draft.pk]),
        },
        status=201,
    )


@login_required
@require_GET
def photo_draft(request, pk):
    """The thumbnail of one of the user's own photo drafts (404 for anyone else's)."""
    drafts = photo_drafts.photo_drafts_of(owner=request.user, ids=[pk])
    if not drafts:
        raise Http404
    return file_response(drafts[0].thumbnail, content_type="image/jpeg")
