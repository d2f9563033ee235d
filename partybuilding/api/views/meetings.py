"""Endpoints of councils, meetings, fixed-day series and resolutions."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from governance.api.errors import service_errors
from governance.api.permissions import ScopedObjectPermission
from governance.scopes import visible
from partybuilding import filters, selectors, services
from partybuilding.api.serializers.cogovernance import (
    ProjectSerializer,
)
from partybuilding.api.serializers.meetings import (
    AttendeeSerializer,
    CouncilMemberSerializer,
    CouncilSerializer,
    GenerateSerializer,
    MeetingSerializer,
    OpenCaseSerializer,
    OpenedCaseSerializer,
    OpenProjectSerializer,
    ResolutionSerializer,
    SeriesSerializer,
)
from partybuilding.api.views.common import PartyViewSet, status_step_action, step_input
from partybuilding.models import (
    Council,
    CouncilMember,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    Resolution,
)


class CouncilViewSet(PartyViewSet):
    serializer_class = CouncilSerializer

    @staticmethod
    def list_for(user):
        return visible(user, Council.objects.select_related("area")).order_by("name")


class CouncilMemberViewSet(PartyViewSet):
    serializer_class = CouncilMemberSerializer
    filterset_fields = ("council",)

    @staticmethod
    def list_for(user):
        return visible(user, CouncilMember.objects.select_related("council__area")).order_by(
            "council", "pk"
        )


class SeriesViewSet(PartyViewSet):
    serializer_class = SeriesSerializer

    @staticmethod
    def list_for(user):
        return visible(user, MeetingSeries.objects.select_related("area")).order_by("title")

    @extend_schema(request=GenerateSerializer, responses={200: dict})
    @action(detail=True, methods=["post"])
    def generate(self, request, pk=None):
        series = self.get_object()
        data = step_input(GenerateSerializer, request)
        if (data["until"] - timezone.localdate()).days > 400:
            raise exceptions.ValidationError({"until": ["Generate at most a year ahead."]})
        with service_errors():
            created = services.series_generate(
                actor=request.user, series=series, until=data["until"]
            )
        return Response({"created": created})


class MeetingViewSet(PartyViewSet):
    serializer_class = MeetingSerializer
    filterset_class = filters.MeetingFilterSet
    list_for = staticmethod(selectors.meeting_list_for)
    status_step = status_step_action(
        Meeting, services.meeting_set_status, "meeting", MeetingSerializer
    )


class AttendeeViewSet(PartyViewSet):
    serializer_class = AttendeeSerializer
    filterset_fields = ("meeting",)

    @staticmethod
    def list_for(user):
        return visible(user, MeetingAttendee.objects.select_related("meeting__area")).order_by(
            "meeting", "pk"
        )


class ResolutionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ResolutionSerializer
    filterset_fields = ("meeting",)
    permission_classes = [IsAuthenticated, ScopedObjectPermission]

    def get_queryset(self):
        return visible(
            self.request.user, Resolution.objects.select_related("meeting__area")
        ).order_by("meeting", "number")

    def perform_create(self, serializer):
        data = serializer.validated_data
        with service_errors():
            serializer.instance = services.resolution_add(
                actor=self.request.user,
                meeting=data["meeting"],
                text=data["text"],
                votes_for=data.get("votes_for", 0),
                votes_against=data.get("votes_against", 0),
            )

    @extend_schema(request=OpenProjectSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"], url_path="open-project")
    def open_project(self, request, pk=None):
        resolution = self.get_object()
        data = step_input(OpenProjectSerializer, request)
        with service_errors():
            project = services.resolution_open_project(
                actor=request.user, resolution=resolution, name=data["name"]
            )
        project = selectors.project_list_for(request.user).get(pk=project.pk)
        return Response(
            ProjectSerializer(project, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=OpenCaseSerializer, responses={201: OpenedCaseSerializer})
    # Filing a case is not a change of the resolution's party record: the service applies
    # casework's rule on who files cases where, so the object permission does not apply.
    @action(
        detail=True,
        methods=["post"],
        url_path="open-case",
        permission_classes=[IsAuthenticated],
    )
    def open_case(self, request, pk=None):
        resolution = self.get_object()
        data = step_input(OpenCaseSerializer, request)
        with service_errors():
            case = services.resolution_open_case(actor=request.user, resolution=resolution, **data)
        return Response(
            OpenedCaseSerializer(
                {
                    "id": case.pk,
                    "number": case.number,
                    "title": case.title,
                    "source": case.source,
                    "status": case.status,
                    "resolution": resolution.pk,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
