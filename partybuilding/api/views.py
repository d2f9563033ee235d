"""REST endpoints of the party-building app under /api/v1/. Reads go through the selectors
(scoped, joins named); writes through the services (scope checks, validation, locks)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.api.errors import service_errors
from governance.api.permissions import ScopedObjectPermission
from governance.scopes import visible
from grids.models import Area
from partybuilding import filters, selectors, services
from partybuilding import models as m
from partybuilding.api import serializers as s
from partybuilding.permissions import ensure_may_change_in


class PartyViewSet(viewsets.ModelViewSet):
    """Scoped CRUD whose writes go through ``services.record_save`` (or ``save_service``)."""

    permission_classes = [IsAuthenticated, ScopedObjectPermission]
    area_path = "area"
    list_for = None  # selector: user -> queryset

    def get_queryset(self):
        return type(self).list_for(self.request.user)

    def save(self, instance):
        return services.record_save(actor=self.request.user, obj=instance, area_path=self.area_path)

    def _write(self, serializer, instance):
        data = dict(serializer.validated_data)
        many = {f.name: data.pop(f.name) for f in instance._meta.many_to_many if f.name in data}
        for name, value in data.items():
            setattr(instance, name, value)
        with service_errors():
            serializer.instance = self.save(instance)
        for name, value in many.items():
            getattr(serializer.instance, name).set(value)

    def perform_create(self, serializer):
        self._write(serializer, serializer.Meta.model())

    def perform_update(self, serializer):
        self._write(serializer, serializer.instance)

    def perform_destroy(self, instance):
        area = instance
        for step in self.area_path.split("__"):
            area = getattr(area, step)
        with service_errors():
            ensure_may_change_in(self.request.user, area)
            try:
                instance.delete()
            except ProtectedError as exc:
                raise ValidationError(
                    _("Other records still refer to this one; change or remove them first.")
                ) from exc


def _run(serializer_class, request, **extra):
    serializer = serializer_class(data=request.data, context={"request": request, **extra})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# -- organizations and members ----------------------------------------------------------------
class OrganizationViewSet(PartyViewSet):
    serializer_class = s.OrganizationSerializer
    filterset_class = filters.OrganizationFilterSet
    list_for = staticmethod(selectors.organization_list_for)

    def save(self, instance):
        return services.organization_save(actor=self.request.user, organization=instance)

    def perform_destroy(self, instance):
        with service_errors():
            services.organization_delete(actor=self.request.user, organization=instance)


class PostViewSet(PartyViewSet):
    serializer_class = s.PostSerializer
    area_path = "organization__area"

    @staticmethod
    def list_for(user):
        return visible(
            user, m.OrganizationPost.objects.select_related("member", "organization__area")
        ).order_by("pk")

    def save(self, instance):
        return services.post_save(actor=self.request.user, post=instance)


class MemberViewSet(PartyViewSet):
    """Party members. Phone and ID number are masked unless the caller is a party officer or
    street administrator whose scope holds the member's organization."""

    serializer_class = s.MemberSerializer
    filterset_class = filters.MemberFilterSet
    area_path = "organization__area"
    list_for = staticmethod(selectors.member_list_for)
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def save(self, instance):
        return services.member_save(actor=self.request.user, member=instance)

    @extend_schema(request=None, responses=s.MemberSerializer)
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
    serializer_class = s.DualReportSerializer
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

    def _transition(self, request, name):
        report = self.get_object()
        data = _run(s.TransitionSerializer, request)
        with service_errors():
            services.dual_report_transition(
                actor=request.user, report=report, action=name, reason=data["reason"]
            )
        return Response(self.get_serializer(self.get_queryset().get(pk=report.pk)).data)

    @extend_schema(request=s.TransitionSerializer, responses=s.DualReportSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._transition(request, "activate")

    @extend_schema(request=s.TransitionSerializer, responses=s.DualReportSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(request, "withdraw")

    @extend_schema(
        request=s.ServiceRecordSerializer, responses=s.ServiceRecordSerializer(many=True)
    )
    @action(detail=True, methods=["get", "post"])
    def services(self, request, pk=None):
        report = self.get_object()
        if request.method == "POST":
            data = _run(s.ServiceRecordSerializer, request)
            with service_errors():
                record = services.dual_report_record_service(
                    actor=request.user, report=report, **data
                )
            return Response(s.ServiceRecordSerializer(record).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(report.services.order_by("-served_on", "-pk"))
        return self.get_paginated_response(s.ServiceRecordSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("year", int), OpenApiParameter("quarter", int)],
        responses=s.ServiceRecordSerializer(many=True),
    )
    @action(detail=True)
    def feedback(self, request, pk=None):
        report = self.get_object()
        today = timezone.localdate()
        try:
            year = int(request.query_params.get("year", today.year))
            quarter = int(request.query_params.get("quarter", (today.month - 1) // 3 + 1))
        except ValueError:
            raise exceptions.ValidationError({"quarter": ["Whole numbers are required."]}) from None
        if not 1 <= quarter <= 4:
            raise exceptions.ValidationError({"quarter": ["A quarter is 1 to 4."]})
        sheet = selectors.feedback_sheet(report, year=year, quarter=quarter)
        return Response(
            {
                "report": report.pk,
                "member": report.party_name,
                "work_unit": report.member.work_unit if report.member_id else "",
                "year": year,
                "quarter": quarter,
                "services": s.ServiceRecordSerializer(sheet["services"], many=True).data,
                "hours": str(sheet["hours"]),
                "services_this_year": sheet["year_count"],
                "yearly_target": report.yearly_target,
                "on_track": sheet["on_track"],
            }
        )


# -- units, agreements, lists, projects -------------------------------------------------------
class UnitViewSet(PartyViewSet):
    serializer_class = s.UnitSerializer
    filterset_class = filters.UnitFilterSet
    list_for = staticmethod(selectors.unit_list_for)


class AgreementViewSet(PartyViewSet):
    serializer_class = s.AgreementSerializer
    filterset_class = filters.AgreementFilterSet
    area_path = "community"
    list_for = staticmethod(selectors.agreement_list_for)


class DemandViewSet(PartyViewSet):
    serializer_class = s.DemandSerializer
    filterset_class = filters.DemandFilterSet
    list_for = staticmethod(selectors.demand_list_for)

    @extend_schema(responses=s.ResourceSerializer(many=True))
    @action(detail=True)
    def suggestions(self, request, pk=None):
        demand = self.get_object()
        return Response(
            s.ResourceSerializer(selectors.suggest_resources(request.user, demand), many=True).data
        )

    @extend_schema(request=s.MatchSerializer, responses=s.ProjectSerializer)
    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        demand = self.get_object()
        data = _run(s.MatchSerializer, request)
        resources = list(selectors.resource_list_for(request.user).filter(pk__in=data["resources"]))
        if len(resources) != len(set(data["resources"])):
            raise exceptions.ValidationError({"resources": ["Unknown resource."]})
        with service_errors():
            project = services.demand_match(
                actor=request.user, demand=demand, resources=resources, name=data["name"]
            )
        project = selectors.project_list_for(request.user).get(pk=project.pk)
        return Response(
            s.ProjectSerializer(project, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ResourceViewSet(PartyViewSet):
    serializer_class = s.ResourceSerializer
    filterset_class = filters.ResourceFilterSet
    list_for = staticmethod(selectors.resource_list_for)


class ProjectViewSet(PartyViewSet):
    serializer_class = s.ProjectSerializer
    filterset_class = filters.ProjectFilterSet
    list_for = staticmethod(selectors.project_list_for)

    def save(self, instance):
        return services.project_save(actor=self.request.user, project=instance)

    @extend_schema(request=s.ProjectStatusSerializer, responses=s.ProjectSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        project = self.get_object()
        data = _run(s.ProjectStatusSerializer, request)
        with service_errors():
            services.project_set_status(actor=request.user, project=project, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=project.pk)).data)

    @extend_schema(responses=s.ProjectUpdateSerializer(many=True))
    @action(detail=True)
    def timeline(self, request, pk=None):
        project = self.get_object()
        page = self.paginate_queryset(project.updates.order_by("-happened_on", "-pk"))
        return self.get_paginated_response(s.ProjectUpdateSerializer(page, many=True).data)


# -- micro-wishes -----------------------------------------------------------------------------
class WishViewSet(PartyViewSet):
    serializer_class = s.WishSerializer
    filterset_class = filters.WishFilterSet
    list_for = staticmethod(selectors.wish_list_for)

    def _step(self, request, fn, serializer_class=None):
        wish = self.get_object()
        data = _run(serializer_class, request) if serializer_class else {}
        with service_errors():
            wish = fn(actor=request.user, wish=wish, **data)
        return Response(self.get_serializer(wish).data)

    @extend_schema(request=s.ClaimSerializer, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._step(request, services.wish_claim, s.ClaimSerializer)

    @extend_schema(request=s.FulfilSerializer, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request, pk=None):
        return self._step(request, services.wish_fulfil, s.FulfilSerializer)

    @extend_schema(request=None, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        return self._step(request, services.wish_release)

    @extend_schema(request=None, responses=s.WishSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._step(request, services.wish_withdraw)


# -- volunteers, activities, points -----------------------------------------------------------
class VolunteerViewSet(PartyViewSet):
    serializer_class = s.VolunteerSerializer
    filterset_class = filters.VolunteerFilterSet
    list_for = staticmethod(selectors.volunteer_list_for)

    @extend_schema(responses=s.PointEntrySerializer(many=True))
    @action(detail=True)
    def ledger(self, request, pk=None):
        volunteer = self.get_object()
        page = self.paginate_queryset(selectors.ledger_for(volunteer))
        response = self.get_paginated_response(s.PointEntrySerializer(page, many=True).data)
        response.data["balance"] = selectors.points_balance(volunteer)
        return response

    @extend_schema(request=s.RedeemSerializer, responses=s.RedemptionSerializer)
    @action(detail=True, methods=["post"])
    def redeem(self, request, pk=None):
        volunteer = self.get_object()
        data = _run(s.RedeemSerializer, request)
        with service_errors():
            redemption = services.reward_redeem(
                actor=request.user, volunteer=volunteer, reward=data["reward"]
            )
        return Response(s.RedemptionSerializer(redemption).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AdjustSerializer, responses=s.PointEntrySerializer)
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        volunteer = self.get_object()
        data = _run(s.AdjustSerializer, request)
        with service_errors():
            entry = services.points_adjust(actor=request.user, volunteer=volunteer, **data)
        return Response(s.PointEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class ActivityViewSet(PartyViewSet):
    serializer_class = s.ActivitySerializer
    filterset_class = filters.ActivityFilterSet
    list_for = staticmethod(selectors.activity_list_for)

    def perform_create(self, serializer):
        self._write(serializer, m.Activity(organizer=self.request.user))

    @extend_schema(request=s.SignUpSerializer, responses=s.ParticipationSerializer)
    @action(detail=True, methods=["post"], url_path="sign-up")
    def sign_up(self, request, pk=None):
        activity = self.get_object()
        data = _run(s.SignUpSerializer, request)
        with service_errors():
            participation = services.activity_sign_up(
                actor=request.user, activity=activity, volunteer=data["volunteer"]
            )
        return Response(
            s.ParticipationSerializer(participation).data, status=status.HTTP_201_CREATED
        )


class ParticipationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ParticipationSerializer
    filterset_fields = ("activity", "volunteer", "status")

    def get_queryset(self):
        return visible(
            self.request.user,
            m.Participation.objects.select_related("volunteer", "activity__area"),
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

    @extend_schema(request=s.ApproveSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = _run(s.ApproveSerializer, request)
        return self._step(request, services.participation_approve, hours=data.get("hours"))


class PointEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The points ledger (append-only: no writes here; points move through activities,
    redemptions and adjustments)."""

    serializer_class = s.PointEntrySerializer
    filterset_class = filters.PointEntryFilterSet

    def get_queryset(self):
        return visible(self.request.user, m.PointEntry.objects.all()).order_by("-created_at", "-pk")


class RewardViewSet(PartyViewSet):
    serializer_class = s.RewardSerializer
    filterset_class = filters.RewardFilterSet
    list_for = staticmethod(selectors.reward_list_for)


class RedemptionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.RedemptionSerializer
    filterset_fields = ("volunteer", "reward")

    def get_queryset(self):
        return visible(self.request.user, m.Redemption.objects.all()).order_by("-created_at", "-pk")


class LeaderboardView(APIView):
    """Volunteers with the most points earned in a period, optionally within an area."""

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="YYYY-MM-DD (default: 1 January)"),
            OpenApiParameter("until", str, description="YYYY-MM-DD (default: today)"),
            OpenApiParameter("within", int, description="an area id"),
        ],
        responses=s.LeaderboardRowSerializer(many=True),
    )
    def get(self, request):
        from django.utils.dateparse import parse_date

        today = timezone.localdate()
        try:
            since = parse_date(request.query_params.get("since", "")) or today.replace(
                month=1, day=1
            )
            until = parse_date(request.query_params.get("until", "")) or today
        except ValueError:
            raise exceptions.ValidationError({"since": ["Dates are YYYY-MM-DD."]}) from None
        area = None
        if request.query_params.get("within"):
            area = visible(
                request.user, Area.objects.filter(pk=request.query_params["within"])
            ).first()
            if area is None:
                raise exceptions.ValidationError({"within": ["Unknown area."]})
        rows = selectors.leaderboard(request.user, area=area, since=since, until=until)
        return Response(
            s.LeaderboardRowSerializer(
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


# -- meetings ---------------------------------------------------------------------------------
class CouncilViewSet(PartyViewSet):
    serializer_class = s.CouncilSerializer

    @staticmethod
    def list_for(user):
        return visible(user, m.Council.objects.select_related("area")).order_by("name")


class CouncilMemberViewSet(PartyViewSet):
    serializer_class = s.CouncilMemberSerializer
    area_path = "council__area"
    filterset_fields = ("council",)

    @staticmethod
    def list_for(user):
        return visible(user, m.CouncilMember.objects.select_related("council__area")).order_by(
            "council", "pk"
        )


class SeriesViewSet(PartyViewSet):
    serializer_class = s.SeriesSerializer

    @staticmethod
    def list_for(user):
        return visible(user, m.MeetingSeries.objects.select_related("area")).order_by("title")

    @extend_schema(request=s.GenerateSerializer, responses={200: dict})
    @action(detail=True, methods=["post"])
    def generate(self, request, pk=None):
        series = self.get_object()
        data = _run(s.GenerateSerializer, request)
        if (data["until"] - timezone.localdate()).days > 400:
            raise exceptions.ValidationError({"until": ["Generate at most a year ahead."]})
        with service_errors():
            created = services.series_generate(
                actor=request.user, series=series, until=data["until"]
            )
        return Response({"created": created})


class MeetingViewSet(PartyViewSet):
    serializer_class = s.MeetingSerializer
    filterset_class = filters.MeetingFilterSet
    list_for = staticmethod(selectors.meeting_list_for)


class AttendeeViewSet(PartyViewSet):
    serializer_class = s.AttendeeSerializer
    area_path = "meeting__area"
    filterset_fields = ("meeting",)

    @staticmethod
    def list_for(user):
        return visible(user, m.MeetingAttendee.objects.select_related("meeting__area")).order_by(
            "meeting", "pk"
        )


class ResolutionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.ResolutionSerializer
    filterset_fields = ("meeting",)
    permission_classes = [IsAuthenticated, ScopedObjectPermission]

    def get_queryset(self):
        return visible(
            self.request.user, m.Resolution.objects.select_related("meeting__area")
        ).order_by("meeting", "number")

    def perform_create(self, serializer):
        data = serializer.validated_data
        with service_errors():
            serializer.instance = services.resolution_add(
                actor=self.request.user,
                meeting=data["meeting"],
                text=data["text"],
                votes_for=data.get("votes_for", 0),
                votes_against=data.get("votes_against", 0),
            )

    @extend_schema(request=s.OpenProjectSerializer, responses=s.ProjectSerializer)
    @action(detail=True, methods=["post"], url_path="open-project")
    def open_project(self, request, pk=None):
        resolution = self.get_object()
        data = _run(s.OpenProjectSerializer, request)
        with service_errors():
            project = services.resolution_open_project(
                actor=request.user, resolution=resolution, name=data["name"]
            )
        project = selectors.project_list_for(request.user).get(pk=project.pk)
        return Response(
            s.ProjectSerializer(project, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=s.OpenCaseSerializer, responses={201: s.OpenedCaseSerializer})
    # Filing a case is not a change of the resolution's party record: the service applies
    # casework's rule on who files cases where, so the object permission does not apply.
    @action(
        detail=True,
        methods=["post"],
        url_path="open-case",
        permission_classes=[IsAuthenticated],
    )
    def open_case(self, request, pk=None):
        resolution = self.get_object()
        data = _run(s.OpenCaseSerializer, request)
        with service_errors():
            case = services.resolution_open_case(actor=request.user, resolution=resolution, **data)
        return Response(
            s.OpenedCaseSerializer(
                {
                    "id": case.pk,
                    "number": case.number,
                    "title": case.title,
                    "source": case.source,
                    "status": case.status,
                    "resolution": resolution.pk,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
