"""Endpoints of positions, rooms, opening periods and bookings, and a room's free/busy times."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from governance.api.errors import service_errors
from governance.scopes import visible
from partybuilding import cogov_selectors as selectors
from partybuilding import services
from partybuilding.api.serializers.positions import (
    BookingNoteSerializer,
    BookingSerializer,
    BusyQuerySerializer,
    PeopleServedSerializer,
    PositionHoursSerializer,
    PositionSerializer,
    RoomBusySerializer,
    RoomSerializer,
)
from partybuilding.api.views.common import PartyViewSet, step_input
from partybuilding.models import Position, PositionHours


class PositionViewSet(PartyViewSet):
    serializer_class = PositionSerializer
    filterset_fields = ("kind", "area")

    @staticmethod
    def list_for(user):
        return visible(user, Position.objects.select_related("area")).order_by("name")


class PositionHoursViewSet(PartyViewSet):
    serializer_class = PositionHoursSerializer
    filterset_fields = ("position",)

    @staticmethod
    def list_for(user):
        return visible(user, PositionHours.objects.select_related("position__area")).order_by(
            "position", "weekday", "opens"
        )


class RoomViewSet(PartyViewSet):
    serializer_class = RoomSerializer
    filterset_fields = ("position", "kind")
    list_for = staticmethod(selectors.room_list_for)

    @extend_schema(parameters=[BusyQuerySerializer], responses=RoomBusySerializer)
    @action(detail=True, methods=["get"])
    def busy(self, request, pk=None):
        """When the room is held (awaiting approval or confirmed), from ``start`` (today by
        default) for ``days`` days: times only."""
        room = self.get_object()
        query = BusyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        tz = timezone.get_current_timezone()
        first = query.validated_data.get("start") or timezone.localdate()
        start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
        end = start + dt.timedelta(days=query.validated_data["days"])
        row = selectors.busy_times([room], start, end)[0]
        return Response(RoomBusySerializer(row).data)


class BookingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Bookings of the rooms in scope (and of the positions that serve it). Created through
    the booking service; the steps check who may take them (the booker cancels their own)."""

    serializer_class = BookingSerializer
    filterset_fields = ("room", "room__position", "status", "kind")
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return selectors.booking_list_for(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        with service_errors():
            serializer.instance = services.booking_create(
                actor=self.request.user,
                room=data["room"],
                title=data["title"],
                kind=data["kind"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                expected_people=data["expected_people"],
                activity=data.get("activity"),
                meeting=data.get("meeting"),
                unit=data.get("unit"),
                group_name=data.get("group_name", ""),
                note=data.get("note", ""),
            )

    def _step(self, request, fn, data_from=None, **kwargs):
        # The booking first: another street's caller gets a 404 before its input is read.
        booking = self.get_object()
        if data_from is not None:
            kwargs.update(data_from(step_input(data_from.serializer, request)))
        with service_errors():
            fn(actor=request.user, booking=booking, **kwargs)
        return Response(self.get_serializer(self.get_queryset().get(pk=booking.pk)).data)

    @extend_schema(request=None, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._step(request, services.booking_approve)

    @extend_schema(request=BookingNoteSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._step(request, services.booking_reject, data_from=_note)

    @extend_schema(request=BookingNoteSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._step(request, services.booking_cancel, data_from=_note)

    @extend_schema(request=PeopleServedSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"], url_path="people-served")
    def people_served(self, request, pk=None):
        return self._step(request, services.booking_record_use, data_from=_people_served)


def _note(data) -> dict:
    return {"note": data["note"]}


_note.serializer = BookingNoteSerializer


def _people_served(data) -> dict:
    return {"people_served": data["people_served"]}


_people_served.serializer = PeopleServedSerializer
