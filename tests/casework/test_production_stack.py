"""The production stack on loopback: gunicorn (deploy/gunicorn.conf.py) with DEBUG off and
collected static files, a Celery worker and beat, against the suite's PostgreSQL and a Redis
server of the test's own — which the test stops and starts again.

A case is filed, dispatched and closed over HTTP with API tokens, and the 12345 platform's
webhook receiver hears every event through the worker. Then Redis goes away: filing still
answers 201 and the case is saved; once Redis is back, beat's outbox sweep sends the event that
could not be enqueued. What this does not cover is in deploy/README.md ("What is tested").
"""

from __future__ import annotations

import io
import json
import shutil

import pytest
from PIL import Image

from governance.models import WebhookDelivery, WebhookEndpoint
from governance.tokens import token_issue
from tests.conftest import missing
from tests.processes import RedisServer, Stack, suite_database_url, wait_for
from tests.receiver import Receiver

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        missing("this test starts its own redis-server (apt-get install redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path, redis_server):
    stack = Stack(tmp_path, redis_server, suite_database_url())
    try:
        stack.up()
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.down()


def _token(user) -> str:
    return token_issue(user=user, name="stack test")[1]


def test_a_case_goes_round_the_production_stack_and_survives_a_broker_outage(
    stack, redis_server, crew, tree, categories
):
    status, _ = stack.get("/static/css/portal.css")
    assert status == 200  # collected static files, served with DEBUG off
    tokens = {
        name: _token(getattr(crew, name))
        for name in ("worker_a", "dispatcher_a", "handler_a", "street_admin")
    }
    with Receiver([200]) as receiver:
        WebhookEndpoint.objects.create(
            name="12345 平台",
            url=receiver.url,
            owner=tree.street,
            events=["case.filed", "case.step"],
        )
        fields = {
            "title": "小区门口垃圾堆放",
            "category": categories.garbage.pk,
            "area": tree.building_a1.pk,
            "source": "patrol",
            "address": "青松里1号楼东门",
        }
        status, case = stack.post_multipart("/api/v1/cases/", fields, _jpeg(), tokens["worker_a"])
        assert status == 201, case
        url = f"/api/v1/cases/{case['id']}/transitions/"
        for who, step, extra in (
            ("dispatcher_a", "accept", {}),
            ("dispatcher_a", "dispatch", {}),
            ("handler_a", "acknowledge", {}),
        ):
            status, body = stack.post_json(url, {"step": step, **extra}, tokens[who])
            assert status == 200, (step, body)
        status, body = stack.post_multipart(
            url, {"step": "complete", "result": "已清运"}, _jpeg(), tokens["handler_a"]
        )
        assert status == 200, body
        status, body = stack.post_json(url, {"step": "verify_pass"}, tokens["worker_a"])
        assert (status, body["status"]) == (200, "closed"), body

        # Every event reached the platform through the worker, once. Two worker processes send
        # them side by side, so they may arrive in any order; each says which step it was. (The
        # worker may still be starting: on a loaded machine that alone takes a minute.)
        received = receiver.wait_for(6, timeout=180)
        bodies = [json.loads(r.body) for r in received]
        assert sorted(b["event"] for b in bodies) == ["case.filed"] + ["case.step"] * 5
        steps = sorted(b["data"]["step"]["name"] for b in bodies if b["event"] == "case.step")
        assert steps == sorted(["accept", "dispatch", "acknowledge", "complete", "verify_pass"])
        assert len({b["id"] for b in bodies}) == 6

        # Redis goes away: filing still works, the event waits in the outbox.
        redis_server.stop()
        status, health = stack.get("/health/")
        assert status == 503, health
        status, second = stack.post_multipart(
            "/api/v1/cases/", {**fields, "title": "楼道堆物"}, _jpeg(), tokens["worker_a"]
        )
        assert status == 201, second
        waiting = WebhookDelivery.objects.get(payload__data__case__id=second["id"])
        assert waiting.status == WebhookDelivery.Status.PENDING

        # Redis is back (empty, as after a crash): beat's sweep sends what was waiting.
        redis_server.start()
        # The worker reconnects with a growing pause (2, 4, 6 … s): allow for a loaded machine.
        try:
            received = receiver.wait_for(7, timeout=180)
        except AssertionError as exc:  # say what the processes saw
            raise AssertionError(f"{exc}\n{stack.logs()}") from None
        assert json.loads(received[-1].body)["data"]["case"]["id"] == second["id"]
        # The receiver records a request before it answers, and the worker marks the delivery
        # sent only once the answer is in: wait for that record, while the receiver still runs.
        wait_for(
            lambda: (
                WebhookDelivery.objects.get(pk=waiting.pk).status == WebhookDelivery.Status.SENT
            ),
            timeout=60,
            what="the delivery recorded as sent",
        )
    assert WebhookDelivery.objects.filter(payload__data__case__id=second["id"]).count() == 1
