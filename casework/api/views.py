from contextlib import contextmanager

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from casework import selectors, services, supervision, workflow
from casework.api.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CaseDetailSerializer,
    CaseEventSerializer,
    CaseListSerializer,
    CaseReportSerializer,
    CaseStepSerializer,
    CaseTransitionSerializer,
    CategoryNodeSerializer,
    DeadlineRequestCreateSerializer,
    DeadlineRequestSerializer,
    DecisionSerializer,
    DuplicateQuerySerializer,
    DuplicateSerializer,
    ResponseTemplateSerializer,
    ResumeSerializer,
    SupervisionAnswerSerializer,
    SupervisionIssueSerializer,
    SupervisionOrderSerializer,
)
from casework.deadline_models import DeadlineRequest, SupervisionOrder
from casework.filters import CaseFilterSet
from casework.models import Category, ResponseTemplate
from governance.api.errors import service_errors
from governance.scopes import visible
from grids.models import Area


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


@contextmanager
def case_errors():
    """service_errors() plus CaseConflict → 409."""
    try:
        with service_errors():
            yield
    except services.CaseConflict as exc:
        raise Conflict({"detail": exc.message, "code": "conflict"}) from exc


@contextmanager
def deadline_errors():
    """service_errors() plus DeadlineConflict → 409, naming the field as a 400 would."""
    with service_errors():
        try:
            yield
        except supervision.DeadlineConflict as exc:
            raise Conflict(
                {**exc.message_dict, "detail": " ".join(exc.messages), "code": "conflict"}
            ) from exc


def _visible_case(user, pk: int):
    """The case ``pk`` if ``user`` may see it; else a 400 on the ``case`` field."""
    case = selectors.case_detail_for(user, pk)
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


class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases in the caller's scope. Creating one is the "report" step; every later step is a
    POST to ``transitions/``. Cases are never edited or deleted through the API."""

    filterset_class = CaseFilterSet
    lookup_value_regex = r"\d+"
    parser_classes = (JSONParser, MultiPartParser, FormParser)

    def get_queryset(self):
        qs = selectors.case_list_for(self.request.user)
        if self.action == "retrieve":
            qs = qs.select_related("duplicate_of")
        return qs

    def get_serializer_class(self):
        if self.action == "create":
            return CaseReportSerializer
        if self.action == "list":
            return CaseListSerializer
        return CaseDetailSerializer

    @extend_schema(request=CaseReportSerializer, responses={201: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = CaseReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        area = data["area"]
        if not visible(request.user, Area.objects.filter(pk=area.pk)).exists():
            raise exceptions.ValidationError({"area": [_("Unknown area.")]})
        with case_errors():
            case = services.case_report(actor=request.user, **data)
        case = selectors.case_detail_for(request.user, case.pk) or case
        return Response(
            CaseDetailSerializer(case, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        responses=CaseStepSerializer(many=True),
        description="Steps you may take now.",
    )
    @extend_schema(
        methods=["POST"], request=CaseTransitionSerializer, responses=CaseDetailSerializer
    )
    @action(detail=True, methods=["get", "post"])
    def transitions(self, request, pk=None):
        case = self.get_object()
        if request.method == "GET":
            steps = selectors.available_steps(request.user, case)
            return Response(CaseStepSerializer(steps, many=True).data)
        serializer = CaseTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        step = data.pop("step")
        with case_errors():
            case = services.case_transition(case=case, actor=request.user, step=step, **data)
        case = selectors.case_detail_for(request.user, case.pk)
        if case is None:  # the step took the case out of the actor's sight (e.g. returned)
            return Response({"detail": _("Done.")}, status=status.HTTP_200_OK)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    @extend_schema(responses=CaseEventSerializer(many=True))
    @action(detail=True)
    def events(self, request, pk=None):
        case = self.get_object()
        events = selectors.events_for(request.user, case)
        return Response(CaseEventSerializer(events, many=True, context={"request": request}).data)

    @extend_schema(
        methods=["POST"],
        request=AttachmentUploadSerializer,
        responses=AttachmentSerializer(many=True),
    )
    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def attachments(self, request, pk=None):
        """Photos of the case; POST adds photos (the "attach" step, one event)."""
        case = self.get_object()
        if request.method == "POST":
            serializer = AttachmentUploadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            with case_errors():
                case = services.case_transition(
                    case=case, actor=request.user, step="attach", **serializer.validated_data
                )
            attachments = selectors.attachments_for(request.user, case).filter(
                event=case.events.order_by("-pk").first()
            )
            data = AttachmentSerializer(attachments, many=True, context={"request": request}).data
            return Response(data, status=status.HTTP_201_CREATED)
        attachments = selectors.attachments_for(request.user, case)
        return Response(
            AttachmentSerializer(attachments, many=True, context={"request": request}).data
        )

    @extend_schema(request=ResumeSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """End the case's suspension: the working time that was left runs again (the holder or
        the center)."""
        case = self.get_object()
        serializer = ResumeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with deadline_errors():
            supervision.case_resume(
                case=case, actor=request.user, comment=serializer.validated_data["comment"]
            )
        case = selectors.case_detail_for(request.user, case.pk)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    @extend_schema(parameters=[DuplicateQuerySerializer], responses=DuplicateSerializer(many=True))
    @action(detail=False)
    def duplicates(self, request):
        """Open cases that may be the same problem: same category, last 7 days, same building or
        micro-grid or within 100 m."""
        query = DuplicateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.possible_duplicates(request.user, **query.validated_data)
        return Response(DuplicateSerializer(found, many=True).data)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The category tree (大类 → 小类) with default departments and time limits."""

    serializer_class = CategoryNodeSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.category_tree()

    def list(self, request, *args, **kwargs):
        nodes = list(self.get_queryset())
        by_id = {n.pk: n for n in nodes}
        roots = []
        for node in nodes:
            node.tree_children = []
        for node in nodes:
            parent = by_id.get(node.parent_id)
            (parent.tree_children if parent else roots).append(node)
        return Response(CategoryNodeSerializer(roots, many=True).data)


class ResponseTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Quick replies; ``?category=<id>&step=<step>`` gives those offered for one step of a case."""

    serializer_class = ResponseTemplateSerializer
    pagination_class = None

    def get_queryset(self):
        return ResponseTemplate.objects.filter(is_active=True).order_by("order", "title")

    def list(self, request, *args, **kwargs):
        category = None
        category_id = request.query_params.get("category")
        if category_id:
            if not category_id.isdigit():
                raise exceptions.ValidationError({"category": [_("A number is required.")]})
            category = Category.objects.filter(pk=category_id).first()
            if category is None:
                raise exceptions.ValidationError({"category": [_("Unknown category.")]})
        step = request.query_params.get("step", "")
        if step and step not in workflow.STEPS:
            raise exceptions.ValidationError({"step": [_("Unknown step.")]})
        templates = selectors.response_templates_for(category=category, step=step)
        return Response(ResponseTemplateSerializer(templates, many=True).data)


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
        return supervision.requests_for(self.request.user, status=status_)

    @extend_schema(
        request=DeadlineRequestCreateSerializer, responses={201: DeadlineRequestSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = DeadlineRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        case = _visible_case(request.user, data.pop("case"))
        with deadline_errors():
            created = supervision.deadline_request_create(case=case, actor=request.user, **data)
        return Response(DeadlineRequestSerializer(created).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, *, approve: bool):
        deadline_request = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with deadline_errors():
            decided = supervision.deadline_request_decide(
                request=deadline_request,
                actor=request.user,
                approve=approve,
                comment=serializer.validated_data["comment"],
            )
        return Response(DeadlineRequestSerializer(decided).data)

    @extend_schema(request=DecisionSerializer, responses=DeadlineRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The center approves: an extension moves the due time, a suspension stops the clock."""
        return self._decide(request, approve=True)

    @extend_schema(request=DecisionSerializer, responses=DeadlineRequestSerializer)
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
        return supervision.orders_for(self.request.user, status=status_)

    @extend_schema(request=SupervisionIssueSerializer, responses={201: SupervisionOrderSerializer})
    def create(self, request, *args, **kwargs):
        serializer = SupervisionIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        case = _visible_case(request.user, data.pop("case"))
        with deadline_errors():
            order = supervision.supervision_issue(case=case, actor=request.user, **data)
        order = supervision.order_detail_for(request.user, order.pk)
        return Response(SupervisionOrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SupervisionAnswerSerializer, responses=SupervisionOrderSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Whoever holds the case answers: what was done, and when it ends (once)."""
        order = self.get_object()
        serializer = SupervisionAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with deadline_errors():
            supervision.supervision_answer(
                order=order, actor=request.user, reply=serializer.validated_data["reply"]
            )
        order = supervision.order_detail_for(request.user, order.pk)
        return Response(SupervisionOrderSerializer(order).data)
