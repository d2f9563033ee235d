"""The working-time clock: holidays and 调休 from the calendar, per-street hours, the fallback."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import translation

from governance import processcache, workclock
from governance.demo import DemoContext
from governance.demo.calendar import seed_working_hours
from governance.models import CalendarDay, Role, User, WorkingHours
from governance.workclock import (
    add_working_time,
    calendar_load_from_package,
    describe_remaining,
    is_working_day,
    working_time_between,
    years_without_calendar,
)
from grids.models import AreaKind
from tests.factories import AreaFactory, grant_admin_site_access

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def clock(db, monkeypatch):
    """The published calendar in the database, read afresh, and no year warned about yet."""
    calendar_load_from_package()
    monkeypatch.setattr(workclock, "_warned_years", set())
    workclock._cache.clear()
    yield workclock._cache


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def test_the_calendar_matches_the_package_on_every_day_of_2026():
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# -- Spring Festival 2026: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked --------------------


def test_the_package_agrees_on_the_spring_festival_2026_schedule():
    for offset in range(9):
        assert chinese_calendar.is_holiday(date(2026, 2, 15) + timedelta(days=offset))
    assert chinese_calendar.is_workday(date(2026, 2, 14))
    assert chinese_calendar.is_workday(date(2026, 2, 28))
    assert chinese_calendar.is_workday(date(2026, 2, 24))


def test_the_spring_festival_break_is_off_and_its_adjusted_saturdays_are_worked():
    assert is_working_day(date(2026, 2, 14))  # Saturday, 调休
    assert not is_working_day(date(2026, 2, 16))  # Monday in the break
    assert not is_working_day(date(2026, 2, 23))  # last day of the break
    assert is_working_day(date(2026, 2, 24))
    assert not is_working_day(date(2026, 2, 21))  # Saturday inside the break
    assert is_working_day(date(2026, 2, 28))  # Saturday, 调休


def test_a_limit_runs_into_the_adjusted_saturday_before_the_break():
    assert add_working_time(at(2026, 2, 13, 17, 0), 2) == at(2026, 2, 14, 10, 0)


def test_a_limit_jumps_the_whole_spring_festival_break():
    assert add_working_time(at(2026, 2, 14, 17, 0), 2) == at(2026, 2, 24, 10, 0)
    assert add_working_time(at(2026, 2, 18, 10, 0), 1) == at(2026, 2, 24, 10, 0)


def test_time_left_across_the_break_counts_only_working_periods():
    left = working_time_between(at(2026, 2, 14, 12, 0), at(2026, 2, 24, 12, 0))
    assert left == timedelta(hours=4, minutes=30) + timedelta(hours=3)


# -- National Day 2026: Oct 1–7 off, Sun Sep 20 and Sat Oct 10 worked -------------------------


def test_the_package_agrees_on_the_national_day_2026_schedule():
    for offset in range(7):
        assert chinese_calendar.is_holiday(date(2026, 10, 1) + timedelta(days=offset))
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_workday(date(2026, 10, 10))


def test_national_day_is_off_and_its_adjusted_weekend_days_are_worked():
    assert add_working_time(at(2026, 9, 30, 17, 0), 2) == at(2026, 10, 8, 10, 0)
    assert add_working_time(at(2026, 9, 19, 10, 0), 1) == at(2026, 9, 20, 10, 0)
    assert add_working_time(at(2026, 10, 9, 17, 30), 1) == at(2026, 10, 10, 9, 30)
    assert not is_working_day(date(2026, 10, 11))  # the Sunday after stays off


# -- an ordinary week ------------------------------------------------------------------------


def test_an_ordinary_weekend_is_skipped():
    assert add_working_time(at(2026, 11, 20, 17, 30), 1) == at(2026, 11, 23, 9, 30)


def test_the_lunch_break_does_not_count():
    assert add_working_time(at(2026, 11, 24, 11, 30), 1) == at(2026, 11, 24, 14, 0)
    assert working_time_between(at(2026, 11, 24, 11, 0), at(2026, 11, 24, 14, 0)) == timedelta(
        hours=1, minutes=30
    )


def test_before_working_hours_the_clock_starts_at_nine():
    assert add_working_time(at(2026, 11, 24, 7, 0), 1) == at(2026, 11, 24, 10, 0)


def test_after_working_hours_the_clock_starts_next_morning():
    assert add_working_time(at(2026, 11, 24, 19, 0), 1) == at(2026, 11, 25, 10, 0)


def test_a_whole_working_day_is_seven_and_a_half_hours():
    assert add_working_time(at(2026, 11, 24, 9, 0), 7.5) == at(2026, 11, 24, 18, 0)
    assert working_time_between(at(2026, 11, 23, 0, 0), at(2026, 11, 30, 0, 0)) == timedelta(
        hours=37, minutes=30
    )


def test_a_start_in_utc_is_read_in_shanghai_time():
    start = datetime(2026, 11, 24, 1, 0, tzinfo=ZoneInfo("UTC"))  # 9:00 in Shanghai
    assert add_working_time(start, 1) == at(2026, 11, 24, 10, 0)


def test_time_between_is_negative_when_the_end_comes_first():
    assert working_time_between(at(2026, 11, 24, 10, 0), at(2026, 11, 24, 9, 0)) == -timedelta(
        hours=1
    )


def test_a_negative_limit_is_refused():
    with pytest.raises(ValueError):
        add_working_time(at(2026, 11, 24, 10, 0), -1)


def test_urgent_categories_run_around_the_clock_through_holidays():
    start = at(2026, 10, 1, 22, 0)
    assert add_working_time(start, 3, around_the_clock=True) == at(2026, 10, 2, 1, 0)
    assert working_time_between(start, at(2026, 10, 2, 1, 0), around_the_clock=True) == timedelta(
        hours=3
    )


# -- per-street hours ------------------------------------------------------------------------


@pytest.fixture
def summer_hours(tree):
    return WorkingHours.objects.create(
        area=tree.street,
        morning_start=time(8, 30),
        morning_end=time(12, 0),
        afternoon_start=time(14, 0),
        afternoon_end=time(17, 30),
    )


def test_a_street_with_its_own_hours_applies_them_to_every_area_below_it(tree, summer_hours):
    start = at(2026, 11, 24, 11, 30)
    assert add_working_time(start, 1, area=tree.grid_a1) == at(2026, 11, 24, 14, 30)
    assert add_working_time(start, 1, area=tree.building_a1) == at(2026, 11, 24, 14, 30)
    assert add_working_time(start, 1, area=tree.street) == at(2026, 11, 24, 14, 30)
    assert add_working_time(at(2026, 11, 24, 17, 0), 1, area=tree.grid_a1) == at(2026, 11, 25, 9, 0)


def test_a_street_without_hours_uses_the_default_day(tree, summer_hours):
    other = AreaFactory(kind=AreaKind.STREET, name="柳岸街道", code="110101002")
    community = AreaFactory(kind=AreaKind.COMMUNITY, name="柳岸社区", parent=other)
    assert add_working_time(at(2026, 11, 24, 11, 30), 1, area=community) == at(2026, 11, 24, 14, 0)


def test_changed_hours_take_effect_at_once(tree, summer_hours):
    start = at(2026, 11, 24, 11, 30)
    assert add_working_time(start, 1, area=tree.grid_a1) == at(2026, 11, 24, 14, 30)
    summer_hours.afternoon_start = time(13, 0)
    summer_hours.save()
    assert add_working_time(start, 1, area=tree.grid_a1) == at(2026, 11, 24, 13, 30)
    summer_hours.delete()
    assert add_working_time(start, 1, area=tree.grid_a1) == at(2026, 11, 24, 14, 0)


def test_working_hours_belong_to_a_street(tree):
    hours = WorkingHours(area=tree.community_a)
    with pytest.raises(ValidationError) as raised:
        hours.full_clean()
    assert "area" in raised.value.message_dict


def test_working_hours_periods_must_be_in_order(tree):
    hours = WorkingHours(area=tree.street, morning_end=time(14, 0), afternoon_start=time(13, 0))
    with pytest.raises(ValidationError):
        hours.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        hours.save()
    assert not WorkingHours.objects.exists()


# -- a year nobody has entered ---------------------------------------------------------------


def test_a_year_without_calendar_counts_weekends_only_and_warns_once(caplog):
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    with caplog.at_level(logging.WARNING, logger="governance.workclock"):
        # 1 January 2027 is a Friday; without a calendar it is worked.
        assert add_working_time(at(2026, 12, 31, 17, 0), 2) == at(2027, 1, 1, 10, 0)
        assert add_working_time(at(2027, 1, 8, 17, 0), 2) == at(2027, 1, 11, 10, 0)
        # A change elsewhere in the calendar makes the process read 2027 again: still one warning.
        workclock.bump_calendar_version()
        assert is_working_day(date(2027, 2, 8))
        assert working_time_between(at(2027, 1, 4, 9, 0), at(2027, 1, 4, 18, 0)) == timedelta(
            hours=7, minutes=30
        )
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


def test_a_holiday_entered_by_hand_for_2027_counts_at_once(caplog):
    assert add_working_time(at(2026, 12, 31, 17, 0), 2) == at(2027, 1, 1, 10, 0)
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    assert add_working_time(at(2026, 12, 31, 17, 0), 2) == at(2027, 1, 4, 10, 0)
    CalendarDay.objects.create(
        date=date(2027, 1, 2), kind=CalendarDay.Kind.WORKING_DAY, name="元旦"
    )
    assert add_working_time(at(2026, 12, 31, 17, 0), 2) == at(2027, 1, 2, 10, 0)
    assert years_without_calendar([2026, 2027, 2028]) == [2028]


def test_a_date_can_be_entered_only_once():
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(
            date=date(2026, 10, 1), kind=CalendarDay.Kind.WORKING_DAY, name="国庆节"
        )


# -- reading the calendar efficiently ---------------------------------------------------------


def test_a_due_time_costs_one_query_per_year_and_street_then_none(
    tree, summer_hours, django_assert_num_queries
):
    start = at(2026, 12, 31, 11, 0)
    with django_assert_num_queries(3):  # 2026, 2027, the street's hours
        first = add_working_time(start, 40, area=tree.grid_a1)
    with django_assert_num_queries(0):
        assert add_working_time(start, 40, area=tree.grid_a1) == first
        working_time_between(start, first, area=tree.grid_a1)
        describe_remaining(first, start, area=tree.grid_a1)
        for offset in range(50):
            add_working_time(start + timedelta(hours=offset), 8, area=tree.grid_a1)


def test_a_long_stretch_reads_each_year_once(django_assert_num_queries):
    with django_assert_num_queries(3):
        working_time_between(at(2024, 1, 1, 0, 0), at(2026, 12, 31, 0, 0))


def test_a_calendar_change_elsewhere_is_seen_through_the_version(django_assert_num_queries):
    add_working_time(at(2026, 11, 24, 9, 0), 1)
    workclock.bump_calendar_version()
    with django_assert_num_queries(1):
        add_working_time(at(2026, 11, 24, 9, 0), 1)


def test_without_a_shared_cache_a_process_rereads_the_calendar_after_a_while(monkeypatch):
    start = at(2026, 12, 31, 17, 0)
    assert add_working_time(start, 2) == at(2027, 1, 1, 10, 0)
    # Entered by another process: no signal here, and a local-memory cache shares no version.
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")]
    )
    assert add_working_time(start, 2) == at(2027, 1, 1, 10, 0)
    monkeypatch.setattr(workclock._cache, "max_age", -1)
    assert add_working_time(start, 2) == at(2027, 1, 4, 10, 0)


# -- words -----------------------------------------------------------------------------------


def test_it_describes_working_hours_left(english):
    now = at(2026, 11, 24, 9, 0)
    assert describe_remaining(at(2026, 11, 24, 12, 0), now) == "3 working hours left"
    assert describe_remaining(at(2026, 11, 24, 14, 30), at(2026, 11, 24, 11, 30)) == (
        "1 working hour left"
    )
    assert describe_remaining(at(2026, 11, 24, 9, 20), now) == "20 working minutes left"
    # Friday evening to Monday 10:00 is one working hour, however long the weekend.
    assert describe_remaining(at(2026, 11, 23, 10, 0), at(2026, 11, 20, 18, 30)) == (
        "1 working hour left"
    )


def test_it_says_when_a_due_time_waits_for_work_to_resume(english):
    assert describe_remaining(at(2026, 11, 23, 9, 0), at(2026, 11, 21, 10, 0)) == (
        "Due when work resumes"
    )


def test_it_describes_time_left_around_the_clock(english):
    now = at(2026, 11, 21, 10, 0)
    assert describe_remaining(at(2026, 11, 21, 13, 0), now, around_the_clock=True) == (
        "3 hours left"
    )
    assert describe_remaining(at(2026, 11, 21, 10, 1), now, around_the_clock=True) == (
        "1 minute left"
    )


def test_it_describes_how_long_a_case_is_overdue(english):
    due = at(2026, 11, 20, 17, 0)
    assert describe_remaining(due, due + timedelta(days=2, hours=3)) == "Overdue by 2 days"
    assert describe_remaining(due, due + timedelta(days=1)) == "Overdue by 1 day"
    assert describe_remaining(due, due + timedelta(hours=5)) == "Overdue by 5 hours"
    assert describe_remaining(due, due + timedelta(seconds=30)) == "Overdue by 1 minute"


def test_it_describes_in_the_street_hours(tree, summer_hours, english):
    now = at(2026, 11, 24, 11, 0)
    due = at(2026, 11, 24, 15, 0)
    assert describe_remaining(due, now) == "2 working hours left"
    assert describe_remaining(due, now, area=tree.grid_a1) == "2 working hours left"
    assert describe_remaining(at(2026, 11, 24, 14, 0), now, area=tree.grid_a1) == (
        "1 working hour left"
    )
    assert describe_remaining(at(2026, 11, 24, 14, 0), now) == "1 working hour left"


# -- keeping the calendar --------------------------------------------------------------------


def test_loading_the_package_again_adds_nothing_and_keeps_corrections():
    corrected = CalendarDay.objects.get(date=date(2026, 10, 8 - 1))
    corrected.name = "国庆节（更正）"
    corrected.save()
    assert calendar_load_from_package() == (0, 0)
    corrected.refresh_from_db()
    assert corrected.name == "国庆节（更正）"
    assert calendar_load_from_package(overwrite=True) == (0, 1)
    corrected.refresh_from_db()
    assert corrected.name == "国庆节"


def test_the_load_holidays_command_fills_a_missing_package_year(capsys):
    CalendarDay.objects.filter(date__year=2025).delete()
    call_command("load_holidays")
    assert CalendarDay.objects.filter(date__year=2025, name="春节").count() == 8 + 2
    assert "added" in capsys.readouterr().out
    assert not is_working_day(date(2025, 1, 29))  # 春节 2025
    assert is_working_day(date(2025, 1, 26))  # Sunday, 调休


def test_the_demo_street_gets_its_summer_hours_and_its_admin_keeps_the_calendar(cast):
    out = io.StringIO()
    data = {"street": cast.tree.street, "users": {Role.STREET_ADMIN: cast.street_admin}}
    seed_working_hours(DemoContext(stdout=out, data=data))
    seed_working_hours(DemoContext(stdout=out, data=data))
    hours = WorkingHours.objects.get()
    assert hours.area == cast.tree.street
    assert hours.afternoon_start == time(14, 0)
    assert "14:00" in out.getvalue()
    admin = User.objects.get(pk=cast.street_admin.pk)
    assert admin.has_perm("governance.add_calendarday")
    assert admin.has_perm("governance.change_workinghours")


# -- the admin -------------------------------------------------------------------------------


def calendar_keeper(user):
    grant_admin_site_access(user)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="governance",
            content_type__model__in=("calendarday", "workinghours"),
        )
    )
    client = Client()
    client.force_login(user)
    return client


def district_admin():
    """The administrator of a district (the holiday calendar is district-wide)."""
    from tests.factories import RoleAssignmentFactory, UserFactory

    district = AreaFactory(kind=AreaKind.DISTRICT, name="朝阳区", code="110105")
    user = UserFactory(username="district")
    RoleAssignmentFactory(user=user, role=Role.DISTRICT_ADMIN, area=district)
    return user


def test_a_district_admin_enters_next_years_holiday_and_the_clock_counts_it(cast):
    day = {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
    # The calendar is shared by every street: a street admin reads it only.
    refused = calendar_keeper(cast.street_admin).post("/admin/governance/calendarday/add/", day)
    assert refused.status_code == 403
    assert not CalendarDay.objects.filter(date=date(2027, 1, 1)).exists()
    client = calendar_keeper(district_admin())
    response = client.post("/admin/governance/calendarday/add/", day)
    assert response.status_code == 302
    assert add_working_time(at(2026, 12, 31, 17, 0), 2) == at(2027, 1, 4, 10, 0)


def test_the_admin_refuses_a_second_entry_for_a_date(cast):
    client = calendar_keeper(district_admin())
    response = client.post(
        "/admin/governance/calendarday/add/",
        {"date": "2026-10-01", "kind": "working_day", "name": "国庆节"},
    )
    assert response.status_code == 200
    assert "date" in response.context["adminform"].form.errors
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).kind == CalendarDay.Kind.HOLIDAY


def test_a_street_admin_sets_hours_only_for_their_own_street(cast):
    other = AreaFactory(kind=AreaKind.STREET, name="柳岸街道", code="110101002")
    client = calendar_keeper(cast.street_admin)
    choices = client.get("/admin/governance/workinghours/add/").context["adminform"].form
    assert list(choices.fields["area"].queryset) == [cast.tree.street]
    response = client.post(
        "/admin/governance/workinghours/add/",
        {
            "area": other.pk,
            "morning_start": "08:30",
            "morning_end": "12:00",
            "afternoon_start": "14:00",
            "afternoon_end": "17:30",
        },
    )
    assert response.status_code == 200
    assert not WorkingHours.objects.exists()


def test_the_admin_explains_hours_out_of_order(cast):
    client = calendar_keeper(cast.street_admin)
    with translation.override("en"):
        response = client.post(
            "/admin/governance/workinghours/add/",
            {
                "area": cast.tree.street.pk,
                "morning_start": "09:00",
                "morning_end": "14:00",
                "afternoon_start": "13:00",
                "afternoon_end": "18:00",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert "The periods must be in order" in response.content.decode()
    assert not WorkingHours.objects.exists()


def test_a_community_admin_sees_no_street_hours(cast, summer_hours):
    client = calendar_keeper(cast.admin_a)
    assert list(client.get("/admin/governance/workinghours/").context["cl"].result_list) == []
    form = client.get("/admin/governance/workinghours/add/").context["adminform"].form
    assert not form.fields["area"].queryset.exists()


def test_the_admin_home_warns_about_years_without_calendar(client, cast, monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 23)
    )
    client.force_login(cast.superuser)
    with translation.override("en"):
        page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No holiday calendar for 2027" in page
    assert "/admin/governance/calendarday/" in page
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No holiday calendar" not in page


def test_synced_once_reads_the_calendar_version_once_for_a_table(monkeypatch):
    reads = []
    real_get = processcache.cache.get

    def counting_get(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(processcache.cache, "get", counting_get)
    start = at(2026, 3, 2, 9, 0)
    with workclock.synced_once():
        for hours in range(1, 26):
            describe_remaining(start + timedelta(hours=hours), start)
    in_block = reads.count(workclock.VERSION_KEY)
    describe_remaining(start + timedelta(hours=3), start)

    assert in_block == 1
    # Outside the block every read checks the version again (an edit elsewhere is seen at once).
    assert reads.count(workclock.VERSION_KEY) == 2
