"""Patrols: start and end, the route's bounds (interval, cap, time), findings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from grids import patrol_services
from grids.models import Patrol, PatrolFinding, PatrolPoint
from grids.models.patrols import MAX_PATROL_HOURS, MAX_POINTS, MIN_POINT_SECONDS
from tests.grids.field_factories import jpeg, open_patrol

T0 = timezone.now().replace(microsecond=0)


def _point(patrol, actor, *, at, lat="39.950000", lng="116.450000", **kwargs):
    return patrol_services.patrol_add_point(
        actor=actor, patrol=patrol, latitude=lat, longitude=lng, now=at, **kwargs
    )


def test_a_grid_worker_starts_a_patrol_of_their_grid(field, tree):
    patrol = patrol_services.patrol_start(actor=field.worker_a, now=T0)
    assert (patrol.worker, patrol.area, patrol.is_open) == (field.worker_a, tree.grid_a1, True)


@pytest.mark.parametrize("who", ["dispatcher_a", "street_admin", "viewer_a", "nobody"])
def test_only_grid_workers_patrol(field, who):
    with pytest.raises(PermissionDenied):
        patrol_services.patrol_start(actor=getattr(field, who))


def test_a_worker_patrols_only_inside_their_scope(field, tree):
    with pytest.raises(PermissionDenied):
        patrol_services.patrol_start(actor=field.worker_a, area=tree.grid_b1)
    assert (
        patrol_services.patrol_start(actor=field.worker_a, area=tree.micro_a1).area == tree.micro_a1
    )


def test_a_worker_has_one_open_patrol_at_a_time(field, tree):
    patrol_services.patrol_start(actor=field.worker_a, now=T0)
    with pytest.raises(ValidationError):
        patrol_services.patrol_start(actor=field.worker_a, now=T0 + timedelta(minutes=5))
    assert Patrol.objects.count() == 1


def test_a_patrol_left_open_too_long_is_ended_at_its_last_position_by_the_next_start(field, tree):
    old = patrol_services.patrol_start(actor=field.worker_a, now=T0 - timedelta(hours=20))
    _point(old, field.worker_a, at=T0 - timedelta(hours=19))

    new = patrol_services.patrol_start(actor=field.worker_a, now=T0)

    old.refresh_from_db()
    assert old.ended_at == T0 - timedelta(hours=19)
    assert new.is_open


def test_the_route_keeps_a_point_per_interval_and_counts_the_distance(field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=T0)
    _point(patrol, field.worker_a, at=T0 + timedelta(seconds=30))
    with pytest.raises(patrol_services.PointRefused) as excinfo:
        _point(patrol, field.worker_a, at=T0 + timedelta(seconds=30 + MIN_POINT_SECONDS - 1))
    assert excinfo.value.code == "too_soon"
    # About 111 m north of the first point.
    _point(patrol, field.worker_a, at=T0 + timedelta(seconds=60), lat="39.951000")

    patrol.refresh_from_db()
    assert patrol.point_count == PatrolPoint.objects.filter(patrol=patrol).count() == 2
    assert 105 <= patrol.distance_m <= 117
    assert patrol.last_point_at == T0 + timedelta(seconds=60)


def test_a_patrol_takes_no_more_points_than_its_cap(field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=T0)
    Patrol.objects.filter(pk=patrol.pk).update(point_count=MAX_POINTS - 1)
    patrol.refresh_from_db()
    _point(patrol, field.worker_a, at=T0 + timedelta(minutes=1))
    with pytest.raises(patrol_services.PointRefused) as excinfo:
        _point(patrol, field.worker_a, at=T0 + timedelta(minutes=2))
    assert excinfo.value.code == "full"
    patrol.refresh_from_db()
    assert patrol.point_count == MAX_POINTS


def test_an_ended_or_expired_patrol_takes_no_points(field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=T0)
    with pytest.raises(patrol_services.PointRefused) as excinfo:
        _point(patrol, field.worker_a, at=T0 + timedelta(hours=MAX_PATROL_HOURS, seconds=1))
    assert excinfo.value.code == "expired"
    patrol_services.patrol_end(actor=field.worker_a, patrol=patrol, now=T0 + timedelta(hours=1))
    patrol.refresh_from_db()
    with pytest.raises(patrol_services.PointRefused) as excinfo:
        _point(patrol, field.worker_a, at=T0 + timedelta(hours=1, minutes=1))
    assert excinfo.value.code == "ended"
    assert not PatrolPoint.objects.exists()


@pytest.mark.parametrize(
    ("values", "field_name"),
    [
        ({"lat": "91", "lng": "116"}, "latitude"),
        ({"lat": "39", "lng": "-181"}, "longitude"),
        ({"lat": "", "lng": ""}, "latitude"),
        ({"lat": "north", "lng": "116"}, "latitude"),
        ({"accuracy": "5000"}, "accuracy"),
        ({"accuracy": "wide"}, "accuracy"),
    ],
)
def test_a_malformed_position_is_refused_on_its_field(field, tree, values, field_name):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=T0)
    with pytest.raises(ValidationError) as excinfo:
        _point(patrol, field.worker_a, at=T0 + timedelta(minutes=1), **values)
    assert field_name in excinfo.value.message_dict


def test_only_the_worker_on_the_patrol_sends_its_route(field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=T0)
    with pytest.raises(PermissionDenied):
        _point(patrol, field.dispatcher_a, at=T0 + timedelta(minutes=1))


def test_ending_a_patrol_keeps_the_summary_and_is_refused_twice(field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=T0)
    with pytest.raises(PermissionDenied):
        patrol_services.patrol_end(actor=field.dispatcher_a, patrol=patrol)
    patrol = patrol_services.patrol_end(
        actor=field.worker_a, patrol=patrol, summary="一切正常", now=T0 + timedelta(hours=1)
    )
    assert (patrol.summary, patrol.ended_at) == ("一切正常", T0 + timedelta(hours=1))
    with pytest.raises(ValidationError):
        patrol_services.patrol_end(actor=field.worker_a, patrol=patrol)


def test_a_street_admin_ends_a_forgotten_patrol_in_their_scope(field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=T0)
    assert patrol_services.patrol_end(actor=field.street_admin, patrol=patrol).ended_at


def test_a_finding_is_recorded_with_its_photo_inside_the_area_patrolled(field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=T0)
    finding = patrol_services.finding_record(
        actor=field.worker_a,
        patrol=patrol,
        description="井盖松动",
        area=tree.building_a1,
        photo=jpeg(),
        now=T0 + timedelta(minutes=5),
    )
    assert finding.area == tree.building_a1 and finding.photo
    with pytest.raises(ValidationError) as excinfo:
        patrol_services.finding_record(
            actor=field.worker_a, patrol=patrol, description="x", area=tree.building_b1
        )
    assert "area" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        patrol_services.finding_record(actor=field.worker_a, patrol=patrol, description=" ")
    assert "description" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        patrol_services.finding_record(actor=field.worker_b, patrol=patrol, description="x")


def test_findings_are_taken_a_while_after_the_patrol_ended_and_not_later(field, tree):
    patrol = open_patrol(field.worker_a, tree.grid_a1, started_at=T0)
    patrol = patrol_services.patrol_end(actor=field.worker_a, patrol=patrol, now=T0)
    patrol_services.finding_record(
        actor=field.worker_a, patrol=patrol, description="补记", now=T0 + timedelta(hours=1)
    )
    with pytest.raises(ValidationError):
        patrol_services.finding_record(
            actor=field.worker_a, patrol=patrol, description="太晚", now=T0 + timedelta(hours=3)
        )
    assert PatrolFinding.objects.count() == 1


def test_distance_is_the_great_circle_distance():
    # One degree of latitude is about 111.2 km everywhere.
    assert round(patrol_services.distance_m(39, 116, 40, 116)) == pytest.approx(111195, abs=50)
    assert patrol_services.distance_m(39.95, 116.45, 39.95, 116.45) == 0
