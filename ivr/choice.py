"""A menu's one question, shared by the IVR and outbound scripts: play the prompt, read one
key, try again on silence and on keys that choose nothing, then the after-retries action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from centralino.core.call_session import CallSession
from config.menu import MenuBase, Prompt, PromptDefaults

A = TypeVar("A")


async def choose(session: CallSession, menu: MenuBase, options: Mapping[str, A],
                 after_retries: A, defaults: PromptDefaults,
                 play: Callable[[Prompt | None], Awaitable[None]],
                 keyed: Callable[[str], None]) -> A:
    """The option the caller's key chooses in ``menu``, or ``after_retries``.

    ``play`` plays a prompt in the call's language; ``keyed`` hears every key pressed,
    invalid ones too (the path is what the caller did).
    """
    retries = defaults.retries if menu.retries is None else menu.retries
    for _ in range(retries + 1):
        await play(menu.prompt)
        key = await session.read_digits(1, menu.timeout or defaults.timeout, terminator="")
        if not key:
            await play(menu.no_input or defaults.no_input)
            continue
        keyed(key)
        option = options.get(key)
        if option is not None:
            return option
        await play(menu.invalid or defaults.invalid)
    return after_retries
