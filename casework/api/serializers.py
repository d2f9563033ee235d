from django.urls import reverse
from rest_framework import serializers
from rest_framework.fields import empty

from casework.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseExport,
    Category,
    Priority,
    ResponseTemplate,
    Satisfaction,
    Source,
)
from casework.workflow import LATER_STEP_CHOICES, step_label
from governance.api.fields import ChoiceLabelField
from governance.api.serializers import (
    BuiltOnceModelSerializer,
    CopiedFieldsSerializer,
    PlannedListSerializer,
)
from grids.models import Area


def _max_length(model, name: str) -> int:
    """The length limit of a model's text field (one home: the model)."""
    return model._meta.get_field(name).max_length


class Named(CopiedFieldsSerializer):
    """A related row as its id and name."""

    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseListSerializer(BuiltOnceModelSerializer):
    status_display = ChoiceLabelField(source="status")
    priority_display = ChoiceLabelField(source="priority")
    holder_display = ChoiceLabelField(source="holder")
    source_display = ChoiceLabelField(source="source")
    category = Named(read_only=True)
    area = Named(read_only=True)
    department = Named(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    # Blank until the case is evaluated: the schema says so (a read-only model field's enum
    # would leave the blank out).
    satisfaction = serializers.ChoiceField(
        choices=Satisfaction.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Case
        list_serializer_class = PlannedListSerializer
        fields = (
            "id",
            "number",
            "title",
            "status",
            "status_display",
            "priority",
            "priority_display",
            "source",
            "source_display",
            "category",
            "area",
            "holder",
            "holder_display",
            "department",
            "due_at",
            "is_overdue",
            "reported_at",
            "updated_at",
            "satisfaction",
        )


class CaseDetailSerializer(CaseListSerializer):
    reporter = serializers.CharField(
        source="reporter_shown",
        read_only=True,
        help_text="A resident's name masked (张**); POST reveal/ for the full value (logged).",
    )
    reporter_phone = serializers.CharField(
        source="reporter_phone_shown",
        read_only=True,
        help_text="Masked (138****1234); POST reveal/ for the full value (logged).",
    )
    duplicate_of = serializers.SerializerMethodField()
    available_steps = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = (
            *CaseListSerializer.Meta.fields,
            "description",
            "latitude",
            "longitude",
            "address",
            "reporter",
            "reporter_phone",
            "result",
            "duplicate_of",
            "resolved_on_spot",
            "rework_count",
            "return_count",
            "accepted_at",
            "escalated_at",
            "dispatched_at",
            "acknowledged_at",
            "handled_at",
            "closed_at",
            "evaluated_at",
            "version",
            "available_steps",
        )

    def get_duplicate_of(self, obj) -> dict | None:
        if obj.duplicate_of_id is None:
            return None
        return {"id": obj.duplicate_of_id, "number": obj.duplicate_of.number}

    def get_available_steps(self, obj) -> list[str]:
        from casework.selectors import available_steps

        return [step.name for step in available_steps(self.context["request"].user, obj)]


class CachedCategoryField(serializers.PrimaryKeyRelatedField):
    """A category by id from the process cache (casework.selectors.category_by_pk): the same
    answers and messages as a PrimaryKeyRelatedField, no query once the category was read."""

    def to_internal_value(self, data):
        from casework.selectors import category_by_pk

        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            category = category_by_pk(int(data))
        except (TypeError, ValueError, OverflowError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if category is None:
            self.fail("does_not_exist", pk_value=data)
        return category


class AreaWithAncestorsField(serializers.PrimaryKeyRelatedField):
    """An area by id with its ancestors (filing needs its street, community and grid), from the
    process cache (casework.selectors.area_with_ancestors): the same answers and messages as a
    PrimaryKeyRelatedField."""

    def to_internal_value(self, data):
        from casework.selectors import area_with_ancestors

        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            area = area_with_ancestors(int(data))
        except (TypeError, ValueError, OverflowError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if area is None:
            self.fail("does_not_exist", pk_value=data)
        return area


class CaseReportSerializer(CopiedFieldsSerializer):
    """Input of filing a case (the "report" step); the service validates it in full."""

    title = serializers.CharField(max_length=100)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=_max_length(Case, "description")
    )
    category = CachedCategoryField(queryset=Category.objects.all())
    area = AreaWithAncestorsField(queryset=Area.objects.all())
    source = serializers.ChoiceField(choices=Source.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    reporter_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    reporter_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=_max_length(CaseEvent, "comment")
    )
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class OptionalBooleanField(serializers.BooleanField):
    """A boolean left out of a form post stays unset (DRF reads a missing checkbox as False)."""

    default_empty_html = empty


class CaseStepInputSerializer(serializers.Serializer):
    """One step and its inputs; which inputs a step requires is the step table's business."""

    step = serializers.ChoiceField(choices=LATER_STEP_CHOICES)
    version = serializers.IntegerField(
        required=False, help_text="The case version you saw; a newer one gives 409."
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=_max_length(CaseEvent, "comment")
    )
    # Checked by the step service: a department the caller may choose that serves the case.
    department = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    duplicate_of = serializers.IntegerField(required=False, allow_null=True)
    result = serializers.CharField(
        required=False, allow_blank=True, max_length=_max_length(Case, "result")
    )
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False)
    is_public = OptionalBooleanField(required=False, allow_null=True)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class CaseStepSerializer(serializers.Serializer):
    step = serializers.CharField(source="name")
    label = serializers.CharField()
    required = serializers.ListField(child=serializers.CharField())
    optional = serializers.ListField(child=serializers.CharField())
    comment_label = serializers.CharField(allow_null=True)


class AttachmentSerializer(serializers.ModelSerializer):
    kind_display = ChoiceLabelField(source="kind")

    class Meta:
        model = Attachment
        fields = (
            "id",
            "event",
            "kind",
            "kind_display",
            "image",
            "thumbnail",
            "width",
            "height",
            "size",
            "original_name",
            "created_at",
        )


class AttachmentUploadSerializer(serializers.Serializer):
    photos = serializers.ListField(child=serializers.FileField(), allow_empty=False)
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=_max_length(CaseEvent, "comment")
    )
    version = serializers.IntegerField(required=False)


class CaseEventSerializer(serializers.ModelSerializer):
    step_label = serializers.SerializerMethodField()
    from_status_display = ChoiceLabelField(source="from_status")
    to_status_display = ChoiceLabelField(source="to_status")
    department = Named(read_only=True, allow_null=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = CaseEvent
        fields = (
            "id",
            "step",
            "step_label",
            "actor_name",
            "role",
            "from_status",
            "from_status_display",
            "to_status",
            "to_status_display",
            "to_holder",
            "department",
            "comment",
            "is_public",
            "due_at",
            "on_time",
            "created_at",
            "attachments",
        )

    def get_step_label(self, obj) -> str:
        return str(step_label(obj.step))


class CaseFeedEventSerializer(CaseEventSerializer):
    """An event in the feed across cases: which case it was taken on."""

    case = serializers.IntegerField(source="case_id", read_only=True)
    case_number = serializers.CharField(source="case.number", read_only=True)

    class Meta(CaseEventSerializer.Meta):
        fields = ("id", "case", "case_number", *CaseEventSerializer.Meta.fields[1:])


class TimeLimitSerializer(serializers.Serializer):
    priority = serializers.CharField()
    accept_hours = serializers.DecimalField(max_digits=6, decimal_places=2)
    dispatch_hours = serializers.DecimalField(max_digits=6, decimal_places=2)
    acknowledge_hours = serializers.DecimalField(max_digits=6, decimal_places=2)
    handle_hours = serializers.DecimalField(max_digits=6, decimal_places=2)


class CategoryNodeSerializer(serializers.ModelSerializer):
    default_department = Named(read_only=True, allow_null=True)
    time_limits = TimeLimitSerializer(many=True, read_only=True)
    children = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = (
            "id",
            "code",
            "name",
            "parent",
            "default_department",
            "default_priority",
            "around_the_clock",
            "time_limits",
            "children",
        )

    def get_children(self, obj) -> list[dict]:
        return [self.to_representation(c) for c in getattr(obj, "tree_children", [])]


class ResponseTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResponseTemplate
        fields = ("id", "category", "step", "title", "text")


class DuplicateQuerySerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all(), required=False)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)


