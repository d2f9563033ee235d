import pytest
from django.apps import apps
from django.urls import reverse

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
