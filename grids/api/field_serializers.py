"""Serializers of field work. State fields (a patrol's end and counts, a danger's state and
deadline, a task's status, a building's coverage) are read-only: they change only through the
step endpoints, which call the services."""

from __future__ import annotations

import json

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from governance.api.fields import ChoiceLabelField
from grids import danger_workflow
from grids.models import (
    Area,
    Capacity,
    CheckUnit,
    DangerCategory,
    DangerReminder,
    HiddenDanger,
    HiddenDangerEvent,
    MobilizationKind,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    MobilizationTask,
    Patrol,
    PatrolFinding,
    PatrolPoint,
)


class _AreaRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _PersonRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


def _photo_urls(request, name: str, *args) -> dict:
    return {
        size: request.build_absolute_uri(reverse(name, args=[*args, size]))
        for size in ("full", "thumb")
    }


# -- patrols --------------------------------------------------------------------------------
class PatrolSerializer(serializers.ModelSerializer):
    worker = _PersonRef(read_only=True)
    area = _AreaRef(read_only=True)
    finding_count = serializers.IntegerField(read_only=True)
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Patrol
        fields = (
            "id",
            "worker",
            "area",
            "started_at",
            "ended_at",
            "is_open",
            "point_count",
            "distance_m",
            "last_point_at",
            "finding_count",
            "summary",
        )
        read_only_fields = fields


class PatrolStartSerializer(serializers.Serializer):
    area = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.all(), required=False, allow_null=True
    )


class PatrolEndSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PatrolPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = PatrolPoint
        fields = ("id", "recorded_at", "latitude", "longitude", "accuracy_m")
        read_only_fields = ("id", "recorded_at")


class PatrolPointInputSerializer(serializers.Serializer):
    latitude = serializers.DecimalField(max_digits=12, decimal_places=8)
    longitude = serializers.DecimalField(max_digits=12, decimal_places=8)
    accuracy = serializers.FloatField(required=False, allow_null=True)


class PatrolFindingSerializer(serializers.ModelSerializer):
    area = _AreaRef(read_only=True)
    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)
    case_number = serializers.CharField(source="case.number", read_only=True, default="")
    photo = serializers.SerializerMethodField()

    class Meta:
        model = PatrolFinding
        fields = (
            "id",
            "patrol",
            "area",
            "description",
            "address",
            "latitude",
            "longitude",
            "found_at",
            "case",
            "case_number",
            "photo",
        )
        read_only_fields = fields

    def get_photo(self, obj) -> dict | None:
        if not obj.photo:
            return None
        return _photo_urls(self.context["request"], "field:finding_photo", obj.pk)


class PatrolFindingCreateSerializer(serializers.Serializer):
    patrol = serializers.PrimaryKeyRelatedField(queryset=Patrol.objects.all())
    description = serializers.CharField(max_length=500)
    area = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.all(), required=False, allow_null=True
    )
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    latitude = serializers.DecimalField(
        max_digits=12, decimal_places=8, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=12, decimal_places=8, required=False, allow_null=True
    )
    photo = serializers.FileField(required=False, allow_null=True)


# -- hidden dangers -------------------------------------------------------------------------
class HiddenDangerSerializer(serializers.ModelSerializer):
    area = _AreaRef(read_only=True)
    state_display = ChoiceLabelField(source="state")
    category_display = ChoiceLabelField(source="category")
    assignee = _PersonRef(read_only=True, allow_null=True)
    reported_by = _PersonRef(read_only=True)
    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = HiddenDanger
        fields = (
            "id",
            "title",
            "category",
            "category_display",
            "area",
            "address",
            "latitude",
            "longitude",
            "description",
            "responsible_party",
            "requirement",
            "state",
            "state_display",
            "reported_by",
            "assignee",
            "found_at",
            "limit_days",
            "due_at",
            "is_overdue",
            "closed_at",
            "case",
            "version",
        )
        read_only_fields = fields

    def get_is_overdue(self, obj) -> bool:
        return obj.is_overdue(timezone.now())


class HiddenDangerReportSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=DangerCategory.choices)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all())
    description = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    latitude = serializers.DecimalField(
        max_digits=12, decimal_places=8, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=12, decimal_places=8, required=False, allow_null=True
    )
    responsible_party = serializers.CharField(required=False, allow_blank=True, max_length=100)
    photo = serializers.FileField(required=False, allow_null=True)


class DangerStepSerializer(serializers.Serializer):
    """A step of the table, as the danger's ``transitions/`` lists it."""

    name = serializers.CharField()
    label = serializers.CharField()
    required = serializers.ListField(child=serializers.CharField())
    optional = serializers.ListField(child=serializers.CharField())


