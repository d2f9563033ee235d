from rest_framework import serializers

from governance.models import Department, Notification, ObjectChange, RoleAssignment, User


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ("id", "name", "code", "kind", "phone", "is_active")


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
