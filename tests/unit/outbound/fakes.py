"""Stand-ins for a script's surroundings: prompts rendered to readable URIs, a contact on the
channel who presses keys, and services that record what the ticket and the DNC list are told."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from centralino.core.call_session import CallHungUp
from config.menu import SoundPrompt, TtsPrompt
from ivr.prompts import PromptStore


class Store(PromptStore):
    """TTS "rendered" to a readable URI, so tests see what is said."""

    def __init__(self) -> None:
        super().__init__(Path("/nonexistent"), "/media")

    def media_uri(self, item: Any, language: str, base_dir: Path) -> str:
        if isinstance(item, SoundPrompt):
            return f"sound:{item.sound}"
        assert isinstance(item, TtsPrompt)
        return f"tts:{language}:{item.tts}"


class Contact:
    """The channel as the script sees it: keys the contact will press, one reply per read
    (``""`` is silence), and everything the script did."""

    id = "chan-1"
    linkedid = "1732.1"
    answered_at = None

    def __init__(self, *replies: str, language: str = "it") -> None:
        self.replies = deque(replies)
        self.language = language
        self.played: list[list[str]] = []
        self.variables: dict[str, str] = {}
        self.continued: tuple[str, ...] | None = None
        self.hung_up = False
        self.hangups = 0

    async def play(self, *media: str, interruptible: bool = True) -> None:
        self.played.append(list(media))

    async def read_digits(self, max_digits: int, timeout: float, inter_digit_timeout: float = 3,
                          terminator: str = "#") -> str:
        if not self.replies:
            self.hung_up = True
            raise CallHungUp(self.id)
        return self.replies.popleft()

    async def set_language(self, language: str) -> None:
        self.language = language

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value

    async def continue_in_dialplan(self, context: str, extension: str = "s") -> None:
        self.continued = (context, extension)

    async def hangup(self) -> None:
        self.hangups += 1

    def heard(self) -> str:
        return " | ".join(uri for media in self.played for uri in media)


class Services:
    def __init__(self, applies: bool = True) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.applies = applies

    async def close_ticket(self, tracking_code: str, note: str | None) -> bool:
        self.calls.append(("close", tracking_code, note or ""))
        return self.applies

    async def reopen_ticket(self, tracking_code: str, note: str | None) -> bool:
        self.calls.append(("reopen", tracking_code, note or ""))
        return self.applies

    async def note_ticket(self, tracking_code: str, note: str) -> bool:
        self.calls.append(("note", tracking_code, note))
        return self.applies

    async def add_dnc(self, phone: str) -> None:
        self.calls.append(("dnc", phone))

    async def contact_for_pin(self, pin: str) -> int | None:
        self.calls.append(("pin", pin))
        return None

    async def open_call_ticket(self, linkedid: str, note: str) -> str | None:
        self.calls.append(("open", linkedid, note))
        return "7654321"
