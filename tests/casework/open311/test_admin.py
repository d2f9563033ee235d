"""Admin of the public intake and of webhooks: keys made once and shown once, revoked by an
action, owned by a street; questions that need options; the read-only delivery log."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission

from casework.open311 import services
from casework.open311.models import ApiKey, Datatype, ServiceAttribute
from governance.models import WebhookDelivery, WebhookEndpoint
from tests.factories import AreaFactory, grant_admin_site_access


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast.superuser)
    return client


def _grant(user, *codenames):
    grant_admin_site_access(user)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def test_an_api_key_is_shown_once_and_stored_hashed(admin_client, jurisdiction):
    response = admin_client.post(
        "/admin/casework/apikey/add/",
        {
            "name": "12345 平台",
            "owner": jurisdiction.area.pk,
            "jurisdiction": jurisdiction.pk,
            "rate_limit": 100,
        },
        follow=True,
    )

    html = response.content.decode()
    raw = re.search(r"<code>([0-9a-f]{8}\.[\w-]+)</code>", html).group(1)
    key = ApiKey.objects.get()
    assert services.api_key_authenticate(raw=raw) == key
    assert raw not in key.key_hash
    assert (key.account.is_active, key.created_by.username) == (False, "root")
    change = admin_client.get(f"/admin/casework/apikey/{key.pk}/change/")
    assert raw not in change.content.decode()
    assert key.prefix in change.content.decode()


def test_a_key_for_a_street_outside_the_jurisdiction_is_refused_on_the_form(
    admin_client, jurisdiction
):
    other = AreaFactory(kind="street", name="别的街道")

    response = admin_client.post(
        "/admin/casework/apikey/add/",
        {"name": "外部", "owner": other.pk, "jurisdiction": jurisdiction.pk, "rate_limit": 10},
    )

    assert response.status_code == 200
    assert "owner" in response.context["adminform"].form.errors
    assert not ApiKey.objects.exists()


def test_keys_are_revoked_by_the_admin_action(admin_client, api_key):
    response = admin_client.post(
        "/admin/casework/apikey/",
        {"action": "revoke_keys", "_selected_action": [api_key.key.pk]},
        follow=True,
    )

    api_key.key.refresh_from_db()
    assert response.status_code == 200
    assert api_key.key.is_revoked
    with pytest.raises(services.ApiKeyRefused):
        services.api_key_authenticate(raw=api_key.raw)


def test_a_street_admin_sees_only_the_keys_of_their_street(client, api_key, cast):
    other_street = AreaFactory(kind="street", name="别的街道")
    from casework.open311.models import Jurisdiction

    other = Jurisdiction.objects.create(jurisdiction_id="other.example.cn", area=other_street)
    foreign, _raw = services.api_key_create(
        name="外街道客户端", owner=other_street, jurisdiction=other
    )
    _grant(cast.street_admin, "view_apikey", "change_apikey")
    client.force_login(cast.street_admin)

    listing = client.get("/admin/casework/apikey/")
    foreign_page = client.get(f"/admin/casework/apikey/{foreign.pk}/change/")

    assert "12345 平台" in listing.content.decode()
    assert "外街道客户端" not in listing.content.decode()
    assert foreign_page.status_code in (302, 404)


def test_a_list_question_needs_options(admin_client, public):
    service = public.garbage.open311
    response = admin_client.post(
        "/admin/casework/serviceattribute/add/",
        {
            "service": service.pk,
            "code": "COLOR",
            "order": 20,
            "description": "什么颜色？",
            "datatype": Datatype.SINGLEVALUELIST,
            "variable": "on",
            "values-TOTAL_FORMS": 0,
            "values-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert not ServiceAttribute.objects.filter(code="COLOR").exists()


def test_a_webhook_endpoint_gets_a_secret_and_its_log_is_read_only(admin_client, tree):
    response = admin_client.post(
        "/admin/governance/webhookendpoint/add/",
        {
            "name": "12345 平台",
            "url": "https://12345.example.cn/hooks",
            "owner": tree.street.pk,
            "events": ["case.filed", "case.step"],
            "is_active": "on",
        },
    )

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert endpoint.events == ["case.filed", "case.step"] and len(endpoint.secret) >= 40
    assert (
        endpoint.secret
        in admin_client.get(
            f"/admin/governance/webhookendpoint/{endpoint.pk}/change/"
        ).content.decode()
    )
    admin_client.post(
        "/admin/governance/webhookendpoint/",
        {"action": "send_ping", "_selected_action": [endpoint.pk]},
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "ping"
    assert admin_client.get("/admin/governance/webhookdelivery/add/").status_code == 403
    page = admin_client.get(f"/admin/governance/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
