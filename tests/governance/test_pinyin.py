"""Pinyin search (whole pinyin and initials) and the natural order of names: the keys, the
stored columns, and the lists that read them (filters, API, admin, pages)."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse

from casework.models import Category
from governance import pinyin, privacy
from governance.filters import DepartmentFilterSet
from governance.models import Department, User
from grids import selectors as grid_selectors
from grids.filters import AreaFilterSet
from grids.models import Area, AreaKind, GridStaff, Resident
from grids.resident_selectors import resident_search_q
from tests.factories import AreaFactory, DepartmentFactory, UserFactory, grant_admin_site_access
from tests.grids.resident_factories import ResidentFactory

# Names as a street has them, in the order people expect to read them.
EXPECTED_ORDER = [
    "城管执法队",
    "供电所",
    "和平东里6号楼",
    "和平东里10号楼",
    "和平东里物业中心",
    "环卫所",
    "住房和城乡建设委",
]


# -- the keys ---------------------------------------------------------------------------------
def test_search_key_holds_the_whole_pinyin_and_the_initials():
    assert pinyin.search_key("垃圾堆放") == "lajiduifang ljdf"
    assert pinyin.search_key("A座3单元") == "azuo3danyuan az3dy"
    assert pinyin.search_key("") == ""


@pytest.mark.parametrize("term", ["ljdf", "lajiduifang", "laji", "LaJi", "la ji", "duifang"])
def test_a_pinyin_term_is_found_in_the_key(term):
    assert pinyin.normalize_term(term) in pinyin.search_key("垃圾堆放")


@pytest.mark.parametrize("term", ["", "垃圾", "10", "-", "  "])
def test_terms_pinyin_cannot_match_are_left_to_the_name_search(term):
    assert pinyin.normalize_term(term) is None


def test_names_sort_by_pinyin_with_numbers_by_value():
    shuffled = list(reversed(EXPECTED_ORDER))
    assert sorted(shuffled, key=pinyin.sort_key) == EXPECTED_ORDER


def test_full_width_digits_and_letters_read_as_ascii():
    assert pinyin.sort_key("３号楼") == pinyin.sort_key("3号楼")
    assert pinyin.search_key("Ａ座") == "azuo az"


def test_a_shorter_syllable_sorts_first_and_numbers_compare_by_value():
    assert sorted(["安全", "阿姨", "爱心"], key=pinyin.sort_key) == ["阿姨", "爱心", "安全"]
    names = ["9号楼", "10号楼", "2号楼", "100号楼", "1号楼"]
    assert sorted(names, key=pinyin.sort_key) == ["1号楼", "2号楼", "9号楼", "10号楼", "100号楼"]


def test_the_sort_key_uses_only_digits_and_lower_case_letters():
    # The same order under any database collation (no separators a collation might skip).
    for name in [*EXPECTED_ORDER, "A座 3-1单元", "Ⅲ期", "３号楼", "٣号楼"]:
        assert set(pinyin.sort_key(name)) <= set("0123456789abcdefghijklmnopqrstuvwxyz")


# -- the stored columns -----------------------------------------------------------------------
@pytest.mark.django_db
def test_saving_fills_the_keys_and_an_update_of_the_name_refreshes_them():
    department = DepartmentFactory(name="供电所")
    assert (department.name_pinyin, department.name_sort) == (
        "gongdiansuo gds",
        "gong00dian00suo000",
    )
    department.name = "环卫所"
    department.save(update_fields=["name"])
    department.refresh_from_db()
    assert department.name_pinyin == "huanweisuo hws"


@pytest.mark.django_db
def test_bulk_writes_fill_the_keys():
    Department.objects.bulk_create(
        [Department(name="城管执法队", code="cg"), Department(name="供电所", code="gd")]
    )
    assert Department.objects.get(code="cg").name_pinyin == "chengguanzhifadui cgzfd"
    rows = list(Department.objects.filter(code__in=["cg", "gd"]))
    for row in rows:
        row.name = f"新{row.name}"
    Department.objects.bulk_update(rows, ["name"])
    assert Department.objects.get(code="gd").name_pinyin == "xingongdiansuo xgds"


@pytest.mark.django_db
def test_users_are_keyed_by_the_name_people_know_them_by():
    named = UserFactory(username="wgy01", full_name="王小明")
    login_only = UserFactory(username="zhangsan", full_name="")
    assert named.name_pinyin == "wangxiaoming wxm"
    assert login_only.name_pinyin.startswith("zhangsan")


@pytest.mark.django_db
def test_departments_and_people_are_listed_in_pinyin_order():
    for number, name in enumerate(reversed(EXPECTED_ORDER)):
        DepartmentFactory(name=name, code=f"d{number}")
        UserFactory(username=f"u{number}", full_name=name)
    assert list(Department.objects.values_list("name", flat=True)) == EXPECTED_ORDER
    users = User.objects.filter(username__startswith="u").values_list("full_name", flat=True)
    assert list(users) == EXPECTED_ORDER


@pytest.mark.django_db
def test_areas_are_listed_in_code_order_not_by_name(tree):
    # 柳荫 (liu) sorts before 青松 (qing) by name; community A was coded first.
    assert tree.community_a.code < tree.community_b.code
    children = grid_selectors.children_for(UserFactory(is_superuser=True), tree.street)
    assert [a.pk for a in children] == [tree.community_a.pk, tree.community_b.pk]
    ten = AreaFactory(kind=AreaKind.BUILDING, name="和平东里10号楼", parent=tree.micro_a1)
    six = AreaFactory(kind=AreaKind.BUILDING, name="和平东里6号楼", parent=tree.micro_a1)
    below = list(
        Area.objects.filter(parent=tree.micro_a1)
        .order_by(*Area.tree_order())
        .values_list("pk", flat=True)
    )
    assert below.index(ten.pk) < below.index(six.pk)  # tree order is code order: 10 was first


@pytest.mark.django_db
def test_renumbering_a_stored_tree_puts_siblings_in_code_order(tree):
    Area.objects.filter(pk=tree.community_a.pk).update(lft=900, rght=901)  # out of place
    Area.renumber_stored_tree(Area, order_by=("code",))
    assert Area.check_tree() == []
    street = Area.objects.get(pk=tree.street.pk)
    communities = list(
        Area.objects.within(street, include_self=False, depth=1).order_by(*Area.tree_order())
    )
    assert [c.pk for c in communities] == [tree.community_a.pk, tree.community_b.pk]


# -- searches ---------------------------------------------------------------------------------
def _filtered(filterset_class, queryset, **params):
    data = QueryDict(mutable=True)
    data.update(params)
    return filterset_class(data, queryset=queryset).qs


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["qssq", "qingsong", "qings", "青松"])
def test_the_area_filter_finds_pinyin_and_initials(tree, term):
    found = _filtered(AreaFilterSet, Area.objects.all(), search=term)
    assert tree.community_a in found and tree.community_b not in found


@pytest.mark.django_db
def test_the_area_filter_still_finds_codes_by_prefix(tree):
    found = _filtered(AreaFilterSet, Area.objects.all(), search=tree.community_b.code)
    assert tree.community_b in found and tree.community_a not in found


@pytest.mark.django_db
def test_the_department_filter_finds_initials():
    DepartmentFactory(name="供电所", code="power")
    DepartmentFactory(name="环卫所", code="sanitation")
    found = _filtered(DepartmentFilterSet, Department.objects.all(), search="gds")
    assert list(found.values_list("code", flat=True)) == ["power"]


@pytest.mark.django_db
def test_the_area_search_of_the_tree_page_finds_pinyin(tree, cast):
    found = grid_selectors.search_areas(cast.dispatcher_a, "qsdywg")  # 青松第一网格
    assert [a.pk for a in found] == [tree.grid_a1.pk]


@pytest.mark.django_db
def test_the_area_api_searches_pinyin_inside_the_scope_only(api, tree, cast):
    client = api(cast.dispatcher_a)
    names = {
        row["name"] for row in client.get("/api/v1/areas/", {"search": "wg"}).json()["results"]
    }
    assert names == {"青松第一网格", "青松第二网格", "青松一微网格"}


@pytest.mark.django_db
def test_the_department_and_category_apis_search_pinyin(api, cast):
    DepartmentFactory(name="城管执法队", code="cg")
    root = Category.objects.create(code="01", name="市容环境")
    Category.objects.create(code="0101", name="垃圾堆放", parent=root)
    Category.objects.create(code="0102", name="路灯不亮", parent=root)
    client = api(cast.street_admin)
    departments = client.get("/api/v1/departments/", {"search": "cgzf"}).json()["results"]
    assert [d["name"] for d in departments] == ["城管执法队"]
    for term in ("ljdf", "lajiduifang", "laji"):
        categories = client.get("/api/v1/categories/", {"search": term}).json()
        assert [c["name"] for c in categories] == ["垃圾堆放"], term
    assert client.get("/api/v1/categories/", {"search": "x" * 101}).status_code == 400


@pytest.mark.django_db
def test_the_staff_api_searches_pinyin(api, tree, cast):
    GridStaff.objects.create(area=tree.grid_a1, position="grid_leader", name="王小明")
    GridStaff.objects.create(area=tree.grid_a1, position="grid_leader", name="李四")
    rows = api(cast.dispatcher_a).get("/api/v1/staff/", {"search": "wxm"}).json()["results"]
    assert [r["name"] for r in rows] == ["王小明"]


@pytest.mark.django_db
def test_a_resident_is_found_by_pinyin_unless_the_name_is_masked_for_the_role(tree, cast):
    resident = ResidentFactory(area=tree.building_a1, name="欧阳娜娜")
    found = Resident.objects.filter(resident_search_q(cast.worker_a, "oynn"))
    assert list(found) == [resident]
    registry = privacy._registry.setdefault(Resident, {})
    registry["name"] = privacy.PersonalField("name", privacy.Kind.NAME, frozenset({"street_admin"}))
    try:
        assert not Resident.objects.filter(resident_search_q(cast.worker_a, "oynn")).exists()
        assert Resident.objects.filter(resident_search_q(cast.street_admin, "oynn")).exists()
    finally:
        del registry["name"]


@pytest.mark.django_db
def test_the_admin_search_finds_pinyin_on_the_model_and_across_relations(client, tree, cast):
    DepartmentFactory(name="供电所", code="power")
    DepartmentFactory(name="环卫所", code="sanitation")
    client.force_login(cast.superuser)
    page = client.get(reverse("admin:governance_department_changelist"), {"q": "gds"})
    assert page.status_code == 200
    assert "供电所" in page.content.decode() and "环卫所" not in page.content.decode()
    worker = UserFactory(username="wx", full_name="王小明")
    worker.role_assignments.create(role="grid_worker", area=tree.grid_a1)
    page = client.get(reverse("admin:governance_roleassignment_changelist"), {"q": "wangxiao"})
    assert "王小明" in page.content.decode()


@pytest.mark.django_db
def test_a_street_admin_finds_in_the_admin_only_inside_their_street(client, tree, cast):
    other = AreaFactory(kind=AreaKind.STREET, name="青石街道")
    grant_admin_site_access(cast.street_admin)
    client.force_login(cast.street_admin)
    page = client.get(reverse("admin:grids_area_changelist"), {"q": "qs"})
    body = page.content.decode()
    assert page.status_code == 200 and "青松社区" in body and other.name not in body


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_serves_the_pinyin_search_from_a_trigram_index():
    from django.db import connection

    queryset = Department.objects.filter(pinyin.search_q("gongdian")).order_by()
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "governance_department_pinyin_trgm" in plan, plan
