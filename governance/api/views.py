from django.contrib.auth import authenticate, get_user_model
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import notifications
from governance.api.errors import service_errors
from governance.api.pagination import FeedPagination, UpdatedAfterFilter
from governance.api.permissions import IsStreetAdmin
from governance.api.schema import BAD_REQUEST
from governance.api.serializers import (
    ApiTokenSerializer,
    DepartmentSerializer,
    IssuedTokenSerializer,
    MarkedReadSerializer,
    MeSerializer,
    NotificationSerializer,
    ObjectChangeSerializer,
    TokenRequestSerializer,
    UnreadCountSerializer,
)
from governance.api.throttling import LoginRateThrottle
from governance.filters import DepartmentFilterSet, ObjectChangeFilterSet
from governance.models import ApiToken, Department, Notification
from governance.scopes import departments_for
from governance.selectors import change_log_for
from governance.tokens import token_issue, token_revoke, tokens_of


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The active departments the caller may choose: city-wide ones, those of the caller's
    street and district, and the caller's own."""

    serializer_class = DepartmentSerializer
    queryset = Department.objects.none()
    filterset_class = DepartmentFilterSet

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a user
            return Department.objects.none()
        return departments_for(self.request.user)


class MeView(generics.RetrieveAPIView):
    """The signed-in user with their role assignments."""

    serializer_class = MeSerializer

    def get_object(self):
        # request.user is a lazy wrapper under session authentication: ask the model itself.
        return (
            get_user_model()
            .objects.prefetch_related("role_assignments")
            .get(pk=self.request.user.pk)
        )


class AuthTokenView(APIView):
    """``POST`` a username and password for a new token (each login issues a new key; several
    tokens may live side by side). ``DELETE`` revokes the token the request is made with."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self):
        # Password guessing meets this stricter limit (and the login lockout) before anything else.
        return [LoginRateThrottle()] if self.request.method == "POST" else super().get_throttles()

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: IssuedTokenSerializer, 400: BAD_REQUEST},
        auth=[],
    )
    def post(self, request):
        given = TokenRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        # The plain Django request, on which the login lockout marks a locked-out caller.
        user = authenticate(
            request._request,
            username=given.validated_data["username"],
            password=given.validated_data["password"],
        )
        if user is None:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to log in with the username and password given.")]}
            )
        token, key = token_issue(user=user, name=given.validated_data.get("name") or _("API login"))
        return Response(IssuedTokenSerializer(token).data | {"token": key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _(
                            "This request was not made with a token. Revoke a token of yours "
                            "at /api/v1/auth/tokens/<id>/."
                        )
                    ]
                }
            )
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own tokens (never their keys): list, read, revoke."""

    serializer_class = ApiTokenSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a user
            return ApiToken.objects.none()
        return tokens_of(self.request.user)

    def perform_destroy(self, instance):
        token_revoke(token=instance)


class ObjectChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """The change log, read-only: street admins read their subtree's changes and those that
    belong to no area (departments, users). Filtered like the change log page."""

    serializer_class = ObjectChangeSerializer
    filterset_class = ObjectChangeFilterSet
    filter_backends = (DjangoFilterBackend, UpdatedAfterFilter)
    pagination_class = FeedPagination
    feed_field = "time"
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
    pagination_class = FeedPagination
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
