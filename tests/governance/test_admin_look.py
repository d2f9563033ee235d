"""The admin looks like the portal: its colours and mark, a favicon for both, tree pickers."""

from __future__ import annotations

from django.urls import reverse


def test_favicon_is_served_for_portal_and_admin(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_the_admin_wears_the_portals_colours_and_mark(client, cast):
    client.force_login(cast.superuser)
    html = client.get(reverse("admin:index")).content.decode()
    assert "css/admin_theme.css" in html
    assert 'class="admin-brand-mark"' in html
    assert "img/favicon.svg" in html
    portal = client.get(reverse("grids:tree")).content.decode()
    assert "img/favicon.svg" in portal


def test_a_category_parent_is_picked_from_the_indented_tree(client, cast):
    from tests.casework.factories import CategoryFactory

    parent = CategoryFactory(code="01", name="市容环境")
    CategoryFactory(code="0101", name="暴露垃圾", parent=parent)
    client.force_login(cast.superuser)
    html = client.get(reverse("admin:casework_category_add")).content.decode()
    field = html.split('name="parent"')[1].split("</select>")[0]
    assert "vForeignKeyRawIdAdminField" not in html.split('name="parent"')[0][-200:]
    assert "市容环境" in field and "--- 暴露垃圾" in field


def test_the_holiday_calendar_opens_on_the_current_year_newest_first(client, cast):
    import datetime as dt

    from django.utils import timezone

    from governance.models import CalendarDay

    year = timezone.localdate().year
    for day in (dt.date(year, 1, 1), dt.date(year, 10, 1), dt.date(year - 1, 12, 31)):
        CalendarDay.objects.update_or_create(date=day, defaults={"kind": "holiday", "name": "节"})
    client.force_login(cast.superuser)
    response = client.get(reverse("admin:governance_calendarday_changelist"))
    assert response.status_code == 302 and response["Location"].endswith(f"date__year={year}")
    shown = list(client.get(response["Location"]).context["cl"].result_list)
    dates = [d.date for d in shown]
    # The migration's holiday days are there too: the year's, newest first.
    assert dates == sorted(dates, reverse=True) and len(dates) >= 2
    assert {dt.date(year, 10, 1), dt.date(year, 1, 1)} <= set(dates)
    assert all(day.year == year for day in dates)
