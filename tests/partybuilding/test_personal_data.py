"""Personal data of party members through governance.privacy (issue 8, items 5 and 13): masked
everywhere, searched only whole where masked, read in full only by a logged reveal."""

import pytest
from django.contrib.auth.models import Permission

from governance.models import PersonalDataAccess
from partybuilding import services
from partybuilding.models import PartyMember

pytestmark = pytest.mark.django_db

ID_A = "11010519491231002X"


@pytest.fixture
def members(party):
    PartyMember.objects.filter(pk=party.member_a.pk).update(id_number=ID_A)
    party.member_a.refresh_from_db()
    return party


def _names(response):
    return {row["name"] for row in response.json()["results"]}


# -- item 5: searching cannot recover a masked number --------------------------------------------
@pytest.mark.parametrize("fragment", ["1391", "5678", "139123", "1101", "002X"])
def test_a_viewer_cannot_find_a_member_by_a_fragment_of_a_masked_number(client, members, fragment):
    client.force_login(members.cast.viewer_a)
    page = client.get("/party/members/", {"q": fragment}).content.decode()
    assert "李建国" not in page
    assert "李建国" not in _names(client.get("/api/v1/party/members/", {"q": fragment}))


@pytest.mark.parametrize("whole", ["13912345678", ID_A])
def test_a_viewer_finds_a_member_by_the_whole_number(client, members, whole):
    client.force_login(members.cast.viewer_a)
    assert "李建国" in client.get("/party/members/", {"q": whole}).content.decode()
    assert "李建国" in _names(client.get("/api/v1/party/members/", {"q": whole}))


def test_an_officer_searches_numbers_only_whole_too(client, members):
    # The officer may reveal the number (logged); a fragment search would read it unlogged.
    client.force_login(members.officer_a)
    assert _names(client.get("/api/v1/party/members/", {"q": "1391"})) == set()
    assert _names(client.get("/api/v1/party/members/", {"q": "13912345678"})) == {"李建国"}
    # B's member is out of the officer's scope altogether.
    assert _names(client.get("/api/v1/party/members/", {"q": "139876"})) == set()


def test_the_admin_search_follows_the_same_rule(client, members):
    # Every role sees numbers masked and searches them whole.
    staff = members.cast.viewer_a
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(Permission.objects.get(codename="view_partymember"))
    client.force_login(staff)
    url = "/admin/partybuilding/partymember/"
    assert "李建国" not in client.get(url, {"q": "1391"}).content.decode()
    assert "李建国" in client.get(url, {"q": "13912345678"}).content.decode()


# -- item 13: masked everywhere, revealed with a reason, logged -------------------------------------
def test_officers_see_masked_numbers_with_a_way_to_reveal(client, members):
    client.force_login(members.officer_a)
    body = client.get("/party/members/").content.decode()
    assert "139****5678" in body and "13912345678" not in body
    assert f"/party/members/{members.member_a.pk}/reveal/" in body
    data = client.get(f"/api/v1/party/members/{members.member_a.pk}/").json()
    assert (data["phone"], data["id_number"]) == ("139****5678", "1101**********002X")
    assert not PersonalDataAccess.objects.exists()


def test_a_viewer_gets_no_reveal_link(client, members):
    client.force_login(members.cast.viewer_a)
    body = client.get("/party/members/").content.decode()
    assert "/reveal/" not in body
    assert client.get(f"/party/members/{members.member_a.pk}/reveal/").status_code == 403


def test_the_reveal_page_needs_a_reason_and_logs_each_field(client, members):
    client.force_login(members.officer_a)
    url = f"/party/members/{members.member_a.pk}/reveal/"
    page = client.get(url)
    assert page.status_code == 200 and "13912345678" not in page.content.decode()

    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200 and "13912345678" not in refused.content.decode()
    assert not PersonalDataAccess.objects.exists()

    shown = client.post(url, {"reason": "走访联系"}).content.decode()
    assert "13912345678" in shown and ID_A in shown
    rows = PersonalDataAccess.objects.order_by("field")
    assert [(r.field, r.interface, r.reason, r.user) for r in rows] == [
        ("id_number", "web", "走访联系", members.officer_a),
        ("phone", "web", "走访联系", members.officer_a),
    ]


