"""Serializers of the resident register. Personal fields go out masked (governance.privacy)
whoever asks; the full value is read through the ``reveal/`` action, logged. State fields
(moving out, death, visit dates) are read-only: they change through their services."""

from __future__ import annotations

from rest_framework import serializers

from governance import privacy
from governance.api.fields import ChoiceLabelField
from governance.api.privacy import RevealedSerializer  # noqa: F401 (the reveal answer)
from grids.models import CareTag, Household, Resident, ResidentCareTag, Room, Visit


class MaskedField(serializers.CharField):
    """A personal field written in full and read masked."""

    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        return privacy.mask_value(self.kind, str(value or ""))


class ResidentTagSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="tag.name", read_only=True)
    visit_every_days = serializers.IntegerField(source="tag.visit_every_days", read_only=True)

    class Meta:
        model = ResidentCareTag
        fields = ("id", "tag", "name", "visit_every_days", "since", "notes")
        read_only_fields = ("id",)


class ResidentSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    id_number = MaskedField(kind=privacy.Kind.ID_NUMBER, max_length=30)
    phone = MaskedField(kind=privacy.Kind.PHONE, max_length=20)
    registered_address = MaskedField(kind=privacy.Kind.ADDRESS, max_length=200)
    care_tags = ResidentTagSerializer(many=True, read_only=True)
    visit_status = serializers.CharField(read_only=True)

    class Meta:
        model = Resident
        fields = (
            "id",
            "area",
            "area_name",
            "room",
            "household",
            "relation",
            "name",
            "id_type",
            "id_number",
            "phone",
            "gender",
            "birth_date",
            "ethnicity",
            "political_status",
            "resident_type",
            "registered_address",
            "moved_in_on",
            "moved_out_on",
            "deceased_on",
            "last_visit_on",
            "next_visit_due",
            "visit_status",
            "care_tags",
            "notes",
        )
        # The service validates the one-document-one-resident constraint (full_clean); DRF's
        # own validator would make the ID number required.
        validators = []
        read_only_fields = (
            "moved_out_on",
            "deceased_on",
            "last_visit_on",
            "next_visit_due",
        )


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=["id_number", "phone", "registered_address"])
    reason = serializers.CharField(max_length=privacy.MAX_REASON)


class DatedStepSerializer(serializers.Serializer):
    on = serializers.DateField(required=False)


class TagAddSerializer(serializers.Serializer):
    tag = serializers.PrimaryKeyRelatedField(queryset=CareTag.objects.all())
    since = serializers.DateField(required=False)
    notes = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RoomSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    use_display = ChoiceLabelField(source="use")
    owner_name = serializers.CharField(source="owner.name", read_only=True, default="")
    tenant_name = serializers.CharField(source="tenant.name", read_only=True, default="")

    class Meta:
        model = Room
        fields = (
            "id",
            "area",
            "area_name",
            "number",
            "floor",
            "floor_area",
            "use",
            "use_display",
            "owner",
            "owner_name",
            "tenant",
            "tenant_name",
            "notes",
        )


class HouseholdSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    householder_name = serializers.CharField(source="householder.name", read_only=True, default="")

    class Meta:
        model = Household
        fields = (
            "id",
            "area",
            "area_name",
            "number",
            "room",
            "householder",
            "householder_name",
            "notes",
        )


class CareTagSerializer(serializers.ModelSerializer):
    class Meta:
        model = CareTag
        fields = ("id", "street", "name", "visit_every_days", "description", "active")


class VisitSerializer(serializers.ModelSerializer):
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    visitor_name = serializers.CharField(source="visitor.display_name", read_only=True)
    case_number = serializers.CharField(source="case.number", read_only=True, default="")

    class Meta:
        model = Visit
        fields = (
            "id",
            "resident",
            "resident_name",
            "area",
            "visitor",
            "visitor_name",
            "visited_on",
            "in_home",
            "notes",
            "need",
            "case",
            "case_number",
            "demand",
        )
        read_only_fields = ("area", "visitor", "case", "demand")
        extra_kwargs = {"visited_on": {"required": False}}
