from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.api.errors import service_errors
from governance.api.permissions import ScopedObjectPermission
from governance.scopes import visible
from grids import selectors, services
from grids.api.serializers import (
    AreaMoveSerializer,
    AreaNodeSerializer,
    AreaSerializer,
    AreaUpdateSerializer,
    GridStaffSerializer,
)
from grids.filters import AreaFilterSet, GridStaffFilterSet
from grids.models import Area, GridStaff

MAX_SUBTREE_DEPTH = 3


class AreaViewSet(viewsets.ModelViewSet):
    """The area tree, limited to the caller's scope."""

    filterset_class = AreaFilterSet
    permission_classes = [*viewsets.ModelViewSet.permission_classes, ScopedObjectPermission]

    def get_queryset(self):
        return selectors.area_list_for(self.request.user)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return AreaUpdateSerializer
        return AreaSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        parent = data.pop("parent", None)
        if (
            parent is not None
            and not visible(self.request.user, Area.objects.filter(pk=parent.pk)).exists()
        ):
            raise exceptions.ValidationError({"parent": [_("Unknown area.")]})
        with service_errors():
            serializer.instance = services.area_create(
                actor=self.request.user, parent=parent, **data
            )

    def perform_update(self, serializer):
        with service_errors():
            serializer.instance = services.area_update(
                actor=self.request.user, area=serializer.instance, **serializer.validated_data
            )

    def perform_destroy(self, instance):
        with service_errors():
            services.area_delete(actor=self.request.user, area=instance)

    # The ancestors are a few rows, answered as one plain list (no pages).
    @extend_schema(responses=AreaSerializer(many=True))
    @action(detail=True, pagination_class=None)
    def ancestors(self, request, pk=None):
        area = self.get_object()
        return Response(AreaSerializer(selectors.ancestors_of(area), many=True).data)

    @extend_schema(responses=AreaSerializer(many=True))
    @action(detail=True)
    def children(self, request, pk=None):
        area = self.get_object()
        page = self.paginate_queryset(selectors.children_for(request.user, area))
        return self.get_paginated_response(AreaSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("depth", int, description=f"1 to {MAX_SUBTREE_DEPTH}")],
        responses=AreaNodeSerializer,
    )
    @action(detail=True)
    def subtree(self, request, pk=None):
        area = self.get_object()
        try:
            depth = int(request.query_params.get("depth", 1))
        except ValueError:
            raise exceptions.ValidationError(
                {"depth": [_("A whole number is required.")]}
            ) from None
        if not 1 <= depth <= MAX_SUBTREE_DEPTH:
            raise exceptions.ValidationError(
                {"depth": [_("Depth must be between 1 and %(max)d.") % {"max": MAX_SUBTREE_DEPTH}]}
            )
        nodes = selectors.subtree_for(request.user, area, depth=depth)
        by_id = {n.pk: n for n in nodes}
        for node in nodes:
            node.subtree_children = []
        for node in nodes:
            if node.parent_id in by_id and node.pk != area.pk:
                by_id[node.parent_id].subtree_children.append(node)
        return Response(AreaNodeSerializer(by_id[area.pk]).data)

    @extend_schema(request=AreaMoveSerializer, responses=AreaSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        area = self.get_object()
        serializer = AreaMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new_parent = serializer.validated_data["parent"]
        if not visible(request.user, Area.objects.filter(pk=new_parent.pk)).exists():
            raise exceptions.ValidationError({"parent": [_("Unknown area.")]})
        with service_errors():
            area = services.area_move(actor=request.user, area=area, new_parent=new_parent)
        return Response(AreaSerializer(area).data, status=status.HTTP_200_OK)


class GridStaffViewSet(viewsets.ModelViewSet):
    serializer_class = GridStaffSerializer
    filterset_class = GridStaffFilterSet
    permission_classes = [*viewsets.ModelViewSet.permission_classes, ScopedObjectPermission]

    def get_queryset(self):
        return selectors.staff_list_for(self.request.user).order_by(
            *Area.tree_order(prefix="area__"), "position", "name"
        )

    def perform_create(self, serializer):
        with service_errors():
            serializer.instance = services.staff_save(
                actor=self.request.user, staff=GridStaff(**serializer.validated_data)
            )

    def perform_update(self, serializer):
        staff = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(staff, name, value)
        with service_errors():
            serializer.instance = services.staff_save(actor=self.request.user, staff=staff)

    def perform_destroy(self, instance):
        with service_errors():
            services.staff_delete(actor=self.request.user, staff=instance)