def test_the_reveal_page_of_another_community_is_not_found(client, members):
    client.force_login(members.officer_a)
    url = f"/party/members/{members.member_b.pk}/reveal/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_the_api_reveals_one_field_with_a_reason(api, members):
    client = api(members.officer_a)
    url = f"/api/v1/party/members/{members.member_a.pk}/reveal/"
    response = client.post(url, {"field": "id_number", "reason": "核对身份"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": ID_A}
    entry = PersonalDataAccess.objects.get()
    assert (entry.field, entry.field_kind, entry.interface, entry.object_id) == (
        "id_number",
        "id_number",
        "api",
        str(members.member_a.pk),
    )
    assert entry.area_id == members.branch_a1.area_id


@pytest.mark.parametrize(
    ("body", "field"),
    [({"field": "phone"}, "reason"), ({"field": "name", "reason": "x"}, "field")],
)
def test_the_api_reveal_refuses_bad_input_with_a_field_message(api, members, body, field):
    response = api(members.officer_a).post(
        f"/api/v1/party/members/{members.member_a.pk}/reveal/", body, format="json"
    )
    assert response.status_code == 400 and field in response.json()["fields"]
    assert not PersonalDataAccess.objects.exists()


def test_the_api_reveal_is_refused_to_viewers_and_out_of_scope(api, members):
    body = {"field": "phone", "reason": "x"}
    viewer = api(members.cast.viewer_a)
    assert (
        viewer.post(
            f"/api/v1/party/members/{members.member_a.pk}/reveal/", body, format="json"
        ).status_code
        == 403
    )
    officer = api(members.officer_a)
    assert (
        officer.post(
            f"/api/v1/party/members/{members.member_b.pk}/reveal/", body, format="json"
        ).status_code
        == 404
    )
    assert not PersonalDataAccess.objects.exists()


def test_opening_a_member_in_the_admin_is_logged(client, members):
    client.force_login(members.cast.superuser)
    response = client.get(f"/admin/partybuilding/partymember/{members.member_a.pk}/change/")
    assert response.status_code == 200
    assert set(
        PersonalDataAccess.objects.filter(interface="admin").values_list("field", flat=True)
    ) == {"phone", "id_number"}


# -- the access log ---------------------------------------------------------------------------------
@pytest.fixture
def logged(members):
    from governance import privacy

    for member, user in (
        (members.member_a, members.officer_a),
        (members.member_b, members.officer_b),
    ):
        privacy.reveal(user=user, obj=member, name="phone", reason="回访", interface="web")
    return members


def test_a_street_admin_searches_the_access_log_of_their_subtree(
    client, logged, django_assert_max_num_queries
):
    client.force_login(logged.cast.admin_a)
    with django_assert_max_num_queries(12):
        body = client.get("/access-log/").content.decode()
    assert "李建国" in body and "赵红梅" not in body
    assert "回访" in body
    assert "李建国" not in client.get("/access-log/", {"q": "nobody-such"}).content.decode()
    assert "李建国" in client.get("/access-log/", {"q": "officer_a"}).content.decode()
    client.force_login(logged.cast.street_admin)
    body = client.get("/access-log/").content.decode()
    assert "李建国" in body and "赵红梅" in body


def test_the_access_log_page_is_for_street_admins_only(client, logged):
    client.force_login(logged.cast.viewer_a)
    assert client.get("/access-log/").status_code == 403
    client.force_login(logged.officer_a)
    assert client.get("/access-log/").status_code == 403
    client.logout()
    assert client.get("/access-log/").status_code == 302


def test_the_access_log_is_read_only_in_the_admin(client, logged):
    client.force_login(logged.cast.superuser)
    base = "/admin/governance/personaldataaccess/"
    assert client.get(base).status_code == 200
    entry = PersonalDataAccess.objects.first()
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{entry.pk}/delete/").status_code == 403
    client.post(f"{base}{entry.pk}/change/", {"reason": "改了"})
    entry.refresh_from_db()
    assert entry.reason == "回访"


def test_a_street_admin_reads_only_their_subtree_in_the_admin(client, logged):
    admin_a = logged.cast.admin_a
    admin_a.is_staff = True
    admin_a.save()
    admin_a.user_permissions.add(Permission.objects.get(codename="view_personaldataaccess"))
    client.force_login(admin_a)
    body = client.get("/admin/governance/personaldataaccess/").content.decode()
    assert "李建国" in body and "赵红梅" not in body


def test_the_change_log_keeps_personal_fields_masked(members):
    from governance.models import ObjectChange

    member = members.member_a
    member.phone = "13700001234"
    services.member_save(actor=members.officer_a, member=member)
    entry = ObjectChange.objects.filter(object_id=str(member.pk), action="update").latest("pk")
    assert entry.postchange_data["phone"] == "137****1234"
    assert entry.postchange_data["id_number"] == "1101**********002X"
    assert "13700001234" not in str(entry.prechange_data) + str(entry.postchange_data)


def test_a_masked_id_number_sent_back_is_refused(api, members):
    response = api(members.officer_a).patch(
        f"/api/v1/party/members/{members.member_a.pk}/",
        {"id_number": "1101**********002X"},
        format="json",
    )
    assert response.status_code == 400 and "id_number" in response.json()["fields"]
    members.member_a.refresh_from_db()
    assert members.member_a.id_number == ID_A


# -- volunteers', units' and micro-wishes' phones: masked for officers too, revealed and logged --
@pytest.fixture
def contacts(party):
    from tests.partybuilding.factories import VolunteerFactory, WishFactory

    tree = party.tree
    party.volunteer_a = VolunteerFactory(area=tree.community_a, phone="13511112222")
    party.wish_a = WishFactory(area=tree.community_a, resident_phone="13633334444")
    party.volunteer_b = VolunteerFactory(area=tree.community_b, phone="13555556666")
    return party


CONTACTS = [
    ("units", "unit_a", "contact_phone", "13700000000", "137****0000"),
    ("volunteers", "volunteer_a", "phone", "13511112222", "135****2222"),
    ("wishes", "wish_a", "resident_phone", "13633334444", "136****4444"),
]


@pytest.mark.parametrize(("path", "obj", "field", "full", "shown"), CONTACTS)
def test_an_officer_reads_contact_phones_masked_in_the_api(
    api, contacts, path, obj, field, full, shown
):
    client = api(contacts.officer_a)
    record = getattr(contacts, obj)
    data = client.get(f"/api/v1/party/{path}/{record.pk}/").json()
    assert data[field] == shown
    listed = client.get(f"/api/v1/party/{path}/").content.decode()
    assert full not in listed
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize(("path", "obj", "field", "full", "shown"), CONTACTS)
def test_an_officer_reveals_a_contact_phone_with_a_reason(
    api, contacts, path, obj, field, full, shown
):
    client = api(contacts.officer_a)
    url = f"/api/v1/party/{path}/{getattr(contacts, obj).pk}/reveal/"
    refused = client.post(url, {"field": field}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["fields"]
    response = client.post(url, {"field": field, "reason": "联系核实"}, format="json")
    assert response.status_code == 200 and response.json() == {"field": field, "value": full}
    entry = PersonalDataAccess.objects.get()
    assert (entry.field, entry.interface, entry.user) == (field, "api", contacts.officer_a)


@pytest.mark.parametrize(("path", "obj", "field", "full", "shown"), CONTACTS)
def test_a_contact_phone_reveal_is_refused_to_a_viewer(
    api, contacts, path, obj, field, full, shown
):
    url = f"/api/v1/party/{path}/{getattr(contacts, obj).pk}/reveal/"
    body = {"field": field, "reason": "x"}
    assert api(contacts.cast.viewer_a).post(url, body, format="json").status_code in (403, 404)
    assert not PersonalDataAccess.objects.exists()


def test_another_community_s_volunteer_cannot_be_revealed(api, contacts):
    url = f"/api/v1/party/volunteers/{contacts.volunteer_b.pk}/reveal/"
    body = {"field": "phone", "reason": "x"}
    assert api(contacts.officer_a).post(url, body, format="json").status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_a_masked_phone_sent_back_does_not_overwrite_the_real_one(api, contacts):
    client = api(contacts.officer_a)
    url = f"/api/v1/party/volunteers/{contacts.volunteer_a.pk}/"
    response = client.patch(url, {"phone": "135****2222"}, format="json")
    assert response.status_code == 400 and "phone" in response.json()["fields"]
    contacts.volunteer_a.refresh_from_db()
    assert contacts.volunteer_a.phone == "13511112222"


def test_the_units_page_masks_the_phone_and_the_reveal_page_logs_it(client, contacts):
    client.force_login(contacts.officer_a)
    page = client.get("/party/units/").content.decode()
    assert "137****0000" in page and "13700000000" not in page
    url = f"/party/units/{contacts.unit_a.pk}/reveal/"
    assert url in page
    assert "13700000000" not in client.get(url).content.decode()
    assert not PersonalDataAccess.objects.exists()
    shown = client.post(url, {"reason": "联系共建"}).content.decode()
    assert "13700000000" in shown
    entry = PersonalDataAccess.objects.get()
    assert (entry.field, entry.interface, entry.reason) == ("contact_phone", "web", "联系共建")


def test_the_unit_reveal_page_is_refused_to_a_viewer_and_out_of_scope(client, contacts):
    client.force_login(contacts.cast.viewer_a)
    assert "/reveal/" not in client.get("/party/units/").content.decode()
    assert client.get(f"/party/units/{contacts.unit_a.pk}/reveal/").status_code == 403
    client.force_login(contacts.officer_a)
    assert (
        client.post(f"/party/units/{contacts.unit_b.pk}/reveal/", {"reason": "x"}).status_code
        == 404
    )
    assert not PersonalDataAccess.objects.exists()


def test_the_unit_edit_form_shows_the_phone_masked_and_keeps_it(client, contacts):
    from partybuilding.models import CoConstructionUnit

    client.force_login(contacts.officer_a)
    url = f"/party/units/{contacts.unit_a.pk}/edit/"
    page = client.get(url).content.decode()
    assert "137****0000" in page and "13700000000" not in page
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(area=contacts.unit_a.area_id, contact_name="周老师", name=contacts.unit_a.name)
    assert client.post(url, data).status_code == 302
    unit = CoConstructionUnit.objects.get(pk=contacts.unit_a.pk)
    assert (unit.contact_phone, unit.contact_name) == ("13700000000", "周老师")
    assert client.post(url, {**data, "contact_phone": "13799998888"}).status_code == 302
    assert CoConstructionUnit.objects.get(pk=unit.pk).contact_phone == "13799998888"
