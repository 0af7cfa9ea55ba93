"""Operator actions: log in to a seat, pause with a reason, ready, log out.

The state lives in Asterisk: an operator logged in is an app_queue member (``MemberName`` the
operator, ``Interface`` the seat's PJSIP endpoint), kept across Asterisk restarts by
``persistentmembers``. Each action reads the queue's members first (QueueStatus), refuses what
makes no sense with a clear reason, then sends QueueAdd, QueuePause or QueueRemove. The engine's
picture follows from the events those actions cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from acd.ami_events import Member
from acd.queue_status import AcdActionFailed, AmiActions, read_queue, registered_endpoints
from acd.state import interface_of
from config.settings import AcdSettings

OPERATOR_NAME = re.compile(r"[\w.@-]{1,64}")


class OperatorError(Exception):
    """An operator action that was not carried out; the message says why."""


class InvalidRequest(OperatorError):
    """Bad input: an unknown seat or pause reason, an operator name that cannot be used."""


class Refused(OperatorError):
    """Not possible now: the seat is taken, the operator is elsewhere or not logged in."""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an operator is after an action."""

    operator: str
    seat: str
    registered: bool = True  # the seat's phone is registered (login only checks)


def check_request(settings: AcdSettings, seat_names: list[str], operator: str,
                  seat: str | None = None, reason: str | None = None) -> None:
    """Refuse a bad operator name, seat or pause reason (no need to ask Asterisk)."""
    if not OPERATOR_NAME.fullmatch(operator):
        raise InvalidRequest(f"operator name {operator!r}: use up to 64 letters, digits, "
                             "'.', '_', '-' or '@'")
    if seat is not None and seat not in seat_names:
        raise InvalidRequest(f"unknown seat {seat!r}; the seats are {', '.join(seat_names)}")
    if reason is not None and reason not in settings.pause_reasons:
        raise InvalidRequest(f"unknown pause reason {reason!r}; the reasons are "
                             f"{', '.join(settings.pause_reasons)}")


class OperatorDesk:
    """Operator actions on the operators' queue, through AMI."""

    def __init__(self, ami: AmiActions, settings: AcdSettings, seat_names: list[str]) -> None:
        self._ami = ami
        self._settings = settings
        self._seat_names = seat_names
        self._seats = {interface_of(name): name for name in seat_names}

    async def login(self, operator: str, seat: str) -> Placement:
        """Put ``operator`` in the queue at ``seat``, ready for calls."""
        check_request(self._settings, self._seat_names, operator, seat=seat)
        interface = interface_of(seat)
        members = await self._members()
        holder = next((m for m in members if m.interface == interface), None)
        if holder is not None and holder.name != operator:
            raise Refused(f"{seat} is taken by {holder.name}; they must log out first")
        elsewhere = next((m for m in members if m.name == operator
                          and m.interface != interface), None)
        if elsewhere is not None:
            raise Refused(f"{operator} is already logged in at {self._seat_of(elsewhere)}; "
                          "log out first")
        if holder is None:
            await self._send("QueueAdd", {"Interface": interface, "MemberName": operator,
                                          "StateInterface": interface, "Penalty": "0",
                                          "Paused": "false"}, as_list=False)
        return Placement(operator, seat, seat in await registered_endpoints(self._ami))

    async def pause(self, operator: str, reason: str) -> Placement:
        """Stop calls to ``operator`` for ``reason`` (one of ``acd.pause_reasons``)."""
        check_request(self._settings, self._seat_names, operator, reason=reason)
        member = await self._member(operator)
        if not member.paused or member.reason != reason:
            await self._send("QueuePause", {"Interface": member.interface, "Paused": "true",
                                            "Reason": reason})
        return Placement(operator, self._seat_of(member))

    async def ready(self, operator: str) -> Placement:
        """End ``operator``'s pause: calls reach their seat again."""
        member = await self._member(operator)
        if member.paused:
            await self._send("QueuePause", {"Interface": member.interface, "Paused": "false"})
        return Placement(operator, self._seat_of(member))

    async def logout(self, operator: str) -> Placement:
        """Take ``operator`` out of the queue (a call in progress goes on)."""
        member = await self._member(operator)
        await self._send("QueueRemove", {"Interface": member.interface})
        return Placement(operator, self._seat_of(member))

    # -- internals ------------------------------------------------------------------------------

    async def _members(self) -> list[Member]:
        members, _ = await read_queue(self._ami, self._settings.queue)
        return members

    async def _member(self, operator: str) -> Member:
        check_request(self._settings, self._seat_names, operator)
        member = next((m for m in await self._members() if m.name == operator), None)
        if member is None:
            raise Refused(f"{operator} is not logged in")
        return member

    def _seat_of(self, member: Member) -> str:
        return self._seats.get(member.interface, member.interface)

    async def _send(self, action: str, fields: dict[str, str], as_list: bool | None = None
                    ) -> None:
        response = await self._ami.send_action(
            {"Action": action, "Queue": self._settings.queue, **fields}, as_list=as_list)
        if response.get("Response") != "Success":
            message = response.get("Message") or "refused by Asterisk"
            if "Already there" in message:  # another login won the race for the seat
                raise Refused(f"{self._seats.get(fields['Interface'])} was just taken")
            raise AcdActionFailed(f"{action}: {message}")
