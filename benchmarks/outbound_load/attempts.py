"""Each dialling attempt's life on Asterisk's own clock, from an ARI app that sees every channel.

Both passes dial ``Local/NUMBER@campaign-dial/n``, so an attempt is a Local channel pair
(``...;1`` the originated side, ``...;2`` the side that runs ``Dial()`` to the trunk), named
after the number. From the events' ``timestamp`` fields (set by Asterisk when it publishes them):

- *originated*: ``ChannelCreated`` of ``;1`` (Asterisk took the ``Originate``);
- *ringing*: ``Dial`` from ``;2`` with dial status ``RINGING`` (the customer's 180);
- *answered*: the customer's channel (``Dial``'s peer) goes ``Up`` (``ChannelStateChange``, their
  200): ``AMD()`` starts listening then;
- *handed over*: ``;1`` runs its first application in the answered context, AMD done
  (``ChannelDialplan``: ``Stasis`` for the engine, the dialplan's first application for the
  plain loop; not the ``AppDial2`` placeholder ``;1`` shows while it is being dialled);
- *first prompt*: ``PlaybackStarted`` on ``;1`` (the engine plays it) or ``;1``'s
  ``ChannelDialplan`` into ``Background``/``Playback`` (the plain loop's dialplan does);
- *ended*: the call's hang-up begins — ``;1`` asked to hang up (``ChannelHangupRequest``: the
  engine's ARI hang-up), runs ``Hangup``/``UserEvent`` or its ``h`` extension (the plain
  loop's dialplan), ``;2`` runs campaign-dial's hang-up handler (a call never answered), or
  ``;1`` is destroyed, whichever comes first. The dial loops count the call's channel free at
  about that moment, a few ms before Asterisk has destroyed all of its channels.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from outbound.dialer import DIAL_CONTEXT

WANTED = ("ChannelCreated", "Dial", "ChannelStateChange", "ChannelDialplan", "PlaybackStarted",
          "ChannelHangupRequest", "ChannelDestroyed")
_PROMPT_APPS = frozenset({"background", "playback"})
_ENDING_APPS = frozenset({"hangup", "userevent"})
_REPORT_CONTEXT = "campaign-report"
_PREFIX = "Local/"
_MARK = f"@{DIAL_CONTEXT}-"


def _seconds(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def _pair(name: str) -> tuple[str, str] | None:
    """``(pair name, side)`` of a campaign-dial Local channel's name; None for other channels."""
    if not name.startswith(_PREFIX) or _MARK not in name:
        return None
    pair, _, side = name.rpartition(";")
    return pair, side


