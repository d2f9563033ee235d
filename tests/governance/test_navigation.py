"""The menu: who sees which entry, and how a phone's bottom bar splits the entries."""

from __future__ import annotations

from governance.navigation import TAB_BAR_SIZE, split_tabs


def _items(*specs):
    return [{"key": key, "tab": tab, "badge": None} for key, tab in specs]


def test_up_to_four_entries_are_all_tabs_in_menu_order():
    items = _items(("notifications", 50), ("mobilization", 60))
    assert split_tabs(items) == (items, [])
    four = _items(("a", None), ("b", 9), ("c", 1), ("d", 5))
    assert split_tabs(four) == (four, [])


def test_beyond_four_the_lowest_tab_ranks_are_tabs_and_the_rest_is_more():
    items = _items(("n", 50), ("areas", 40), ("inbox", 10), ("cases", 30), ("x", None), ("new", 20))
    tabs, more = split_tabs(items)
    assert [i["key"] for i in tabs] == ["inbox", "new", "cases"]
    assert [i["key"] for i in more] == ["n", "areas", "x"]
    assert len(tabs) == TAB_BAR_SIZE - 1


def test_a_volunteer_without_a_role_has_no_area_or_case_entry(client, cast):
    client.force_login(cast.nobody)
    keys = [item["key"] for item in client.get("/", follow=True).context["nav_items"]]
    assert keys and not {"areas", "cases"} & set(keys)
    client.force_login(cast.worker_a)
    keys = [item["key"] for item in client.get("/", follow=True).context["nav_items"]]
    assert {"areas", "cases"} <= set(keys)


def test_the_more_badge_adds_up_what_it_hides(rf, cast, monkeypatch):
    from governance import navigation

    entries = [
        {"key": k, "url": f"/{k}/", "label": k, "tab": t, "badge": b}
        for k, t, b in [
            ("notifications", 50, 3),
            ("a", 1, 1),
            ("b", 2, None),
            ("c", 3, None),
            ("d", None, 4),
        ]
    ]
    monkeypatch.setattr(navigation, "items_for", lambda user: [dict(e) for e in entries])
    request = rf.get("/d/")
    request.user = cast.dispatcher_a
    context = navigation.navigation(request)
    assert [i["key"] for i in context["nav_more"]] == ["notifications", "d"]
    assert (context["nav_more_badge"], context["nav_more_active"]) == (7, True)
