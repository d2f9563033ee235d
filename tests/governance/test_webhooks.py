"""Webhooks: signing, who gets an event, sending against a local receiver with retries and
exponential backoff, the delivery log, exactly-once claims, and the Celery task."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from governance import webhooks
from governance.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from governance.tasks import deliver_webhook
from tests.factories import AreaFactory
from tests.receiver import Receiver

EVENT = "test.thing"


@pytest.fixture(autouse=True)
def _event():
    webhooks.register_event(EVENT, "A test event")
    yield
    webhooks._events.pop(EVENT, None)


@pytest.fixture
def base(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    return 30


def _endpoint(owner, url="http://127.0.0.1:9/hooks", events=(EVENT,), **fields):
    return WebhookEndpoint.objects.create(
        name=fields.pop("name", "12345 平台"), url=url, owner=owner, events=list(events), **fields
    )


def _emit(area, key="thing:1", data=None):
    return webhooks.emit(
        webhooks.Emission(
            event=EVENT,
            key=key,
            area=lambda: area,
            payload=lambda: data or {"thing": 1},
            at=timezone.now(),
        )
    )


# -- signing --------------------------------------------------------------------------------
def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = '{"a":"中文"}'.encode()
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()

    assert webhooks.signature("s3cret", 1700000000, body) == f"sha256={expected}"
    header = f"sha256={expected}"
    assert webhooks.verify(
        "s3cret", timestamp="1700000000", body=body, signature_header=header, now=1700000100
    )
    assert not webhooks.verify(
        "s3cret", timestamp="1700000000", body=body + b" ", signature_header=header, now=1700000100
    )
    assert not webhooks.verify(
        "s3cret", timestamp="1700000000", body=body, signature_header=header, now=1700009999
    )
    assert not webhooks.verify("other", timestamp="1700000000", body=body, signature_header=header)


# -- who hears of an event ------------------------------------------------------------------
def test_an_event_goes_to_active_endpoints_of_its_area_that_chose_it(tree):
    listening = _endpoint(tree.street, name="街道平台")
    _endpoint(tree.street, name="停用的", is_active=False)
    _endpoint(tree.street, name="没选这个事件", events=["case.filed"])
    elsewhere = AreaFactory(kind="street", name="别的街道")
    _endpoint(elsewhere, name="别的街道平台")
    tree.building_a1.refresh_from_db()

    rows = _emit(tree.building_a1)

    assert [row.endpoint for row in rows] == [listening]
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["event"] == EVENT and delivery.payload["data"] == {"thing": 1}
    assert delivery.payload["id"] == str(delivery.uid)


def test_a_district_endpoint_hears_its_streets(tree):
    district = AreaFactory(kind="district", name="示范区", code="110199")
    tree.street.move_to(district)
    district.refresh_from_db()
    tree.building_a1.refresh_from_db()
    _endpoint(district, name="区平台")

    assert len(_emit(tree.building_a1)) == 1


def test_nobody_listening_costs_one_query_and_builds_no_payload(tree, django_assert_num_queries):
    built = []

    with django_assert_num_queries(1):
        rows = webhooks.emit(
            webhooks.Emission(
                event=EVENT,
                key="k",
                area=lambda: built.append("area") or tree.street,
                payload=lambda: built.append("payload") or {},
                at=timezone.now(),
            )
        )

    assert rows == [] and built == []


def test_an_event_emitted_twice_is_delivered_once(tree):
    _endpoint(tree.street)

    _emit(tree.street, key="thing:7")
    _emit(tree.street, key="thing:7")

    assert WebhookDelivery.objects.count() == 1


def test_an_unknown_event_is_a_programming_error(tree):
    with pytest.raises(LookupError):
        webhooks.emit(
            webhooks.Emission(
                event="nobody.registered.this",
                key="k",
                area=lambda: tree.street,
                payload=dict,
                at=timezone.now(),
            )
        )


# -- sending --------------------------------------------------------------------------------
def test_a_delivery_is_signed_received_once_and_logged(tree):
    with Receiver([200]) as receiver:
        endpoint = _endpoint(tree.street, url=receiver.url)
        _emit(tree.street, data={"case": {"number": "2026-000001"}})
        delivery = WebhookDelivery.objects.get()

        first = webhooks.deliver(delivery_id=delivery.pk)
        second = webhooks.deliver(delivery_id=delivery.pk)

        (request,) = receiver.wait_for(1)
    assert (first.status, second.status) == ("sent", "sent")
    assert len(receiver.received) == 1
    headers = request.headers
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Webhook-Event"] == EVENT
    assert headers["X-Webhook-Delivery"] == str(delivery.uid)
    assert webhooks.verify(
        endpoint.secret,
        timestamp=headers["X-Webhook-Timestamp"],
        body=request.body,
        signature_header=headers["X-Webhook-Signature"],
    )
    assert json.loads(request.body)["data"] == {"case": {"number": "2026-000001"}}
    attempt = WebhookAttempt.objects.get()
    assert (attempt.number, attempt.status_code, attempt.response) == (1, 200, "status 200")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at is not None) == ("sent", 1, True)


def test_failures_are_retried_with_doubling_pauses_until_received(tree, base):
    with Receiver([500, 503, 200]) as receiver:
        _endpoint(tree.street, url=receiver.url)
        _emit(tree.street)
        pk = WebhookDelivery.objects.get().pk
        start = timezone.now()

        first = webhooks.deliver(delivery_id=pk, now=start)
        too_early = webhooks.deliver(delivery_id=pk, now=start + timedelta(seconds=10))
        second = webhooks.deliver(delivery_id=pk, now=start + timedelta(seconds=base))
        third = webhooks.deliver(delivery_id=pk, now=start + timedelta(seconds=3 * base))

        receiver.wait_for(3)
    assert (first.status, first.retry_in) == ("pending", base)
    assert (too_early.status, too_early.retry_in) == ("pending", None)
    assert (second.status, second.retry_in) == ("pending", 2 * base)
    assert (third.status, third.retry_in) == ("sent", None)
    assert list(WebhookAttempt.objects.order_by("number").values_list("number", "status_code")) == [
        (1, 500),
        (2, 503),
        (3, 200),
    ]
    # Every try of one delivery carries the same delivery ID, so a receiver can drop repeats.
    assert len({r.headers["X-Webhook-Delivery"] for r in receiver.received}) == 1


def test_a_delivery_is_given_up_after_the_last_try(tree, base):
    with Receiver([500]) as receiver:
        _endpoint(tree.street, url=receiver.url)
        _emit(tree.street)
        pk = WebhookDelivery.objects.get().pk
        now = timezone.now()
        outcomes = []
        for _ in range(webhooks.MAX_ATTEMPTS):
            outcome = webhooks.deliver(delivery_id=pk, now=now)
            outcomes.append(outcome.status)
            now += timedelta(seconds=outcome.retry_in or 0)

    assert outcomes == ["pending"] * (webhooks.MAX_ATTEMPTS - 1) + ["failed"]
    assert WebhookAttempt.objects.filter(delivery_id=pk).count() == webhooks.MAX_ATTEMPTS
    assert webhooks.backoff_seconds(webhooks.MAX_ATTEMPTS - 1) == base * 2 ** (
        webhooks.MAX_ATTEMPTS - 2
    )
    assert webhooks.backoff_seconds(30) == webhooks.BACKOFF_CAP_SECONDS


def test_a_refused_connection_and_a_redirect_are_logged_failures(tree):
    _endpoint(tree.street, url="http://127.0.0.1:9/closed-port")
    with Receiver([302]) as receiver:
        _endpoint(tree.street, url=receiver.url, name="跳转")
        _emit(tree.street)
        for delivery in WebhookDelivery.objects.order_by("pk"):
            webhooks.deliver(delivery_id=delivery.pk)

    refused, redirected = WebhookAttempt.objects.order_by("delivery__endpoint__name")
    assert {refused.status_code, redirected.status_code} == {None, 302}
    failed = WebhookAttempt.objects.get(status_code=None)
    assert failed.error
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}


def test_a_delivery_claimed_by_another_worker_is_not_sent(tree):
    with Receiver([200]) as receiver:
        _endpoint(tree.street, url=receiver.url)
        _emit(tree.street)
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status="sending")

        outcome = webhooks.deliver(delivery_id=delivery.pk)

    assert outcome.status == "sending"
    assert receiver.received == []
    assert not WebhookAttempt.objects.exists()


def test_lost_tasks_are_found_again(tree):
    _endpoint(tree.street)
    _emit(tree.street, key="old")
    _emit(tree.street, key="new")
    old = WebhookDelivery.objects.get(key="old")
    WebhookDelivery.objects.filter(pk=old.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )

    assert webhooks.resend_due() == [old.pk]


def test_the_task_retries_itself_after_the_backoff(tree, base):
    with Receiver([500]) as receiver:
        _endpoint(tree.street, url=receiver.url)
        _emit(tree.street)
        pk = WebhookDelivery.objects.get().pk
        with (
            mock.patch.object(deliver_webhook, "retry", side_effect=RuntimeError("retry")) as retry,
            pytest.raises(RuntimeError, match="retry"),
        ):
            deliver_webhook.run(pk)

    retry.assert_called_once_with(countdown=base)


def test_sending_is_enqueued_after_the_commit(tree, django_capture_on_commit_callbacks):
    _endpoint(tree.street)
    with mock.patch.object(deliver_webhook, "apply_async") as enqueue:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _emit(tree.street)
        enqueue.assert_not_called()
        for callback in callbacks:
            callback()

    enqueue.assert_called_once_with(args=(WebhookDelivery.objects.get().pk,), retry=False)


def test_a_ping_is_a_delivery_like_any_other(tree):
    endpoint = _endpoint(tree.street)

    delivery = webhooks.ping(endpoint=endpoint)

    assert (delivery.event, delivery.payload["data"]) == ("ping", {"endpoint": "12345 平台"})


def test_an_endpoint_switched_off_gets_nothing_more(tree):
    with Receiver([200]) as receiver:
        endpoint = _endpoint(tree.street, url=receiver.url)
        _emit(tree.street)
        endpoint.is_active = False
        endpoint.save()

        outcome = webhooks.deliver(delivery_id=WebhookDelivery.objects.get().pk)

    assert outcome.status == "failed"
    assert receiver.received == []
    assert WebhookAttempt.objects.get().error == "endpoint switched off"
