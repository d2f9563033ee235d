"""Serializers of party organizations, committee posts, members and dual reporting."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from governance.api.fields import ChoiceLabelField
from grids.models import Area
from partybuilding.api.serializers.common import PartyModelSerializer, PersonalDataMixin, scoped
from partybuilding.models import (
    FEEDBACK_FIRST_YEAR,
    CoConstructionUnit,
    DualReport,
    DualReportService,
    OrganizationPost,
    PartyMember,
    PartyOrganization,
)


class OrganizationSerializer(PartyModelSerializer):
    kind_display = ChoiceLabelField(source="kind")
    area = scoped(Area)
    parent = scoped(PartyOrganization, allow_null=True, required=False)
    depth = serializers.IntegerField(source="level", read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartyOrganization
        fields = (
            "id",
            "parent",
            "kind",
            "kind_display",
            "name",
            "area",
            "depth",
            "founded_on",
            "notes",
            "member_count",
        )


class PostSerializer(PartyModelSerializer):
    organization = scoped(PartyOrganization)
    member = scoped(PartyMember)
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = OrganizationPost
        fields = (
            "id",
            "organization",
            "member",
            "member_name",
            "position",
            "term_start",
            "term_end",
            "ceased_on",
        )


class MemberSerializer(PersonalDataMixin, PartyModelSerializer):
    organization = scoped(PartyOrganization)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    home_building = scoped(Area, allow_null=True, required=False)
    employer = scoped(CoConstructionUnit, allow_null=True, required=False)
    status_display = ChoiceLabelField(source="status")

    class Meta:
        model = PartyMember
        fields = (
            "id",
            "name",
            "organization",
            "organization_name",
            "gender",
            "birth_year",
            "id_number",
            "phone",
            "join_date",
            "status",
            "status_display",
            "home_building",
            "in_service",
            "work_unit",
            "employer",
        )

    def validate_id_number(self, value: str) -> str:
        # Responses carry the masked number; sent back unchanged it must not overwrite the real one.
        if "*" in value:
            raise serializers.ValidationError(
                _("This is the masked number: send the full number, or leave the field out.")
            )
        return value


class DualReportSerializer(PartyModelSerializer):
    community = scoped(Area)
    member = scoped(PartyMember, allow_null=True, required=False)
    unit = scoped(CoConstructionUnit, allow_null=True, required=False)
    party_name = serializers.CharField(read_only=True)
    status_display = ChoiceLabelField(source="status")
    services_this_year = serializers.IntegerField(read_only=True)

    class Meta:
        model = DualReport
        fields = (
            "id",
            "kind",
            "community",
            "member",
            "unit",
            "party_name",
            "service_post",
            "pledges",
            "yearly_target",
            "status",
            "status_display",
            "registered_on",
            "activated_on",
            "withdrawn_on",
            "withdraw_reason",
            "services_this_year",
        )
        read_only_fields = ("registered_on",)
        # Uniqueness is the service's and the database's job (partial unique constraints).
        validators = []


class ReportStepSerializer(serializers.Serializer):
    """The input of a dual report's step: why (a withdrawal needs a reason)."""

    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ServiceRecordSerializer(PartyModelSerializer):
    class Meta:
        model = DualReportService
        fields = ("id", "served_on", "hours", "description")


class FeedbackQuerySerializer(serializers.Serializer):
    """Query parameters of a quarterly feedback sheet (400 with a field message when out of
    range; the years are those the page offers)."""

    year = serializers.IntegerField(
        required=False, min_value=FEEDBACK_FIRST_YEAR, help_text="default: this year"
    )
    quarter = serializers.IntegerField(
        required=False, min_value=1, max_value=4, help_text="1 to 4 (default: this quarter)"
    )

    def validate_year(self, value: int) -> int:
        last = timezone.localdate().year + 1
        if value > last:
            raise serializers.ValidationError(
                _("Ensure this value is less than or equal to %(n)d.") % {"n": last}
            )
        return value
