"""The portal's own pages: start page per role, login and password, change log, status pages.

The Chinese catalogue is compiled at the end, so these tests check that pages are served in
Chinese (``lang="zh-hans"``) and their structure, not translated wording.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from governance import navigation
from governance.models import Role
from governance.selectors import change_log_for
from grids.models import Area
from tests.factories import UserFactory

PASSWORD = "pass-word-123"


# --- start page ------------------------------------------------------------------------------


ROLE_HOLDERS = ["street_admin", "admin_a", "dispatcher_a", "worker_a", "viewer_a"]


@pytest.mark.parametrize("who", ROLE_HOLDERS)
def test_home_sends_each_role_to_its_registered_start_page(client, cast, who, monkeypatch):
    # Apps register the start page of each role; a stand-in registry shows that home asks it
    # with the user's own assignment.
    def resolver(user, assignment):
        return f"/start/{assignment.role}/{assignment.area_id}/"

    monkeypatch.setattr(navigation, "_start_pages", {role: resolver for role in Role})
    user = getattr(cast, who)
    assignment = user.role_assignments.get()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"/start/{assignment.role}/{assignment.area_id}/"


@pytest.mark.parametrize("who", ROLE_HOLDERS)
def test_home_start_pages_of_the_installed_apps_open(client, cast, who):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[0][0] == navigation.start_page_for(getattr(cast, who))
    assert response.status_code == 200


def test_home_sends_a_superuser_to_the_tree(client, cast):
    client.force_login(cast.superuser)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("grids:tree")


def test_home_asks_the_apps_where_a_superuser_starts_and_else_opens_the_admin(
    client, cast, monkeypatch
):
    # The area app registers its tree; governance names no app.
    monkeypatch.setattr(navigation, "_superuser_start_pages", [lambda user: None])
    client.force_login(cast.superuser)
    assert client.get(reverse("home"))["Location"] == reverse("admin:index")


def test_home_tells_a_user_without_role_what_to_do(client, cast):
    client.force_login(cast.nobody)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "governance/no_role.html" in [t.name for t in response.templates]
    assert 'class="card status-page"' in response.content.decode()


def test_home_asks_the_apps_where_a_user_without_role_starts(client, cast, monkeypatch):
    # Apps register resolvers for users without assignments (a volunteer's own page); the
    # first that answers wins, and governance knows none of them.
    resolvers = [lambda user: None, lambda user: f"/own/{user.username}/"]
    monkeypatch.setattr(navigation, "_unassigned_start_pages", resolvers)
    client.force_login(cast.nobody)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == "/own/nobody/"


def test_users_with_a_role_or_superusers_never_ask_the_unassigned_resolvers(
    client, cast, monkeypatch
):
    monkeypatch.setattr(navigation, "_unassigned_start_pages", [lambda user: "/own/"])
    for user in (cast.superuser, cast.dispatcher_a):
        client.force_login(user)
        assert client.get(reverse("home"))["Location"] != "/own/"


def test_home_asks_an_anonymous_visitor_to_log_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- login, logout, password -----------------------------------------------------------------


def test_login_page_is_chinese_first(client, db):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert 'class="langswitch"' in html
    assert 'class="usermenu"' not in html


def test_login_with_good_password_goes_to_the_start_page(client, cast, tree):
    response = client.post(
        reverse("login"), {"username": "dispatcher_a", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == navigation.start_page_for(cast.dispatcher_a)
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'class="usermenu"' in html


def test_login_with_bad_password_shows_an_error_and_stays(client, cast):
    response = client.post(reverse("login"), {"username": "dispatcher_a", "password": "wrong"})
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_returns_to_login(client, cast):
    client.force_login(cast.dispatcher_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_password_change_in_chinese(client, db):
    user = UserFactory(username="wanggeyuan2")
    client.force_login(user)
    form = client.get(reverse("password_change"))
    assert '<html lang="zh-hans">' in form.content.decode()
    refused = client.post(
        reverse("password_change"),
        {"old_password": "not-mine", "new_password1": "x", "new_password2": "y"},
    )
    assert refused.status_code == 200
    assert refused.content.decode().count('class="field has-error"') >= 1
    done = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Qingsong-2026-new",
            "new_password2": "Qingsong-2026-new",
        },
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("password_change_done")
    assert '<html lang="zh-hans">' in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("Qingsong-2026-new")


def test_language_switch_serves_english_and_back(client, cast):
    client.force_login(cast.dispatcher_a)
    next_url = reverse("grids:tree")
    response = client.post(reverse("set_language"), {"language": "en", "next": next_url})
    assert response["Location"] == next_url
    assert '<html lang="en">' in client.get(next_url).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": next_url})
    assert '<html lang="zh-hans">' in client.get(next_url).content.decode()


def test_header_marks_the_current_section(client, cast, tree):
    client.force_login(cast.street_admin)
    html = client.get(reverse("grids:tree")).content.decode()
    nav = html.split('class="mainnav"')[1].split("</nav>")[0]
    assert f'href="{reverse("grids:tree")}" class="active"' in nav
    assert f'href="{reverse("changelog")}"' in nav


def test_header_marks_only_the_deepest_matching_section(rf, cast, monkeypatch):
    entries = [{"url": "/party/", "label": "party"}, {"url": "/party/projects/", "label": "p"}]
    monkeypatch.setattr(navigation, "items_for", lambda user: [dict(e) for e in entries])
    request = rf.get("/party/projects/12/")
    request.user = cast.dispatcher_a
    items = navigation.navigation(request)["nav_items"]
    assert [bool(i.get("active")) for i in items] == [False, True]


def test_header_hides_the_change_log_from_a_dispatcher(client, cast):
    client.force_login(cast.dispatcher_a)
    html = client.get(reverse("grids:tree")).content.decode()
    assert reverse("changelog") not in html


# --- change log ------------------------------------------------------------------------------


def _rename(area: Area, name: str) -> None:
    area.name = name
    area.save()


def test_change_log_is_refused_to_a_dispatcher(client, cast):
    client.force_login(cast.dispatcher_a)
    response = client.get(reverse("changelog"))
    assert response.status_code == 403
    assert 'class="status-code"' in response.content.decode()


def test_change_log_shows_a_street_admin_the_changes(client, cast, tree):
    _rename(tree.grid_a1, "青松第一网格（新）")
    client.force_login(cast.street_admin)
    response = client.get(reverse("changelog"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "青松第一网格（新）" in html
    assert "<del>青松第一网格</del>" in html


def test_change_log_of_a_community_admin_stays_in_the_community(client, cast, tree):
    _rename(tree.grid_b1, "柳荫第一网格（新）")
    _rename(tree.grid_a1, "青松第一网格（新）")
    client.force_login(cast.admin_a)
    html = client.get(reverse("changelog")).content.decode()
    assert "青松第一网格（新）" in html
    assert "柳荫第一网格（新）" not in html


def test_change_log_filters_by_type_action_and_dates(client, cast, tree):
    _rename(tree.grid_a1, "青松第一网格（新）")
    client.force_login(cast.street_admin)
    area_type = ContentType.objects.get_for_model(Area)
    updates = client.get(reverse("changelog"), {"action": "update", "content_type": area_type.pk})
    changes = list(updates.context["changes"])
    assert changes and all(c.action == "update" for c in changes)
    assert all(c.content_type_id == area_type.pk for c in changes)

    today = timezone.localdate()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert client.get(reverse("changelog"), {"since": tomorrow}).context["changes"].count() == 0
    assert (
        client.get(reverse("changelog"), {"until": today.isoformat()}).context["paginator"].count
        == change_log_for(cast.street_admin).count()
        > 0
    )


def test_change_log_rejects_an_end_before_the_start(client, cast):
    client.force_login(cast.street_admin)
    response = client.get(reverse("changelog"), {"since": "2026-03-02", "until": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["until"]


def test_change_log_is_paginated_with_bounded_queries(
    client, cast, tree, django_assert_max_num_queries
):
    for i in range(60):
        _rename(tree.building_a1, f"青松里{i}号楼")
    client.force_login(cast.street_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("changelog"))
    assert len(response.context["changes"]) == 50
    assert response.context["is_paginated"]
    second = client.get(reverse("changelog"), {"page": 2})
    assert second.status_code == 200


# --- status pages ----------------------------------------------------------------------------


def test_404_page_uses_the_portal_layout(client, cast):
    client.force_login(cast.street_admin)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="zh-hans">' in html
    assert 'class="topbar"' in html and 'class="status-code"' in html


def test_500_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert 'class="status-code"' in html
    assert "set_language" not in html and 'class="langswitch"' not in html
