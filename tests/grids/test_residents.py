"""The resident register's rules: ID numbers, the dated steps, care tags and the visit due date,
scope of every write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from grids import resident_selectors as selectors
from grids import resident_services as services
from grids.models import Resident
from grids.models.residents import resident_id_problem
from tests.grids.resident_factories import CareTagFactory, ResidentFactory, id_number, tag

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("11010519491231002X", True),
        ("110105194912310021", False),  # wrong check digit
        ("11010519491331002X", False),  # month 13
        ("1101051949123100", False),  # too short
        ("11010519491231002Y", False),
    ],
)
def test_resident_id_numbers_are_checked(value, ok):
    assert (resident_id_problem(value) is None) is ok


def test_registering_a_resident_checks_the_id_and_takes_the_birth_date(cast, tree):
    with pytest.raises(ValidationError) as excinfo:
        services.resident_save(
            actor=cast.worker_a,
            area=tree.building_a1,
            name="王秀兰",
            id_number="110105195003070012",
        )
    assert "id_number" in excinfo.value.message_dict
    number = id_number(dt.date(1950, 3, 7), serial=12)
    resident = services.resident_save(
        actor=cast.worker_a, area=tree.building_a1, name="王秀兰", id_number=number.lower()
    )
    assert resident.birth_date == dt.date(1950, 3, 7)
    assert resident.id_number == number


def test_other_documents_are_accepted_without_the_check_digit(cast, tree):
    resident = services.resident_save(
        actor=cast.worker_a,
        area=tree.building_a1,
        name="陈家明",
        id_type="hk_macao",
        id_number="H60123456",
    )
    assert resident.pk


def test_one_document_number_registers_one_resident(cast, tree):
    number = id_number(serial=5)
    services.resident_save(actor=cast.worker_a, area=tree.building_a1, name="甲", id_number=number)
    with pytest.raises(ValidationError):
        services.resident_save(
            actor=cast.worker_a, area=tree.building_a1, name="乙", id_number=number
        )


@pytest.mark.parametrize("who", ["worker_b", "dispatcher_b", "viewer_a", "nobody"])
def test_nobody_outside_the_keepers_in_scope_registers_a_resident(field, tree, who):
    with pytest.raises(PermissionDenied):
        services.resident_save(actor=getattr(field, who), area=tree.building_a1, name="张三")


def test_a_state_field_is_not_set_through_the_record(cast, tree):
    with pytest.raises(ValidationError) as excinfo:
        services.resident_save(
            actor=cast.worker_a, area=tree.building_a1, name="张三", deceased_on=dt.date.today()
        )
    assert "deceased_on" in excinfo.value.message_dict


def test_moving_out_and_death_are_dated_and_nobody_is_deleted(cast, tree):
    resident = ResidentFactory(area=tree.building_a1)
    services.resident_move_out(actor=cast.worker_a, resident=resident)
    assert resident.moved_out_on == timezone.localdate()
    assert not resident.is_living_here
    with pytest.raises(ValidationError):
        services.resident_move_out(actor=cast.worker_a, resident=resident)
    assert Resident.objects.filter(pk=resident.pk).exists()
    assert resident not in selectors.resident_list_for(cast.worker_a)
    assert resident in selectors.resident_list_for(cast.worker_a, status="moved_out")


def test_a_care_tag_sets_the_next_visit_and_a_visit_moves_it(field, tree):
    today = timezone.localdate()
    weekly = CareTagFactory(street=tree.street, name="独居老人", visit_every_days=7)
    monthly = CareTagFactory(street=tree.street, name="残疾人", visit_every_days=30)
    resident = ResidentFactory(area=tree.building_a1)
    services.resident_tag_add(
        actor=field.worker_a, resident=resident, tag=monthly, since=today - dt.timedelta(days=40)
    )
    resident.refresh_from_db()
    assert resident.next_visit_due == today - dt.timedelta(days=10)
    assert resident.visit_status(today) == "overdue"
    services.resident_tag_add(
        actor=field.worker_a, resident=resident, tag=weekly, since=today - dt.timedelta(days=40)
    )
    resident.refresh_from_db()
    assert resident.next_visit_due == today - dt.timedelta(days=33)  # the shortest interval
    services.visit_record(actor=field.worker_a, resident=resident, notes="身体尚好")
    assert resident.next_visit_due == today + dt.timedelta(days=7)
    assert resident.last_visit_on == today
    assert resident.visit_status(today) == "later"


def test_changing_a_tags_interval_moves_every_residents_visit(field, tree):
    today = timezone.localdate()
    weekly = CareTagFactory(street=tree.street, visit_every_days=7)
    residents = [ResidentFactory(area=tree.building_a1) for _ in range(3)]
    for r in residents:
        tag(r, weekly, today)
    services.refresh_visit_due([r.pk for r in residents])
    services.care_tag_save(actor=field.street_admin, tag=weekly, visit_every_days=14)
    dues = set(Resident.objects.values_list("next_visit_due", flat=True))
    assert dues == {today + dt.timedelta(days=14)}


def test_only_the_streets_admin_keeps_its_care_tags(field, tree):
    with pytest.raises(PermissionDenied):
        services.care_tag_save(
            actor=field.dispatcher_a, street=tree.street, name="留守儿童", visit_every_days=30
        )
    made = services.care_tag_save(
        actor=field.street_admin, street=tree.street, name="留守儿童", visit_every_days=30
    )
    assert made.pk


def test_the_due_list_is_the_workers_own_grid_most_overdue_first(field, tree):
    today = timezone.localdate()
    weekly = CareTagFactory(street=tree.street, visit_every_days=7)
    late = ResidentFactory(area=tree.building_a1, name="最久未访")
    soon = ResidentFactory(area=tree.building_a1, name="快到期")
    fresh = ResidentFactory(area=tree.building_a1, name="刚走访")
    other = ResidentFactory(area=tree.building_b1, name="别的网格")
    untagged = ResidentFactory(area=tree.building_a1, name="无标签")
    tag(late, weekly, today - dt.timedelta(days=20))
    tag(soon, weekly, today - dt.timedelta(days=5))
    tag(fresh, weekly, today)
    tag(other, weekly, today - dt.timedelta(days=30))
    services.refresh_visit_due([r.pk for r in (late, soon, fresh, other, untagged)])
    due = list(selectors.residents_due_for(field.worker_a, today=today))
    assert due == [late, soon]
    assert list(selectors.residents_due_for(field.worker_b, today=today)) == [other]


def test_a_visit_to_a_resident_who_left_is_refused(field, tree):
    resident = ResidentFactory(area=tree.building_a1)
    services.resident_record_death(actor=field.worker_a, resident=resident)
    with pytest.raises(ValidationError):
        services.visit_record(actor=field.worker_a, resident=resident)
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=field.worker_b, resident=ResidentFactory(area=tree.building_a1))
