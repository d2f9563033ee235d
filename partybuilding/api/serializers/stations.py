"""Serializers of the deputies' contact station. An opinion's outcome and its links are state:
they change only through the ``to-demand``, ``to-case`` and ``reply`` steps."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from casework.models import Category
from governance.api.fields import ChoiceLabelField
from grids.models import Area
from partybuilding.api.serializers.common import (
    PartyModelSerializer,
    PersonalDataMixin,
    scoped,
)
from partybuilding.models import ContactStation, Deputy, Opinion, Reception, ServiceType
from partybuilding.station_selectors import deputy_accounts_for


class ContactStationSerializer(PartyModelSerializer):
    area = scoped(Area)

    class Meta:
        model = ContactStation
        fields = ("id", "name", "area", "address", "phone", "description", "is_public")


class DeputyAccountField(serializers.PrimaryKeyRelatedField):
    """A portal account the caller may link to the deputy being written
    (``station_selectors.deputy_accounts_for``)."""

    default_error_messages = {
        "does_not_exist": _("Choose a portal account within your scope that no deputy uses yet."),
    }

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return get_user_model().objects.none()
        return deputy_accounts_for(request.user, self.parent.instance)


class DeputySerializer(PartyModelSerializer):
    area = scoped(Area)
    stations = scoped(ContactStation, many=True, required=False)
    kind_display = ChoiceLabelField(source="kind")
    level_display = ChoiceLabelField(source="level")
    user = DeputyAccountField(
        required=False,
        allow_null=True,
        help_text="The deputy's portal account: an account within the caller's scope that no "
        "other deputy uses (or the current one); null unlinks it.",
    )

    class Meta:
        model = Deputy
        fields = (
            "id",
            "name",
            "kind",
            "kind_display",
            "level",
            "level_display",
            "term",
            "term_start",
            "term_end",
            "work_unit",
            "area",
            "stations",
            "user",
        )


class ReceptionSerializer(PartyModelSerializer):
    station = scoped(ContactStation)
    deputies = scoped(Deputy, many=True)
    status_display = ChoiceLabelField(source="status")

    class Meta:
        model = Reception
        fields = (
            "id",
            "station",
            "day",
            "starts",
            "ends",
            "topic",
            "status",
            "status_display",
            "deputies",
        )


class OpinionSerializer(PersonalDataMixin, PartyModelSerializer):
    """Name and phone come masked; their full read is a logged reveal on the page."""

    reveal_only_fields = ("resident_name", "resident_phone")
    reception = scoped(Reception)
    deputy = scoped(Deputy)
    area = scoped(Area)
    outcome_display = ChoiceLabelField(source="outcome")
    follow_up = serializers.CharField(read_only=True)
    case_number = serializers.CharField(
        source="case.number", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Opinion
        fields = (
            "id",
            "reception",
            "deputy",
            "area",
            "resident_name",
            "resident_phone",
            "content",
            "outcome",
            "outcome_display",
            "demand",
            "case",
            "case_number",
            "reply",
            "handled_at",
            "follow_up",
            "created_at",
        )
        read_only_fields = ("demand", "case", "reply", "handled_at", "created_at")


class OpinionDemandSerializer(serializers.Serializer):
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class OpinionCaseSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True))
    area = scoped(Area, required=False, allow_null=True, default=None)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OpinionReplySerializer(serializers.Serializer):
    reply = serializers.CharField(max_length=2000)