class DangerTransitionSerializer(serializers.Serializer):
    step = serializers.ChoiceField(
        choices=[(s.name, s.label) for s in danger_workflow.STEP_LIST if not s.creates]
    )
    version = serializers.IntegerField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    requirement = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    responsible_party = serializers.CharField(required=False, allow_blank=True, max_length=100)
    limit_days = serializers.IntegerField(required=False, allow_null=True)
    photo = serializers.FileField(required=False, allow_null=True)

    def validate_step(self, value):
        if danger_workflow.STEPS[value].via_case:
            raise serializers.ValidationError(
                _("A hidden danger is escalated by filing its case: POST to escalate/.")
            )
        return value


class HiddenDangerEventSerializer(serializers.ModelSerializer):
    step_label = serializers.SerializerMethodField()
    photo = serializers.SerializerMethodField()

    class Meta:
        model = HiddenDangerEvent
        fields = (
            "id",
            "step",
            "step_label",
            "actor_name",
            "role",
            "from_state",
            "to_state",
            "comment",
            "due_at",
            "created_at",
            "photo",
        )
        read_only_fields = fields

    def get_step_label(self, obj) -> str:
        return str(danger_workflow.step_label(obj.step))

    def get_photo(self, obj) -> dict | None:
        if not obj.photo:
            return None
        return _photo_urls(self.context["request"], "field:danger_photo", obj.danger_id, obj.pk)


class DangerReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = DangerReminder
        fields = ("id", "danger", "stage", "entry", "kind", "due_at", "created_at", "notified_at")
        read_only_fields = fields


# -- mobilization ---------------------------------------------------------------------------
class MobilizationTaskSerializer(serializers.ModelSerializer):
    area = _AreaRef(read_only=True)
    issued_by = _PersonRef(read_only=True)
    done_count = serializers.IntegerField(read_only=True)
    kind_display = ChoiceLabelField(source="kind")

    class Meta:
        model = MobilizationTask
        fields = (
            "id",
            "title",
            "kind",
            "kind_display",
            "description",
            "area",
            "unit",
            "questions",
            "photo_required",
            "volunteers_welcome",
            "max_per_building",
            "due_on",
            "status",
            "issued_by",
            "building_count",
            "done_count",
            "created_at",
            "closed_at",
        )
        read_only_fields = fields


class MobilizationTaskIssueSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=MobilizationKind.choices)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all())
    unit = serializers.ChoiceField(choices=CheckUnit.choices, default=CheckUnit.BUILDING)
    questions = serializers.JSONField()
    description = serializers.CharField(required=False, allow_blank=True)
    photo_required = serializers.BooleanField(default=False)
    volunteers_welcome = serializers.BooleanField(default=True)
    max_per_building = serializers.IntegerField(default=3)
    due_on = serializers.DateField(required=False, allow_null=True)


class MobilizationTargetSerializer(serializers.ModelSerializer):
    building = _AreaRef(read_only=True)
    grid = _AreaRef(read_only=True, allow_null=True)
    community = _AreaRef(read_only=True, allow_null=True)
    done_by = _PersonRef(read_only=True, allow_null=True)

    class Meta:
        model = MobilizationTarget
        fields = (
            "id",
            "task",
            "building",
            "grid",
            "community",
            "households",
            "status",
            "report_count",
            "signup_count",
            "last_report_at",
            "done_at",
            "done_by",
        )
        read_only_fields = fields


class MobilizationSignupSerializer(serializers.ModelSerializer):
    user = _PersonRef(read_only=True)
    capacity = serializers.ChoiceField(choices=Capacity.choices, required=False)

    class Meta:
        model = MobilizationSignup
        fields = ("id", "target", "user", "capacity", "created_at")
        read_only_fields = ("id", "user", "created_at")
        extra_kwargs = {"target": {"queryset": MobilizationTarget.objects.all()}}


class _Answers(serializers.JSONField):
    """The answers as a JSON object, or as its text (a multipart form sends text)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError(_("The answers are malformed.")) from None
        return super().to_internal_value(data)


class MobilizationReportSerializer(serializers.ModelSerializer):
    reporter = _PersonRef(read_only=True)
    answers = _Answers()
    photo = serializers.SerializerMethodField()

    class Meta:
        model = MobilizationReport
        fields = ("id", "target", "reporter", "household", "answers", "note", "created_at", "photo")
        read_only_fields = ("id", "reporter", "created_at", "photo")
        extra_kwargs = {"target": {"queryset": MobilizationTarget.objects.all()}}

    def get_photo(self, obj) -> dict | None:
        if not obj.photo:
            return None
        return _photo_urls(self.context["request"], "field:report_photo", obj.pk)


class MobilizationReportCreateSerializer(serializers.Serializer):
    target = serializers.PrimaryKeyRelatedField(queryset=MobilizationTarget.objects.all())
    household = serializers.CharField(required=False, allow_blank=True, max_length=30)
    answers = _Answers()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    photo = serializers.FileField(required=False, allow_null=True)
