from rest_framework import generics, viewsets
from rest_framework.permissions import IsAuthenticated

from governance.api.permissions import IsStreetAdmin
from governance.api.serializers import (
    DepartmentSerializer,
    MeSerializer,
    ObjectChangeSerializer,
)
from governance.filters import ObjectChangeFilterSet
from governance.models import Department
from governance.selectors import change_log_for


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Functional departments (every signed-in user may list them: cases are dispatched to them)."""

    serializer_class = DepartmentSerializer
    queryset = Department.objects.filter(is_active=True).order_by("name")
    search_fields = ("name", "code")
    filterset_fields = ("kind",)


class MeView(generics.RetrieveAPIView):
    """The signed-in user with their role assignments."""

    serializer_class = MeSerializer

    def get_object(self):
        return (
            type(self.request.user)
            .objects.prefetch_related("role_assignments")
            .get(pk=self.request.user.pk)
        )


class ObjectChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """The change log, read-only: street admins read their subtree's changes and those that
    belong to no area (departments, users). Filtered like the change log page."""

    serializer_class = ObjectChangeSerializer
    filterset_class = ObjectChangeFilterSet
    permission_classes = [IsAuthenticated, IsStreetAdmin]

    def get_queryset(self):
        return change_log_for(self.request.user)
