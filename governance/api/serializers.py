import copy
import datetime
import inspect

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField, is_simple_callable
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from governance.models import (
    ApiToken,
    Department,
    Notification,
    ObjectChange,
    RoleAssignment,
    User,
)


def copy_fields(fields: dict) -> dict:
    """A copy of unbound serializer fields for one serializer instance, as DRF's deep copy
    gives, cheaper: a plain field is copied attribute by attribute (DRF's ``__deepcopy__``
    calls its ``__init__`` again, with every argument: 2 ms of a filing's 46 fields); a field
    holding others (a nested serializer, a list field's child) is deep-copied, so that each
    copy's children are bound to it. The originals are never bound (``bind`` is called on the
    copies), and a field keeps nothing per request before it is bound."""
    return {
        name: copy.deepcopy(field)
        if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child")
        else copy.copy(field)
        for name, field in fields.items()
    }


class CopiedFieldsSerializer(serializers.Serializer):
    """A Serializer whose declared fields are copied cheaply (:func:`copy_fields`)."""

    def get_fields(self):
        return copy_fields(self._declared_fields)


class BuiltOnceModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that builds its fields from the model once per class, then gives each
    instance a copy (:func:`copy_fields`), as DRF does for declared fields. Building them
    (reading the model field's validators, choices and lengths) took 3 ms of every filing's
    answer; the fields depend on the class and its Meta only, never on the instance or the
    request. A subclass that changes its fields per request does so on the copy, in its own
    ``get_fields``."""

    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy_fields(built)


class PlannedListSerializer(serializers.ListSerializer):
    """A list serializer that works out once per list how each field reads its value, then
    applies that to every row: DRF asks every field of every row for its attribute through
    ``get_attribute`` — a walk of ``source_attrs``, a check of a mapping and
    :func:`~rest_framework.fields.is_simple_callable` (``inspect.signature`` for a method) on
    every value — and builds the row's readable fields anew (a generator over the fields). For
    a page of 50 cases of 19 fields that took 3.2–4.1 ms, planned 1.9 ms (issue 15: every
    page of the API's case list and of its searches).

    The answers are DRF's: a field with a one-step ``source`` read from a model instance is read
    with ``getattr`` (a method without arguments, as DRF would, is called); a value that is
    callable, an attribute that raises, a dotted or ``*`` source, a related field and a mapping
    row take DRF's own ``field.get_attribute``. A nested serializer (not a list) whose
    representation is DRF's is planned the same way. A child serializer that overrides
    ``to_representation`` keeps its own.

    What a field's representation reads for every value and that cannot change within one
    answer is read once for the list (:func:`_representer`): a date and time field's time zone
    and a :class:`~governance.api.fields.ChoiceLabelField`'s language, each a lookup in the
    request's thread-local state (asgiref's ``Local``) per value — 150 and 200 of them a page of
    50 cases, about 0.8 ms."""

    def to_representation(self, data):
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        child = self.child
        if type(child).to_representation is not serializers.Serializer.to_representation:
            return [child.to_representation(item) for item in iterable]
        plan = _Plan(child)
        return [plan.represent(item) for item in iterable]


_GENERIC, _GET, _CALL = 0, 1, 2


class _Plan:
    """How the readable fields of ``serializer`` read a row, per class of row
    (:class:`PlannedListSerializer`)."""

    def __init__(self, serializer) -> None:
        self.fields = list(serializer._readable_fields)
        self.representers = [_representer(field) for field in self.fields]
        self.steps: dict[type, list[tuple]] = {}

    def _steps_for(self, row) -> list[tuple]:
        steps = []
        for field, represent in zip(self.fields, self.representers, strict=True):
            mode, attr, method = _GENERIC, None, None
            attrs = field.source_attrs
            if (
                len(attrs) == 1
                and isinstance(row, models.Model)
                and not isinstance(field, serializers.RelatedField | serializers.ManyRelatedField)
            ):
                member = inspect.getattr_static(type(row), attrs[0], None)
                if inspect.isfunction(member):
                    if is_simple_callable(getattr(row, attrs[0])):
                        mode, attr, method = _CALL, attrs[0], member
                elif not callable(member) or hasattr(member, "__get__"):
                    mode, attr = _GET, attrs[0]
            nested = None
            if (
                isinstance(field, serializers.Serializer)
                and type(field).to_representation is serializers.Serializer.to_representation
            ):
                nested = _Plan(field)
            steps.append((field.field_name, mode, attr, method, field, nested, represent))
        return steps

    def represent(self, row) -> dict:
        steps = self.steps.get(type(row))
        if steps is None:
            steps = self.steps[type(row)] = self._steps_for(row)
        ret = {}
        for name, mode, attr, method, field, nested, represent in steps:
            # Anything but a plain value read as planned is read again by DRF, which answers as
            # it always does (None for a missing related row, the field's default, a skip).
            try:
                if mode == _GET:
                    value = getattr(row, attr)
                    if callable(value):
                        raise LookupError
                elif mode == _CALL and attr not in row.__dict__:
                    value = method(row)
                else:
                    raise LookupError
            except (LookupError, AttributeError, ObjectDoesNotExist):
                try:
                    value = field.get_attribute(row)
                except SkipField:
                    continue
            if (value.pk if isinstance(value, PKOnlyObject) else value) is None:
                ret[name] = None
            elif nested is not None:
                ret[name] = nested.represent(value)
            else:
                ret[name] = represent(value)
        return ret


def _representer(field):
    """A function that gives ``field.to_representation(value)`` for the values of one list,
    with what that reads per value and cannot change within the answer read once: the field's
    own ``planned_representation()`` when it has one, a DRF date and time field's time zone
    (:func:`_datetime_representer`); otherwise ``field.to_representation`` itself."""
    if type(field) is serializers.DateTimeField:
        return _datetime_representer(field)
    planned = getattr(field, "planned_representation", None)
    return planned() if planned is not None else field.to_representation


def _datetime_representer(field):
    """DRF's ``DateTimeField.to_representation`` in ISO 8601 with the field's time zone (the
    request's current one unless the field names its own) read once, not per value. A value
    that is not an aware date and time, or one the time zone cannot hold, goes to DRF's own
    (which answers or fails as it always does)."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if output_format is None or output_format.lower() != ISO_8601:
        return field.to_representation
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None:
        return field.to_representation
    generic = field.to_representation

    def represent(value):
        if type(value) is not datetime.datetime or value.utcoffset() is None:
            return generic(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return generic(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ("id", "name", "code", "kind", "owner", "phone", "is_active")


class RoleAssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoleAssignment
        fields = ("id", "role", "area", "department")


class MeSerializer(serializers.ModelSerializer):
    role_assignments = RoleAssignmentSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ("id", "username", "full_name", "phone", "is_superuser", "role_assignments")


class ObjectChangeSerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()

    class Meta:
        model = ObjectChange
        fields = (
            "id",
            "time",
            "user",
            "user_name",
            "request_id",
            "interface",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "area",
            "prechange_data",
            "postchange_data",
        )
        read_only_fields = fields

    def get_object_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ("id", "kind", "title", "body", "url", "created_at", "read_at", "is_read")
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("Username"), max_length=150)
    password = serializers.CharField(
        label=_("Password"), max_length=128, style={"input_type": "password"}, trim_whitespace=False
    )
    name = serializers.CharField(
        label=_("Token name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        required=False,
        help_text=_("What the token is for, so that you recognise it in your list of tokens."),
    )


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ("id", "name", "prefix", "created_at", "last_used_at", "expires_at")
        read_only_fields = fields


class IssuedTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(
        read_only=True, help_text=_("The key. It is shown this once and cannot be read again.")
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = ("token", *ApiTokenSerializer.Meta.fields)
        read_only_fields = fields
