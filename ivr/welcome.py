"""The first toll-free slice: welcome, open the call's ticket, read its code back, say goodbye."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from centralino.call_session import CallSession
from config.settings import PromptSettings

OpenTicket = Callable[[str], Awaitable[str]]
"""Opens (or finds) the ticket of a call by linkedid and returns its tracking code."""


def sounds(names: Sequence[str]) -> list[str]:
    return [f"sound:{name}" for name in names]


class WelcomeScript:
    """Answers a toll-free call and gives the caller the tracking code of the call's ticket."""

    def __init__(self, prompts: PromptSettings, open_ticket: OpenTicket) -> None:
        self._prompts = prompts
        self._open_ticket = open_ticket

    async def __call__(self, session: CallSession) -> None:
        tracking_code = await self._open_ticket(session.linkedid)
        await session.answer()
        await session.play(*sounds(self._prompts.welcome), interruptible=False)
        await session.play(*sounds(self._prompts.ticket_number), interruptible=False)
        await session.say_digits(tracking_code)
        await session.play(*sounds(self._prompts.goodbye), interruptible=False)
