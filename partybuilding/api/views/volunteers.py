"""Endpoints of volunteers, activities, sign-ups, the points ledger, rewards and the
leaderboard."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.errors import service_errors
from governance.api.privacy import reveal_action
from governance.scopes import visible
from grids.models import Area
from partybuilding import filters, selectors, services
from partybuilding.api.serializers.volunteers import (
    ActivitySerializer,
    AdjustSerializer,
    ApproveSerializer,
    LeaderboardQuerySerializer,
    LeaderboardRowSerializer,
    ParticipationSerializer,
    PointEntrySerializer,
    RedeemSerializer,
    RedemptionSerializer,
    RewardSerializer,
    SignUpSerializer,
    VolunteerSerializer,
)
from partybuilding.api.views.common import PartyViewSet, status_step_action, step_input
from partybuilding.models import (
    Activity,
    Participation,
    PointEntry,
    Redemption,
    Volunteer,
)


class VolunteerViewSet(PartyViewSet):
    """Volunteers. The phone is masked for every caller; ``reveal`` reads it in full for a party
    officer or street administrator in scope (a reason is required and the read is logged)."""

    serializer_class = VolunteerSerializer
    filterset_class = filters.VolunteerFilterSet
    list_for = staticmethod(selectors.volunteer_list_for)
    reveal = reveal_action(Volunteer, ("phone",))

    @extend_schema(responses=PointEntrySerializer(many=True))
    @action(detail=True)
    def ledger(self, request, pk=None):
        volunteer = self.get_object()
        page = self.paginate_queryset(selectors.ledger_for(volunteer))
        response = self.get_paginated_response(PointEntrySerializer(page, many=True).data)
        response.data["balance"] = selectors.points_balance(volunteer)
        return response

    @extend_schema(request=RedeemSerializer, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"])
    def redeem(self, request, pk=None):
        volunteer = self.get_object()
        data = step_input(RedeemSerializer, request)
        with service_errors():
            redemption = services.reward_redeem(
                actor=request.user, volunteer=volunteer, reward=data["reward"]
            )
        return Response(RedemptionSerializer(redemption).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AdjustSerializer, responses=PointEntrySerializer)
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        volunteer = self.get_object()
        data = step_input(AdjustSerializer, request)
        with service_errors():
            entry = services.points_adjust(actor=request.user, volunteer=volunteer, **data)
        return Response(PointEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class ActivityViewSet(PartyViewSet):
    serializer_class = ActivitySerializer
    filterset_class = filters.ActivityFilterSet
    list_for = staticmethod(selectors.activity_list_for)

    def save_service(self, instance, related):
        if instance._state.adding:
            return services.activity_create(actor=self.request.user, activity=instance)
        return super().save_service(instance, related)

    status_step = status_step_action(
        Activity, services.activity_set_status, "activity", ActivitySerializer
    )

    @extend_schema(request=SignUpSerializer, responses=ParticipationSerializer)
    @action(detail=True, methods=["post"], url_path="sign-up")
    def sign_up(self, request, pk=None):
        activity = self.get_object()
        data = step_input(SignUpSerializer, request)
        with service_errors():
            participation = services.activity_sign_up(
                actor=request.user, activity=activity, volunteer=data["volunteer"]
            )
        return Response(ParticipationSerializer(participation).data, status=status.HTTP_201_CREATED)


class ParticipationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ParticipationSerializer
    filterset_fields = ("activity", "volunteer", "status")

    def get_queryset(self):
        return visible(
            self.request.user,
            Participation.objects.select_related("volunteer", "activity__area"),
        ).order_by("activity", "pk")

    def _step(self, request, fn, **kwargs):
        participation = self.get_object()
        with service_errors():
            participation = fn(actor=request.user, participation=participation, **kwargs)
        return Response(self.get_serializer(participation).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        return self._step(request, services.participation_check_in)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        return self._step(request, services.participation_check_out)

    @extend_schema(request=ApproveSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = step_input(ApproveSerializer, request)
        return self._step(request, services.participation_approve, hours=data.get("hours"))


class PointEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The points ledger (append-only: no writes here; points move through activities,
    redemptions and adjustments)."""

    serializer_class = PointEntrySerializer
    filterset_class = filters.PointEntryFilterSet

    def get_queryset(self):
        return visible(self.request.user, PointEntry.objects.all()).order_by("-created_at", "-pk")


class RewardViewSet(PartyViewSet):
    serializer_class = RewardSerializer
    filterset_class = filters.RewardFilterSet
    list_for = staticmethod(selectors.reward_list_for)


class RedemptionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RedemptionSerializer
    filterset_fields = ("volunteer", "reward")

    def get_queryset(self):
        return visible(self.request.user, Redemption.objects.all()).order_by("-created_at", "-pk")


class LeaderboardView(APIView):
    """Volunteers with the most points earned in a period, optionally within an area."""

    @extend_schema(
        parameters=[LeaderboardQuerySerializer], responses=LeaderboardRowSerializer(many=True)
    )
    def get(self, request):
        query = LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        since = query.validated_data.get("since") or today.replace(month=1, day=1)
        until = query.validated_data.get("until") or today
        area = None
        if query.validated_data.get("within") is not None:
            area = visible(
                request.user, Area.objects.filter(pk=query.validated_data["within"])
            ).first()
            if area is None:
                raise exceptions.ValidationError({"within": [_("Unknown area.")]})
        rows = selectors.leaderboard(request.user, area=area, since=since, until=until)
        return Response(
            LeaderboardRowSerializer(
                [
                    {
                        "volunteer": r["volunteer_id"],
                        "name": r["volunteer__name"],
                        "area": r["volunteer__area__name"],
                        "points": r["points"],
                    }
                    for r in rows
                ],
                many=True,
            ).data
        )
