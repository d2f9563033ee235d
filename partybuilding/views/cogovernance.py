"""Pages of co-governance: co-construction units and agreements, projects, the three lists
and the micro-wish wall."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from governance import images, privacy
from governance.files import file_response
from governance.forms import RevealForm, apply_service_errors
from governance.limits import body_limit
from governance.scopes import visible
from partybuilding import filters, selectors, services
from partybuilding.forms.cogovernance import (
    AgreementForm,
    DemandForm,
    DemandMatchForm,
    ProjectForm,
    ProjectStatusForm,
    UnitForm,
    WishClaimForm,
    WishForm,
    WishFulfilForm,
)
from partybuilding.models import (
    CoConstructionUnit,
    Demand,
    DemandStatus,
    MicroWish,
    PairingAgreement,
    Project,
    ProjectStatus,
    WishStatus,
)
from partybuilding.permissions import PersonalData, may_change_in, may_change_somewhere
from partybuilding.validators import AGREEMENT_MAX_BYTES
from partybuilding.views.common import (
    call_service,
    editable_row,
    form_page,
    get_visible_or_404,
    paginate,
    party_page,
    record_form_save,
    require_change_role,
)


@party_page
def units(request):
    f = filters.UnitFilterSet(request.GET, queryset=selectors.unit_list_for(request.user))
    personal = PersonalData(request.user)
    context = {
        "filter": f,
        "can_change": may_change_somewhere(request.user),
        **paginate(request, f.qs),
    }
    for unit in context["rows"]:
        # Both rights are the party-change scope (officers and street admins), read once: the
        # phone itself is shown masked to everyone, in full only through the logged reveal.
        unit.revealable = unit.can_edit = personal.allowed(unit.area)
    return render(request, "partybuilding/units.html", context)


@party_page
def unit_reveal(request, pk):
    """A unit's contact phone in full: asked with a reason, read through governance.privacy
    (which checks role and scope and writes the access log)."""
    unit = get_visible_or_404(request.user, selectors.unit_list_for(request.user), pk)
    if not privacy.may_reveal(request.user, unit, "contact_phone"):
        raise PermissionDenied
    form = RevealForm(request.POST or None)
    value = None
    if request.method == "POST" and form.is_valid():
        try:
            value = privacy.reveal(
                user=request.user,
                obj=unit,
                name="contact_phone",
                reason=form.cleaned_data["reason"],
                interface=privacy.Interface.WEB,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return render(
        request, "partybuilding/unit_reveal.html", {"unit": unit, "form": form, "value": value}
    )


@party_page
def unit_edit(request, pk=None):
    require_change_role(request)
    unit = (
        editable_row(request, CoConstructionUnit.objects.select_related("area"), pk) if pk else None
    )
    form = UnitForm(request.POST or None, instance=unit, user=request.user)
    return form_page(
        request,
        form=form,
        save=lambda f: record_form_save(request, f),
        title=_("Edit %(name)s") % {"name": unit.name} if unit else _("New co-construction unit"),
        back="partybuilding:units",
        success=_("The unit has been saved."),
        done=lambda obj: f"{reverse('partybuilding:units')}?{urlencode({'q': obj.name})}",
    )


@party_page
def agreements(request):
    f = filters.AgreementFilterSet(request.GET, queryset=selectors.agreement_list_for(request.user))
    context = {
        "filter": f,
        "communities": selectors.scope_communities(request.user),
        "can_change": may_change_somewhere(request.user),
        **paginate(request, f.qs),
    }
    personal = PersonalData(request.user)
    for agreement in context["rows"]:
        agreement.can_edit = personal.allowed(agreement.community)
    return render(request, "partybuilding/agreements.html", context)


@party_page
def agreement_document(request, pk):
    """The signed agreement file, to those who may see the agreement (never a /media/ link)."""
    agreement = get_visible_or_404(request.user, selectors.agreement_list_for(request.user), pk)
    if not agreement.document:
        raise Http404
    extension = PurePosixPath(agreement.document.name).suffix.lower()
    return file_response(
        agreement.document, download_name=f"{_('Agreement')}-{agreement.pk}{extension}"
    )


@party_page
def wish_photo(request, pk):
    """The photo of a fulfilled wish, to those who may see the wish."""
    wish = get_visible_or_404(request.user, MicroWish.objects.all(), pk)
    return file_response(wish.photo, content_type="image/jpeg")


@body_limit(AGREEMENT_MAX_BYTES + 1024 * 1024)
@party_page
def agreement_edit(request, pk=None):
    require_change_role(request)
    agreement = (
        editable_row(request, PairingAgreement.objects.select_related("community"), pk)
        if pk
        else None
    )
    form = AgreementForm(
        request.POST or None, request.FILES or None, instance=agreement, user=request.user
    )
    if agreement is None and request.GET.get("unit", "").isdigit():
        form.initial["unit"] = request.GET["unit"]
    return form_page(
        request,
        form=form,
        save=lambda f: services.agreement_save(
            actor=request.user, agreement=f.instance, status=f.cleaned_data["status"]
        ),
        title=_("Edit the pairing agreement") if agreement else _("New pairing agreement"),
        back="partybuilding:agreements",
        success=_("The agreement has been saved."),
        done=lambda obj: reverse("partybuilding:agreements"),
    )


@party_page
def projects(request):
    data = request.GET.copy()
    data.setdefault("top", "true")
    f = filters.ProjectFilterSet(data, queryset=selectors.project_list_for(request.user))
    return render(
        request,
        "partybuilding/projects.html",
        {"filter": f, "can_change": may_change_somewhere(request.user), **paginate(request, f.qs)},
    )


@party_page
def project_detail(request, pk):
    project = get_visible_or_404(request.user, selectors.project_list_for(request.user), pk)
    can_change = may_change_in(request.user, project.area)
    form = ProjectStatusForm(request.POST or None, initial={"status": project.status})
    if request.method == "POST":
        if request.POST.get("action") == "publish":
            call_service(
                request,
                lambda: services.project_publish_result(
                    actor=request.user, project=project, result=request.POST.get("result", "")
                ),
                _("The result is public now."),
            )
            return redirect("partybuilding:project", pk)
        if form.is_valid():
            done = call_service(
                request,
                lambda: services.project_set_status(
                    actor=request.user, project=project, **form.cleaned_data
                ),
                _("The project has been updated."),
            )
            if done:
                return redirect("partybuilding:project", pk)
    context = {
        **selectors.project_detail(project),
        "ancestors": list(
            Project.objects.filter(Project.ancestors_q(project)).order_by(*Project.tree_order())
        ),
        "form": form,
        "can_change": can_change,
    }
    return render(request, "partybuilding/project_detail.html", context)


@party_page
def project_edit(request, pk=None):
    require_change_role(request)
    project = editable_row(request, Project.objects.select_related("area"), pk) if pk else None
    form = ProjectForm(
        request.POST or None,
        instance=project,
        user=request.user,
        consortium=request.GET.get("consortium"),
    )
    if project is None and request.GET.get("parent", "").isdigit():
        form.initial["parent"] = request.GET["parent"]

    def save(f):
        data = f.cleaned_data
        return services.project_save(
            actor=request.user,
            project=f.instance,
            units=list(data["units"]),
            owners=list(data["owners"]),
        )

    return form_page(
        request,
        form=form,
        save=save,
        title=_("Edit %(name)s") % {"name": project.name} if project else _("New project"),
        back="partybuilding:projects",
        success=_("The project has been saved."),
        done=lambda obj: reverse("partybuilding:project", args=[obj.pk]),
    )


def project_result(request, pk):
    """The public result page residents read (no sign-in; only published results)."""
    project = Project.objects.filter(pk=pk, is_public=True).select_related("area").first()
    if project is None:
        raise Http404
    return render(request, "partybuilding/project_result.html", selectors.project_detail(project))


@party_page
def lists(request):
    """The three lists side by side: open demands, available resources, current projects."""
    user = request.user
    context = {
        "demands": selectors.demand_list_for(user).filter(status=DemandStatus.OPEN)[:15],
        "resources": selectors.resource_list_for(user).filter(is_available=True)[:15],
        "projects": selectors.project_list_for(user)
        .filter(parent__isnull=True)
        .exclude(status=ProjectStatus.COMPLETED)[:15],
        "counts": {
            "demands": visible(user, Demand.objects.filter(status=DemandStatus.OPEN)).count(),
            "resources": visible(
                user, selectors.Resource.objects.filter(is_available=True)
            ).count(),
            "projects": visible(user, Project.objects.filter(parent__isnull=True))
            .exclude(status=ProjectStatus.COMPLETED)
            .count(),
        },
    }
    return render(request, "partybuilding/lists.html", context)


@party_page
def demands(request):
    f = filters.DemandFilterSet(request.GET, queryset=selectors.demand_list_for(request.user))
    return render(request, "partybuilding/demands.html", {"filter": f, **paginate(request, f.qs)})


@party_page
def demand_new(request):
    return form_page(
        request,
        form=DemandForm(
            request.POST or None, user=request.user, consortium=request.GET.get("consortium")
        ),
        save=lambda f: record_form_save(request, f),
        title=_("List a demand"),
        back="partybuilding:demands",
        success=_("The demand has been listed."),
        done=lambda demand: reverse("partybuilding:demand-match", args=[demand.pk]),
    )


@party_page
def resources(request):
    f = filters.ResourceFilterSet(request.GET, queryset=selectors.resource_list_for(request.user))
    return render(request, "partybuilding/resources.html", {"filter": f, **paginate(request, f.qs)})


@party_page
def demand_match(request, pk):
    demand = get_visible_or_404(request.user, selectors.demand_list_for(request.user), pk)
    suggestions = selectors.suggest_resources(request.user, demand)
    form = DemandMatchForm(
        request.POST or None, suggestions=suggestions, initial={"name": demand.title}
    )
    if request.method == "POST" and form.is_valid():
        project = call_service(
            request,
            lambda: services.demand_match(
                actor=request.user,
                demand=demand,
                resources=list(form.cleaned_data["resources"]),
                name=form.cleaned_data["name"],
            ),
            _("The demand has become a project."),
        )
        if project:
            return redirect("partybuilding:project", project.pk)
    return render(
        request,
        "partybuilding/demand_match.html",
        {
            "demand": demand,
            "suggestions": suggestions,
            "form": form,
            "can_change": may_change_in(request.user, demand.area),
        },
    )


@party_page
def wishes(request):
    data = request.GET.copy()
    f = filters.WishFilterSet(data, queryset=selectors.wish_list_for(request.user))
    counts = dict(
        visible(request.user, MicroWish.objects.all())
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    claiming = None
    if request.GET.get("claim", "").isdigit():
        claiming = visible(
            request.user,
            MicroWish.objects.filter(pk=request.GET["claim"], status=WishStatus.PUBLISHED),
        ).first()
    context = {
        "filter": f,
        "tabs": [(v, label, counts.get(v, 0)) for v, label in MicroWish.Status.choices],
        "claiming": claiming,
        "claim_form": WishClaimForm(user=request.user) if claiming else None,
        "can_change": may_change_somewhere(request.user),
        **paginate(request, f.qs),
    }
    return render(request, "partybuilding/wishes.html", context)


@party_page
def wish_new(request):
    return form_page(
        request,
        form=WishForm(request.POST or None, user=request.user),
        save=lambda f: record_form_save(request, f),
        title=_("Publish a micro-wish"),
        back="partybuilding:wishes",
        success=_("The wish is on the wall."),
        done=lambda wish: reverse("partybuilding:wishes"),
    )


@body_limit(images.MAX_PHOTO_BYTES + 1024 * 1024)
@party_page
@require_POST
def wish_action(request, pk):
    wish = get_visible_or_404(request.user, MicroWish.objects.select_related("area"), pk)
    action = request.POST.get("action")
    if action == "claim":
        form = WishClaimForm(request.POST, user=request.user)
        if form.is_valid():
            call_service(
                request,
                lambda: services.wish_claim(actor=request.user, wish=wish, **form.cleaned_data),
                _("The wish has been claimed."),
            )
        else:
            messages.error(
                request, " ".join(form.non_field_errors()) or _("Choose one member or one unit.")
            )
    elif action == "fulfil":
        form = WishFulfilForm(request.POST, request.FILES)
        if form.is_valid():
            call_service(
                request,
                lambda: services.wish_fulfil(
                    actor=request.user,
                    wish=wish,
                    note=form.cleaned_data["note"],
                    photo=form.cleaned_data["photo"],
                ),
                _("The wish has been fulfilled."),
            )
        else:
            messages.error(request, _("Say how the wish was fulfilled."))
    elif action == "release":
        call_service(
            request,
            lambda: services.wish_release(actor=request.user, wish=wish),
            _("The wish is back on the wall."),
        )
    elif action == "withdraw":
        call_service(
            request,
            lambda: services.wish_withdraw(actor=request.user, wish=wish),
            _("The wish has been withdrawn."),
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "partybuilding:wishes"
    return redirect(target)
