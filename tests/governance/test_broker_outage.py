"""The Celery worker survives Redis going away with a task in flight (governance/broker.py).

kombu 5.7's worker, collecting its connection on the outage, left the consumer channel open and
then closed it once its transport had forgotten the broker's address: restoring the channel's
unacknowledged message raised ``AttributeError: 'NoneType' object has no attribute 'hostname'``
and the worker ended. The first test runs a real worker under a supervisor (tests/processes.py)
and stops and starts a Redis of its own under it; the others drive a channel the same way. Each
runs against a plain Redis and against one that speaks TLS only (``rediss://``, a managed
Redis), whose certificate the portal's settings check.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import uuid

import pytest
import redis
from kombu import Connection, Exchange, Queue

from governance.broker import Transport
from tests.conftest import missing
from tests.processes import BIN, ROOT, RedisServer, Stack, wait_for


@pytest.fixture(params=["redis", "rediss"])
def redis_server(request, tmp_path):
    if not shutil.which("redis-server"):
        missing("this test starts its own redis-server (apt-get install redis-server)")
    if request.param == "rediss" and not shutil.which("openssl"):
        missing("this test makes its certificates with openssl (apt-get install openssl)")
    # Its data survives a stop, as a Redis restarted by its operator: the message that was in
    # flight is still in the unacknowledged hash when it is back.
    server = RedisServer(tmp_path, keep_data=True, tls=request.param == "rediss")
    server.start()
    yield server
    server.stop()


def _client(server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(f"{server.url}/0", **server.client_options)


def _unacked(server: RedisServer) -> int:
    with _client(server) as client:
        return client.hlen("unacked")


def _queued(server: RedisServer, queue: str) -> int:
    with _client(server) as client:
        return client.llen(queue)


def _connection(server: RedisServer, **options) -> Connection:
    """A broker connection of the portal's transport, TLS as the portal's settings give it."""
    tls = {"ssl_cert_reqs": ssl.CERT_REQUIRED, **server.client_options} if server.tls else False
    return Connection(f"{server.url}/0", transport=Transport, ssl=tls, **options)


@pytest.mark.slow
def test_the_worker_survives_a_broker_outage_with_a_task_in_flight(tmp_path, redis_server):
    # The portal's settings with Redis (the production transport), no database needed.
    stack = Stack(tmp_path, redis_server, "")
    queue = stack.env["CELERY_TASK_DEFAULT_QUEUE"]
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    log = tmp_path / "worker.log"

    def send(tag: str) -> None:
        code = f"from tests.broker_outage_app import hold; hold.delay({str(tasks)!r}, {tag!r})"
        subprocess.run(
            [str(BIN / "python"), "-c", code], cwd=ROOT, env=stack.env, check=True, timeout=120
        )

    def runs(tag: str) -> list[str]:
        path = tasks / f"{tag}.runs"
        return path.read_text().splitlines() if path.exists() else []

    # Two processes and a prefetch of one each: with one task held, the worker still waits on
    # the queue (an outstanding BRPOP), which is what made its channel fail to close.
    stack.start(
        "worker", str(BIN / "celery"), "-A", "tests.broker_outage_app", "worker", "-Q", queue,
        "-n", f"{queue}@%h", "--concurrency=2", "--without-gossip", "--without-mingle",
        "--loglevel=INFO",
    )  # fmt: skip
    stack._supervise("worker")
    try:
        send("in-flight")
        wait_for(lambda: runs("in-flight"), timeout=180, what="the task to start")
        assert _unacked(redis_server) == 1

        redis_server.stop()
        wait_for(
            lambda: b"Connection to broker lost" in log.read_bytes(),
            timeout=60,
            what="the worker to notice the outage",
        )
        # The task finishes during the outage; its acknowledgement waits for Redis.
        (tasks / "in-flight.release").touch()
        wait_for(lambda: (tasks / "in-flight.done").exists(), timeout=60, what="the task's end")

        redis_server.start()
        # Once the worker is back, the late acknowledgement removes the message from the
        # unacknowledged hash, so nothing can deliver it again. (Without the fix the worker has
        # ended by now and the supervisor started another; the message stays unacknowledged.)
        wait_for(
            lambda: stack.restarts or _unacked(redis_server) == 0,
            timeout=180,
            what="the acknowledgement or a restart",
        )
        assert stack.restarts == [], (tmp_path / "supervisor.log").read_text()
        assert stack.procs["worker"].poll() is None

        # The same worker process takes new work, and the held task ran once.
        (tasks / "after.release").touch()
        send("after")
        wait_for(lambda: (tasks / "after.done").exists(), timeout=180, what="the next task")
        assert stack.restarts == []
        assert runs("in-flight") == [runs("in-flight")[0]]
        assert "redelivered=False" in runs("in-flight")[0]
        assert len(runs("after")) == 1
        assert (_unacked(redis_server), _queued(redis_server, queue)) == (0, 0)
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.down()


# -- The channel alone -------------------------------------------------------------------------


@pytest.fixture
def held(redis_server):
    """A channel of the portal's transport holding one unacknowledged message, as a worker's
    consumer channel does while its task runs."""
    queue = Queue(f"test-outage-{uuid.uuid4().hex[:12]}", Exchange("test-outage"), "outage")
    connection = _connection(redis_server)
    channel = connection.channel()
    producer = connection.Producer(channel)
    producer.publish({"n": 1}, exchange=queue.exchange, routing_key="outage", declare=[queue])
    message = channel.basic_get(queue.name, no_ack=False)
    assert message is not None and _unacked(redis_server) == 1
    transport = connection.transport
    yield connection, channel, message, queue.name
    transport.client = connection  # so that the teardown can close what is left
    connection.release()


def _collect(connection) -> None:
    """What kombu.Connection.collect does last, once closing the channels has failed on the way:
    the transport forgets its client (``_do_close_transport``)."""
    connection.transport.client = None


def test_a_channel_closed_after_its_connection_was_collected_restores_its_message(
    redis_server, held
):
    connection, channel, _message, queue = held
    _collect(connection)
    channel.close()  # kombu's own channel: AttributeError ... 'hostname'
    assert (_unacked(redis_server), _queued(redis_server, queue)) == (0, 1)


def test_with_redis_away_the_channel_fails_with_a_connection_error_and_acknowledges_later(
    redis_server, held
):
    connection, channel, message, queue = held
    redis_server.stop()
    _collect(connection)
    # A connection error, which the worker's cleanup ignores; kombu's channel raised
    # AttributeError here, which ended the worker.
    with pytest.raises(connection.connection_errors):
        channel.close()
    redis_server.start()
    assert _unacked(redis_server) == 1  # neither lost nor restored twice
    message.ack()  # the task ended after the outage: its acknowledgement reaches Redis
    assert (_unacked(redis_server), _queued(redis_server, queue)) == (0, 0)


def test_a_message_never_acknowledged_is_delivered_again_after_the_visibility_timeout(
    redis_server, held
):
    connection, channel, _message, queue = held
    redis_server.stop()
    _collect(connection)
    with pytest.raises(connection.connection_errors):
        channel.close()
    redis_server.start()
    # The worker that held it is gone for good: another worker's channel restores what has been
    # unacknowledged for longer than the visibility timeout (an hour by default; none here).
    with _connection(redis_server, transport_options={"visibility_timeout": 0}) as other:
        other.default_channel.qos.restore_visible()
    assert (_unacked(redis_server), _queued(redis_server, queue)) == (0, 1)
