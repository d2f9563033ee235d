"""Serializers of positions, rooms, opening periods and bookings, and the inputs of a
booking's steps and of the free/busy query."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from grids.models import Area
from partybuilding.api.serializers.common import PartyModelSerializer, scoped
from partybuilding.models import (
    Activity,
    Booking,
    BookingKind,
    CoConstructionUnit,
    Meeting,
    Position,
    PositionHours,
    Resource,
    Room,
)


class PositionSerializer(PartyModelSerializer):
    area = scoped(Area)
    unit = scoped(CoConstructionUnit, allow_null=True, required=False)
    resource = scoped(Resource, allow_null=True, required=False)

    class Meta:
        model = Position
        fields = (
            "id",
            "name",
            "kind",
            "area",
            "address",
            "unit",
            "resource",
            "facilities",
            "description",
            "open_in_working_hours",
            "requires_approval",
            "is_public",
        )


class PositionHoursSerializer(PartyModelSerializer):
    position = scoped(Position)

    class Meta:
        model = PositionHours
        fields = ("id", "position", "weekday", "opens", "closes")


@extend_schema_serializer(component_name="PositionRoom")  # grids has a Room (dwelling)
class RoomSerializer(PartyModelSerializer):
    position = scoped(Position)

    class Meta:
        model = Room
        fields = ("id", "position", "name", "kind", "capacity", "facilities", "is_active")


class BookingSerializer(PartyModelSerializer):
    """A booking; created through the booking service (opening hours, capacity, no overlap),
    never edited: its status moves by the approve, reject and cancel steps."""

    room = scoped(Room)
    activity = scoped(Activity, allow_null=True, required=False)
    meeting = scoped(Meeting, allow_null=True, required=False)
    unit = scoped(CoConstructionUnit, allow_null=True, required=False)
    kind = serializers.ChoiceField(choices=BookingKind.choices)
    booked_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = Booking
        fields = (
            "id",
            "room",
            "title",
            "kind",
            "activity",
            "meeting",
            "unit",
            "group_name",
            "starts_at",
            "ends_at",
            "expected_people",
            "people_served",
            "status",
            "booked_by",
            "note",
        )
        read_only_fields = ("people_served", "status", "booked_by")


class BookingNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PeopleServedSerializer(serializers.Serializer):
    people_served = serializers.IntegerField(min_value=0, max_value=100000)


class BusyQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    days = serializers.IntegerField(min_value=1, max_value=31, default=7)


class BusyTimeSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class RoomBusySerializer(serializers.Serializer):
    room = serializers.IntegerField(source="room.pk")
    name = serializers.CharField(source="room.name")
    busy = BusyTimeSerializer(many=True)
