"""The resident register's API: residents (masked personal fields, ``reveal/`` logged, dated
steps, care tags, the due list), rooms, households, care tags and home visits.

Every list is scoped by the selectors and paginated; every write goes through
:mod:`grids.resident_services`. A related record named in a body (building, room, household,
owner, tag) must be one the caller sees, or the answer is 400 on that field.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance import privacy
from governance.api.errors import Conflict, service_errors
from governance.api.pagination import CappedPageNumberPagination
from governance.scopes import scope_of, visible
from grids import resident_selectors as selectors
from grids import resident_services as services
from grids.api import resident_serializers as s
from grids.models import Area, CareTag, Household, Resident, Room
from grids.resident_registry import REGISTER_ROLES

RELATED = {
    "area": Area,
    "street": Area,
    "room": Room,
    "household": Household,
    "owner": Resident,
    "tenant": Resident,
    "householder": Resident,
    "tag": CareTag,
}


def _check_related(user, data: dict) -> dict:
    """Refuse (400) a related record outside the caller's view."""
    errors = {}
    for name, model in RELATED.items():
        obj = data.get(name)
        if obj is not None and not visible(user, model.objects.filter(pk=obj.pk)).exists():
            errors[name] = [_("Unknown or out of your area.")]
    if errors:
        raise exceptions.ValidationError(errors)
    return data


@contextmanager
def need_taken_conflict():
    """A visit's need turned into a case or a demand a second time answers 409 with the
    service's message (casework's and party building's visit endpoints)."""
    try:
        yield
    except services.NeedTaken as exc:
        raise Conflict(" ".join(exc.messages)) from exc


