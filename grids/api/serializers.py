from rest_framework import serializers

from governance.api.fields import ChoiceLabelField
from grids.models import Area, GridStaff, geojson_polygon_problem


class AreaSerializer(serializers.ModelSerializer):
    kind_display = ChoiceLabelField(source="kind")
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.all(), allow_null=True, required=False
    )
    depth = serializers.IntegerField(source="level", read_only=True)
    descendant_count = serializers.IntegerField(source="descendant_total", read_only=True)
    code = serializers.CharField(max_length=21, required=False, allow_blank=True)

    class Meta:
        model = Area
        fields = (
            "id",
            "parent",
            "kind",
            "kind_display",
            "name",
            "code",
            "depth",
            "boundary",
            "latitude",
            "longitude",
            "households",
            "population",
            "notes",
            "descendant_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")

    def validate_boundary(self, value):
        if value is not None:
            problem = geojson_polygon_problem(value)
            if problem:
                raise serializers.ValidationError(problem)
        return value


class AreaUpdateSerializer(AreaSerializer):
    class Meta(AreaSerializer.Meta):
        read_only_fields = ("parent", "kind", "created_at", "updated_at")


class AreaNodeSerializer(serializers.ModelSerializer):
    """A node of a nested subtree."""

    kind_display = ChoiceLabelField(source="kind")
    children = serializers.SerializerMethodField()

    class Meta:
        model = Area
        fields = (
            "id",
            "kind",
            "kind_display",
            "name",
            "code",
            "households",
            "population",
            "children",
        )

    def get_children(self, obj) -> list[dict]:
        return [self.to_representation(c) for c in getattr(obj, "subtree_children", [])]


class AreaMoveSerializer(serializers.Serializer):
    parent = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all())


class GridStaffSerializer(serializers.ModelSerializer):
    position_display = ChoiceLabelField(source="position")
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = GridStaff
        fields = (
            "id",
            "area",
            "area_name",
            "position",
            "position_display",
            "name",
            "phone",
            "user",
            "is_party_member",
            "started_on",
            "ended_on",
        )
