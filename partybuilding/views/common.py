"""What the party-building pages share: who may open them, the row lookup narrowed by scope,
pagination, and calling a service so that its refusal becomes a message or a form error."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.forms import apply_service_errors
from governance.pagination import CappedPaginator
from governance.scopes import can_change, scope_of, visible
from partybuilding import services
from partybuilding.permissions import READ_ROLES, may_change_somewhere

PAGE_SIZE = 30


def party_page(view):
    """Signed-in users holding a role that reads party work; rows are narrowed by scope."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not scope_of(request.user).has_role(*READ_ROLES):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def get_visible_or_404(user, queryset, pk):
    obj = visible(user, queryset.filter(pk=pk)).first()
    if obj is None:
        raise Http404
    return obj


def int_or_none(value) -> int | None:
    """A posted id as a number, or None (which matches no row) when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def year_param(request) -> int:
    """The ``year`` asked for (this year when none); a year that is not one is not found."""
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        raise Http404 from None
    if not 2000 <= year <= 2100:
        raise Http404
    return year


def paginate(request, queryset):
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page_obj": page, "is_paginated": page.has_other_pages(), "rows": page.object_list}


def call_service(request, action, success: str):
    """Call a service; report its errors as messages instead of a 500."""
    try:
        result = action()
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return None
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
        return None
    messages.success(request, success)
    return result


def editable_row(request, queryset, pk):
    """The row to edit: visible to the user (else 404) and inside their change scope (else 403)."""
    obj = get_visible_or_404(request.user, queryset, pk)
    if not can_change(request.user, obj):
        raise PermissionDenied
    return obj


def form_page(request, *, form, save, title: str, back: str, success: str, done):
    """Validate ``form``, write through ``save(form)`` and go to ``done(obj)``; on a refusal
    of the service its field errors go back onto the form, and nothing is written."""
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not do this."))
        else:
            messages.success(request, success)
            return redirect(done(obj))
    return render(request, "partybuilding/form.html", {"form": form, "title": title, "back": back})


def require_change_role(request):
    if not may_change_somewhere(request.user):
        raise PermissionDenied


def record_form_save(request, form):
    """Save a model form's record through the generic service."""
    return services.record_save(actor=request.user, obj=form.instance)
