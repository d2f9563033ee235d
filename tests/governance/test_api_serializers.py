"""The planned list serializer answers as DRF's own list serializer does, row for row."""

from __future__ import annotations

from rest_framework import serializers

from governance.api.serializers import PlannedListSerializer


class _Row:
    def __init__(self, **values):
        self.__dict__.update(values)


class _Child(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _Item(serializers.Serializer):
    number = serializers.CharField()
    child = _Child(allow_null=True)
    child_name = serializers.CharField(source="child.name", allow_null=True)
    missing = serializers.CharField(required=False)
    defaulted = serializers.CharField(default="given")
    label = serializers.SerializerMethodField()

    def get_label(self, obj) -> str:
        return f"#{obj['number'] if isinstance(obj, dict) else obj.number}"


def test_plain_rows_dotted_sources_skips_and_defaults_are_drfs():
    rows = [
        _Row(number="1", child=_Row(id=1, name="a")),
        _Row(number="2", child=None),
        {"number": "3", "child": {"id": 3, "name": "c"}, "missing": "here"},
    ]

    answer = serializers.ListSerializer(child=_Item()).to_representation(rows)
    planned = PlannedListSerializer(child=_Item()).to_representation(rows)

    assert planned == answer
    assert planned[0] == {
        "number": "1",
        "child": {"id": 1, "name": "a"},
        "child_name": "a",
        "defaulted": "given",
        "label": "#1",
    }
