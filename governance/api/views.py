from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from governance import notifications
from governance.api.errors import service_errors
from governance.api.permissions import IsStreetAdmin
from governance.api.serializers import (
    DepartmentSerializer,
    MarkedReadSerializer,
    MeSerializer,
    NotificationSerializer,
    ObjectChangeSerializer,
    UnreadCountSerializer,
)
from governance.filters import ObjectChangeFilterSet
from governance.models import Department, Notification
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


@extend_schema(
    parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only the unread ones.")]
)
class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's own notifications, newest first; nobody reads or marks anybody else's."""

    serializer_class = NotificationSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a user
            return Notification.objects.none()
        unread = self.request.query_params.get("unread", "")
        if unread not in ("", "0", "1", "true", "false"):
            raise exceptions.ValidationError({"unread": [_("Give 1 (unread only) or 0.")]})
        return notifications.notifications_for(
            self.request.user, unread_only=unread in ("1", "true")
        )

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": notifications.unread_count(request.user) or 0})

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        with service_errors():
            notification = notifications.mark_read(
                user=request.user, notification_id=notification.pk
            )
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notifications.mark_all_read(user=request.user)})
