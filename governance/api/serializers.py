import copy

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

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
