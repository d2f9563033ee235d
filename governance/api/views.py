from rest_framework import generics, viewsets

from governance.api.serializers import DepartmentSerializer, MeSerializer
from governance.models import Department


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
