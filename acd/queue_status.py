"""Read the queue as Asterisk has it now: QueueStatus, the waiting callers' linkedids, and which
seats have a registered phone (DeviceStateList).

Used by the engine after every AMI (re)login, and by the CLI, which has no event history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from acd.ami_events import Member, QueueEntry, count_malformed, parse_event
from centralino.core.ami import AmiError, MalformedEvent

log = structlog.get_logger(__name__)


class AmiActions(Protocol):
    """What the ACD needs of :class:`centralino.core.ami.AmiClient`."""

    async def send_action(self, action: dict[str, Any], timeout: float | None = None,
                          as_list: bool | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class QueuedCaller:
    entry: QueueEntry
    linkedid: str


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """The queue's members and waiting callers, and the endpoints with a registered contact."""

    members: list[Member]
    callers: list[QueuedCaller]
    registered: frozenset[str]


class AcdActionFailed(AmiError):
    """Asterisk answered an ACD action with an error."""


def _messages(response: Any) -> list[Mapping[str, Any]]:
    return list(response) if isinstance(response, list) else [response]


def _check(action: str, response: Any) -> None:
    first = _messages(response)[0]
    if first.get("Response") != "Success":
        raise AcdActionFailed(f"{action}: {first.get('Message') or 'refused by Asterisk'}")


async def read_queue(ami: AmiActions, queue: str) -> tuple[list[Member], list[QueueEntry]]:
    """``QueueStatus`` of ``queue``: its members and its waiting callers, in order."""
    response = await ami.send_action({"Action": "QueueStatus", "Queue": queue})
    _check("QueueStatus", response)
    members: list[Member] = []
    entries: list[QueueEntry] = []
    for message in _messages(response)[1:]:
        try:
            item = parse_event(message)
        except MalformedEvent as exc:
            log.warning("acd.malformed_queue_status", error=str(exc))
            count_malformed(message)
            continue
        if isinstance(item, Member) and item.queue == queue:
            members.append(item)
        elif isinstance(item, QueueEntry) and item.queue == queue:
            entries.append(item)
    return members, sorted(entries, key=lambda entry: entry.position)


_UNREACHABLE = ("UNAVAILABLE", "INVALID", "UNKNOWN", None)
"""Device states of an endpoint without a registered, reachable phone."""


async def registered_endpoints(ami: AmiActions) -> frozenset[str]:
    """PJSIP endpoints with a reachable registered contact: those whose device state is known
    and not UNAVAILABLE (no contact, or none reachable).

    ``DeviceStateList`` needs only the ``reporting`` class; PJSIPShowContacts would need
    ``system``, which also lets a user read config files and load modules.
    """
    response = await ami.send_action({"Action": "DeviceStateList"})
    _check("DeviceStateList", response)
    endpoints = set()
    for message in _messages(response)[1:]:
        device, state = message.get("Device"), message.get("State")
        if (message.get("Event") == "DeviceStateChange" and isinstance(device, str)
                and device.startswith("PJSIP/") and state not in _UNREACHABLE):
            endpoints.add(device.removeprefix("PJSIP/"))
    return frozenset(endpoints)


async def linkedid_of(ami: AmiActions, channel: str) -> str | None:
    """The channel's ``CHANNEL(linkedid)``; ``None`` if the channel is gone."""
    response = await ami.send_action(
        {"Action": "Getvar", "Channel": channel, "Variable": "CHANNEL(linkedid)"})
    first = _messages(response)[0]
    value = first.get("Value")
    return value if first.get("Response") == "Success" and isinstance(value, str) and value \
        else None


async def read_snapshot(ami: AmiActions, queue: str) -> QueueSnapshot:
    """Everything the seat picture is rebuilt from. Raises AmiError if Asterisk does not answer."""
    members, entries = await read_queue(ami, queue)
    callers = []
    for entry in entries:
        linkedid = await linkedid_of(ami, entry.channel)
        if linkedid is not None:  # else it left the queue while we asked
            callers.append(QueuedCaller(entry, linkedid))
    return QueueSnapshot(members, callers, await registered_endpoints(ami))
