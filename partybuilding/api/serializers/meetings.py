"""Serializers of councils, meetings, fixed-day series and resolutions (with the project or
case a resolution opens)."""

from __future__ import annotations

from rest_framework import serializers

from casework.models import Category, Priority
from grids.models import Area
from partybuilding.api.serializers.common import PartyModelSerializer, scoped
from partybuilding.models import (
    CoConstructionUnit,
    Consortium,
    Council,
    CouncilMember,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    PartyMember,
    Resolution,
)


class CouncilSerializer(PartyModelSerializer):
    area = scoped(Area)

    class Meta:
        model = Council
        fields = ("id", "name", "kind", "area", "description")


class CouncilMemberSerializer(PartyModelSerializer):
    council = scoped(Council)
    party_member = scoped(PartyMember, allow_null=True, required=False)
    unit = scoped(CoConstructionUnit, allow_null=True, required=False)

    class Meta:
        model = CouncilMember
        fields = (
            "id",
            "council",
            "name",
            "position",
            "party_member",
            "unit",
            "term_start",
            "term_end",
        )


class SeriesSerializer(PartyModelSerializer):
    area = scoped(Area)
    council = scoped(Council, allow_null=True, required=False)

    class Meta:
        model = MeetingSeries
        fields = (
            "id",
            "title",
            "kind",
            "council",
            "area",
            "days_of_month",
            "time",
            "duration_minutes",
            "place",
            "starts_on",
            "ends_on",
        )


class GenerateSerializer(serializers.Serializer):
    until = serializers.DateField()


class MeetingSerializer(PartyModelSerializer):
    area = scoped(Area)
    consortium = scoped(Consortium, allow_null=True, required=False)
    council = scoped(Council, allow_null=True, required=False)
    resolution_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Meeting
        fields = (
            "id",
            "title",
            "kind",
            "council",
            "series",
            "area",
            "starts_at",
            "ends_at",
            "place",
            "agenda",
            "minutes",
            "minutes_public",
            "status",
            "chaired_by",
            "resolution_count",
            "consortium",
        )
        read_only_fields = ("series",)


class AttendeeSerializer(PartyModelSerializer):
    meeting = scoped(Meeting)

    class Meta:
        model = MeetingAttendee
        fields = ("id", "meeting", "name", "role", "party_member", "unit", "attended")


class ResolutionSerializer(PartyModelSerializer):
    meeting = scoped(Meeting)

    class Meta:
        model = Resolution
        fields = (
            "id",
            "meeting",
            "number",
            "text",
            "votes_for",
            "votes_against",
            "project",
            "case",
        )
        read_only_fields = ("number",)


class OpenProjectSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class OpenCaseSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True))
    area = scoped(Area)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, allow_null=True, default=None
    )


class OpenedCaseSerializer(serializers.Serializer):
    """The case filed from a resolution (the full case lives under /api/v1/cases/)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    source = serializers.CharField()
    status = serializers.CharField()
    resolution = serializers.IntegerField()
