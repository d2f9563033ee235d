"""Deadline pages: the supervision desk (requests, orders, statistics), a case's deadline page
(ask for more time, decide, resume, issue an order) and the printable supervision order."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework import selectors, supervision
from casework.deadline_forms import (
    AnswerForm,
    DeadlineRequestForm,
    DecisionForm,
    ResumeForm,
    SupervisionOrderForm,
)
from casework.deadline_models import DeadlineRequest, SupervisionOrder
from governance.forms import apply_service_errors
from governance.scopes import scope_of
from governance.workclock import describe_remaining


def _case_or_404(user, pk: int):
    case = selectors.case_detail_for(user, pk)
    if case is None:
        raise Http404(_("No such case, or it is outside your scope."))
    return case


@login_required
def desk(request):
    """The supervision desk: waiting requests (center), orders in scope, and the share of cases
    extended, suspended, overdue and escalated in the last 30 days."""
    status = request.GET.get("status", "")
    if status not in ("", *SupervisionOrder.Status.values):
        status = ""
    orders = Paginator(supervision.orders_for(request.user, status=status), 25).get_page(
        request.GET.get("page")
    )
    is_center = scope_of(request.user).has_role(*supervision.CENTER_ROLES)
    return render(
        request,
        "casework/supervision.html",
        {
            "orders": orders.object_list,
            "page_obj": orders,
            "is_paginated": orders.has_other_pages(),
            "status": status,
            "statuses": SupervisionOrder.Status.choices,
            "requests": list(supervision.pending_requests_for(request.user)[:50])
            if is_center
            else [],
            "is_center": is_center,
            "stats": supervision.deadline_stats(request.user),
            "decision_form": DecisionForm(),
            "now": timezone.now(),
        },
    )


@login_required
def case_deadline(request, pk: int, *, forms: dict | None = None, status: int = 200):
    case = _case_or_404(request.user, pk)
    user = request.user
    holder_role = supervision.holder_role(user, case)
    center_role = supervision.center_role(user, case)
    suspension = supervision.active_suspension(case)
    now = timezone.now()
    forms = forms or {}
    context = {
        "case": case,
        "remaining": describe_remaining(
            case.due_at, now, area=case.street, around_the_clock=case.category.around_the_clock
        )
        if case.is_open and case.due_at
        else "",
        "is_overdue": bool(case.is_open and case.due_at and case.due_at < now),
        "suspension": suspension,
        "requests": list(supervision.requests_of(case)),
        "orders": list(
            SupervisionOrder.objects.filter(case=case)
            .select_related("issued_by", "replied_by", "department")
            .order_by("-created_at", "-pk")
        ),
        "can_request": bool(holder_role and case.is_open and case.due_at),
        "can_decide": bool(center_role),
        "can_resume": bool(suspension and (holder_role or center_role)),
        "can_issue": bool(center_role and case.is_open),
        "request_form": forms.get("request") or DeadlineRequestForm(),
        "decision_form": forms.get("decision") or DecisionForm(),
        "resume_form": forms.get("resume") or ResumeForm(),
        "order_form": forms.get("order") or SupervisionOrderForm(),
    }
    return render(request, "casework/supervision_case.html", context, status=status)


@login_required
@require_POST
def request_create(request, pk: int):
    case = _case_or_404(request.user, pk)
    form = DeadlineRequestForm(request.POST)
    if form.is_valid():
        try:
            supervision.deadline_request_create(
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
    deadline_request = DeadlineRequest.objects.select_related("case").filter(pk=pk).first()
    if (
        deadline_request is None
        or selectors.case_detail_for(request.user, deadline_request.case_id) is None
    ):
        raise Http404(_("No such request, or it is outside your scope."))
    form = DecisionForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    if form.is_valid():
        try:
            supervision.deadline_request_decide(
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
    case = _case_or_404(request.user, pk)
    form = ResumeForm(request.POST)
    if form.is_valid():
        try:
            supervision.case_resume(
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
    case = _case_or_404(request.user, pk)
    form = SupervisionOrderForm(request.POST)
    if form.is_valid():
        try:
            order = supervision.supervision_issue(
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
    order = supervision.order_detail_for(request.user, pk)
    if order is None:
        raise Http404(_("No such supervision order, or it is outside your scope."))
    can_answer = order.status == SupervisionOrder.Status.ISSUED and supervision.may_answer(
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
    order = supervision.order_detail_for(request.user, pk)
    if order is None:
        raise Http404(_("No such supervision order, or it is outside your scope."))
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            supervision.supervision_answer(
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
