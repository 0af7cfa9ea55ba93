"""The operator consoles connected now, each with its own bounded queue of messages.

The bus hands messages over synchronously (:meth:`ConsoleHub.send` never waits): a console that
reads too slowly loses its oldest messages, never delays the bus or the other consoles.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import structlog

log = structlog.get_logger(__name__)

Message = dict[str, Any]
QUEUE_SIZE = 32  # messages waiting for one console; a pop is a few kB


class ConsoleFeed:
    """One connected console of ``operator``: the messages it has yet to send."""

    def __init__(self, operator: str, maxsize: int) -> None:
        self.operator = operator
        self.queue: asyncio.Queue[Message] = asyncio.Queue(maxsize)
        self.dropped = 0

    def put(self, message: Message) -> None:
        """Queue ``message``; when the queue is full, drop the oldest one first."""
        if self.queue.full():
            dropped = self.queue.get_nowait()
            self.dropped += 1
            log.warning("console.message_dropped", operator=self.operator,
                        dropped=dropped.get("type"), total_dropped=self.dropped)
        self.queue.put_nowait(message)


class ConsoleHub:
    """Every connected console, by operator name (one operator may have several tabs open)."""

    def __init__(self, maxsize: int = QUEUE_SIZE) -> None:
        self._maxsize = maxsize
        self._feeds: defaultdict[str, set[ConsoleFeed]] = defaultdict(set)

    def connect(self, operator: str) -> ConsoleFeed:
        """A new console of ``operator``; call :meth:`disconnect` when it goes."""
        feed = ConsoleFeed(operator, self._maxsize)
        self._feeds[operator].add(feed)
        return feed

    def disconnect(self, feed: ConsoleFeed) -> None:
        feeds = self._feeds.get(feed.operator)
        if feeds is not None:
            feeds.discard(feed)
            if not feeds:
                del self._feeds[feed.operator]

    def send(self, operator: str, message: Message) -> int:
        """Queue ``message`` for every console of ``operator``; return how many there are."""
        feeds = self._feeds.get(operator, ())
        for feed in feeds:
            feed.put(message)
        return len(feeds)

    def broadcast(self, message: Message) -> int:
        """Queue ``message`` for every console connected; return how many there are."""
        return sum(self.send(operator, message) for operator in list(self._feeds))

    def connected(self, operator: str) -> int:
        """How many consoles ``operator`` has open."""
        return len(self._feeds.get(operator, ()))
