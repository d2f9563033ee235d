"""Issue 8, items 2–4: departments and users belong to a street (or a district); a street admin
manages only their own, in the admin and everywhere else; district-wide configuration is the
district's; the change log shows an entry only to who may see its object now.

The cast: the test street (示范街道, admin ``cast.street_admin``) and a second street (柳荫街道,
admin ``admin2``), each with a department, a handler, a volunteer without a role, and a
city-wide department that only superusers manage."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from governance.changelog import SECRET_BEFORE, SECRET_CHANGED
from governance.models import (
    CalendarDay,
    Department,
    ObjectChange,
    Role,
    RoleAssignment,
    User,
)
from governance.scopes import (
    can_edit_shared_config,
    departments_for,
    departments_managed_by,
    users_managed_by,
)
from grids.models import Area, AreaKind
from tests.factories import (
    AreaFactory,
    DepartmentFactory,
    RoleAssignmentFactory,
    UserFactory,
    grant_admin_site_access,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

USERS = "/admin/governance/user/"
ROLES = "/admin/governance/roleassignment/"
DEPARTMENTS = "/admin/governance/department/"
CALENDAR = "/admin/governance/calendarday/"
CATEGORIES = "/admin/casework/category/"
TEMPLATES = "/admin/casework/responsetemplate/"
CHANGES = "/api/v1/changes/"


def _with_role(role, *, area=None, department=None, **kwargs):
    user = UserFactory(**kwargs)
    RoleAssignmentFactory(user=user, role=role, area=area, department=department)
    return user


def _admin_access(user):
    """Admin access as the demo gives a street admin: users, roles, departments, the change
    log, the calendar and working hours, categories, limits and quick replies."""
    from django.contrib.auth.models import Permission

    grant_admin_site_access(user)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__model__in=(
                "calendarday",
                "workinghours",
                "category",
                "timelimit",
                "responsetemplate",
            )
        )
    )
    return user


@pytest.fixture
def streets(tree, cast):
    s = SimpleNamespace(one=tree.street)
    s.two = AreaFactory(kind=AreaKind.STREET, name="柳荫街道")
    s.community2 = AreaFactory(kind=AreaKind.COMMUNITY, name="柳荫东社区", parent=s.two)
    s.grid2 = AreaFactory(kind=AreaKind.GRID, name="柳荫东第一网格", parent=s.community2)
    s.admin1 = _admin_access(cast.street_admin)
    s.admin2 = _admin_access(_with_role(Role.STREET_ADMIN, area=s.two, username="admin2"))
    s.dept1 = DepartmentFactory(name="示范城管队", code="dept-one", owner=s.one)
    s.dept2 = DepartmentFactory(name="柳荫城管队", code="dept-two", owner=s.two)
    s.city = DepartmentFactory(name="供电公司", code="dept-city")
    s.handler1 = _with_role(Role.DEPARTMENT_HANDLER, department=s.dept1, username="handler1")
    s.handler2 = _with_role(Role.DEPARTMENT_HANDLER, department=s.dept2, username="handler2")
    s.city_handler = _with_role(Role.DEPARTMENT_HANDLER, department=s.city, username="city_h")
    s.worker2 = _with_role(Role.GRID_WORKER, area=s.grid2, username="worker2")
    s.volunteer1 = UserFactory(username="volunteer1", home_area=tree.community_a)
    s.volunteer2 = UserFactory(username="volunteer2", home_area=s.community2, email="v2@x.cn")
    s.orphan = UserFactory(username="orphan")
    return s


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def listed(response) -> set:
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


# -- users ----------------------------------------------------------------------------------
def test_each_street_admin_lists_only_the_users_of_their_street(streets, cast):
    mine = listed(client_for(streets.admin1).get(USERS))
    assert {streets.handler1, streets.volunteer1, cast.dispatcher_a, cast.worker_a} <= mine
    theirs = {streets.handler2, streets.worker2, streets.volunteer2, streets.admin2}
    assert not mine & (theirs | {streets.city_handler, streets.orphan, cast.superuser})
    other = listed(client_for(streets.admin2).get(USERS))
    assert {streets.handler2, streets.worker2, streets.volunteer2} <= other
    assert not other & {streets.handler1, streets.volunteer1, cast.dispatcher_a, streets.admin1}


def test_a_user_with_a_role_outside_the_street_is_not_managed_there(streets, cast):
    # A handler of street one who also works a grid of street two belongs to neither admin.
    RoleAssignmentFactory(user=streets.handler1, role=Role.GRID_WORKER, area=streets.grid2)
    assert streets.handler1 not in users_managed_by(streets.admin1)
    assert streets.handler1 not in users_managed_by(streets.admin2)
    assert streets.handler1 in users_managed_by(cast.superuser)


def test_the_user_list_takes_a_fixed_number_of_queries(
    streets, cast, django_assert_max_num_queries
):
    client = client_for(streets.admin1)
    client.get(USERS)
    for i in range(15):
        _with_role(Role.DEPARTMENT_HANDLER, department=streets.dept1, username=f"more{i}")
        _with_role(Role.DEPARTMENT_HANDLER, department=streets.dept2, username=f"other{i}")
    with django_assert_max_num_queries(12):
        users = listed(client.get(USERS))
    assert len([u for u in users if u.username.startswith("more")]) == 15
    assert not [u for u in users if u.username.startswith("other")]


@pytest.mark.parametrize("who", ["handler2", "worker2", "volunteer2", "city_handler", "orphan"])
def test_a_street_admin_cannot_open_or_reset_a_user_of_another_street(streets, who):
    client = client_for(streets.admin1)
    target = getattr(streets, who)
    before = User.objects.get(pk=target.pk).password
    assert client.get(f"{USERS}{target.pk}/change/").status_code == 302  # "does not exist"
    assert client.get(f"{USERS}{target.pk}/password/").status_code == 404
    response = client.post(
        f"{USERS}{target.pk}/password/",
        {"password1": "Takeover-2026!", "password2": "Takeover-2026!", "usable_password": "true"},
    )
    assert response.status_code == 404
    assert User.objects.get(pk=target.pk).password == before
    response = client.post(
        f"{USERS}{target.pk}/change/",
        {"username": target.username, "is_active": "", "full_name": "x"},
    )
    assert response.status_code in (302, 403, 404)
    assert User.objects.get(pk=target.pk).is_active


def test_a_password_reset_is_logged_with_the_acting_admin(streets):
    client = client_for(streets.admin1)
    response = client.post(
        f"{USERS}{streets.handler1.pk}/password/",
        {"password1": "New-pass-2026!", "password2": "New-pass-2026!", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=streets.handler1.pk).check_password("New-pass-2026!")
    entry = ObjectChange.objects.filter(object_id=str(streets.handler1.pk)).latest("pk")
    assert (entry.user, entry.interface, entry.action) == (streets.admin1, "admin", "update")
    assert ("password", SECRET_BEFORE, SECRET_CHANGED) in entry.diff
    assert "pbkdf2" not in str(entry.postchange_data) and "md5" not in str(entry.postchange_data)


def test_an_activation_change_is_logged_with_the_acting_admin(streets):
    client = client_for(streets.admin1)
    target = streets.handler1
    response = client.post(
        f"{USERS}{target.pk}/change/",
        {
            "username": target.username,
            "full_name": target.full_name,
            "phone": "",
            "email": "",
            "home_area": "",
            "role_assignments-TOTAL_FORMS": 1,
            "role_assignments-INITIAL_FORMS": 1,
            "role_assignments-MIN_NUM_FORMS": 0,
            "role_assignments-MAX_NUM_FORMS": 1000,
            "role_assignments-0-id": target.role_assignments.get().pk,
            "role_assignments-0-user": target.pk,
            "role_assignments-0-role": Role.DEPARTMENT_HANDLER,
            "role_assignments-0-department": streets.dept1.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not User.objects.get(pk=target.pk).is_active
    entry = ObjectChange.objects.filter(object_id=str(target.pk), action="update").latest("pk")
    assert entry.user == streets.admin1
    assert ("is_active", True, False) in entry.diff


def test_a_new_account_made_by_a_street_admin_is_registered_in_their_street(streets):
    client = client_for(streets.admin1)
    data = {"username": "newcomer", "password1": "Pass-word-2026", "password2": "Pass-word-2026"}
    data["usable_password"] = "true"
    response = client.post(f"{USERS}add/", data)
    assert "home_area" in response.context["adminform"].form.errors
    response = client.post(f"{USERS}add/", {**data, "home_area": streets.community2.pk})
    assert "home_area" in response.context["adminform"].form.errors
    response = client.post(f"{USERS}add/", {**data, "home_area": streets.one.pk})
    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert newcomer in users_managed_by(streets.admin1)
    assert newcomer not in users_managed_by(streets.admin2)


# -- role grants ----------------------------------------------------------------------------
@pytest.mark.parametrize("department", ["dept2", "city"])
def test_a_role_grant_for_a_foreign_department_is_refused(streets, department):
    client = client_for(streets.admin1)
    response = client.post(
        f"{ROLES}add/",
        {
            "user": streets.volunteer1.pk,
            "role": Role.DEPARTMENT_HANDLER,
            "department": getattr(streets, department).pk,
        },
    )
    assert "department" in response.context["adminform"].form.errors
    assert not RoleAssignment.objects.filter(user=streets.volunteer1).exists()


def test_a_role_grant_is_offered_only_the_street_s_areas_and_departments(streets):
    form = client_for(streets.admin1).get(f"{ROLES}add/").context["adminform"].form
    assert set(form.fields["department"].queryset) == {streets.dept1}
    assert streets.grid2 not in form.fields["area"].queryset
    assert streets.volunteer2 not in form.fields["user"].queryset


def test_role_grants_and_revocations_are_logged_with_the_acting_admin(streets):
    client = client_for(streets.admin1)
    response = client.post(
        f"{ROLES}add/",
        {
            "user": streets.volunteer1.pk,
            "role": Role.DEPARTMENT_HANDLER,
            "department": streets.dept1.pk,
        },
    )
    assert response.status_code == 302
    grant = RoleAssignment.objects.get(user=streets.volunteer1)
    entry = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(RoleAssignment), object_id=str(grant.pk)
    ).latest("pk")
    assert (entry.action, entry.user, entry.area_id) == ("create", streets.admin1, streets.one.pk)
    response = client.post(f"{ROLES}{grant.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    entry = ObjectChange.objects.filter(object_id=str(grant.pk), action="delete").get()
    assert entry.user == streets.admin1


def test_a_street_admin_cannot_change_a_role_of_another_street(streets):
    foreign = streets.handler2.role_assignments.get()
    client = client_for(streets.admin1)
    assert client.get(f"{ROLES}{foreign.pk}/change/").status_code == 302
    assert client.post(f"{ROLES}{foreign.pk}/delete/", {"post": "yes"}).status_code == 302
    assert RoleAssignment.objects.filter(pk=foreign.pk).exists()


# -- departments ----------------------------------------------------------------------------
def test_a_street_admin_lists_their_departments_and_the_city_wide_ones(streets):
    departments = listed(client_for(streets.admin1).get(DEPARTMENTS))
    assert {streets.dept1, streets.city} <= departments
    assert streets.dept2 not in departments


def test_a_street_admin_edits_only_their_own_departments(streets):
    client = client_for(streets.admin1)
    data = {"code": "dept-one", "kind": "government", "phone": "", "is_active": "on"}
    response = client.post(
        f"{DEPARTMENTS}{streets.dept1.pk}/change/",
        {**data, "name": "示范城管执法队", "owner": streets.one.pk},
    )
    assert response.status_code == 302
    assert Department.objects.get(pk=streets.dept1.pk).name == "示范城管执法队"
    # Another street's department does not exist for them; a city-wide one is read-only.
    response = client.post(
        f"{DEPARTMENTS}{streets.dept2.pk}/change/",
        {**data, "code": "dept-two", "name": "x", "owner": streets.one.pk},
    )
    assert response.status_code == 302
    assert (
        client.get(f"{DEPARTMENTS}{streets.city.pk}/change/").context["has_change_permission"]
        is False
    )
    response = client.post(
        f"{DEPARTMENTS}{streets.city.pk}/change/",
        {**data, "code": "dept-city", "name": "x", "owner": streets.one.pk},
    )
    assert response.status_code == 403
    assert Department.objects.get(pk=streets.dept2.pk).name == "柳荫城管队"
    assert Department.objects.get(pk=streets.city.pk).owner is None


def test_a_new_department_must_belong_to_the_admin_s_street(streets):
    client = client_for(streets.admin1)
    data = {"name": "示范环卫所", "code": "sanitation-1", "kind": "government", "is_active": "on"}
    for owner in ("", streets.two.pk):
        response = client.post(f"{DEPARTMENTS}add/", {**data, "owner": owner})
        assert "owner" in response.context["adminform"].form.errors
    response = client.post(f"{DEPARTMENTS}add/", {**data, "owner": streets.one.pk})
    assert response.status_code == 302
    assert Department.objects.get(code="sanitation-1") in departments_managed_by(streets.admin1)


def test_departments_for_a_dispatcher_are_their_street_s_and_the_city_wide(streets, cast):
    assert set(departments_for(cast.dispatcher_a)) == {streets.dept1, streets.city}
    assert set(departments_for(streets.worker2)) == {streets.dept2, streets.city}
    assert set(departments_for(streets.handler2)) == {streets.dept2, streets.city}
    assert set(departments_for(cast.superuser, area=streets.grid2)) == {streets.dept2, streets.city}


def test_the_department_api_lists_only_choosable_departments(
    api, streets, cast, django_assert_max_num_queries
):
    client = api(cast.dispatcher_a)
    with django_assert_max_num_queries(3 + api.auth_queries):
        response = client.get("/api/v1/departments/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        streets.dept1.pk,
        streets.city.pk,
    }
    assert client.get(f"/api/v1/departments/{streets.dept2.pk}/").status_code == 404


# -- district -------------------------------------------------------------------------------
@pytest.fixture
def district(streets):
    d = SimpleNamespace()
    d.area = AreaFactory(kind=AreaKind.DISTRICT, name="朝阳区", code="110105")
    d.street_a = AreaFactory(kind=AreaKind.STREET, name="和平街道", parent=d.area)
    d.street_b = AreaFactory(kind=AreaKind.STREET, name="安贞街道", parent=d.area)
    d.admin = _admin_access(_with_role(Role.DISTRICT_ADMIN, area=d.area, username="district"))
    d.street_admin = _admin_access(
        _with_role(Role.STREET_ADMIN, area=d.street_a, username="heping_admin")
    )
    d.dept = DepartmentFactory(name="区住建委", code="district-housing", owner=d.area)
    d.dept_a = DepartmentFactory(name="和平城管队", code="heping-urban", owner=d.street_a)
    d.dept_b = DepartmentFactory(name="安贞城管队", code="anzhen-urban", owner=d.street_b)
    d.dispatcher_a = _with_role(Role.COMMUNITY_DISPATCHER, area=d.street_a, username="hp_disp")
    d.handler_b = _with_role(Role.DEPARTMENT_HANDLER, department=d.dept_b, username="az_h")
    return d


def test_a_district_admin_is_scoped_to_a_district(streets):
    assignment = RoleAssignment(user=streets.volunteer1, role=Role.DISTRICT_ADMIN, area=streets.one)
    with pytest.raises(ValidationError) as error:
        assignment.full_clean()
    assert "area" in error.value.message_dict


def test_a_district_admin_manages_the_users_and_departments_of_every_street_below(
    district, streets
):
    users = set(users_managed_by(district.admin))
    assert {district.street_admin, district.dispatcher_a, district.handler_b} <= users
    assert not users & {streets.handler1, streets.handler2, streets.admin1}
    assert set(departments_managed_by(district.admin)) == {
        district.dept,
        district.dept_a,
        district.dept_b,
    }
    # The street admin below manages their own street only, and reads the district's.
    assert set(departments_managed_by(district.street_admin)) == {district.dept_a}
    assert set(departments_for(district.dispatcher_a)) == {
        district.dept,
        district.dept_a,
        streets.city,
    }
    assert district.handler_b not in users_managed_by(district.street_admin)


def test_a_district_admin_has_the_street_admin_pages(district):
    response = client_for(district.admin).get("/changelog/")
    assert response.status_code == 200


def test_only_superusers_and_district_admins_edit_the_shared_configuration(district, streets, cast):
    assert can_edit_shared_config(cast.superuser)
    assert can_edit_shared_config(district.admin)
    assert not can_edit_shared_config(district.street_admin)
    assert not can_edit_shared_config(streets.admin1)
    day = {"date": "2031-10-01", "kind": "holiday", "name": "国庆节"}
    response = client_for(district.admin).post(f"{CALENDAR}add/", day)
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date="2031-10-01").exists()


def test_street_admins_read_the_calendar_and_categories_but_cannot_change_them(streets, district):
    from tests.casework.factories import CategoryFactory, TimeLimitFactory

    category = CategoryFactory(code="09", name="市容环境")
    limit = TimeLimitFactory(category=category)
    day = CalendarDay.objects.create(date=datetime.date(2031, 5, 1), kind="holiday", name="劳动节")
    for admin in (streets.admin1, district.street_admin):
        client = client_for(admin)
        # The calendar opens on the current year (a redirect adds the year filter).
        assert client.get(CALENDAR, follow=True).status_code == 200
        assert client.get(CATEGORIES).status_code == 200
        assert client.get(f"{CALENDAR}add/").status_code == 403
        assert client.get(f"{CATEGORIES}add/").status_code == 403
        page = client.get(f"{CATEGORIES}{category.pk}/change/")
        assert page.status_code == 200 and page.context["has_change_permission"] is False
        post = client.post(f"{CALENDAR}{day.pk}/change/", {"date": "2031-05-02", "kind": "holiday"})
        assert post.status_code == 403
        assert client.post(f"{CALENDAR}{day.pk}/delete/", {"post": "yes"}).status_code == 403
        post = client.post(f"/admin/casework/timelimit/{limit.pk}/delete/", {"post": "yes"})
        assert post.status_code == 403
    assert CalendarDay.objects.get(pk=day.pk).name == "劳动节"


def test_the_configuration_api_is_read_only(api, streets):
    client = api(streets.admin1)
    assert client.post("/api/v1/categories/", {"code": "99", "name": "x"}).status_code == 405
    assert client.post("/api/v1/response-templates/", {"title": "x"}).status_code == 405


def test_street_admins_keep_their_own_quick_replies(streets, api):
    from casework.models import ResponseTemplate

    own = ResponseTemplate.objects.create(title="已转交", text="已转交城管", owner=streets.one)
    theirs = ResponseTemplate.objects.create(title="柳荫", text="柳荫专用", owner=streets.two)
    shared = ResponseTemplate.objects.create(title="通用", text="感谢反映")
    client = client_for(streets.admin1)
    assert listed(client.get(TEMPLATES)) == {own, shared}
    data = {"title": "已转交城管", "text": "已转交", "step": "", "order": 100, "is_active": "on"}
    response = client.post(f"{TEMPLATES}{own.pk}/change/", {**data, "owner": streets.one.pk})
    assert response.status_code == 302
    assert client.post(f"{TEMPLATES}{shared.pk}/change/", data).status_code == 403
    assert client.get(f"{TEMPLATES}{theirs.pk}/change/").status_code == 302
    response = client.post(f"{TEMPLATES}add/", {**data, "owner": ""})
    assert "owner" in response.context["adminform"].form.errors
    titles = {t["title"] for t in api(streets.worker2).get("/api/v1/response-templates/").json()}
    assert titles == {"柳荫", "通用"}


# -- the change log -------------------------------------------------------------------------
def _entries(client, **params) -> list[dict]:
    response = client.get(CHANGES, {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_change_log_api_shows_users_and_departments_to_their_street_only(api, streets, cast):
    user_type = ContentType.objects.get_for_model(User).pk
    rows = _entries(api(streets.admin1), content_type=user_type)
    ids = {int(r["object_id"]) for r in rows}
    assert {streets.handler1.pk, streets.volunteer1.pk} <= ids
    foreign = {streets.handler2, streets.worker2, streets.volunteer2, streets.city_handler}
    assert not ids & {u.pk for u in foreign | {cast.superuser, streets.orphan}}
    assert not any(r["postchange_data"].get("is_superuser") for r in rows)
    assert "v2@x.cn" not in str(rows)

    department_type = ContentType.objects.get_for_model(Department).pk
    ids = {int(r["object_id"]) for r in _entries(api(streets.admin1), content_type=department_type)}
    assert ids == {streets.dept1.pk}
    ids = {int(r["object_id"]) for r in _entries(api(streets.admin2), content_type=department_type)}
    assert ids == {streets.dept2.pk}

    role_type = ContentType.objects.get_for_model(RoleAssignment).pk
    rows = _entries(api(streets.admin1), content_type=role_type)
    assert {r["postchange_data"]["user"] for r in rows} & {streets.handler1.pk}
    assert not {r["postchange_data"]["user"] for r in rows} & {
        streets.handler2.pk,
        streets.city_handler.pk,
        streets.worker2.pk,
    }


def test_a_user_moving_to_another_street_takes_their_entries_along(api, streets):
    user_type = ContentType.objects.get_for_model(User).pk
    streets.volunteer1.home_area = streets.community2
    streets.volunteer1.save()
    ids1 = {int(r["object_id"]) for r in _entries(api(streets.admin1), content_type=user_type)}
    ids2 = {int(r["object_id"]) for r in _entries(api(streets.admin2), content_type=user_type)}
    assert streets.volunteer1.pk not in ids1
    assert streets.volunteer1.pk in ids2


def test_the_change_log_page_hides_other_streets_users(streets):
    page = client_for(streets.admin1).get("/changelog/", {"content_type": "", "action": ""})
    assert page.status_code == 200
    text = page.content.decode()
    assert "handler1" in text or streets.handler1.full_name in text
    assert streets.handler2.full_name not in text
    assert streets.volunteer2.full_name not in text
    assert "柳荫城管队" not in text


def test_the_shared_configuration_s_changes_are_read_by_every_street_admin(api, streets):
    day = CalendarDay.objects.create(date=datetime.date(2031, 1, 1), kind="holiday", name="元旦")
    calendar_type = ContentType.objects.get_for_model(CalendarDay).pk
    for admin in (streets.admin1, streets.admin2):
        rows = _entries(api(admin), content_type=calendar_type)
        assert str(day.pk) in {r["object_id"] for r in rows}


@pytest.mark.parametrize("n", [0, 20])
def test_the_scoped_change_log_takes_a_fixed_number_of_queries(
    api, streets, django_assert_max_num_queries, n
):
    for i in range(n):
        _with_role(Role.DEPARTMENT_HANDLER, department=streets.dept1, username=f"h{i}")
        DepartmentFactory(name=f"部门{i}", code=f"d-{i}", owner=streets.one)
    client = api(streets.admin1)
    with django_assert_max_num_queries(4 + api.auth_queries):
        response = client.get(CHANGES)
    assert response.status_code == 200
    assert response.json()["results"]


def test_the_case_admin_filter_names_only_choosable_departments(streets):
    from django.contrib.auth.models import Permission

    streets.admin1.user_permissions.add(Permission.objects.get(codename="view_case"))
    page = client_for(streets.admin1).get("/admin/casework/case/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "示范城管队" in text and "供电公司" in text
    assert "柳荫城管队" not in text


def test_a_district_admin_takes_a_street_admin_s_danger_steps_below(district):
    from grids import danger_workflow

    AreaFactory(kind=AreaKind.GRID, name="和平第一网格", parent=district.street_a)
    AreaFactory(kind=AreaKind.STREET, name="域外街道")
    # New roots renumber the trees (they are ordered by name): read everything again.
    grid = Area.objects.get(name="和平第一网格")
    outside = Area.objects.get(name="域外街道")
    admin = User.objects.get(pk=district.admin.pk)
    steps = [s for s in danger_workflow.STEP_LIST if Role.STREET_ADMIN in s.roles]
    assert steps
    for step in steps:
        assert danger_workflow.role_for(admin, step, grid) == Role.STREET_ADMIN
        assert danger_workflow.role_for(admin, step, outside) is None


def test_the_department_admin_list_takes_a_fixed_number_of_queries(
    streets, django_assert_max_num_queries
):
    client = client_for(streets.admin1)
    client.get(DEPARTMENTS)
    for i in range(15):
        head = UserFactory(username=f"head{i}", home_area=streets.one)
        DepartmentFactory(name=f"示范部门{i}", code=f"own-{i}", owner=streets.one, head=head)
    with django_assert_max_num_queries(12):
        departments = listed(client.get(DEPARTMENTS))
    assert len(departments) == 17


def test_the_change_log_admin_hides_other_streets_users(streets):
    entries = listed(client_for(streets.admin1).get("/admin/governance/objectchange/"))
    user_type = ContentType.objects.get_for_model(User)
    user_ids = {int(e.object_id) for e in entries if e.content_type_id == user_type.pk}
    assert streets.handler1.pk in user_ids
    assert not user_ids & {streets.handler2.pk, streets.volunteer2.pk, streets.worker2.pk}


def test_the_migrations_give_departments_and_volunteer_accounts_their_street(tree):
    """Data migrations: departments go to the only street; a volunteer's role-less account is
    registered in the volunteer's area (run here on today's models)."""
    from importlib import import_module

    from django.apps import apps

    from tests.partybuilding.factories import VolunteerFactory

    departments = import_module("governance.migrations.0013_departments_to_the_only_street")
    volunteers = import_module(
        "partybuilding.migrations.0004_volunteer_users_registered_in_their_area"
    )
    unowned = DepartmentFactory(name="旧部门", code="legacy")
    account = UserFactory(username="legacy-volunteer")
    VolunteerFactory(area=tree.grid_a1, user=account)
    departments.assign_to_the_only_street(apps, None)
    volunteers.register_volunteer_users(apps, None)
    assert Department.objects.get(pk=unowned.pk).owner_id == tree.street.pk
    assert User.objects.get(pk=account.pk).home_area_id == tree.grid_a1.pk
    # With two streets nobody can tell which one a department serves: it stays city-wide.
    AreaFactory(kind=AreaKind.STREET, name="第二街道")
    second = DepartmentFactory(name="另一旧部门", code="legacy-2")
    departments.assign_to_the_only_street(apps, None)
    assert Department.objects.get(pk=second.pk).owner is None


# -- department names and codes are unique per owner ---------------------------------------------
def test_two_streets_each_have_a_department_of_the_same_name_and_code(streets):
    one = Department.objects.create(name="城管执法队", code="urban-management", owner=streets.one)
    two = Department.objects.create(name="城管执法队", code="urban-management", owner=streets.two)
    assert one.pk != two.pk
    assert set(departments_for(streets.worker2).filter(name="城管执法队")) == {two}


@pytest.mark.parametrize("owner", ["one", None])
def test_the_database_refuses_a_second_department_of_a_name_or_code_under_one_owner(streets, owner):
    from django.db import IntegrityError, transaction

    area = getattr(streets, owner) if owner else None
    Department.objects.create(name="城管执法队", code="urban-management", owner=area)
    for name, code in (("城管执法队", "other-code"), ("另一个队", "urban-management")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Department.objects.create(name=name, code=code, owner=area)


@pytest.mark.parametrize("owner", ["one", None])
def test_a_duplicate_is_a_field_error_in_chinese(streets, owner, settings_lang_zh):
    from django.utils import translation

    area = getattr(streets, owner) if owner else None
    Department.objects.create(name="城管执法队", code="urban-management", owner=area)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        Department(name="城管执法队", code="urban-management", owner=area).full_clean()
    errors = caught.value.message_dict
    assert set(errors) == {"name", "code"}
    assert "部门" in errors["name"][0] and "代码" in errors["code"][0]


def test_the_admin_answers_a_duplicate_with_a_field_error_not_a_server_error(streets):
    client = client_for(streets.admin1)
    data = {"kind": "government", "is_active": "on", "owner": streets.one.pk}
    response = client.post(f"{DEPARTMENTS}add/", {**data, "name": "示范城管队", "code": "x-1"})
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"name"}
    response = client.post(f"{DEPARTMENTS}add/", {**data, "name": "新队", "code": "dept-one"})
    assert set(response.context["adminform"].form.errors) == {"code"}
    # Street two's department of the same name does not stand in the way.
    response = client.post(f"{DEPARTMENTS}add/", {**data, "name": "柳荫城管队", "code": "dept-two"})
    assert response.status_code == 302
    assert Department.objects.filter(code="dept-two").count() == 2


# -- the street a user belongs to (an open call is seen in its street only) ---------------------
def test_the_home_areas_of_a_user_are_their_streets_or_district(district, streets):
    from governance.scopes import UserScope

    community = AreaFactory(kind=AreaKind.COMMUNITY, name="和平里社区", parent=district.street_a)
    volunteer = UserFactory(username="hp_volunteer", home_area=community)

    def homes(user):
        return {a.pk for a in UserScope(user).home_areas}

    assert homes(district.admin) == {district.area.pk}
    assert homes(district.dispatcher_a) == {district.street_a.pk}
    assert homes(district.handler_b) == {district.street_b.pk}
    assert homes(volunteer) == {district.street_a.pk}
    assert homes(streets.orphan) == set()
