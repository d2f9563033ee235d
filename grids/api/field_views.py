"""The field-work API: patrols with their route points and findings, hidden dangers with their
steps, mobilization tasks with their buildings, sign-ups and check reports.

Every list is scoped by the selectors and bounded by pagination; nothing is edited in place:
creating is the service's first step (start a patrol, report a danger, issue a task, sign up,
report a check) and every later change is a step endpoint that calls the step service.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from governance.api.errors import Conflict, service_errors
from governance.api.parsers import JSONParser
from governance.api.schema import CONFLICT
from governance.scopes import visible
from grids import danger_services, field_filters, mobilization_services, patrol_services
from grids import danger_workflow as workflow
from grids import field_selectors as selectors
from grids.api import field_serializers as s
from grids.models import Area, DangerReminder, MobilizationTarget, Patrol


class TooSoon(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_soon"


def _visible_or_400(user, queryset, pk, field: str, message: str):
    row = visible(user, queryset.filter(pk=pk)).first()
    if row is None:
        raise exceptions.ValidationError({field: [message]})
    return row


_UPLOADS = (JSONParser, MultiPartParser, FormParser)


# -- patrols --------------------------------------------------------------------------------
class PatrolViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Patrols in the caller's scope (and their own). Creating one starts it (grid workers);
    ``end/`` ends it; ``points/`` lists its route or adds the phone's position (429 when it comes
    sooner than the minimum interval)."""

    filterset_class = field_filters.PatrolFilterSet
    serializer_class = s.PatrolSerializer

    def get_queryset(self):
        return selectors.patrol_list_for(self.request.user)

    @extend_schema(request=s.PatrolStartSerializer, responses={201: s.PatrolSerializer})
    def create(self, request, *args, **kwargs):
        serializer = s.PatrolStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        area = serializer.validated_data.get("area")
        if area is not None:
            area = _visible_or_400(
                request.user, Area.objects.all(), area.pk, "area", _("Unknown area.")
            )
        with service_errors():
            patrol = patrol_services.patrol_start(actor=request.user, area=area)
        patrol = selectors.patrol_detail_for(request.user, patrol.pk)
        return Response(s.PatrolSerializer(patrol).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PatrolEndSerializer, responses=s.PatrolSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        patrol = self.get_object()
        serializer = s.PatrolEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            patrol_services.patrol_end(
                actor=request.user,
                patrol=patrol,
                summary=serializer.validated_data.get("summary", ""),
            )
        return Response(s.PatrolSerializer(selectors.patrol_detail_for(request.user, pk)).data)

    @extend_schema(methods=["GET"], responses=s.PatrolPointSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=s.PatrolPointInputSerializer, responses=s.PatrolPointSerializer
    )
    @action(detail=True, methods=["get", "post"])
    def points(self, request, pk=None):
        patrol = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(patrol.points.order_by("recorded_at", "pk"))
            return self.get_paginated_response(s.PatrolPointSerializer(page, many=True).data)
        serializer = s.PatrolPointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            try:
                point = patrol_services.patrol_add_point(
                    actor=request.user,
                    patrol=patrol,
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    accuracy=data.get("accuracy"),
                )
            except patrol_services.PointRefused as exc:
                if exc.code == "too_soon":
                    raise TooSoon({"detail": exc.messages[0], "code": "too_soon"}) from exc
                raise
        return Response(s.PatrolPointSerializer(point).data, status=status.HTTP_201_CREATED)


class PatrolFindingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Findings of the patrols in scope. Creating one records it on the caller's patrol; filing
    it as a case is ``patrol-findings/<id>/case/`` (casework)."""

    filterset_class = field_filters.PatrolFindingFilterSet
    serializer_class = s.PatrolFindingSerializer
    parser_classes = _UPLOADS

    def get_queryset(self):
        return selectors.findings_for(self.request.user)

    @extend_schema(
        request=s.PatrolFindingCreateSerializer, responses={201: s.PatrolFindingSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = s.PatrolFindingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        patrol = _visible_or_400(
            request.user,
            Patrol.objects.all(),
            data.pop("patrol").pk,
            "patrol",
            _("Unknown patrol."),
        )
        with service_errors():
            finding = patrol_services.finding_record(actor=request.user, patrol=patrol, **data)
        finding = selectors.finding_detail_for(request.user, finding.pk)
        return Response(
            s.PatrolFindingSerializer(finding, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


# -- hidden dangers -------------------------------------------------------------------------
class HiddenDangerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Hidden dangers in scope. Creating one reports it; ``transitions/`` lists the steps the
    caller may take and takes one (409 when someone else stepped first); ``escalate/`` (casework)
    files the case that escalates it."""

    filterset_class = field_filters.HiddenDangerFilterSet
    serializer_class = s.HiddenDangerSerializer
    parser_classes = _UPLOADS

    def get_queryset(self):
        return selectors.danger_list_for(self.request.user)

    @extend_schema(
        request=s.HiddenDangerReportSerializer, responses={201: s.HiddenDangerSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = s.HiddenDangerReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["area"] = _visible_or_400(
            request.user, Area.objects.all(), data["area"].pk, "area", _("Unknown area.")
        )
        with service_errors():
            danger = danger_services.danger_report(actor=request.user, **data)
        danger = selectors.danger_detail_for(request.user, danger.pk)
        return Response(s.HiddenDangerSerializer(danger).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=s.DangerStepSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=s.DangerTransitionSerializer,
        responses={200: s.HiddenDangerSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["get", "post"])
    def transitions(self, request, pk=None):
        danger = self.get_object()
        if request.method == "GET":
            steps = workflow.available_steps(request.user, danger)
            return Response(
                s.DangerStepSerializer(
                    [
                        {
                            "name": st.name,
                            "label": str(st.label),
                            "required": list(st.required),
                            "optional": list(st.optional),
                        }
                        for st in steps
                    ],
                    many=True,
                ).data
            )
        serializer = s.DangerTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if v not in (None, "")}
        step = data.pop("step")
        try:
            with service_errors():
                danger_services.danger_transition(
                    danger=danger, actor=request.user, step=step, **data
                )
        except danger_services.DangerConflict as exc:
            raise Conflict(exc.message) from exc
        return Response(
            s.HiddenDangerSerializer(selectors.danger_detail_for(request.user, pk)).data
        )

    @extend_schema(responses=s.HiddenDangerEventSerializer(many=True))
    @action(detail=True)
    def events(self, request, pk=None):
        danger = self.get_object()
        return Response(
            s.HiddenDangerEventSerializer(
                selectors.danger_events(danger), many=True, context={"request": request}
            ).data
        )


class DangerReminderViewSet(viewsets.ReadOnlyModelViewSet):
    """Deadline reminders written for the hidden dangers in scope (read-only)."""

    serializer_class = s.DangerReminderSerializer
    filterset_fields = ("danger", "kind", "stage")

    def get_queryset(self):
        return visible(self.request.user, DangerReminder.objects.all()).order_by(
            "-created_at", "-pk"
        )


# -- mobilization ---------------------------------------------------------------------------
class MobilizationTaskViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Tasks the caller works in, or is called to. Creating one issues it and splits it per
    building (street admins and the center); ``close/`` ends it; ``coverage/`` gives the board's
    figures (``?focus=<community or grid id>``)."""

    filterset_class = field_filters.MobilizationTaskFilterSet
    serializer_class = s.MobilizationTaskSerializer

    def get_queryset(self):
        return selectors.task_list_for(self.request.user)

    @extend_schema(
        request=s.MobilizationTaskIssueSerializer, responses={201: s.MobilizationTaskSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = s.MobilizationTaskIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["area"] = _visible_or_400(
            request.user, Area.objects.all(), data["area"].pk, "area", _("Unknown area.")
        )
        with service_errors():
            task = mobilization_services.task_issue(actor=request.user, **data)
        task = selectors.task_detail_for(request.user, task.pk)
        return Response(s.MobilizationTaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.MobilizationTaskSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        task = self.get_object()
        with service_errors():
            mobilization_services.task_close(actor=request.user, task=task)
        return Response(
            s.MobilizationTaskSerializer(selectors.task_detail_for(request.user, pk)).data
        )

    @extend_schema(
        parameters=[OpenApiParameter("focus", int, description="a community or grid of the task")],
        responses=dict,
    )
    @action(detail=True)
    def coverage(self, request, pk=None):
        task = self.get_object()
        if not selectors.reaches_task(request.user, task):
            raise exceptions.PermissionDenied(_("The coverage is for those who work in the task."))
        focus = task.area
        focus_pk = request.query_params.get("focus")
        if focus_pk:
            if not str(focus_pk).isdigit():
                raise exceptions.ValidationError({"focus": [_("A whole number is required.")]})
            focus = visible(
                request.user, Area.objects.within(task.area).filter(pk=focus_pk)
            ).first()
            if focus is None:
                raise exceptions.ValidationError({"focus": [_("Unknown area.")]})
        return Response(selectors.board_payload(request.user, task, focus))


class MobilizationTargetViewSet(viewsets.ReadOnlyModelViewSet):
    """The buildings of the tasks the caller sees, with their coverage (read-only: reports and
    sign-ups change them)."""

    filterset_class = field_filters.MobilizationTargetFilterSet
    serializer_class = s.MobilizationTargetSerializer

    def get_queryset(self):
        return (
            visible(self.request.user, MobilizationTarget.objects.all())
            .select_related("building", "grid", "community", "done_by")
            .order_by("task", "building__code")
        )


class MobilizationSignupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Sign-ups in scope and the caller's own. Creating one signs the caller up (capacity: their
    post, or party_member/volunteer when they have none); deleting one withdraws it."""

    filterset_class = field_filters.MobilizationSignupFilterSet
    serializer_class = s.MobilizationSignupSerializer

    def get_queryset(self):
        return selectors.signup_list_for(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = s.MobilizationSignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = _target_or_400(request.user, serializer.validated_data["target"].pk)
        with service_errors():
            signup = mobilization_services.signup(
                actor=request.user,
                target=target,
                capacity=serializer.validated_data.get("capacity", ""),
            )
        return Response(s.MobilizationSignupSerializer(signup).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        with service_errors():
            mobilization_services.signup_withdraw(actor=self.request.user, signup=instance)


def _target_or_400(user, pk) -> MobilizationTarget:
    target = (
        visible(user, MobilizationTarget.objects.filter(pk=pk))
        .select_related("building", "task")
        .first()
    )
    if target is None:
        raise exceptions.ValidationError({"target": [_("Unknown building.")]})
    return target


class MobilizationReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Check reports in scope and the caller's own. Creating one files the check of a building
    (or household); the answers are checked against the task's questions (400 naming the
    question's key)."""

    filterset_class = field_filters.MobilizationReportFilterSet
    serializer_class = s.MobilizationReportSerializer
    parser_classes = _UPLOADS

    def get_queryset(self):
        return selectors.report_list_for(self.request.user)

    @extend_schema(
        request=s.MobilizationReportCreateSerializer,
        responses={201: s.MobilizationReportSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = s.MobilizationReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        target = _target_or_400(request.user, data.pop("target").pk)
        with service_errors():
            report = mobilization_services.report_submit(actor=request.user, target=target, **data)
        return Response(
            s.MobilizationReportSerializer(report, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
