"""A broker outage loses no work: the rows are the outbox, the broker message only a nudge.

These tests refuse the broker in-process; ``tests/test_stack.py`` stops a real Redis under a
running portal.
"""

from __future__ import annotations

import logging

import pytest
from kombu.exceptions import OperationalError

from governance import notifications, tasks
from governance.models import Delivery
from governance.queue import send_each_later, send_later
from tests.factories import UserFactory


def _refuse(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def broker(monkeypatch):
    """The ``deliver`` task's broker: down until ``up()``; what reached it is in ``sent``."""

    class Broker:
        sent: list[tuple] = []

        def down(self):
            monkeypatch.setattr(tasks.deliver, "apply_async", _refuse)

        def up(self):
            def take(args=(), retry=True, **kwargs):
                assert retry is False  # a request never waits on publish retries
                self.sent.append(tuple(args))

            monkeypatch.setattr(tasks.deliver, "apply_async", take)

    return Broker()


def test_send_later_logs_a_refused_nudge_instead_of_raising(broker, caplog):
    broker.down()
    with caplog.at_level(logging.WARNING, logger="governance.queue"):
        assert send_later(tasks.deliver, 7) is False
    assert "governance.tasks.deliver" in caplog.text and "Connection refused" in caplog.text


def test_send_each_later_stops_at_the_first_refusal(broker):
    broker.up()
    assert send_each_later(tasks.deliver, [1, 2, 3]) == 3
    assert broker.sent == [(1,), (2,), (3,)]
    broker.down()
    assert send_each_later(tasks.deliver, [4, 5]) == 0


@pytest.mark.django_db
def test_a_notification_written_while_the_broker_is_down_is_sent_by_the_sweep(
    broker, django_capture_on_commit_callbacks, settings
):
    zhang = UserFactory(username="zhang", email="zhang@example.cn")
    broker.down()
    with django_capture_on_commit_callbacks(execute=True):
        written = notifications.notify(
            recipients=[zhang], kind="case.near_due", title="案件即将超时", url="/cases/1/"
        )

    assert len(written) == 1  # the commit stands; nothing raised into the caller
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING

    broker.up()
    settings.NOTIFY_STALE_SECONDS = 3600
    assert tasks.deliver_stale() == 0  # not stale yet: its own nudge may still be on the way
    settings.NOTIFY_STALE_SECONDS = 0
    assert tasks.deliver_stale() == 1
    assert broker.sent == [(delivery.pk,)]
