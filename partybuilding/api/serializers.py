"""Serializers of the party-building API. Related keys only accept rows the caller can see;
personal data is masked for callers who may not read it (see permissions.PersonalData)."""

from __future__ import annotations

from rest_framework import serializers

from casework.models import Category, Priority
from governance.scopes import visible
from grids.models import Area
from partybuilding import models as m
from partybuilding.permissions import PersonalData


class ScopedPK(serializers.PrimaryKeyRelatedField):
    """A foreign key limited to what the requesting user may see."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return visible(request.user, queryset)


def scoped(model, **kwargs):
    return ScopedPK(queryset=model._default_manager.all(), **kwargs)


class PersonalDataMixin:
    """Masks ``personal_fields`` unless the caller may read them for the row's area."""

    personal_fields: tuple[str, ...] = ()

    def personal_area(self, obj):
        return obj.area

    def to_representation(self, obj):
        data = super().to_representation(obj)
        request = self.context.get("request")
        if request is None:
            return data
        personal = self.context.setdefault("personal_data", PersonalData(request.user))
        if not personal.allowed(self.personal_area(obj)):
            for name in self.personal_fields:
                if data.get(name):
                    data[name] = (
                        m.mask_id_number(data[name])
                        if name == "id_number"
                        else m.mask_phone(data[name])
                    )
        return data


class OrganizationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    area = scoped(Area)
    parent = scoped(m.PartyOrganization, allow_null=True, required=False)
    depth = serializers.IntegerField(source="level", read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = m.PartyOrganization
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


class PostSerializer(serializers.ModelSerializer):
    organization = scoped(m.PartyOrganization)
    member = scoped(m.PartyMember)
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = m.OrganizationPost
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


class MemberSerializer(PersonalDataMixin, serializers.ModelSerializer):
    personal_fields = ("phone", "id_number")
    organization = scoped(m.PartyOrganization)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    home_building = scoped(Area, allow_null=True, required=False)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = m.PartyMember
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
        )

    def personal_area(self, obj):
        return obj.organization.area


class DualReportSerializer(serializers.ModelSerializer):
    community = scoped(Area)
    member = scoped(m.PartyMember, allow_null=True, required=False)
    unit = scoped(m.CoConstructionUnit, allow_null=True, required=False)
    party_name = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    services_this_year = serializers.IntegerField(read_only=True)

    class Meta:
        model = m.DualReport
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
        read_only_fields = (
            "status",
            "registered_on",
            "activated_on",
            "withdrawn_on",
            "withdraw_reason",
        )
        # Uniqueness is the service's and the database's job (partial unique constraints).
        validators = []


class TransitionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ServiceRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.DualReportService
        fields = ("id", "served_on", "hours", "description")


class UnitSerializer(PersonalDataMixin, serializers.ModelSerializer):
    personal_fields = ("contact_phone",)
    area = scoped(Area)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = m.CoConstructionUnit
        fields = (
            "id",
            "name",
            "kind",
            "kind_display",
            "area",
            "address",
            "contact_name",
            "contact_phone",
            "party_organization_name",
            "party_member_count",
            "offers",
        )


class AgreementSerializer(serializers.ModelSerializer):
    unit = scoped(m.CoConstructionUnit)
    community = scoped(Area)
    party_organization = scoped(m.PartyOrganization, allow_null=True, required=False)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = m.PairingAgreement
        fields = (
            "id",
            "unit",
            "unit_name",
            "community",
            "party_organization",
            "signed_on",
            "starts_on",
            "ends_on",
            "commitments",
            "status",
            "document",
        )


class DemandSerializer(serializers.ModelSerializer):
    area = scoped(Area)

    class Meta:
        model = m.Demand
        fields = (
            "id",
            "title",
            "description",
            "service_type",
            "source",
            "area",
            "raised_by",
            "beneficiaries",
            "status",
            "created_at",
        )
        read_only_fields = ("status", "created_at")


class ResourceSerializer(serializers.ModelSerializer):
    area = scoped(Area)
    unit = scoped(m.CoConstructionUnit, allow_null=True, required=False)
    member = scoped(m.PartyMember, allow_null=True, required=False)
    distance = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = m.Resource
        fields = (
            "id",
            "title",
            "kind",
            "service_type",
            "area",
            "unit",
            "member",
            "description",
            "is_available",
            "distance",
        )


class MatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    resources = serializers.ListField(child=serializers.IntegerField(), min_length=1)


class ProjectUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.ProjectUpdate
        fields = ("id", "happened_on", "text", "status", "progress", "author")


class ProjectSerializer(serializers.ModelSerializer):
    parent = scoped(m.Project, allow_null=True, required=False)
    area = scoped(Area)
    demand = scoped(m.Demand, allow_null=True, required=False)
    agreement = scoped(m.PairingAgreement, allow_null=True, required=False)
    units = ScopedPK(queryset=m.CoConstructionUnit.objects.all(), many=True, required=False)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    child_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = m.Project
        fields = (
            "id",
            "parent",
            "name",
            "kind",
            "year",
            "area",
            "status",
            "status_display",
            "progress",
            "weight",
            "demand",
            "agreement",
            "units",
            "owner_names",
            "budget",
            "beneficiaries",
            "beneficiary_count",
            "starts_on",
            "due_on",
            "description",
            "result",
            "is_public",
            "child_count",
        )
        read_only_fields = ("progress", "result", "is_public")


class ProjectStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=m.Project.Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    text = serializers.CharField(max_length=300)
    happened_on = serializers.DateField(required=False, allow_null=True)


class WishSerializer(PersonalDataMixin, serializers.ModelSerializer):
    personal_fields = ("resident_phone",)
    area = scoped(Area)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    claimant = serializers.SerializerMethodField()

    class Meta:
        model = m.MicroWish
        fields = (
            "id",
            "title",
            "description",
            "resident_name",
            "resident_phone",
            "area",
            "status",
            "status_display",
            "claimed_by_member",
            "claimed_by_unit",
            "claimant",
            "claimed_at",
            "fulfilled_at",
            "fulfilment_note",
            "photo",
            "created_at",
        )
        read_only_fields = (
            "status",
            "claimed_by_member",
            "claimed_by_unit",
            "claimed_at",
            "fulfilled_at",
            "fulfilment_note",
            "photo",
            "created_at",
        )

    def get_claimant(self, obj) -> str | None:
        claimant = obj.claimant
        return str(claimant) if claimant else None


class ClaimSerializer(serializers.Serializer):
    member = scoped(m.PartyMember, required=False, allow_null=True)
    unit = scoped(m.CoConstructionUnit, required=False, allow_null=True)


class FulfilSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200)
    photo = serializers.ImageField(required=False, allow_null=True)


class VolunteerSerializer(PersonalDataMixin, serializers.ModelSerializer):
    personal_fields = ("phone",)
    area = scoped(Area)
    member = scoped(m.PartyMember, allow_null=True, required=False)
    balance = serializers.IntegerField(read_only=True, default=0)
    hours = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True, default=0)

    class Meta:
        model = m.Volunteer
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


class ActivitySerializer(serializers.ModelSerializer):
    area = scoped(Area)
    organizer_unit = scoped(m.CoConstructionUnit, allow_null=True, required=False)
    taken = serializers.IntegerField(read_only=True)

    class Meta:
        model = m.Activity
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
    volunteer = scoped(m.Volunteer)


class ParticipationSerializer(serializers.ModelSerializer):
    volunteer_name = serializers.CharField(source="volunteer.name", read_only=True)

    class Meta:
        model = m.Participation
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


class PointEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = m.PointEntry
        fields = ("id", "volunteer", "amount", "reason", "source_key", "expires_on", "created_at")
        read_only_fields = fields


class AdjustSerializer(serializers.Serializer):
    amount = serializers.IntegerField()
    reason = serializers.CharField(max_length=200)
    expires_on = serializers.DateField(required=False, allow_null=True)


class RewardSerializer(serializers.ModelSerializer):
    area = scoped(Area)
    provider = scoped(m.CoConstructionUnit, allow_null=True, required=False)

    class Meta:
        model = m.Reward
        fields = ("id", "name", "area", "provider", "cost", "stock", "is_active")


class RedeemSerializer(serializers.Serializer):
    reward = scoped(m.Reward)


class RedemptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Redemption
        fields = ("id", "volunteer", "reward", "points", "created_at")
        read_only_fields = fields


class CouncilSerializer(serializers.ModelSerializer):
    area = scoped(Area)

    class Meta:
        model = m.Council
        fields = ("id", "name", "kind", "area", "description")


class CouncilMemberSerializer(serializers.ModelSerializer):
    council = scoped(m.Council)
    party_member = scoped(m.PartyMember, allow_null=True, required=False)
    unit = scoped(m.CoConstructionUnit, allow_null=True, required=False)

    class Meta:
        model = m.CouncilMember
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


class SeriesSerializer(serializers.ModelSerializer):
    area = scoped(Area)
    council = scoped(m.Council, allow_null=True, required=False)

    class Meta:
        model = m.MeetingSeries
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


class MeetingSerializer(serializers.ModelSerializer):
    area = scoped(Area)
    council = scoped(m.Council, allow_null=True, required=False)
    resolution_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = m.Meeting
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
        )
        read_only_fields = ("series",)


class AttendeeSerializer(serializers.ModelSerializer):
    meeting = scoped(m.Meeting)

    class Meta:
        model = m.MeetingAttendee
        fields = ("id", "meeting", "name", "role", "party_member", "unit", "attended")


class ResolutionSerializer(serializers.ModelSerializer):
    meeting = scoped(m.Meeting)

    class Meta:
        model = m.Resolution
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
        read_only_fields = ("number", "project", "case")


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


class LeaderboardRowSerializer(serializers.Serializer):
    volunteer = serializers.IntegerField()
    name = serializers.CharField()
    area = serializers.CharField(allow_null=True)
    points = serializers.IntegerField()
