"""Endpoints of the three carriages."""

from __future__ import annotations

from governance.scopes import visible
from partybuilding import services
from partybuilding.api.serializers.compounds import (
    CompoundSerializer,
    OwnersCommitteeMemberSerializer,
    OwnersCommitteeSerializer,
    PropertyCompanySerializer,
    PropertyContractSerializer,
)
from partybuilding.api.views.common import PartyViewSet
from partybuilding.models import (
    Compound,
    OwnersCommittee,
    OwnersCommitteeMember,
    PropertyCompany,
    PropertyContract,
)


class CompoundViewSet(PartyViewSet):
    serializer_class = CompoundSerializer
    filterset_fields = ("kind",)

    @staticmethod
    def list_for(user):
        return visible(user, Compound.objects.select_related("area")).order_by("name")


class OwnersCommitteeViewSet(PartyViewSet):
    serializer_class = OwnersCommitteeSerializer
    filterset_fields = ("compound",)

    @staticmethod
    def list_for(user):
        return visible(user, OwnersCommittee.objects.select_related("compound__area")).order_by(
            "name"
        )


class OwnersCommitteeMemberViewSet(PartyViewSet):
    serializer_class = OwnersCommitteeMemberSerializer
    filterset_fields = ("committee",)

    @staticmethod
    def list_for(user):
        return visible(
            user, OwnersCommitteeMember.objects.select_related("committee__compound__area")
        ).order_by("committee", "post", "name")


class PropertyCompanyViewSet(PartyViewSet):
    serializer_class = PropertyCompanySerializer
    filterset_fields = ("is_red",)

    @staticmethod
    def list_for(user):
        return visible(user, PropertyCompany.objects.select_related("area", "department")).order_by(
            "department__name"
        )


class PropertyContractViewSet(PartyViewSet):
    serializer_class = PropertyContractSerializer
    filterset_fields = ("compound", "company")

    @staticmethod
    def list_for(user):
        return visible(
            user,
            PropertyContract.objects.select_related("compound__area", "company__department"),
        ).order_by("compound", "-starts_on")

    def save_service(self, instance, related):
        return services.contract_save(actor=self.request.user, contract=instance)