def busiest_second(times: list[float]) -> int:
    """The most of ``times`` (seconds, sorted) within any one second."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def closest_ms(times: list[float]) -> float | None:
    """The shortest gap between two consecutive ``times`` (sorted), in ms."""
    return min(((b - a) * 1000 for a, b in pairwise(times)), default=None)


@dataclass
class Attempt:
    number: str
    originated: float
    ringing: float | None = None
    answered: float | None = None
    handed_over: float | None = None
    first_prompt: float | None = None
    ended: float | None = None
    dial_status: str = ""  # Dial()'s last status: ANSWER, BUSY, NOANSWER, ...


@dataclass
class AttemptClock:
    """The attempts seen, by their Local pair's name; fed the ARI events' JSON text."""

    attempts: dict[str, Attempt] = field(default_factory=dict)
    events: int = 0
    _sides: dict[str, tuple[Attempt, str]] = field(default_factory=dict)  # id -> attempt, side
    _customers: dict[str, Attempt] = field(default_factory=dict)  # the dialled channel's id

    @property
    def ended(self) -> int:
        return sum(1 for a in self.attempts.values() if a.ended is not None)

    def feed(self, text: str) -> None:
        self.events += 1
        event = json.loads(text)
        kind, at = event.get("type"), _seconds(event["timestamp"])
        if kind == "Dial":
            self._dial(event, at)
        elif kind == "PlaybackStarted":
            target = event["playback"].get("target_uri", "")
            known = self._sides.get(target.removeprefix("channel:"))
            if known is not None and known[0].first_prompt is None:
                known[0].first_prompt = at
        elif kind == "ChannelCreated":
            self._created(event["channel"], at)
        elif kind == "ChannelStateChange":
            customer = self._customers.get(event["channel"]["id"])
            if customer is not None and event["channel"]["state"] == "Up":
                customer.answered = customer.answered or at
        elif kind in ("ChannelDialplan", "ChannelHangupRequest", "ChannelDestroyed"):
            known = self._sides.get(event["channel"]["id"])
            if known is not None:
                self._step(kind, event, at, *known)

    def _created(self, channel: dict[str, str], at: float) -> None:
        pair = _pair(channel["name"])
        if pair is None:
            return
        name, side = pair
        if side == "1":
            number = name[len(_PREFIX):name.index(_MARK)]
            self.attempts[name] = Attempt(number, at)
        attempt = self.attempts.get(name)
        if attempt is not None:
            self._sides[channel["id"]] = (attempt, side)

    def _step(self, kind: str, event: dict[str, Any], at: float, attempt: Attempt,
              side: str) -> None:
        channel = event["channel"]
        if kind == "ChannelDestroyed":
            del self._sides[channel["id"]]
            if side == "1":
                self._end(attempt, at)
            return
        if kind == "ChannelHangupRequest":
            if side == "1":
                self._end(attempt, at)
            return
        app = str(event.get("dialplan_app", "")).lower()
        if side == "2":
            if channel["dialplan"]["context"] == _REPORT_CONTEXT:
                self._end(attempt, at)
            return
        if not app or app.startswith("appdial"):
            return
        if app in _ENDING_APPS or channel["dialplan"]["exten"] == "h":
            self._end(attempt, at)
        elif attempt.handed_over is None:
            attempt.handed_over = at
        if app in _PROMPT_APPS and attempt.first_prompt is None:
            attempt.first_prompt = at

    @staticmethod
    def _end(attempt: Attempt, at: float) -> None:
        if attempt.ended is None:
            attempt.ended = at

    def _dial(self, event: dict[str, Any], at: float) -> None:
        caller, peer = event.get("caller"), event.get("peer")
        known = self._sides.get(caller["id"]) if isinstance(caller, dict) else None
        status = str(event.get("dialstatus", ""))
        if known is None or known[1] != "2":
            return
        attempt = known[0]
        if isinstance(peer, dict):
            self._customers.setdefault(peer["id"], attempt)
        if not status:
            return
        attempt.dial_status = status
        if status == "RINGING" and attempt.ringing is None:
            attempt.ringing = at

    # -- what the report needs --------------------------------------------------------------------

    def dial_statuses(self) -> dict[str, int]:
        return dict(Counter(a.dial_status or "none" for a in self.attempts.values()))

    def spans_ms(self, start: str, end: str, kinds: frozenset[str] | None = None) -> list[float]:
        """``end - start`` in ms for each attempt that has both (of numbers ending in ``kinds``)."""
        spans = []
        for attempt in self.attempts.values():
            begin, finish = getattr(attempt, start), getattr(attempt, end)
            if begin is not None and finish is not None and (
                    kinds is None or attempt.number[-1] in kinds):
                spans.append((finish - begin) * 1000)
        return spans

    def originations(self) -> list[float]:
        return sorted(a.originated for a in self.attempts.values())

    def in_flight(self) -> tuple[int, float]:
        """Attempts under way at once (originated, not ended): the most, and the time-weighted
        average from the first origination to the last end."""
        changes = sorted([(a.originated, 1) for a in self.attempts.values()]
                         + [(a.ended, -1) for a in self.attempts.values() if a.ended is not None])
        if not changes:
            return 0, 0.0
        level = most = 0
        area, before = 0.0, changes[0][0]
        for at, step in changes:
            area += level * (at - before)
            level, before = level + step, at
            most = max(most, level)
        span = changes[-1][0] - changes[0][0]
        return most, area / span if span > 0 else 0.0

    def span_seconds(self) -> float | None:
        """First origination to the last attempt's end."""
        ends = [a.ended for a in self.attempts.values() if a.ended is not None]
        if not ends:
            return None
        return max(ends) - min(a.originated for a in self.attempts.values())

    def dialling_seconds(self) -> float:
        """First origination to the last."""
        times = [a.originated for a in self.attempts.values()]
        return max(times) - min(times) if times else 0.0

    def channel_seconds(self) -> float:
        """The attempts' channel time in all (originated to ended, summed)."""
        return sum(a.ended - a.originated for a in self.attempts.values() if a.ended is not None)
