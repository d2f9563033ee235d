"""Serializers of the deadline API: extension and suspension requests, supervision orders.
Outputs are read-only; inputs are plain fields that the services validate."""

from rest_framework import serializers

from casework.api.serializers import Named
from casework.deadlines.models import DeadlineRequest, SupervisionOrder
from casework.models import CaseEvent, Stage
from governance.api.fields import ChoiceLabelField


def _limit(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class _CaseRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()


class _UserName(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class DeadlineRequestSerializer(serializers.ModelSerializer):
    case = _CaseRef(read_only=True)
    kind_display = ChoiceLabelField(source="kind")
    stage_display = ChoiceLabelField(source="stage")
    status_display = ChoiceLabelField(source="status")
    requested_by = _UserName(read_only=True)
    decided_by = _UserName(read_only=True, allow_null=True)

    class Meta:
        model = DeadlineRequest
        fields = (
            "id",
            "case",
            "kind",
            "kind_display",
            "stage",
            "stage_display",
            "status",
            "status_display",
            "reason",
            "hours",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_comment",
            "due_before",
            "due_after",
            "remaining_seconds",
            "resumed_at",
            "created_at",
        )
        read_only_fields = fields


class DeadlineRequestCreateSerializer(serializers.Serializer):
    """Input of asking for more time; the service checks the holder, the hours and the reason."""

    case = serializers.IntegerField()
    kind = serializers.CharField()
    reason = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=_limit(DeadlineRequest, "reason")
    )
    hours = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=20)


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=_limit(DeadlineRequest, "decision_comment"),
    )


class ResumeSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=_limit(CaseEvent, "comment")
    )


class SupervisionOrderSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    case = _CaseRef(read_only=True)
    # Blank for an order on a case past its stages: the schema says so.
    stage = serializers.ChoiceField(choices=Stage.choices, allow_blank=True, read_only=True)
    stage_display = ChoiceLabelField(source="stage")
    holder_display = ChoiceLabelField(source="holder")
    status_display = ChoiceLabelField(source="status")
    department = Named(read_only=True, allow_null=True)
    issued_by = _UserName(read_only=True, allow_null=True)
    replied_by = _UserName(read_only=True, allow_null=True)
    is_late = serializers.BooleanField(read_only=True)

    class Meta:
        model = SupervisionOrder
        fields = (
            "id",
            "number",
            "case",
            "stage",
            "stage_display",
            "holder",
            "holder_display",
            "department",
            "issued_by",
            "demand",
            "reply_due_at",
            "is_late",
            "status",
            "status_display",
            "reply",
            "replied_by",
            "replied_at",
            "created_at",
        )
        read_only_fields = fields


class SupervisionIssueSerializer(serializers.Serializer):
    """Input of issuing an order; the service checks the center role, the demand and hours."""

    case = serializers.IntegerField()
    demand = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=_limit(SupervisionOrder, "demand")
    )
    reply_hours = serializers.CharField(required=False, allow_blank=True, max_length=20)


class SupervisionAnswerSerializer(serializers.Serializer):
    reply = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=_limit(SupervisionOrder, "reply")
    )
