"""What casework tells webhook endpoints: a case filed, every step, overdue — with nothing
personal — and how the 12345 platform learns that a request it forwarded was closed."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from casework.deadlines import reminders
from casework.models import Case, Holder, Status
from casework.services import case_report, case_step
from governance import webhooks
from governance.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.casework.factories import jpeg_upload
from tests.processes import wait_for
from tests.receiver import Receiver

ALL = ["case.filed", "case.step", "case.overdue"]


def _report(crew, tree, categories, **fields):
    return case_report(
        actor=crew.worker_a,
        title="1号楼垃圾",
        category=categories.garbage,
        area=tree.building_a1,
        source="resident",
        address="1号楼东侧",
        reporter_name="张大爷",
        reporter_phone="13800001111",
        description="张大爷说垃圾三天没人清，电话13800001111",
        **fields,
    )


def test_filing_and_every_step_are_events_without_personal_data(crew, tree, categories):
    endpoint = WebhookEndpoint.objects.create(
        name="12345 平台", url="http://127.0.0.1:9/", owner=tree.street, events=ALL
    )

    case = _report(crew, tree, categories)
    case = case_step(case=case, actor=crew.dispatcher_a, step="accept", comment="受理")
    case_step(
        case=case,
        actor=crew.dispatcher_a,
        step="escalate",
        comment="内部：社区解决不了",
        is_public=False,
    )

    deliveries = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk"))
    assert [(d.event, d.payload["data"]["step"]["name"]) for d in deliveries] == [
        ("case.filed", "report"),
        ("case.step", "accept"),
        ("case.step", "escalate"),
    ]
    body = json.dumps([d.payload for d in deliveries], ensure_ascii=False)
    for private in ("张大爷", "13800001111", "内部"):
        assert private not in body
    accepted = deliveries[1].payload["data"]
    assert accepted["case"]["number"] == case.number
    assert accepted["case"]["service_request_id"] == str(case.pk)
    assert accepted["step"]["comment"] == "受理"
    assert accepted["case"]["url"].endswith(f"/cases/{case.pk}/")


def test_endpoints_hear_only_the_events_they_chose(crew, tree, categories):
    WebhookEndpoint.objects.create(
        name="只要超期", url="http://127.0.0.1:9/", owner=tree.street, events=["case.overdue"]
    )

    _report(crew, tree, categories)

    assert not WebhookDelivery.objects.exists()


def test_the_deadline_scan_emits_overdue_events_once(crew, tree, categories):
    WebhookEndpoint.objects.create(
        name="12345 平台", url="http://127.0.0.1:9/", owner=tree.street, events=["case.overdue"]
    )
    case = _report(crew, tree, categories)
    later = case.due_at + timedelta(minutes=5)

    reminders.scan_deadlines(now=later)
    reminders.scan_deadlines(now=later + timedelta(minutes=1))

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "case.overdue"
    assert delivery.payload["data"]["step"]["name"] == "overdue"
    assert delivery.payload["data"]["case"]["id"] == case.pk


def test_the_platform_learns_its_request_was_closed(client, crew, tree, categories, departments):
    """The 12345 platform's request, end to end: filed, handled, closed; every event reaches
    the platform's receiver, signed."""
    with Receiver([200]) as receiver:
        endpoint = WebhookEndpoint.objects.create(
            name="12345 平台", url=receiver.url, owner=tree.street, events=["case.step"]
        )
        case = _report(crew, tree, categories)
        for actor, step, extra in (
            (crew.dispatcher_a, "accept", {}),
            (crew.dispatcher_a, "dispatch", {}),
            (crew.handler_a, "acknowledge", {}),
            (crew.handler_a, "complete", {"result": "已清运", "photos": [jpeg_upload()]}),
            (crew.worker_a, "verify_pass", {"comment": "核查通过"}),
        ):
            case = case_step(case=case, actor=actor, step=step, **extra)
        for delivery in WebhookDelivery.objects.order_by("pk"):
            webhooks.deliver(delivery_id=delivery.pk)
        received = receiver.wait_for(5)

    last = json.loads(received[-1].body)
    assert last["data"]["step"]["to_status"] == "closed"
    assert last["data"]["case"]["open311_status"] == "closed"
    assert last["data"]["case"]["service_request_id"] == str(case.pk)
    for request in received:
        assert webhooks.verify(
            endpoint.secret,
            timestamp=request.headers["X-Webhook-Timestamp"],
            body=request.body,
            signature_header=request.headers["X-Webhook-Signature"],
        )
    assert WebhookAttempt.objects.filter(status_code=200).count() == 5


# -- real workers ---------------------------------------------------------------------------
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_celery_workers_retry_with_backoff_until_the_receiver_answers(tree, tmp_path):
    from governance.celery import app as celery_app
    from governance.tasks import deliver_webhook
    from tests.casework.deadlines.test_tasks_redis import Workers, _broker_url, _wait_until_drained

    workers = Workers(tmp_path)
    # Pauses of 2 s, then 4 s. A try may be claimed up to a second before its pause is over
    # (governance.webhooks.deliver), and the second message may come to the delivery while it
    # waits between two tries: with a base of 1 s that left no pause to measure (a gap of a few
    # milliseconds when the second message was taken a moment after the first try's answer).
    workers.env["WEBHOOK_RETRY_BASE_SECONDS"] = "2"
    try:
        workers.start("w1")
        workers.start("w2")
        with Receiver([500, 502, 200]) as receiver:
            WebhookEndpoint.objects.create(
                name="12345 平台", url=receiver.url, owner=tree.street, events=["case.filed"]
            )
            with transaction.atomic():
                webhooks.emit(
                    webhooks.Emission(
                        event="case.filed",
                        key="case_event:1",
                        area=lambda: tree.street,
                        payload=lambda: {"case": {"number": "2026-000001"}},
                        at=timezone.now(),
                    )
                )
            delivery = WebhookDelivery.objects.get()
            with celery_app.connection_for_write(_broker_url()) as connection_:
                # Two messages for one delivery: the claim lets only one of them send.
                for _ in range(2):
                    deliver_webhook.apply_async(
                        args=[delivery.pk], connection=connection_, queue=workers.queue
                    )
            received = receiver.wait_for(3, timeout=120)
            # The receiver records a request before it answers; the worker records the answer.
            wait_for(
                lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "sent",
                timeout=120,
                what="the delivery recorded as sent",
            )
            # The second message, if it sent anything, has run by the time the queue is drained.
            _wait_until_drained(workers)
    finally:
        workers.stop_all()
    delivery.refresh_from_db()
    assert delivery.status == "sent", workers.logs()[-3000:]
    assert len(receiver.received) == 3
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(received)]
    # Backoff of 2 s, then 4 s, less the second a try may be claimed early (and a little for
    # the clocks of the two processes).
    assert gaps[0] >= 0.9 and gaps[1] >= 2.9, gaps
    assert list(WebhookAttempt.objects.order_by("number").values_list("number", "status_code")) == [
        (1, 500),
        (2, 502),
        (3, 200),
    ]


def test_case_events_are_published_inside_the_step_transaction(crew, tree, categories):
    WebhookEndpoint.objects.create(
        name="12345 平台", url="http://127.0.0.1:9/", owner=tree.street, events=ALL
    )
    case = _report(crew, tree, categories)

    with pytest.raises(RuntimeError), transaction.atomic():
        case_step(case=case, actor=crew.dispatcher_a, step="accept")
        raise RuntimeError("the step is rolled back")

    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["case.filed"]
    assert Case.objects.get().status == Status.REPORTED
    assert Case.objects.get().holder == Holder.COMMUNITY
