from rest_framework import serializers

from governance.models import Department, RoleAssignment, User


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
