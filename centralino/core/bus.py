"""The internal event bus: typed domain events fanned out to subscribers in the same loop.

Subscribers are plain functions called synchronously, in subscription order; they must be quick
(update a metric, put on a queue). Slow work belongs in the subscriber's own task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

import structlog

log = structlog.get_logger(__name__)

E = TypeVar("E")


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        self._subscribers[event_type].append(handler)

    def publish(self, event: object) -> None:
        for handler in self._subscribers.get(type(event), ()):
            try:
                handler(event)
            except Exception:
                log.exception("bus.subscriber_failed", event=type(event).__name__)