class DuplicateSerializer(CaseListSerializer):
    distance_m = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta(CaseListSerializer.Meta):
        fields = (*CaseListSerializer.Meta.fields, "distance_m")


class CaseExportRequestSerializer(serializers.Serializer):
    """The case list's filters, by the names of ``GET /api/v1/cases/`` (a value or a list)."""

    filters = serializers.DictField(
        child=serializers.JSONField(), required=False, default=dict,
        help_text="Filter name → value or list of values, as in the case list's query string.",
    )  # fmt: skip

    def validate_filters(self, value):
        pairs = []
        for name, item in value.items():
            items = item if isinstance(item, list) else [item]
            for one in items:
                if isinstance(one, dict | list) or one is None:
                    raise serializers.ValidationError(f"{name}: a value or a list of values.")
                pairs.append((str(name), str(one).lower() if isinstance(one, bool) else str(one)))
        return pairs


class CaseExportSerializer(serializers.ModelSerializer):
    state_display = ChoiceLabelField(source="state")
    percent = serializers.IntegerField(read_only=True)
    download = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField()

    class Meta:
        model = CaseExport
        fields = (
            "id", "state", "state_display", "query", "total", "written", "percent", "error",
            "created_at", "finished_at", "expires_at", "download", "page",
        )  # fmt: skip
        read_only_fields = fields

    def get_download(self, export) -> str | None:
        if export.state != CaseExport.State.DONE:
            return None
        return reverse("case-export-file", args=[export.pk])

    def get_page(self, export) -> str:
        return reverse("casework:export_job", args=[export.pk])
