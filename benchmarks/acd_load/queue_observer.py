"""What app_queue did with each benchmark caller, on Asterisk's own clock, from AMI events.

``QueueCallerJoin`` → the first ``AgentCalled`` of the same caller (``Linkedid``) is the time
from joining the queue to a seat ringing; ``AgentConnect`` says a seat answered,
``QueueCallerAbandon`` that the caller hung up first. The times are the events' ``Timestamp``
headers (``timestampevents = yes``), stamped by Asterisk when it sends the event, so the
benchmark's own lag does not count. Only callers whose number starts with ``prefix`` (one per
pass) are counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

WANTED = ("QueueCallerJoin", "AgentCalled", "AgentConnect", "QueueCallerAbandon")


@dataclass
class QueueObserver:
    """The queue's events of one pass's callers, by caller (``Linkedid``)."""

    prefix: str
    joined: dict[str, float] = field(default_factory=dict)
    rung: dict[str, float] = field(default_factory=dict)  # the first AgentCalled
    rung_by_operator: dict[tuple[str, str], float] = field(default_factory=dict)
    connected: dict[str, float] = field(default_factory=dict)  # AgentConnect
    abandoned: set[str] = field(default_factory=set)

    def feed(self, event: Mapping[str, Any]) -> None:
        name = event.get("Event")
        if name not in WANTED or not str(event.get("CallerIDNum", "")).startswith(self.prefix):
            return
        linkedid, at = str(event.get("Linkedid", "")), float(event.get("Timestamp", 0))
        if not linkedid or not at:
            return
        if name == "QueueCallerJoin":
            self.joined.setdefault(linkedid, at)
        elif name == "AgentCalled":
            self.rung.setdefault(linkedid, at)
            self.rung_by_operator.setdefault((linkedid, str(event.get("MemberName"))), at)
        elif name == "AgentConnect":
            self.connected.setdefault(linkedid, at)
        else:
            self.abandoned.add(linkedid)

    @property
    def finished(self) -> int:
        """Callers who were answered by a seat or hung up in the queue."""
        return len(self.connected.keys() | self.abandoned)

    def join_to_ring_ms(self) -> list[float]:
        """Per rung caller: QueueCallerJoin → first AgentCalled."""
        return [(self.rung[linkedid] - joined) * 1000
                for linkedid, joined in self.joined.items() if linkedid in self.rung]

    def served_per_second(self) -> float | None:
        """Callers the seats answered per second, from the first caller's join to the last
        answer: the queue's real service rate under this load."""
        if not self.joined or not self.connected:
            return None
        span = max(self.connected.values()) - min(self.joined.values())
        return round(len(self.connected) / span, 2) if span > 0 else None