class RegisterPermissionMixin:
    """Only the roles that keep or read the register reach its endpoints (403 otherwise)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not scope_of(request.user).has_role(*REGISTER_ROLES):
            raise exceptions.PermissionDenied


class _SavedByService(
    RegisterPermissionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Create and change through ``save`` (a service taking ``actor``, the record and fields)."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    record_name = ""

    def save(self, **kwargs):
        raise NotImplementedError

    def perform_create(self, serializer):
        data = _check_related(self.request.user, dict(serializer.validated_data))
        with service_errors():
            serializer.instance = self.save(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = _check_related(self.request.user, dict(serializer.validated_data))
        with service_errors():
            serializer.instance = self.save(
                actor=self.request.user, **{self.record_name: serializer.instance}, **data
            )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("area", int, description="Residents of this area's subtree."),
            OpenApiParameter("tag", int, description="Residents with this care tag."),
            OpenApiParameter("status", str, enum=list(selectors.STATUSES)),
            OpenApiParameter(
                "q",
                str,
                description="A name by substring; an ID number or a phone as a whole value "
                "(by substring only where the caller may read it in full).",
            ),
            OpenApiParameter("ordering", str, enum=list(selectors.RESIDENT_ORDERS)),
        ]
    )
)
class ResidentViewSet(_SavedByService):
    """Residents in the caller's scope. ID numbers, phones and registered addresses are masked;
    ``reveal/`` returns one in full to a keeper of the register, with a reason, and logs it."""

    serializer_class = s.ResidentSerializer
    record_name = "resident"
    pagination_class = CappedPageNumberPagination

    def save(self, **kwargs):
        return services.resident_save(**kwargs)

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return selectors.resident_base(user).prefetch_related("care_tags__tag")
        params = self.request.query_params
        area = tag = None
        if params.get("area", "").isdigit():
            area = visible(user, Area.objects.filter(pk=params["area"])).first()
            if area is None:
                return Resident.objects.none()
        if params.get("tag", "").isdigit():
            tag = selectors.care_tag_list_for(user).filter(pk=params["tag"]).first()
            if tag is None:
                return Resident.objects.none()
        order = params.get("ordering") or "area"
        if not privacy.sortable(user, Resident, order):
            raise exceptions.ValidationError({"ordering": [_("This field cannot be sorted on.")]})
        return selectors.resident_list_for(
            user,
            area=area,
            tag=tag,
            status=params.get("status") or "living",
            q=params.get("q", "")[:50],
            order=order,
        )

    @extend_schema(request=s.RevealSerializer, responses=s.RevealedSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        resident = self.get_object()
        serializer = s.RevealSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        name = serializer.validated_data["field"]
        with service_errors():
            value = privacy.reveal(
                user=request.user,
                obj=resident,
                name=name,
                reason=serializer.validated_data["reason"],
                interface=privacy.Interface.API,
            )
        response = Response({"field": name, "value": value})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=s.DatedStepSerializer, responses=s.ResidentSerializer)
    @action(detail=True, methods=["post"], url_path="move-out")
    def move_out(self, request, pk=None):
        return self._step(services.resident_move_out)

    @extend_schema(request=s.DatedStepSerializer, responses=s.ResidentSerializer)
    @action(detail=True, methods=["post"])
    def death(self, request, pk=None):
        return self._step(services.resident_record_death)

    def _step(self, service):
        resident = self.get_object()
        serializer = s.DatedStepSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            service(
                actor=self.request.user, resident=resident, on=serializer.validated_data.get("on")
            )
        return Response(s.ResidentSerializer(self.get_queryset().get(pk=resident.pk)).data)

    @extend_schema(request=s.TagAddSerializer, responses={201: s.ResidentTagSerializer})
    @action(detail=True, methods=["post"])
    def tags(self, request, pk=None):
        resident = self.get_object()
        serializer = s.TagAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = _check_related(request.user, dict(serializer.validated_data))
        with service_errors():
            link = services.resident_tag_add(actor=request.user, resident=resident, **data)
        return Response(s.ResidentTagSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.ResidentSerializer(many=True))
    @action(detail=False)
    def due(self, request):
        """Residents whose home visit is overdue or due soon, the most overdue first."""
        page = self.paginate_queryset(selectors.residents_due_for(request.user))
        return self.get_paginated_response(s.ResidentSerializer(page, many=True).data)


class RoomViewSet(_SavedByService):
    serializer_class = s.RoomSerializer
    record_name = "room"

    def save(self, **kwargs):
        return services.room_save(**kwargs)

    def get_queryset(self):
        return selectors.room_list_for(self.request.user).order_by("area__code", "number", "pk")


class HouseholdViewSet(_SavedByService):
    serializer_class = s.HouseholdSerializer
    record_name = "household"

    def save(self, **kwargs):
        return services.household_save(**kwargs)

    def get_queryset(self):
        return selectors.household_list_for(self.request.user).order_by("area__code", "number")


class CareTagViewSet(_SavedByService):
    """The care tags of the caller's street; its street admin keeps them."""

    serializer_class = s.CareTagSerializer
    record_name = "tag"

    def save(self, **kwargs):
        return services.care_tag_save(**kwargs)

    def get_queryset(self):
        return selectors.care_tag_list_for(self.request.user)


class VisitViewSet(
    RegisterPermissionMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Home visits in the caller's scope (and their own). Creating one records a visit by the
    caller; ``/visits/{id}/case/`` files its need as a case (casework's endpoint) and
    ``/visits/{id}/demand/`` lists it as a party-building demand (party building's)."""

    serializer_class = s.VisitSerializer

    def get_queryset(self):
        return selectors.visit_list_for(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        resident = visible(self.request.user, Resident.objects.filter(pk=data["resident"].pk))
        resident = resident.select_related("area").first()
        if resident is None:
            raise exceptions.ValidationError({"resident": [_("Unknown or out of your area.")]})
        with service_errors():
            serializer.instance = services.visit_record(
                actor=self.request.user,
                resident=resident,
                in_home=data.get("in_home", True),
                notes=data.get("notes", ""),
                need=data.get("need", ""),
                visited_on=data.get("visited_on"),
            )
