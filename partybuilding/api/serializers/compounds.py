"""Serializers of the three carriages (compounds, owners' committees and their members,
property companies and their contracts) and of units' points."""

from __future__ import annotations

from rest_framework import serializers

from governance.models import Department
from grids.models import Area
from partybuilding.api.serializers.common import PartyModelSerializer, ScopedPK, scoped
from partybuilding.models import (
    CoConstructionUnit,
    Compound,
    Consortium,
    ConsortiumMember,
    OwnersCommittee,
    OwnersCommitteeMember,
    PartyMember,
    PartyOrganization,
    PropertyCompany,
    PropertyContract,
    UnitPointEntry,
    UnitPointRule,
    Volunteer,
)


class CompoundSerializer(PartyModelSerializer):
    area = scoped(Area)

    class Meta:
        model = Compound
        fields = (
            "id",
            "area",
            "name",
            "kind",
            "households",
            "residents_committee",
            "residents_committee_phone",
        )


class OwnersCommitteeSerializer(PartyModelSerializer):
    compound = scoped(Compound)

    class Meta:
        model = OwnersCommittee
        fields = ("id", "compound", "name", "elected_on", "term_start", "term_end")


class OwnersCommitteeMemberSerializer(PartyModelSerializer):
    committee = scoped(OwnersCommittee)
    party_member = scoped(PartyMember, allow_null=True, required=False)

    class Meta:
        model = OwnersCommitteeMember
        fields = ("id", "committee", "name", "post", "party_member")


class PropertyCompanySerializer(PartyModelSerializer):
    area = scoped(Area)
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.filter(kind=Department.Kind.PROPERTY)
    )
    name = serializers.CharField(source="department.name", read_only=True)
    party_organization = scoped(PartyOrganization, allow_null=True, required=False)

    class Meta:
        model = PropertyCompany
        fields = (
            "id",
            "department",
            "name",
            "area",
            "service_phone",
            "quality_score",
            "is_red",
            "party_organization",
        )


class PropertyContractSerializer(PartyModelSerializer):
    compound = scoped(Compound)
    company = scoped(PropertyCompany)

    class Meta:
        model = PropertyContract
        fields = ("id", "compound", "company", "starts_on", "ends_on")


class UnitPointRuleSerializer(PartyModelSerializer):
    area = scoped(Area)

    class Meta:
        model = UnitPointRule
        fields = ("id", "area", "item", "points", "yearly_cap")


class UnitPointEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = UnitPointEntry
        fields = ("id", "unit", "year", "item", "amount", "reason", "source_key", "created_at")
        read_only_fields = fields


class SettleSerializer(serializers.Serializer):
    street = serializers.IntegerField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class UnitRankSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    points = serializers.IntegerField()


class ConsortiumSerializer(PartyModelSerializer):
    area = scoped(Area)
    covered_areas = ScopedPK(queryset=Area.objects.all(), many=True, required=False)
    compounds = ScopedPK(queryset=Compound.objects.all(), many=True, required=False)
    units = ScopedPK(queryset=CoConstructionUnit.objects.all(), many=True, required=False)

    class Meta:
        model = Consortium
        fields = (
            "id",
            "name",
            "area",
            "motto",
            "description",
            "covered_areas",
            "compounds",
            "units",
        )


class ConsortiumMemberSerializer(PartyModelSerializer):
    consortium = scoped(Consortium)
    unit = scoped(CoConstructionUnit, allow_null=True, required=False)
    company = scoped(PropertyCompany, allow_null=True, required=False)
    volunteer = scoped(Volunteer, allow_null=True, required=False)

    class Meta:
        model = ConsortiumMember
        fields = ("id", "consortium", "name", "side", "role", "unit", "company", "volunteer")
