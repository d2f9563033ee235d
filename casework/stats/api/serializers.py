"""What the statistics API answers: the figures of :mod:`casework.stats.figures` by key."""

from __future__ import annotations

from rest_framework import serializers

from casework.stats.figures import FIGURE_LIST, RATE_LIST


def _figures_fields() -> dict:
    fields = {f.key: serializers.IntegerField(help_text=str(f.help)) for f in FIGURE_LIST}
    for r in RATE_LIST:
        fields[r.key] = serializers.FloatField(
            allow_null=True, help_text=f"{r.help} % (null: nothing to count)"
        )
    fields["handling_hours"] = serializers.FloatField(
        allow_null=True,
        help_text="Average working hours from filing to closing, suspended time left out.",
    )
    return fields


FiguresSerializer = type("FiguresSerializer", (serializers.Serializer,), _figures_fields())


class PeriodSerializer(serializers.Serializer):
    first = serializers.DateField()
    last = serializers.DateField()


class AreaRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    code = serializers.CharField()


class SummarySerializer(serializers.Serializer):
    area = AreaRefSerializer()
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    figures = FiguresSerializer()
    previous_figures = FiguresSerializer()


class AreaRowSerializer(serializers.Serializer):
    area = AreaRefSerializer()
    figures = FiguresSerializer()


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DepartmentRowSerializer(serializers.Serializer):
    department = DepartmentRefSerializer()
    figures = FiguresSerializer()


class AreaTableSerializer(serializers.Serializer):
    area = AreaRefSerializer()
    period = PeriodSerializer()
    rows = AreaRowSerializer(many=True)


class DepartmentTableSerializer(serializers.Serializer):
    area = AreaRefSerializer()
    period = PeriodSerializer()
    rows = DepartmentRowSerializer(many=True)
