"""Serializers of volunteers, activities, sign-ups, the points ledger and rewards."""

from __future__ import annotations

from rest_framework import serializers

from grids.models import Area
from partybuilding.api.serializers.common import PartyModelSerializer, PersonalDataMixin, scoped
from partybuilding.models import (
    Activity,
    CoConstructionUnit,
    Participation,
    PartyMember,
    PointEntry,
    Redemption,
    Reward,
    Volunteer,
)


class VolunteerSerializer(PersonalDataMixin, PartyModelSerializer):
    area = scoped(Area)
    member = scoped(PartyMember, allow_null=True, required=False)
    balance = serializers.IntegerField(read_only=True, default=0)
    hours = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True, default=0)

    class Meta:
        model = Volunteer
        fields = (
            "id",
            "name",
            "phone",
            "area",
            "member",
            "skills",
            "is_active",
            "balance",
            "hours",
        )


class ActivitySerializer(PartyModelSerializer):
    area = scoped(Area)
    organizer_unit = scoped(CoConstructionUnit, allow_null=True, required=False)
    taken = serializers.IntegerField(read_only=True)

    class Meta:
        model = Activity
        fields = (
            "id",
            "title",
            "service_type",
            "description",
            "area",
            "place",
            "starts_at",
            "ends_at",
            "organizer",
            "organizer_unit",
            "capacity",
            "points_per_hour",
            "status",
            "taken",
        )
        read_only_fields = ("organizer",)


class SignUpSerializer(serializers.Serializer):
    volunteer = scoped(Volunteer)


class ParticipationSerializer(PartyModelSerializer):
    volunteer_name = serializers.CharField(source="volunteer.name", read_only=True)

    class Meta:
        model = Participation
        fields = (
            "id",
            "activity",
            "volunteer",
            "volunteer_name",
            "status",
            "checked_in_at",
            "checked_out_at",
            "hours",
            "approved_hours",
            "approved_by",
            "approved_at",
        )
        read_only_fields = fields


class ApproveSerializer(serializers.Serializer):
    hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )


class PointEntrySerializer(PartyModelSerializer):
    class Meta:
        model = PointEntry
        fields = ("id", "volunteer", "amount", "reason", "source_key", "expires_on", "created_at")
        read_only_fields = fields


class AdjustSerializer(serializers.Serializer):
    amount = serializers.IntegerField(
        min_value=-PointEntry.MAX_ADJUSTMENT, max_value=PointEntry.MAX_ADJUSTMENT
    )
    reason = serializers.CharField(max_length=200)
    expires_on = serializers.DateField(required=False, allow_null=True)


class RewardSerializer(PartyModelSerializer):
    area = scoped(Area)
    provider = scoped(CoConstructionUnit, allow_null=True, required=False)

    class Meta:
        model = Reward
        fields = ("id", "name", "area", "provider", "cost", "stock", "is_active")


class RedeemSerializer(serializers.Serializer):
    reward = scoped(Reward)


class RedemptionSerializer(PartyModelSerializer):
    class Meta:
        model = Redemption
        fields = ("id", "volunteer", "reward", "points", "created_at")
        read_only_fields = fields


class LeaderboardRowSerializer(serializers.Serializer):
    volunteer = serializers.IntegerField()
    name = serializers.CharField()
    area = serializers.CharField(allow_null=True)
    points = serializers.IntegerField()


class LeaderboardQuerySerializer(serializers.Serializer):
    """Query parameters of the leaderboard (400 with a field message when malformed)."""

    since = serializers.DateField(required=False, help_text="YYYY-MM-DD (default: 1 January)")
    until = serializers.DateField(required=False, help_text="YYYY-MM-DD (default: today)")
    within = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="an area id"
    )
