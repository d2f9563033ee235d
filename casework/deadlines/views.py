"""Deadline pages: the supervision desk (requests, orders, statistics), a case's deadline page
(ask for more time, decide, resume, issue an order) and the printable supervision order."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework import clock
from casework.deadlines import permissions, selectors, services
from casework.deadlines.forms import (
    AnswerForm,
    DeadlineRequestForm,
    DecisionForm,
    ResumeForm,
    SupervisionOrderForm,
)
from casework.deadlines.models import SupervisionOrder
from casework.views import case_or_404
from casework.workflow import CENTER_ROLES
from governance.forms import apply_service_errors
from governance.pagination import CappedPaginator
from governance.scopes import scope_of


@login_required
def desk(request):
    """The supervision desk: waiting requests (center), orders in scope, and the share of cases
    extended, suspended, overdue and escalated in the last 30 days."""
    status = request.GET.get("status", "")
    if status not in ("", *SupervisionOrder.Status.values):
        status = ""
    orders = CappedPaginator(selectors.orders_for(request.user, status=status), 25).get_page(
        request.GET.get("page")
    )
    is_center = scope_of(request.user).has_role(*CENTER_ROLES)
    return render(
        request,
        "casework/supervision.html",
        {
            "orders": orders.object_list,
            "page_obj": orders,
            "is_paginated": orders.has_other_pages(),
            "status": status,
            "statuses": SupervisionOrder.Status.choices,
            "requests": list(selectors.pending_requests_for(request.user)[:50])
            if is_center
            else [],
            "is_center": is_center,
            "stats": selectors.deadline_stats(request.user),
            "decision_form": DecisionForm(),
            "now": timezone.now(),
        },
    )


@login_required
def case_deadline(request, pk: int, *, forms: dict | None = None, status: int = 200):
    case = case_or_404(request.user, pk)
    user = request.user
    requests = list(selectors.requests_of(case))
    # The active suspension is one of the requests listed: no query of its own.
    case.active_suspension = next((r for r in requests if r.is_active_suspension), None)
    now = timezone.now()
    forms = forms or {}
    context = {
        "case": case,
        "remaining": clock.remaining(case, now),
        "is_overdue": case.is_overdue(now),
        "suspension": case.active_suspension,
        "requests": requests,
        "orders": list(selectors.orders_of(case)),
        "can_request": permissions.may_ask_for_time(user, case),
        "can_decide": permissions.may_decide(user, case),
        "can_resume": permissions.may_resume(user, case),
        "can_issue": permissions.may_supervise(user, case),
        "request_form": forms.get("request") or DeadlineRequestForm(),
        "decision_form": forms.get("decision") or DecisionForm(),
        "resume_form": forms.get("resume") or ResumeForm(),
        "order_form": forms.get("order") or SupervisionOrderForm(),
    }
    return render(request, "casework/supervision_case.html", context, status=status)


@login_required
@require_POST
def request_create(request, pk: int):
    case = case_or_404(request.user, pk)
    form = DeadlineRequestForm(request.POST)
    if form.is_valid():
        try:
            services.deadline_request_create(
                case=case,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
                hours=form.cleaned_data["hours"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your request went to the grid management center."))
            return redirect("deadlines:case", pk=case.pk)
    return case_deadline(request, pk, forms={"request": form}, status=400)


@login_required
@require_POST
def request_decide(request, pk: int):
    deadline_request = selectors.request_detail_for(request.user, pk)
    if deadline_request is None:
        raise Http404(_("No such request, or it is outside your scope."))
    form = DecisionForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    if form.is_valid():
        try:
            services.deadline_request_decide(
                request=deadline_request,
                actor=request.user,
                approve=approve,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Approved.") if approve else _("Refused."))
            return redirect(_next(request, "deadlines:case", deadline_request.case_id))
    return case_deadline(request, deadline_request.case_id, forms={"decision": form}, status=400)


@login_required
@require_POST
def resume(request, pk: int):
    case = case_or_404(request.user, pk)
    form = ResumeForm(request.POST)
    if form.is_valid():
        try:
            services.case_resume(
                case=case, actor=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The clock runs again."))
            return redirect("deadlines:case", pk=case.pk)
    return case_deadline(request, pk, forms={"resume": form}, status=400)


@login_required
@require_POST
def order_create(request, pk: int):
    case = case_or_404(request.user, pk)
    form = SupervisionOrderForm(request.POST)
    if form.is_valid():
        try:
            order = services.supervision_issue(
                case=case,
                actor=request.user,
                demand=form.cleaned_data["demand"],
                reply_hours=form.cleaned_data["reply_hours"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Supervision order %(n)s issued.") % {"n": order.number})
            return redirect("deadlines:order", pk=order.pk)
    return case_deadline(request, pk, forms={"order": form}, status=400)


@login_required
def order_detail(request, pk: int, *, form: AnswerForm | None = None, status: int = 200):
    """The supervision order, laid out to print (the answer form is not printed)."""
    order = selectors.order_detail_for(request.user, pk)
    if order is None:
        raise Http404(_("No such supervision order, or it is outside your scope."))
    can_answer = order.status == SupervisionOrder.Status.ISSUED and permissions.may_answer(
        request.user, order, order.case
    )
    return render(
        request,
        "casework/supervision_order.html",
        {
            "order": order,
            "case": order.case,
            "can_answer": can_answer,
            "form": form or AnswerForm(),
            "printed_at": timezone.now(),
        },
        status=status,
    )


@login_required
@require_POST
def order_answer(request, pk: int):
    order = selectors.order_detail_for(request.user, pk)
    if order is None:
        raise Http404(_("No such supervision order, or it is outside your scope."))
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.supervision_answer(
                order=order, actor=request.user, reply=form.cleaned_data["reply"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your answer was sent to the center."))
            return redirect("deadlines:order", pk=order.pk)
    return order_detail(request, pk, form=form, status=400)


def _next(request, fallback: str, pk: int) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(fallback, args=[pk])
