import uuid
from contextlib import contextmanager
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from casework import export_jobs, exports, selectors, services, workflow
from casework.api.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CaseDetailSerializer,
    CaseEventSerializer,
    CaseExportRequestSerializer,
    CaseExportSerializer,
    CaseFeedEventSerializer,
    CaseListSerializer,
    CaseReportSerializer,
    CaseStepInputSerializer,
    CaseStepSerializer,
    CategoryNodeSerializer,
    DuplicateQuerySerializer,
    DuplicateSerializer,
    ResponseTemplateSerializer,
)
from casework.deadlines import services as deadline_services
from casework.deadlines.api.serializers import ResumeSerializer
from casework.deadlines.api.views import deadline_errors
from casework.filters import CaseFilterSet, CategoryFilterSet, searches
from casework.models import Case, CaseExport, Category, ResponseTemplate
from governance.api.errors import Conflict, service_errors
from governance.api.filtering import FilterBackend
from governance.api.pagination import FeedPagination, UpdatedAfterFilter
from governance.api.parsers import JSONParser
from governance.api.privacy import reveal_action
from governance.api.schema import CONFLICT
from governance.files import file_response
from governance.scopes import can_view_area, visible


@contextmanager
def case_errors():
    """service_errors() plus CaseConflict → 409."""
    try:
        with service_errors():
            yield
    except services.CaseConflict as exc:
        raise Conflict(exc.message) from exc


class CaseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases in the caller's scope. Creating one is the "report" step; every later step is a
    POST to ``transitions/`` (the API's name for the steps). Cases are never edited or deleted
    through the API."""

    filterset_class = CaseFilterSet
    filter_backends = (FilterBackend, UpdatedAfterFilter)
    pagination_class = FeedPagination
    feed_field = "updated_at"
    # A text search's first page is asked of the newest this many cases first (FeedPagination):
    # a phrase in one case in 300 fills it from there (路12号: 218 candidates, not 3,334, at a
    # million cases); a rarer one is then asked of all, and so is every search of a narrow scope
    # (a community's, a grid's, a department's: governance.scopes.narrow).
    feed_window = 65_536
    lookup_value_regex = r"\d+"
    parser_classes = (JSONParser, MultiPartParser, FormParser)

    def get_queryset(self):
        qs = selectors.case_list_for(self.request.user)
        if self.action == "list":
            return selectors.case_summaries(qs)
        # One case: its detail, steps, events, photos (the serializer shows no street,
        # community or grid; the original of a merged case is read when shown).
        return selectors.case_details(qs)

    def feed_windowed(self) -> bool:
        """Whether FeedPagination asks the first page of the newest ``feed_window`` cases
        first: for a text search (it reads every candidate before it cuts the page), unless
        ``?area=`` narrows it (a community's or a grid's cases hold only their share of the
        newest, as a narrow scope's do: the window rarely fills a page and its key range would
        be read for nothing). The page's rows come with the search: an item's category, area
        and department come from the process caches (``selectors.case_summaries``), so no join
        waits for the page's keys (their keys, then the rows by key, was one statement more)."""
        params = self.request.query_params
        return self.action == "list" and searches(params) and not params.get("area")

    def get_serializer_class(self):
        if self.action == "create":
            return CaseReportSerializer
        if self.action == "list":
            return CaseListSerializer
        return CaseDetailSerializer

    @extend_schema(
        request=CaseReportSerializer,
        responses={201: CaseDetailSerializer, 200: CaseDetailSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.UUID,
                OpenApiParameter.HEADER,
                description="A UUID per case to file (one per draft). Sending the same key "
                "again answers 200 with the case filed the first time instead of filing it "
                "twice.",
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if key:
            try:
                key = uuid.UUID(key)
            except ValueError:
                raise exceptions.ValidationError(
                    {"Idempotency-Key": [_("The idempotency key must be a UUID.")]}
                ) from None
        serializer = CaseReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        area = data["area"]
        if not can_view_area(request.user, area):
            raise exceptions.ValidationError({"area": [_("Unknown area.")]})
        with case_errors():
            case, created = services.case_report_once(
                actor=request.user,
                idempotency_key=key or None,
                file=lambda: services.case_report(actor=request.user, **data),
            )
        # A new case is answered as written: the service holds the category, area, street,
        # community, grid and reporter it used, and the filer may see what they filed in their
        # scope (reading it back through its nine-table join was 39 % of a filing's time). A
        # replayed key answers with the case filed the first time, read in full.
        if not created:
            case = selectors.case_detail_for(request.user, case.pk, places=False) or case
        return Response(
            CaseDetailSerializer(case, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        methods=["GET"],
        responses=CaseStepSerializer(many=True),
        description="Steps you may take now.",
    )
    @extend_schema(
        methods=["POST"],
        request=CaseStepInputSerializer,
        responses={200: CaseDetailSerializer, 409: CONFLICT},
        description="Take a step. Give the case's ``version`` as you read it: if someone took a "
        "step since, the answer is 409 and nothing changes.",
    )
    @action(detail=True, methods=["get", "post"], url_path="transitions", url_name="transitions")
    def steps(self, request, pk=None):
        case = self.get_object()
        if request.method == "GET":
            steps = selectors.available_steps(request.user, case)
            return Response(CaseStepSerializer(steps, many=True).data)
        serializer = CaseStepInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        step = data.pop("step")
        with case_errors():
            case = services.case_step(case=case, actor=request.user, step=step, **data)
        case = selectors.case_detail_for(request.user, case.pk, places=False)
        if case is None:  # the step took the case out of the actor's sight (e.g. returned)
            return Response({"detail": _("Done.")}, status=status.HTTP_200_OK)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    # The resident reporter's name or phone in full, for those who work the case (logged).
    reveal = reveal_action(Case, selectors.REPORTER_FIELDS)

    @extend_schema(responses=CaseEventSerializer(many=True))
    @action(detail=True)
    def events(self, request, pk=None):
        case = self.get_object()
        events = selectors.events_for(request.user, case)
        return Response(CaseEventSerializer(events, many=True, context={"request": request}).data)

    @extend_schema(
        methods=["POST"],
        request=AttachmentUploadSerializer,
        responses={201: AttachmentSerializer(many=True), 409: CONFLICT},
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
                case = services.case_step(
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
            deadline_services.case_resume(
                case=case, actor=request.user, comment=serializer.validated_data["comment"]
            )
        case = selectors.case_detail_for(request.user, case.pk, places=False)
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


class CaseEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The steps taken on every case in the caller's scope, newest first, by cursor;
    ``?updated_after=`` gives those written after a moment, oldest first (events never change),
    so that a platform follows what happened to its cases without reading each one."""

    serializer_class = CaseFeedEventSerializer
    filter_backends = (UpdatedAfterFilter,)
    pagination_class = FeedPagination
    feed_field = "created_at"

    def get_queryset(self):
        return selectors.event_feed_for(self.request.user)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The category tree (大类 → 小类) with default departments and time limits."""

    serializer_class = CategoryNodeSerializer
    pagination_class = None
    filterset_class = CategoryFilterSet

    def get_queryset(self):
        return selectors.category_tree()

    def list(self, request, *args, **kwargs):
        # With ``search`` the matching nodes whose parent did not match come back as roots.
        nodes = list(self.filter_queryset(self.get_queryset()))
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
        return visible(self.request.user, ResponseTemplate.objects.filter(is_active=True)).order_by(
            "order", "title"
        )

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
        templates = selectors.response_templates_for(request.user, category=category, step=step)
        return Response(ResponseTemplateSerializer(templates, many=True).data)


class CaseExportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own case exports, written by a worker: create one with the case list's
    filters (202), then read its progress until ``download`` names the file."""

    serializer_class = CaseExportSerializer
    pagination_class = None
    parser_classes = (JSONParser,)
    queryset = CaseExport.objects.none()  # the schema's model; get_queryset() answers

    def get_queryset(self):
        return export_jobs.case_exports_of(self.request.user)

    @extend_schema(request=CaseExportRequestSerializer, responses={202: CaseExportSerializer})
    def create(self, request, *args, **kwargs):
        serializer = CaseExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        query = urlencode(serializer.validated_data["filters"])
        with service_errors():
            export = export_jobs.case_export_start(owner=request.user, query=query)
        return Response(CaseExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, exports.CONTENT_TYPE): bytes})
    @action(detail=True, url_path="file", url_name="file")
    def file(self, request, pk=None):
        """The finished export's .xlsx file (404 until it is written)."""
        export = self.get_object()
        if export.state != CaseExport.State.DONE:
            raise exceptions.NotFound(_("The export is not ready."))
        return file_response(
            export.file, content_type=exports.CONTENT_TYPE, download_name=export.download_name
        )
