"""The Celery broker transport for Redis: kombu's, with a channel that still knows where Redis is
once its connection has been dropped.

kombu 5.7 kills a worker when Redis goes away with a task in flight. On the connection error the
worker collects its connection (``kombu.Connection.collect``): closing the consumer channel fails
at once (its ``BRPOP`` cannot be read), closing the remote-control channel fails too (it deletes
its auto-delete queue), and that second failure ends the loop over the remaining channels, so the
consumer channel is left open; then the connection forgets its transport's client
(``transport.client = None``). The worker then closes the connection again, and the consumer
channel, closing at last, restores its unacknowledged messages through a client built from
``transport.client.hostname``: ``AttributeError: 'NoneType' object has no attribute
'hostname'``, which is not a connection error, so nothing catches it and the worker ends
("Unrecoverable error"). A task that finishes after that has its acknowledgement go the same way.
``tests/governance/test_broker_outage.py`` reproduces both, in a worker and in the channel alone.

This channel keeps the connection parameters it had at birth, so the restore and a late
acknowledgement reach Redis if it is back, and otherwise fail with Redis's ``ConnectionError``,
which kombu and Celery expect and handle: the worker reconnects, and a message that could not be
restored or acknowledged stays in the broker's unacknowledged hash, where an acknowledgement
that gets through later removes it and, failing that, any worker's ``restore_visible`` puts it
back in its queue after the visibility timeout.
"""

from __future__ import annotations

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

__all__ = ["Channel", "Transport"]


class Channel(kombu_redis.Channel):
    #: The parameters of the synchronous pool (acknowledgements, restores), read while the
    #: transport still has its client.
    _kept_connparams: dict | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept_connparams = super()._connparams()

    def _connparams(self, asynchronous=False):
        if self.connection.client is not None:
            return super()._connparams(asynchronous=asynchronous)
        # The connection was collected. Only this channel's own restores and acknowledgements
        # still ask for a client (synchronously); the consumer's poller never does, because a
        # collected channel is no longer in it.
        if asynchronous or self._kept_connparams is None:
            raise RedisConnectionError("the broker connection of this channel is closed")
        return dict(self._kept_connparams)


class Transport(kombu_redis.Transport):
    Channel = Channel
