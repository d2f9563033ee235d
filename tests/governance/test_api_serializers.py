"""The planned list serializer answers as DRF's own list serializer does, row for row."""

from __future__ import annotations

import datetime
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone
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


class _Times(serializers.Serializer):
    at = serializers.DateTimeField(allow_null=True)
    own_zone = serializers.DateTimeField(default_timezone=datetime.timezone(timedelta(hours=-5)))
    formatted = serializers.DateTimeField(format="%Y-%m-%d %H:%M")
    as_given = serializers.DateTimeField(format=None)


def _times(at) -> _Row:
    return _Row(at=at, own_zone=at, formatted=at, as_given=at)


_SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_TIMES = [
    datetime.datetime(2026, 11, 30, 4, 5, 6, 789, tzinfo=datetime.UTC),
    datetime.datetime(2026, 11, 30, 12, 5, 6, tzinfo=_SHANGHAI),
    datetime.datetime(2026, 6, 1, 0, 0),  # naive: DRF makes it aware in the field's zone
    "2026-11-30T04:05:06Z",  # a string passes through
]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
def test_dates_and_times_are_drfs_in_every_time_zone(zone):
    rows = [_times(at) for at in _TIMES] + [_Row(at=None, own_zone=_TIMES[0], formatted=_TIMES[1])]
    rows[-1].as_given = _TIMES[2]

    with timezone.override(zone):
        answer = serializers.ListSerializer(child=_Times()).to_representation(rows)
        planned = PlannedListSerializer(child=_Times()).to_representation(rows)

    assert planned == answer
    if zone == "UTC":
        assert planned[0]["at"] == "2026-11-30T04:05:06.000789Z"


def test_a_date_and_time_the_time_zone_cannot_hold_fails_as_drfs_does():
    rows = [_Row(at=datetime.datetime.max.replace(tzinfo=datetime.UTC))]

    class _At(serializers.Serializer):
        at = serializers.DateTimeField()

    with timezone.override("Asia/Shanghai"):
        with pytest.raises(serializers.ValidationError) as drf:
            serializers.ListSerializer(child=_At()).to_representation(rows)
        with pytest.raises(serializers.ValidationError) as planned:
            PlannedListSerializer(child=_At()).to_representation(rows)

    assert planned.value.detail == drf.value.detail


def test_a_list_reads_the_time_zone_and_the_language_once(monkeypatch):
    from django.utils import translation

    from casework.api.serializers import CaseListSerializer
    from casework.models import Case, Status
    from governance.api import fields

    reads = {"zone": 0, "language": 0}
    zone, language = timezone.get_current_timezone, fields.get_language

    def counted_zone():
        reads["zone"] += 1
        return zone()

    def counted_language():
        reads["language"] += 1
        return language()

    class _Item(CaseListSerializer):
        class Meta(CaseListSerializer.Meta):
            fields = ("id", "status", "status_display", "priority_display", "reported_at")

    at = timezone.now()
    rows = [
        Case(pk=pk, status=status, priority="normal", reported_at=at)
        for pk, status in enumerate((Status.REPORTED, Status.CLOSED, "no-such-status"), 1)
    ]
    with translation.override("en"):
        answer = serializers.ListSerializer(child=_Item()).to_representation(rows)
        monkeypatch.setattr(timezone, "get_current_timezone", counted_zone)
        monkeypatch.setattr(fields, "get_language", counted_language)
        planned = PlannedListSerializer(child=_Item()).to_representation(rows)

    assert planned == answer
    assert planned[1]["status_display"] == "Closed" and planned[2]["status_display"] == (
        "no-such-status"
    )
    # One read of each for the list (two label fields: the language once per field), not one
    # per value.
    assert reads == {"zone": 1, "language": 2}
