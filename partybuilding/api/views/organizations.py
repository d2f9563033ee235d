"""Endpoints of party organizations, committee posts, members and dual reporting."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from governance.api.errors import service_errors
from governance.api.permissions import ScopedObjectPermission
from governance.api.privacy import reveal_action
from governance.scopes import visible
from partybuilding import filters, selectors, services
from partybuilding.api.serializers.organizations import (
    DualReportSerializer,
    FeedbackQuerySerializer,
    MemberSerializer,
    OrganizationSerializer,
    PostSerializer,
    ReportStepSerializer,
    ServiceRecordSerializer,
)
from partybuilding.api.views.common import PartyViewSet, status_step_action, step_input
from partybuilding.models import OrganizationPost, PartyMember


class OrganizationViewSet(PartyViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = filters.OrganizationFilterSet
    list_for = staticmethod(selectors.organization_list_for)

    def save_service(self, instance, related):
        return services.organization_save(actor=self.request.user, organization=instance)

    def delete_service(self, instance):
        services.organization_delete(actor=self.request.user, organization=instance)


class PostViewSet(PartyViewSet):
    serializer_class = PostSerializer

    @staticmethod
    def list_for(user):
        return visible(
            user, OrganizationPost.objects.select_related("member", "organization__area")
        ).order_by("pk")

    def save_service(self, instance, related):
        return services.post_save(actor=self.request.user, post=instance)


class MemberViewSet(PartyViewSet):
    """Party members. Phone and ID number are masked for every caller; a party officer or
    street administrator whose scope holds the member's organization reads them in full with
    ``reveal`` (a reason is required and the read is logged)."""

    serializer_class = MemberSerializer
    filterset_class = filters.MemberFilterSet
    list_for = staticmethod(selectors.member_list_for)
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def save_service(self, instance, related):
        return services.member_save(actor=self.request.user, member=instance)

    status_step = status_step_action(
        PartyMember, services.member_set_status, "member", MemberSerializer
    )
    reveal = reveal_action(PartyMember, ("phone", "id_number"))

    @extend_schema(request=None, responses=MemberSerializer)
    @action(detail=True, methods=["post"], url_path="transfer-out")
    def transfer_out(self, request, pk=None):
        member = self.get_object()
        with service_errors():
            member = services.member_transfer_out(actor=request.user, member=member)
        return Response(self.get_serializer(member).data)


class DualReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DualReportSerializer
    filterset_class = filters.DualReportFilterSet
    permission_classes = [IsAuthenticated, ScopedObjectPermission]

    def get_queryset(self):
        return selectors.dual_report_list_for(self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        with service_errors():
            serializer.instance = services.dual_report_register(
                actor=self.request.user,
                kind=data["kind"],
                community=data["community"],
                member=data.get("member"),
                unit=data.get("unit"),
                service_post=data["service_post"],
                pledges=data.get("pledges", ""),
                yearly_target=data.get("yearly_target", 4),
            )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def _step(self, request, step):
        report = self.get_object()
        data = step_input(ReportStepSerializer, request)
        with service_errors():
            services.dual_report_step(
                actor=request.user, report=report, step=step, reason=data["reason"]
            )
        return Response(self.get_serializer(self.get_queryset().get(pk=report.pk)).data)

    @extend_schema(request=ReportStepSerializer, responses=DualReportSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._step(request, "activate")

    @extend_schema(request=ReportStepSerializer, responses=DualReportSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._step(request, "withdraw")

    @extend_schema(request=ServiceRecordSerializer, responses=ServiceRecordSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def services(self, request, pk=None):
        report = self.get_object()
        if request.method == "POST":
            data = step_input(ServiceRecordSerializer, request)
            with service_errors():
                record = services.dual_report_record_service(
                    actor=request.user, report=report, **data
                )
            return Response(ServiceRecordSerializer(record).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(report.services.order_by("-served_on", "-pk"))
        return self.get_paginated_response(ServiceRecordSerializer(page, many=True).data)

    @extend_schema(
        parameters=[FeedbackQuerySerializer],
        responses=ServiceRecordSerializer(many=True),
    )
    @action(detail=True)
    def feedback(self, request, pk=None):
        report = self.get_object()
        today = timezone.localdate()
        query = FeedbackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("year", today.year)
        quarter = query.validated_data.get("quarter", (today.month - 1) // 3 + 1)
        sheet = selectors.feedback_sheet(report, year=year, quarter=quarter)
        return Response(
            {
                "report": report.pk,
                "member": report.party_name,
                "work_unit": report.member.work_unit if report.member_id else "",
                "year": year,
                "quarter": quarter,
                "services": ServiceRecordSerializer(sheet["services"], many=True).data,
                "hours": str(sheet["hours"]),
                "services_this_year": sheet["year_count"],
                "yearly_target": report.yearly_target,
                "on_track": sheet["on_track"],
            }
        )
