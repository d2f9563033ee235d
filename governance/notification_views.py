"""The notification centre pages: the list, opening one, marking read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from governance import notifications
from governance.pagination import CappedPaginator


@login_required
def notification_list(request):
    unread_only = request.GET.get("show") == "unread"
    qs = notifications.notifications_for(request.user, unread_only=unread_only)
    page = CappedPaginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/notifications.html",
        {
            "page_obj": page,
            "notifications": page.object_list,
            "is_paginated": page.has_other_pages(),
            "unread_only": unread_only,
            "unread": notifications.unread_count(request.user) or 0,
        },
    )


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark the notification read and go where it points (only the recipient may)."""
    notification = notifications.mark_read(user=request.user, notification_id=pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read(request, pk: int):
    notifications.mark_read(user=request.user, notification_id=pk)
    return redirect(_back(request))


@login_required
@require_POST
def notification_read_all(request):
    n = notifications.mark_all_read(user=request.user)
    if n:
        messages.success(
            request,
            ngettext("%(n)d notification marked read.", "%(n)d notifications marked read.", n)
            % {"n": n},
        )
    else:
        messages.info(request, _("Nothing was unread."))
    return redirect(_back(request))


def _back(request) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "notifications:list"
