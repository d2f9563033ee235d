import pytest
from django.apps import apps
from django.urls import reverse

from partybuilding import services
from partybuilding.models import DualReport, PartyMember, Project

MODELS = [m for m in apps.get_app_config("partybuilding").get_models()]


def test_every_model_has_an_admin():
    from django.contrib import admin

    assert [m.__name__ for m in MODELS if m not in admin.site._registry] == []


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_lists_open_for_a_superuser(client, party, model, django_assert_max_num_queries):
    client.force_login(party.cast.superuser)
    url = reverse(f"admin:partybuilding_{model._meta.model_name}_changelist")
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


def test_the_ledger_cannot_be_edited_in_the_admin(client, party):
    client.force_login(party.cast.superuser)
    assert client.get(reverse("admin:partybuilding_pointentry_add")).status_code == 403


def test_the_api_schema_describes_the_party_endpoints(client, party):
    client.force_login(party.cast.superuser)
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    for path in (
        "/api/v1/party/wishes/{id}/claim/",
        "/api/v1/party/volunteers/{id}/redeem/",
        "/api/v1/party/resolutions/{id}/open-project/",
        "/api/v1/party/leaderboard/",
    ):
        assert path in body


# -- writes through the services ----------------------------------------------------------------
def _admin(client, party):
    client.force_login(party.cast.superuser)
    return client


def test_state_fields_are_read_only_in_the_admin(client, party):
    from tests.partybuilding.factories import ProjectFactory

    client = _admin(client, party)
    project = ProjectFactory(area=party.tree.grid_a1)
    for url, state in (
        (reverse("admin:partybuilding_project_change", args=[project.pk]), Project.state_fields),
        (reverse("admin:partybuilding_partymember_change", args=[party.member_a.pk]), ("status",)),
    ):
        form = client.get(url).context["adminform"].form
        assert set(state).isdisjoint(form.fields), url


def _member_form(party, **extra):
    return {
        "organization": party.branch_a1.pk,
        "name": "钱海燕",
        "join_date": "2024-07-01",
        "work_unit": "",
        **extra,
    }


def test_a_member_registered_in_the_admin_starts_full_or_probationary(client, party):
    client = _admin(client, party)
    url = reverse("admin:partybuilding_partymember_add")
    response = client.post(url, _member_form(party, status="transferred_out"))
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert not PartyMember.objects.filter(name="钱海燕").exists()
    assert client.post(url, _member_form(party, status="probationary")).status_code == 302
    assert PartyMember.objects.get(name="钱海燕").status == "probationary"


def test_the_admin_transfers_a_member_out_by_the_step_action(client, party):
    report = services.dual_report_register(
        actor=party.officer_a,
        kind="personal",
        community=party.tree.community_a,
        member=party.member_a,
        service_post="mediation",
    )
    client = _admin(client, party)
    client.post(
        reverse("admin:partybuilding_partymember_changelist"),
        {"action": "set_status_transferred_out", "_selected_action": [party.member_a.pk]},
    )
    party.member_a.refresh_from_db()
    report.refresh_from_db()
    assert (party.member_a.status, report.status) == ("transferred_out", "withdrawn")


def test_a_dual_report_added_in_the_admin_is_registered_by_the_service(client, party):
    party.member_a.in_service = False
    party.member_a.work_unit = ""
    party.member_a.save()
    client = _admin(client, party)
    url = reverse("admin:partybuilding_dualreport_add")
    page = client.get(url)
    management = {
        f"{fs.formset.prefix}-{name}": fs.formset.management_form[name].value()
        for fs in page.context["inline_admin_formsets"]
        for name in fs.formset.management_form.fields
    }
    response = client.post(
        url,
        {
            **management,
            "kind": "personal",
            "community": party.tree.community_a.pk,
            "member": party.member_a.pk,
            "service_post": "mediation",
            "yearly_target": 4,
            "registered_on": "2026-03-01",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["member"]
    assert not DualReport.objects.exists()


def test_dragging_a_project_under_its_own_sub_project_is_refused(client, party):
    from tests.partybuilding.factories import ProjectFactory

    parent = ProjectFactory(area=party.tree.community_a)
    child = ProjectFactory(area=party.tree.grid_a1, parent=parent)
    client = _admin(client, party)
    response = client.post(
        reverse("admin:partybuilding_project_changelist"),
        {
            "cmd": "move_node",
            "cut_item": parent.pk,
            "pasted_on": child.pk,
            "position": "last-child",
        },
    )
    assert response.content.startswith(b"FAIL")
    assert Project.objects.get(pk=parent.pk).parent_id is None


def test_the_admin_offers_steps_but_no_bulk_delete_that_would_skip_the_services(client, party):
    client = _admin(client, party)
    response = client.get(reverse("admin:partybuilding_partymember_changelist"))
    actions = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert "set_status_transferred_out" in actions
    assert "delete_selected" not in actions
    response = client.get(reverse("admin:partybuilding_partyorganization_changelist"))
    assert response.context["action_form"] is None


def test_the_organization_picker_names_only_organizations_in_the_users_scope(client, party):
    from django.contrib.auth.models import Permission
    from mptt.forms import TreeNodeChoiceField

    officer = party.officer_a
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    officer.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_partymember", "view_partymember"])
    )
    client.force_login(officer)
    page = client.get(reverse("admin:partybuilding_partymember_add"))
    assert page.status_code == 200
    picker = page.context["adminform"].form.fields["organization"]
    assert isinstance(picker, TreeNodeChoiceField)
    offered = {choice[1].lstrip("- ") for choice in picker.choices if choice[0]}
    assert "青松第一网格党支部" in offered
    assert not {"柳荫社区党委", "柳荫第一网格党支部"} & offered
    assert "柳荫" not in page.content.decode()
