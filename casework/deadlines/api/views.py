"""The deadline API: extension and suspension requests, supervision orders. Every write goes
through :mod:`casework.deadlines.services`; a second decision or answer is a 409."""

from contextlib import contextmanager

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from casework import selectors as case_selectors
from casework.deadlines import selectors, services
from casework.deadlines.api.serializers import (
    DeadlineRequestCreateSerializer,
    DeadlineRequestSerializer,
    DecisionSerializer,
    SupervisionAnswerSerializer,
    SupervisionIssueSerializer,
    SupervisionOrderSerializer,
)
from casework.deadlines.models import DeadlineRequest, SupervisionOrder
from governance.api.errors import Conflict, field_messages, service_errors
from governance.api.schema import CONFLICT


@contextmanager
def deadline_errors():
    """service_errors() plus DeadlineConflict → 409, naming the field as a 400 would."""
    with service_errors():
        try:
            yield
        except services.DeadlineConflict as exc:
            raise Conflict(field_messages(exc)) from exc


def _visible_case(user, pk: int):
    """The case ``pk`` if ``user`` may see it; else a 400 on the ``case`` field."""
    case = case_selectors.case_detail_for(user, pk)
    if case is None:
        raise exceptions.ValidationError({"case": [_("Unknown case.")]})
    return case


def _status_param(request, choices) -> str:
    status_ = request.query_params.get("status", "")
    if status_ and status_ not in choices:
        raise exceptions.ValidationError(
            {"status": [_("Choose one of: %(values)s.") % {"values": ", ".join(choices)}]}
        )
    return status_


class DeadlineRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Extension (延期) and suspension (挂起) requests on cases in the caller's scope,
    ``?status=pending`` for those waiting. The holder asks (POST); the center approves or
    refuses; a second decision is a 409."""

    serializer_class = DeadlineRequestSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        status_ = _status_param(self.request, DeadlineRequest.Status.values)
        return selectors.requests_for(self.request.user, status=status_)

    @extend_schema(
        request=DeadlineRequestCreateSerializer,
        responses={201: DeadlineRequestSerializer, 409: CONFLICT},
    )
    def create(self, request, *args, **kwargs):
        serializer = DeadlineRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        case = _visible_case(request.user, data.pop("case"))
        with deadline_errors():
            created = services.deadline_request_create(case=case, actor=request.user, **data)
        return Response(DeadlineRequestSerializer(created).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, *, approve: bool):
        deadline_request = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with deadline_errors():
            decided = services.deadline_request_decide(
                request=deadline_request,
                actor=request.user,
                approve=approve,
                comment=serializer.validated_data["comment"],
            )
        return Response(DeadlineRequestSerializer(decided).data)

    @extend_schema(
        request=DecisionSerializer, responses={200: DeadlineRequestSerializer, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The center approves: an extension moves the due time, a suspension stops the clock."""
        return self._decide(request, approve=True)

    @extend_schema(
        request=DecisionSerializer, responses={200: DeadlineRequestSerializer, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        """The center refuses, saying why (``comment`` is required)."""
        return self._decide(request, approve=False)


class SupervisionOrderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Supervision orders (督办单) on cases in the caller's scope, ``?status=issued`` for those
    waiting for an answer. The center issues (POST); whoever holds the case answers once."""

    serializer_class = SupervisionOrderSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        status_ = _status_param(self.request, SupervisionOrder.Status.values)
        return selectors.orders_for(self.request.user, status=status_)

    @extend_schema(request=SupervisionIssueSerializer, responses={201: SupervisionOrderSerializer})
    def create(self, request, *args, **kwargs):
        serializer = SupervisionIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        case = _visible_case(request.user, data.pop("case"))
        with deadline_errors():
            order = services.supervision_issue(case=case, actor=request.user, **data)
        order = selectors.order_detail_for(request.user, order.pk)
        return Response(SupervisionOrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SupervisionAnswerSerializer,
        responses={200: SupervisionOrderSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Whoever holds the case answers: what was done, and when it ends (once)."""
        order = self.get_object()
        serializer = SupervisionAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with deadline_errors():
            services.supervision_answer(
                order=order, actor=request.user, reply=serializer.validated_data["reply"]
            )
        order = selectors.order_detail_for(request.user, order.pk)
        return Response(SupervisionOrderSerializer(order).data)
