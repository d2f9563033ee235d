"""Casework's field-work endpoints: each files a case from a grids record through
:mod:`casework.patrols` and answers with the case."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import patrols, selectors, visits
from casework.api.serializers import CaseDetailSerializer
from casework.models import Category, Priority
from governance.api.errors import Conflict, service_errors
from governance.api.schema import CONFLICT
from grids import field_selectors, resident_selectors, resident_services
from grids.api.resident_views import need_taken_conflict
from grids.danger_services import DangerConflict


class CaseFieldsSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True))
    title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_blank=True)


class EscalateSerializer(CaseFieldsSerializer):
    comment = serializers.CharField(max_length=2000)
    version = serializers.IntegerField(required=False)


def _case_response(request, case) -> Response:
    case = selectors.case_detail_for(request.user, case.pk, places=False) or case
    return Response(
        CaseDetailSerializer(case, context={"request": request}).data,
        status=status.HTTP_201_CREATED,
    )


class FindingCaseView(APIView):
    """File a patrol finding as a case (once)."""

    @extend_schema(request=CaseFieldsSerializer, responses={201: CaseDetailSerializer})
    def post(self, request, pk: int):
        finding = field_selectors.finding_detail_for(request.user, pk)
        if finding is None:
            raise Http404
        serializer = CaseFieldsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            case = patrols.finding_file_case(
                actor=request.user,
                finding=finding,
                category=data["category"],
                title=data.get("title", ""),
                priority=data.get("priority") or None,
            )
        return _case_response(request, case)


class DangerEscalateView(APIView):
    """Escalate a hidden danger as a case (its "escalate" step; 409 when someone stepped
    first)."""

    @extend_schema(request=EscalateSerializer, responses={201: CaseDetailSerializer, 409: CONFLICT})
    def post(self, request, pk: int):
        danger = field_selectors.danger_detail_for(request.user, pk)
        if danger is None:
            raise Http404
        serializer = EscalateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with service_errors():
                case = patrols.danger_escalate(
                    actor=request.user,
                    danger=danger,
                    category=data["category"],
                    comment=data["comment"],
                    title=data.get("title", ""),
                    priority=data.get("priority") or None,
                    version=data.get("version"),
                )
        except DangerConflict as exc:
            raise Conflict(exc.message) from exc
        return _case_response(request, case)


class VisitCaseView(APIView):
    """File the need found on a home visit as a case, linked both ways (``Visit.case`` /
    ``Case.visit``): the step the visit page takes, through the same service. A keeper of the
    register over the visit's building may (403 otherwise; 404 for a visit out of scope); a need
    filed once answers 409 the second time."""

    @extend_schema(
        request=CaseFieldsSerializer, responses={201: CaseDetailSerializer, 409: CONFLICT}
    )
    def post(self, request, pk: int):
        visit = resident_selectors.visit_list_for(request.user).filter(pk=pk).first()
        if visit is None:
            raise Http404
        if not resident_services.can_turn_need(request.user, visit):
            raise PermissionDenied(_("You may not file this visit."))
        serializer = CaseFieldsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors(), need_taken_conflict():
            case = visits.visit_file_case(
                actor=request.user,
                visit=visit,
                category=data["category"],
                title=data.get("title", ""),
                priority=data.get("priority") or None,
            )
        return _case_response(request, case)
