"""The wall screen: its link tokens (issued and revoked by the street admin, scoped to one area,
granting the wall page and its feed only), the feed's contents and scope, its query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.models import WallToken
from casework.stats import wall
from governance.keys import key_digest
from grids.models import AreaKind
from tests.casework.factories import CaseFactory
from tests.conftest import _with_role
from tests.factories import AreaFactory


@pytest.fixture
def other_street(db):
    street = AreaFactory(kind=AreaKind.STREET, name="远方街道", code="110101002")
    community = AreaFactory(kind=AreaKind.COMMUNITY, name="远方社区", parent=street)
    admin = _with_role("street_admin", street, username="admin_far")
    return street, community, admin


def _case(**kwargs):
    with transaction.atomic():  # case numbers are drawn under a row lock
        return CaseFactory(**kwargs)


def _issue(crew, area=None, name="中心大厅"):
    return wall.wall_token_issue(actor=crew.street_admin, area=area or crew.tree.street, name=name)


def _feed(client: Client, key: str):
    response = client.get(reverse("wall:feed", args=[key]))
    return response


# -- tokens -----------------------------------------------------------------------------------
def test_a_street_admin_issues_a_token_kept_only_as_a_digest(crew):
    token, key = _issue(crew)
    token.refresh_from_db()
    assert token.digest == key_digest(key)
    assert key not in (token.digest, token.prefix) and key.startswith(token.prefix)
    assert token.created_by == crew.street_admin
    assert token.area == crew.tree.street
    assert token.revoked_at is None


@pytest.mark.parametrize("who", ["dispatcher_a", "viewer_a", "center", "nobody"])
def test_other_roles_may_not_issue_a_token(crew, who):
    with pytest.raises(PermissionDenied):
        wall.wall_token_issue(actor=getattr(crew, who), area=crew.tree.community_a, name="x")


def test_a_street_admin_may_not_issue_a_token_for_another_street(crew, other_street):
    street, _community, _admin = other_street
    with pytest.raises(PermissionDenied):
        wall.wall_token_issue(actor=crew.street_admin, area=street, name="x")


def test_a_token_needs_a_name_and_an_area_a_wall_shows(crew):
    with pytest.raises(ValidationError):
        wall.wall_token_issue(actor=crew.street_admin, area=crew.tree.street, name="  ")
    with pytest.raises(ValidationError):
        wall.wall_token_issue(actor=crew.street_admin, area=crew.tree.building_a1, name="楼")


def test_the_wall_opens_by_its_key_without_a_login(client, crew):
    _token, key = _issue(crew)
    response = client.get(reverse("wall:screen", args=[key]))
    assert response.status_code == 200
    assert crew.tree.street.name in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_an_unknown_key_opens_nothing(client, crew):
    _issue(crew)
    page = client.get(reverse("wall:screen", args=["not-a-key"]))
    assert page.status_code == 404
    assert "此大屏链接无效，请联系网格中心" in page.content.decode()
    feed = _feed(client, "not-a-key")
    assert feed.status_code == 404
    assert feed.json()["error"] == "unknown"


def test_a_revoked_token_stops_at_once_and_says_so(client, crew):
    token, key = _issue(crew)
    assert _feed(client, key).status_code == 200
    assert wall.wall_token_revoke(actor=crew.street_admin, token=token) is True
    assert wall.wall_token_revoke(actor=crew.street_admin, token=token) is False  # once
    page = client.get(reverse("wall:screen", args=[key]))
    assert page.status_code == 410
    html = page.content.decode()
    # A full screen of its own in Chinese, no figures, the key handed on to nobody.
    assert "此大屏链接已撤销，请联系网格中心" in html
    assert 'class="wall-gone"' in html and "wall-feed" not in html and "wall.js" not in html
    assert page["Referrer-Policy"] == "no-referrer"
    response = _feed(client, key)
    assert response.status_code == 410
    assert response.json() == {"error": "revoked", "detail": "此大屏链接已撤销，请联系网格中心。"}


def test_an_expired_link_opens_nothing_and_says_so(client, crew):
    token, key = wall.wall_token_issue(
        actor=crew.street_admin,
        area=crew.tree.street,
        name="临时大屏",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert _feed(client, key).status_code == 200
    WallToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    page = client.get(reverse("wall:screen", args=[key]))
    assert page.status_code == 410
    assert "此大屏链接已过期，请联系网格中心" in page.content.decode()
    response = _feed(client, key)
    assert response.status_code == 410
    assert response.json()["error"] == "expired"
    # Revoked after it ran out: it says revoked (what someone did, not what the clock did).
    wall.wall_token_revoke(actor=crew.street_admin, token=token)
    assert _feed(client, key).json()["error"] == "revoked"


def test_a_link_cannot_be_made_already_expired(crew):
    with pytest.raises(ValidationError) as error:
        wall.wall_token_issue(
            actor=crew.street_admin,
            area=crew.tree.street,
            name="x",
            expires_at=timezone.now() - timedelta(minutes=1),
        )
    assert "expires_at" in error.value.message_dict


def test_only_the_streets_admin_revokes(crew, other_street):
    _street, _community, far_admin = other_street
    token, _key = _issue(crew)
    for user in (far_admin, crew.dispatcher_a, crew.center):
        with pytest.raises(PermissionDenied):
            wall.wall_token_revoke(actor=user, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_key_grants_the_wall_and_nothing_else(client, crew):
    _token, key = _issue(crew)
    assert client.get(reverse("wall:screen", args=[key])).status_code == 200
    # No session was made: the portal's pages still ask for a login.
    dashboard = client.get(reverse("stats:dashboard"))
    assert dashboard.status_code == 302 and "/accounts/login/" in dashboard["Location"]
    # Nor is it an API token.
    api = client.get("/api/v1/stats/summary/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code in (401, 403)
    # The key of one wall does not open another area's feed by another address.
    assert client.get(reverse("wall:feed", args=[key + "x"])).status_code == 404


def test_the_last_use_is_recorded_at_most_once_a_minute(client, crew):
    token, key = _issue(crew)
    _feed(client, key)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    _feed(client, key)
    token.refresh_from_db()
    assert token.last_used_at == first
    WallToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    _feed(client, key)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


# -- the feed ---------------------------------------------------------------------------------
def test_the_feed_shows_its_areas_cases_only(client, crew, categories):
    tree = crew.tree
    _token, key = _issue(crew, area=tree.community_a)
    now = timezone.now()
    mine = _case(
        area=tree.building_a1,
        category=categories.garbage,
        reported_at=now,
        latitude=39.95,
        longitude=116.45,
    )
    overdue = _case(
        area=tree.building_a1,
        category=categories.garbage,
        reported_at=now - timedelta(days=3),
        due_at=now - timedelta(hours=1),
    )
    escalated = _case(
        area=tree.micro_a1,
        category=categories.lamp,
        reported_at=now - timedelta(days=2),
        escalated_at=now - timedelta(days=1),
    )
    other = _case(area=tree.building_b1, category=categories.garbage, reported_at=now)
    feed = _feed(client, key).json()
    numbers = {c["number"] for c in feed["cases"]}
    assert mine.number in numbers and other.number not in numbers
    assert [c["number"] for c in feed["overdue"]] == [overdue.number]
    assert [c["number"] for c in feed["escalated"]] == [escalated.number]
    assert feed["escalated_open"] == 1
    today = {f["key"]: f["value"] for f in feed["today"]}
    assert today["reported"] == 1 and today["overdue"] == 1
    located = next(c for c in feed["cases"] if c["number"] == mine.number)
    assert (located["lat"], located["lng"]) == (39.95, 116.45)
    # The ranking lists the areas below the wall's area (community A's grids).
    assert {r["name"] for r in feed["ranking"]} == {tree.grid_a1.name, tree.grid_a2.name}
    # Nothing personal: no reporter, title or comment goes to the wall.
    text = str(feed)
    assert mine.title not in text and "reporter" not in text
    assert all(other.number != e["number"] for e in feed["events"])


def test_todays_figures_are_the_dashboards_figures(crew, categories):
    """The wall reads its seven figures from the rollups, as the dashboard does: the same
    numbers as compute.total over the cases (the definitions) on every kind of case."""
    from casework.models import Status
    from casework.stats import compute, periods, rollup

    tree = crew.tree
    now = timezone.now()
    ago = now - timedelta(days=8)
    kinds = [
        {"reported_at": now},
        {"reported_at": now, "status": Status.ACCEPTED, "accepted_at": now},
        {"reported_at": ago, "status": Status.ACCEPTED, "accepted_at": now},
        {"reported_at": ago, "status": Status.CLOSED, "closed_at": now},
        {"reported_at": ago, "status": Status.CLOSED, "closed_at": ago},
        {"reported_at": ago, "due_at": now - timedelta(hours=2)},
        {"reported_at": ago, "due_at": now + timedelta(minutes=30)},
        {"reported_at": ago, "escalated_at": now},
        {"reported_at": ago, "escalated_at": ago, "status": Status.CLOSED, "closed_at": ago},
        {"reported_at": ago, "status": Status.REJECTED},
    ]
    for fields in kinds:
        _case(area=tree.building_a1, category=categories.garbage, **fields)
    _case(area=tree.building_b1, category=categories.garbage, reported_at=now)
    today = periods.preset("today")
    cases = wall.wall_cases(tree.community_a)
    expected = compute.total(cases, today, now)
    # The wall reads them from the rollups, as the dashboard does: the same as the definitions.
    got = wall._today_figures(rollup.Subtree.of(tree.community_a), today, now)
    assert {k: got[k] for k in wall.TODAY_FIGURES} == {k: expected[k] for k in wall.TODAY_FIGURES}
    assert got["reported"] == 2 and got["closed"] == 1 and got["escalated"] == 1
    assert got["escalated_open"] == 1


def test_the_feed_query_count_does_not_grow_with_cases_and_areas(
    client, crew, categories, django_assert_max_num_queries, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(wall, "MONTH_CACHE_SECONDS", 0)  # count the month's part every time
    tree = crew.tree
    _token, key = _issue(crew)
    _case(area=tree.building_a1, category=categories.garbage, reported_at=timezone.now())
    _feed(client, key)  # warm the clock's and the calendar's caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert _feed(client, key).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for i in range(3):
        community = AreaFactory(kind=AreaKind.COMMUNITY, name=f"新社区{i}", parent=tree.street)
        building = AreaFactory(kind=AreaKind.BUILDING, name=f"新楼{i}", parent=community)
        for _j in range(3):
            _case(area=building, category=categories.garbage, reported_at=timezone.now())
    _feed(client, key)
    assert queries() == before
    with django_assert_max_num_queries(24):
        _feed(client, key)


def _feed_after(client: Client, key: str, after) -> dict:
    response = client.get(reverse("wall:feed", args=[key]), {"after": after})
    assert response.status_code == 200
    return response.json()


def test_a_poll_after_a_new_filing_returns_exactly_the_new_case(client, crew, categories):
    tree = crew.tree
    _token, key = _issue(crew)
    now = timezone.now()
    first = _case(area=tree.building_a1, category=categories.garbage, reported_at=now)
    full = _feed(client, key).json()
    assert full["cases_after"] is None
    assert [c["id"] for c in full["cases"]] == [first.pk]
    assert full["cases_cursor"] == first.pk
    assert full["day"] == timezone.localdate().isoformat()

    new = _case(area=tree.building_b1, category=categories.lamp, reported_at=timezone.now())
    feed = _feed_after(client, key, full["cases_cursor"])
    assert [c["number"] for c in feed["cases"]] == [new.number]
    assert feed["cases_after"] == first.pk and feed["cases_cursor"] == new.pk
    # Nothing filed since: nothing drawn, the cursor stays where it was.
    again = _feed_after(client, key, feed["cases_cursor"])
    assert again["cases"] == [] and again["cases_cursor"] == new.pk
    # The rest of the answer is the whole answer, whatever the cursor.
    assert {f["key"]: f["value"] for f in again["today"]}["reported"] == 2


def test_a_poll_after_leaves_out_other_areas_and_other_days(client, crew, categories):
    tree = crew.tree
    _token, key = _issue(crew, area=tree.community_a)
    seen = _case(area=tree.building_a1, category=categories.garbage, reported_at=timezone.now())
    cursor = _feed(client, key).json()["cases_cursor"]
    yesterday = timezone.localtime().replace(hour=0, minute=0) - timedelta(hours=2)
    _case(area=tree.building_a1, category=categories.garbage, reported_at=yesterday)
    _case(area=tree.building_b1, category=categories.garbage, reported_at=timezone.now())
    mine = _case(area=tree.micro_a1, category=categories.lamp, reported_at=timezone.now())
    feed = _feed_after(client, key, cursor)
    assert cursor == seen.pk
    assert [c["number"] for c in feed["cases"]] == [mine.number]
    assert feed["cases_cursor"] == mine.pk


def test_both_lists_keep_to_their_cap_newest_first(client, crew, categories, monkeypatch):
    monkeypatch.setattr(wall, "NEW_CASES", 2)
    tree = crew.tree
    _token, key = _issue(crew)
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    now = timezone.now()
    cases = [
        _case(
            area=tree.building_a1,
            category=categories.garbage,
            reported_at=start + (now - start) * i / 10,
        )
        for i in range(1, 4)
    ]
    full = _feed(client, key).json()
    assert [c["id"] for c in full["cases"]] == [cases[2].pk, cases[1].pk]
    assert full["cases_cursor"] == cases[2].pk
    later = [
        _case(area=tree.building_a1, category=categories.garbage, reported_at=now)
        for _i in range(3)
    ]
    feed = _feed_after(client, key, cases[0].pk)
    assert [c["id"] for c in feed["cases"]] == [later[2].pk, later[1].pk]
    assert feed["cases_cursor"] == later[2].pk


@pytest.mark.parametrize(
    "after", ["abc", "-1", "1.5", "0x10", " 12", "１２", "9" * 19, "9" * 200, "1e3"]
)
def test_a_bad_cursor_is_refused_with_a_400(client, crew, after):
    _token, key = _issue(crew)
    response = client.get(reverse("wall:feed", args=[key]), {"after": after})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_cursor"
    assert response["Referrer-Policy"] == "no-referrer"


def test_an_empty_or_far_cursor_is_answered(client, crew, categories):
    _token, key = _issue(crew)
    case = _case(
        area=crew.tree.building_a1, category=categories.garbage, reported_at=timezone.now()
    )
    assert [c["id"] for c in _feed_after(client, key, "")["cases"]] == [case.pk]
    far = _feed_after(client, key, "9" * 18)
    assert far["cases"] == [] and far["cases_cursor"] == 10**18 - 1
    assert [c["id"] for c in _feed_after(client, key, "0")["cases"]] == [case.pk]


def test_a_gone_link_says_so_whatever_the_cursor(client, crew):
    token, key = _issue(crew)
    wall.wall_token_revoke(actor=crew.street_admin, token=token)
    response = client.get(reverse("wall:feed", args=[key]), {"after": "abc"})
    assert response.status_code == 410


def test_a_poll_after_runs_no_more_queries_than_the_full_list(client, crew, categories):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _token, key = _issue(crew)
    _case(area=crew.tree.building_a1, category=categories.garbage, reported_at=timezone.now())
    cursor = _feed(client, key).json()["cases_cursor"]
    with CaptureQueriesContext(connection) as full:
        _feed(client, key)
    with CaptureQueriesContext(connection) as after:
        _feed_after(client, key, cursor)
    assert len(after.captured_queries) == len(full.captured_queries)


# -- the street admin's page and the admin ------------------------------------------------------
def test_the_street_admin_makes_a_link_and_sees_it_once(client, crew, in_english):
    client.force_login(crew.street_admin)
    url = reverse("stats:wall-links")
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "大厅大屏", "area": crew.tree.street.pk})
    assert response.status_code == 200
    token = WallToken.objects.get(name="大厅大屏")
    link = response.context["new_link"]["url"]
    assert "/wall/" in link and token.prefix in link
    key = link.rstrip("/").rsplit("/", 1)[1]
    assert token.digest == key_digest(key)
    # Listed afterwards without the key.
    listing = client.get(url).content.decode()
    assert "大厅大屏" in listing and key not in listing
    assert token.expires_at is None


def test_a_link_valid_until_a_day_runs_out_at_that_days_end(client, crew, in_english):
    client.force_login(crew.street_admin)
    url = reverse("stats:wall-links")
    last_day = timezone.localdate() + timedelta(days=2)
    response = client.post(
        url, {"name": "临时", "area": crew.tree.street.pk, "valid_until": last_day.isoformat()}
    )
    assert response.status_code == 200
    token = WallToken.objects.get(name="临时")
    expires = timezone.localtime(token.expires_at)
    assert expires.date() == last_day + timedelta(days=1) and expires.hour == 0
    # A day in the past is a form error, not a link that never works.
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(url, {"name": "旧", "area": crew.tree.street.pk, "valid_until": past})
    assert response.status_code == 400
    assert response.context["form"].errors["valid_until"]
    assert not WallToken.objects.filter(name="旧").exists()
    WallToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    row = client.get(url).content.decode()
    assert 'data-state="expired"' in row


def test_bad_input_on_the_links_page_is_a_form_error(client, crew, other_street):
    street, _community, _admin = other_street
    client.force_login(crew.street_admin)
    url = reverse("stats:wall-links")
    assert client.post(url, {"name": "", "area": crew.tree.street.pk}).status_code == 400
    # Another street's area is not among the choices.
    assert client.post(url, {"name": "x", "area": street.pk}).status_code == 400
    assert client.post(url, {"name": "x", "area": "abc"}).status_code == 400
    assert not WallToken.objects.exists()


@pytest.mark.parametrize("who", ["dispatcher_a", "viewer_a", "center", "worker_a"])
def test_other_roles_have_no_links_page(client, crew, who):
    client.force_login(getattr(crew, who))
    assert client.get(reverse("stats:wall-links")).status_code == 403


def test_revoking_on_the_page_and_not_another_streets(client, crew, other_street):
    _street, _community, far_admin = other_street
    token, key = _issue(crew)
    client.force_login(far_admin)
    assert client.post(reverse("stats:wall-link-revoke", args=[token.pk])).status_code == 404
    assert crew.tree.street.name not in client.get(reverse("stats:wall-links")).content.decode()
    client.force_login(crew.street_admin)
    response = client.post(reverse("stats:wall-link-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _feed(Client(), key).status_code == 410


def grant_admin(user) -> None:
    from django.contrib.auth.models import Permission

    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="casework", codename__endswith="walltoken"
        )
    )


def test_the_admin_makes_and_revokes_links_in_its_street(client, crew, other_street):
    _street, _community, far_admin = other_street
    admin = crew.street_admin
    grant_admin(admin)
    client.force_login(admin)
    add = reverse("admin:casework_walltoken_add")
    response = client.post(add, {"name": "后台大屏", "area": crew.tree.street.pk}, follow=True)
    assert response.status_code == 200
    token = WallToken.objects.get(name="后台大屏")
    assert "/wall/" in response.content.decode()
    assert token.created_by == admin
    changelist = reverse("admin:casework_walltoken_changelist")
    client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    # Another street's admin does not see it.
    grant_admin(far_admin)
    client.force_login(far_admin)
    assert "后台大屏" not in client.get(changelist).content.decode()


def test_the_months_part_is_shared_through_the_cache(client, crew, categories):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _token, key = _issue(crew)
    _case(area=crew.tree.building_a1, category=categories.garbage, reported_at=timezone.now())
    with CaptureQueriesContext(connection) as first:
        first_feed = _feed(client, key).json()
    # The second poll reads today's part again and takes the month's from the cache.
    with CaptureQueriesContext(connection) as second:
        second_feed = _feed(client, key).json()
    assert len(second.captured_queries) < len(first.captured_queries)
    assert second_feed["ranking"] == first_feed["ranking"]
    assert second_feed["rates"] == first_feed["rates"]


def test_the_months_rates_and_ranking_are_the_dashboards(client, crew, categories):
    """The month's part comes from the rollups: the same rates as compute.total over the cases
    of the month, and each community's row the same as compute.by_children over the cases."""
    from casework.models import Satisfaction, Status
    from casework.stats import compute, periods

    tree = crew.tree
    now = timezone.now()
    month = periods.preset("month")
    start = month.start
    kinds = [
        {"reported_at": start},
        {"reported_at": start, "status": Status.ACCEPTED, "accepted_at": start},
        {
            "reported_at": start,
            "status": Status.CLOSED,
            "accepted_at": start,
            "closed_at": start,
            "satisfaction": Satisfaction.SATISFIED,
        },
        {"reported_at": start - timedelta(days=40), "due_at": now - timedelta(hours=3)},
    ]
    for fields in kinds:
        _case(area=tree.building_a1, category=categories.garbage, **fields)
    _case(area=tree.building_b1, category=categories.garbage, reported_at=start)
    _token, key = _issue(crew)
    feed = _feed(client, key).json()
    cases = wall.wall_cases(crew.tree.street)
    expected = compute.total(cases, month, now)
    assert {r["key"]: r["value"] for r in feed["rates"]} == {
        key: expected.rate(key) for key in wall.MONTH_RATES
    }
    rows = {
        child.name: (f["reported"], f["closed"], f["overdue"], f.rate("resolution_rate"))
        for child, f in compute.by_children(cases, crew.tree.street, month, now)
    }
    assert {
        r["name"]: (r["reported"], r["closed"], r["overdue"], r["resolution_rate"])
        for r in feed["ranking"]
    } == rows
    assert sum(r["reported"] for r in feed["ranking"]) == expected["reported"] > 0


def test_the_links_page_query_count_does_not_grow_with_links(client, crew):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(crew.street_admin)
    url = reverse("stats:wall-links")
    _issue(crew, name="一号屏")

    def queries() -> int:
        from governance import processcache

        processcache.clear_all()  # measured cold: the menu's badges are kept per user
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for i in range(5):
        _issue(crew, area=crew.tree.community_a, name=f"屏{i}")
    assert queries() == before
    assert before <= 12
