"""The area pages: tree browser, children fragment, search and area page, inside the user's scope."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance import processcache
from grids.models import AreaKind
from grids.views import _short_label
from tests.factories import AreaFactory, GridStaffFactory

TREE = reverse("grids:tree")

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[116.45, 39.93], [116.46, 39.93], [116.46, 39.94], [116.45, 39.94], [116.45, 39.93]]
    ],
}


def _children(area):
    return reverse("grids:children", args=[area.pk])


def _page(area):
    return reverse("grids:area", args=[area.pk])


def _queries(client, url) -> int:
    """The queries of one request with the process caches empty (the menu's badges are kept per
    user: a second request would read fewer, whatever the tree's size)."""
    processcache.clear_all()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(tree, *, grids: int = 3) -> None:
    """More of everything each page lists: communities under the street, grids under
    community A, each with micro-grids, buildings and staff."""
    for c in range(2):
        community = AreaFactory(kind=AreaKind.COMMUNITY, name=f"新增{c}社区", parent=tree.street)
        GridStaffFactory(
            area=AreaFactory(kind=AreaKind.GRID, name=f"新增{c}网格", parent=community)
        )
    for g in range(grids):
        grid = AreaFactory(kind=AreaKind.GRID, name=f"青松加密{g}网格", parent=tree.community_a)
        GridStaffFactory(area=grid, position="grid_leader")
        for m in range(2):
            micro = AreaFactory(kind=AreaKind.MICRO_GRID, name=f"加密{g}-{m}微网格", parent=grid)
            GridStaffFactory(area=micro, position="micro_grid_leader")
            for b in range(2):
                AreaFactory(
                    kind=AreaKind.BUILDING, name=f"加密{g}-{m}-{b}号楼", parent=micro, households=30
                )


# --- the tree browser ------------------------------------------------------------------------


def test_tree_shows_the_scope_node_with_its_children_opened(client, cast, tree):
    client.force_login(cast.dispatcher_a)
    response = client.get(TREE)
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["roots"] == [tree.community_a]
    assert "青松第一网格" in html and "青松第二网格" in html
    assert _children(tree.grid_a1) in html
    # The lazy-loading error message is rendered by the template, translatable.
    assert "data-error-text=" in html


def test_tree_counts_children_nodes_below_households_and_staff(client, cast, tree):
    GridStaffFactory(area=tree.grid_a1)
    GridStaffFactory(area=tree.building_a1, position="building_leader")
    client.force_login(cast.street_admin)
    response = client.get(_children(tree.street))
    nodes = {n.pk: n for n in response.context["nodes"]}
    community = nodes[tree.community_a.pk]
    assert community.child_count == 2
    assert community.descendant_count == 4  # two grids, one micro-grid, one building
    assert community.staff_below == 2
    assert nodes[tree.community_b.pk].staff_below == 0


def test_tree_counts_see_a_new_area_and_staff_at_once(client, cast, tree):
    # The counts' annotations are built once a process (grids.selectors._counted): each page
    # still reads the rows as they are now.
    client.force_login(cast.dispatcher_a)
    before = client.get(TREE).context
    assert before["roots"][0].child_count == 2
    grid = AreaFactory(kind=AreaKind.GRID, name="青松第三网格", parent=tree.community_a)
    GridStaffFactory(area=grid)
    after = client.get(TREE).context
    (root,) = after["roots"]
    assert (root.child_count, root.descendant_count, root.staff_below) == (3, 5, 1)
    assert grid.pk in [node.pk for node in after["open_children"]]
    children = client.get(_children(tree.community_a)).context["nodes"]
    assert [n.staff_below for n in children if n.pk == grid.pk] == [1]


def test_tree_of_a_user_without_areas_says_so(client, cast):
    client.force_login(cast.nobody)
    response = client.get(TREE)
    assert response.status_code == 200
    assert response.context["roots"] == []
    assert 'class="card empty-state"' in response.content.decode()


def test_tree_page_hides_other_communities(client, cast, tree):
    client.force_login(cast.dispatcher_a)
    html = client.get(TREE).content.decode()
    assert "柳荫" not in html
    assert tree.street.name not in html


def test_children_fragment_lists_children_in_scope(client, cast, tree):
    client.force_login(cast.dispatcher_a)
    response = client.get(_children(tree.community_a))
    assert response.status_code == 200
    assert [n.name for n in response.context["nodes"]] == ["青松第一网格", "青松第二网格"]
    assert b"<html" not in response.content


@pytest.mark.parametrize("name", ["community_b", "grid_b1", "street"])
def test_children_fragment_of_a_node_outside_scope_is_404(client, cast, tree, name):
    client.force_login(cast.dispatcher_a)
    assert client.get(_children(getattr(tree, name))).status_code == 404


def test_children_fragment_needs_login(client, tree):
    response = client.get(_children(tree.community_a))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- search ----------------------------------------------------------------------------------


def test_search_by_name_shows_the_path_of_each_hit(client, cast, tree):
    client.force_login(cast.street_admin)
    response = client.get(TREE, {"q": "1号楼"})
    results = response.context["results"]
    assert {a.pk for a in results} == {tree.building_a1.pk, tree.building_b1.pk}
    hit = next(a for a in results if a.pk == tree.building_a1.pk)
    assert [a.name for a in hit.ancestor_list] == [
        "示范街道",
        "青松社区",
        "青松第一网格",
        "青松一微网格",
    ]
    assert _page(tree.micro_a1) in response.content.decode()


def test_search_by_code_prefix(client, cast, tree):
    client.force_login(cast.street_admin)
    response = client.get(TREE, {"q": tree.grid_b1.code})
    assert [a.pk for a in response.context["results"]] == [
        tree.grid_b1.pk,
        tree.micro_b1.pk,
        tree.building_b1.pk,
    ]


def test_search_never_finds_outside_scope(client, cast, tree):
    client.force_login(cast.dispatcher_a)
    by_name = client.get(TREE, {"q": "柳荫"})
    assert by_name.context["results"] == []
    assert "柳荫里1号楼" not in by_name.content.decode()
    by_code = client.get(TREE, {"q": tree.community_b.code})
    assert by_code.context["results"] == []
    mixed = client.get(TREE, {"q": "1号楼"})
    assert [a.pk for a in mixed.context["results"]] == [tree.building_a1.pk]


def test_search_without_hits_explains_what_to_type(client, cast, tree):
    client.force_login(cast.street_admin)
    response = client.get(TREE, {"q": "不存在的地方"})
    assert response.context["results"] == []
    assert 'class="empty-state"' in response.content.decode()


def test_search_is_bounded_and_says_so(client, cast, tree, monkeypatch):
    monkeypatch.setattr("grids.views.SEARCH_LIMIT", 2)
    client.force_login(cast.street_admin)
    response = client.get(TREE, {"q": tree.street.code})
    assert len(response.context["results"]) == 2
    assert response.context["more_results"] is True


# --- the area page ---------------------------------------------------------------------------


def test_area_page_shows_breadcrumb_facts_children_and_staff(client, cast, tree):
    GridStaffFactory(area=tree.grid_a1, name="韩梦琪", phone="152 5488 4667", is_party_member=True)
    client.force_login(cast.dispatcher_a)
    response = client.get(_page(tree.grid_a1))
    html = response.content.decode()
    assert response.status_code == 200
    assert [a.name for a in response.context["ancestors"]] == ["示范街道", "青松社区"]
    breadcrumb = html.split('class="breadcrumb"')[1].split("</nav>")[0]
    assert (
        breadcrumb.index("示范街道")
        < breadcrumb.index("青松社区")
        < breadcrumb.index("青松第一网格")
    )
    assert [c.name for c in response.context["children"]] == ["青松一微网格"]
    assert 'href="tel:15254884667"' in html
    assert "韩梦琪" in html
    assert tree.micro_a1.code in html


def test_area_page_draws_its_boundary_and_its_childrens_with_local_leaflet(client, cast, tree):
    for area in (tree.grid_a1, tree.micro_a1):
        area.boundary = SQUARE
        area.save()
    client.force_login(cast.dispatcher_a)
    response = client.get(_page(tree.grid_a1))
    html = response.content.decode()
    data = json.loads(html.split('id="map-data" type="application/json">')[1].split("</script>")[0])
    assert [f["properties"]["role"] for f in data["features"]] == ["self", "child"]
    child = data["features"][1]["properties"]
    assert child["url"] == _page(tree.micro_a1)
    assert child["label"] == "青松一微网格"
    assert data["tileUrl"] == ""
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "unpkg" not in html and "cdn" not in html.lower()
    assert 'id="map-data"' in html and "data-map" in html


@pytest.mark.parametrize(
    ("name", "parent", "label"),
    [
        ("青松里第1网格", "青松里社区", "第1网格"),
        ("青松里1-1微网格", "青松里第1网格", "1-1微网格"),
        ("青松里12号楼", "青松里1-1微网格", "12号楼"),  # never cut inside a number
        ("青松里1号楼", "青松一微网格", "青松里1号楼"),  # no number left in front: keep it all
        ("和平东社区", "青松街道", "和平东社区"),
    ],
)
def test_map_labels_drop_the_name_shared_with_the_parent(name, parent, label):
    assert _short_label(name, parent) == label


def test_area_page_uses_configured_tiles_only(client, cast, tree, settings):
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    client.force_login(cast.dispatcher_a)
    response = client.get(_page(tree.grid_a1))
    assert response.context["map_data"]["tileUrl"] == settings.MAP_TILE_URL


@pytest.mark.parametrize("name", ["community_b", "grid_b1", "building_b1", "street"])
def test_area_page_outside_scope_is_404(client, cast, tree, name):
    client.force_login(cast.dispatcher_a)
    assert client.get(_page(getattr(tree, name))).status_code == 404


def test_grid_worker_sees_own_grid_only(client, cast, tree):
    client.force_login(cast.worker_a)
    assert client.get(_page(tree.grid_a1)).status_code == 200
    assert client.get(_page(tree.building_a1)).status_code == 200
    assert client.get(_page(tree.grid_a2)).status_code == 404
    assert client.get(_page(tree.community_a)).status_code == 404


def test_unknown_area_renders_the_portal_404_page(client, cast):
    client.force_login(cast.street_admin)
    response = client.get(reverse("grids:area", args=[987654]))
    assert response.status_code == 404
    assert 'class="status-code"' in response.content.decode()


# --- query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(lambda t: TREE, id="tree"),
        pytest.param(lambda t: TREE + "?q=青松", id="search"),
        pytest.param(lambda t: _children(t.community_a), id="children"),
        pytest.param(lambda t: _page(t.community_a), id="area"),
    ],
)
def test_pages_read_a_fixed_number_of_queries_however_large_the_tree(
    client, cast, tree, url, django_assert_max_num_queries
):
    client.force_login(cast.street_admin)
    with django_assert_max_num_queries(15):
        before = _queries(client, url(tree))
    _grow(tree)
    after = _queries(client, url(tree))
    assert after == before


def test_area_page_queries_do_not_grow_with_children_and_staff(
    client, cast, tree, django_assert_max_num_queries
):
    client.force_login(cast.dispatcher_a)
    before = _queries(client, _page(tree.grid_a1))
    for i in range(5):
        micro = AreaFactory(kind=AreaKind.MICRO_GRID, name=f"新增{i}微网格", parent=tree.grid_a1)
        micro.boundary = SQUARE
        micro.save()
        GridStaffFactory(area=tree.grid_a1, name=f"网格员甲{i}")
    with django_assert_max_num_queries(before):
        response = client.get(_page(tree.grid_a1))
    assert len(response.context["children"]) == 6
    assert len(response.context["staff"]) == 5
