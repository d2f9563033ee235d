"""Serializers of units, agreements, the three lists, projects and micro-wishes."""

from __future__ import annotations

from rest_framework import serializers

from governance.api.fields import ChoiceLabelField
from grids.models import Area
from partybuilding.api.serializers.common import (
    PartyModelSerializer,
    PersonalDataMixin,
    ScopedPK,
    protected_url,
    scoped,
)
from partybuilding.models import (
    CoConstructionUnit,
    Consortium,
    Demand,
    MicroWish,
    PairingAgreement,
    PartyMember,
    PartyOrganization,
    Project,
    ProjectUpdate,
    Resource,
)


class UnitSerializer(PersonalDataMixin, PartyModelSerializer):
    area = scoped(Area)
    kind_display = ChoiceLabelField(source="kind")

    class Meta:
        model = CoConstructionUnit
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


class AgreementSerializer(PartyModelSerializer):
    unit = scoped(CoConstructionUnit)
    community = scoped(Area)
    party_organization = scoped(PartyOrganization, allow_null=True, required=False)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = PairingAgreement
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

    def to_representation(self, obj):
        data = super().to_representation(obj)
        data["document"] = protected_url(self, "partybuilding:agreement-document", obj, "document")
        return data


class DemandSerializer(PartyModelSerializer):
    area = scoped(Area)
    consortium = scoped(Consortium, allow_null=True, required=False)
    # The home visit whose need it lists (``/visits/{id}/demand/``), when it came from one.
    visit = serializers.IntegerField(
        source="visit.pk", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Demand
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
            "consortium",
            "visit",
        )
        read_only_fields = ("created_at",)


class ResourceSerializer(PartyModelSerializer):
    area = scoped(Area)
    unit = scoped(CoConstructionUnit, allow_null=True, required=False)
    member = scoped(PartyMember, allow_null=True, required=False)
    # Null unless the list is sorted by distance from a place (the field is always there).
    distance = serializers.IntegerField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Resource
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


class ProjectUpdateSerializer(PartyModelSerializer):
    class Meta:
        model = ProjectUpdate
        fields = ("id", "happened_on", "text", "status", "progress", "author")


class ProjectSerializer(PartyModelSerializer):
    parent = scoped(Project, allow_null=True, required=False)
    area = scoped(Area)
    consortium = scoped(Consortium, allow_null=True, required=False)
    demand = scoped(Demand, allow_null=True, required=False)
    agreement = scoped(PairingAgreement, allow_null=True, required=False)
    units = ScopedPK(queryset=CoConstructionUnit.objects.all(), many=True, required=False)
    status_display = ChoiceLabelField(source="status")
    child_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Project
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
            "consortium",
        )


class ProjectStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Project.Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    text = serializers.CharField(max_length=300)
    happened_on = serializers.DateField(required=False, allow_null=True)


class WishSerializer(PersonalDataMixin, PartyModelSerializer):
    area = scoped(Area)
    status_display = ChoiceLabelField(source="status")
    claimant = serializers.SerializerMethodField()

    class Meta:
        model = MicroWish
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
        read_only_fields = ("created_at",)

    def to_representation(self, obj):
        data = super().to_representation(obj)
        data["photo"] = protected_url(self, "partybuilding:wish-photo", obj, "photo")
        return data

    def get_claimant(self, obj) -> str | None:
        claimant = obj.claimant
        return str(claimant) if claimant else None


class ClaimSerializer(serializers.Serializer):
    member = scoped(PartyMember, required=False, allow_null=True)
    unit = scoped(CoConstructionUnit, required=False, allow_null=True)


class FulfilSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200)
    photo = serializers.ImageField(required=False, allow_null=True)
