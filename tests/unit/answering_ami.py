"""An AMI that answers every action the same way and keeps what it was sent: for the dialers'
unit tests (:class:`centralino.core.dialing.AmiActions`)."""

from __future__ import annotations

from typing import Any


class FakeAmi:
    def __init__(self, answer: dict[str, str] | list[dict[str, str]] | Exception) -> None:
        self.answer = answer
        self.sent: list[dict[str, str]] = []

    async def send_action(self, action: dict[str, str], timeout: float | None = None,
                          as_list: bool | None = None) -> Any:
        self.sent.append(action)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer
