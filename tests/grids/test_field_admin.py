"""Django admin of field work: a street admin sees their own subtree only, records are read-only,
and what the admin writes (issuing and closing tasks) goes through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from grids.demo_fieldwork import PERMISSION_MODELS
from grids.models import MobilizationTarget, MobilizationTask, TaskStatus
from tests.factories import grant_admin_site_access
from tests.grids.field_factories import danger, open_patrol, task


@pytest.fixture
def admin_a(client, field):
    """Street admin of community A in Django admin, with the demo's field-work permissions."""
    grant_admin_site_access(field.admin_a)
    codenames = [f"view_{m}" for m in PERMISSION_MODELS]
    codenames += ["add_mobilizationtask", "change_mobilizationtask"]
    field.admin_a.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(field.admin_a)
    return client


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (
            "patrol",
            lambda f, t: (open_patrol(f.worker_a, t.grid_a1), open_patrol(f.worker_b, t.grid_b1)),
        ),
        (
            "hiddendanger",
            lambda f, t: (danger(f.worker_a, t.building_a1), danger(f.worker_b, t.building_b1)),
        ),
    ],
)
def test_a_street_admin_lists_only_their_subtree(admin_a, field, tree, model, make):
    mine, other = make(field, tree)
    listing = admin_a.get(f"/admin/grids/{model}/")
    assert listing.status_code == 200
    assert [row.pk for row in listing.context["cl"].result_list] == [mine.pk]
    assert admin_a.get(f"/admin/grids/{model}/{other.pk}/change/").status_code == 302
    page = admin_a.get(f"/admin/grids/{model}/{mine.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]


def test_hidden_danger_state_cannot_be_changed_in_the_admin(admin_a, field, tree):
    d = danger(field.worker_a, tree.building_a1)
    response = admin_a.post(f"/admin/grids/hiddendanger/{d.pk}/change/", {"state": "cleared"})
    assert response.status_code == 403
    d.refresh_from_db()
    assert d.state == "found"


def test_issuing_a_task_in_the_admin_splits_it(admin_a, field, tree):
    data = {
        "title": "防汛排查",
        "kind": "flood",
        "area": tree.community_a.pk,
        "unit": "building",
        "questions": '[{"label": "是否积水", "type": "yes_no"}]',
        "max_per_building": 3,
        "volunteers_welcome": "on",
    }
    response = admin_a.post("/admin/grids/mobilizationtask/add/", data)
    assert response.status_code == 302, response.content[:2000]
    t = MobilizationTask.objects.get()
    assert t.building_count == MobilizationTarget.objects.filter(task=t).count() == 1
    assert t.issued_by == field.admin_a and t.questions[0]["key"] == "q1"

    outside = admin_a.post(
        "/admin/grids/mobilizationtask/add/", {**data, "area": tree.community_b.pk}
    )
    assert outside.status_code == 200 and outside.context["adminform"].form.errors
    bad = admin_a.post("/admin/grids/mobilizationtask/add/", {**data, "questions": "[]"})
    assert bad.status_code == 200 and "questions" in bad.context["adminform"].form.errors
    assert MobilizationTask.objects.count() == 1


def test_the_close_action_closes_through_the_service(admin_a, field, tree):
    mine = task(field.admin_a, tree.community_a)
    other = task(field.street_admin, tree.community_b)
    response = admin_a.post(
        "/admin/grids/mobilizationtask/",
        {"action": "close_tasks", "_selected_action": [mine.pk, other.pk]},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.status, other.status) == (TaskStatus.CLOSED, TaskStatus.OPEN)
