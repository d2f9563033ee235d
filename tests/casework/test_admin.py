"""Case admin: status is not a form field, history is read-only, steps go through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from casework.models import Case, CaseEvent, Holder, Source, Status
from casework.services import case_report
from tests.casework.factories import CaseFactory


@pytest.fixture
def staff_admin(crew):
    user = crew.admin_a
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="casework",
            codename__in=["view_case", "change_case", "view_caseevent", "view_attachment"],
        )
    )
    return user


@pytest.fixture
def filed(crew, tree, categories):
    return case_report(
        actor=crew.worker_a,
        title="消防通道堵塞",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="青松里1号楼",
    )


def test_the_case_page_in_the_admin_changes_nothing(client, staff_admin, filed):
    # Every write to a case goes through a service that writes its event and raises its
    # version; the admin page only shows the case.
    client.force_login(staff_admin)
    url = reverse("admin:casework_case_change", args=[filed.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("status", "title", "address", "reporter_phone"):
        assert f'name="{name}"' not in html
    assert filed.address in html
    response = client.post(
        url,
        {
            "title": "消防通道堵塞（更正）",
            "address": "青松里1号楼北侧",
            "status": Status.CLOSED,
            "events-TOTAL_FORMS": "1",
            "events-INITIAL_FORMS": "1",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    filed.refresh_from_db()
    assert (filed.title, filed.address, filed.status, filed.holder, filed.version) == (
        "消防通道堵塞",
        "青松里1号楼",
        Status.REPORTED,
        Holder.COMMUNITY,
        1,
    )
    assert filed.events.count() == 1


def test_events_are_read_only_in_admin(client, staff_admin, filed):
    client.force_login(staff_admin)
    event = filed.events.get()
    assert client.get(reverse("admin:casework_caseevent_changelist")).status_code == 200
    page = client.get(reverse("admin:casework_caseevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert 'name="comment"' not in page.content.decode()
    response = client.post(
        reverse("admin:casework_caseevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_admin_actions_take_steps_through_the_services_in_scope_only(
    client, staff_admin, filed, tree, categories
):
    other = CaseFactory(category=categories.garbage, area=tree.building_b1, street=tree.street)
    client.force_login(staff_admin)
    response = client.post(
        reverse("admin:casework_case_changelist"),
        {"action": "step_accept", "_selected_action": [filed.pk, other.pk]},
        follow=True,
    )
    assert response.status_code == 200
    filed.refresh_from_db()
    other.refresh_from_db()
    # admin_a is a street admin of community A: as "the center" it may accept escalated cases
    # only, so the step is refused with the reason and nothing changes.
    assert filed.status == Status.REPORTED
    assert f"{filed.number}: " in response.content.decode()  # the refusal, named per case
    assert other.status == Status.REPORTED
    assert other.events.count() == 0


def test_superuser_action_accepts_and_logs_one_event(client, crew, filed):
    client.force_login(crew.superuser)
    client.post(
        reverse("admin:casework_case_changelist"),
        {"action": "step_accept", "_selected_action": [filed.pk]},
    )
    filed.refresh_from_db()
    assert filed.status == Status.ACCEPTED
    assert list(filed.events.values_list("step", "role")) == [
        ("report", "grid_worker"),
        ("accept", "superuser"),
    ]


def test_admin_lists_are_scoped(client, staff_admin, filed, tree, categories):
    CaseFactory(
        category=categories.garbage, area=tree.building_b1, street=tree.street, title="柳荫案件"
    )
    client.force_login(staff_admin)
    html = client.get(reverse("admin:casework_case_changelist")).content.decode()
    assert filed.number in html
    assert "柳荫案件" not in html
    assert Case.objects.count() == 2
