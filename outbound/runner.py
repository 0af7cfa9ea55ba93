"""The outbound script interpreter: walks one answered campaign call through a script.

Straight-line code over :class:`~centralino.core.call_session.CallSession`, like the IVR's
(:mod:`ivr.runner`): the call is answered already (the dialplan ran ``AMD()``), so it starts at
the script's ``human`` or ``machine`` entry, says the contact's data, reads keys and returns a
:class:`ScriptResult`. Ticket changes, the do-not-call list and PIN look-ups go through
:class:`ScriptServices`, so the runner knows no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import structlog

from acd.ami_events import CAMPAIGN_VARIABLE, TICKET_VARIABLE
from centralino.core.call_session import CallHungUp, CallSession, digit_sounds
from config.menu import (
    ChooseLanguage,
    GoToMenu,
    Hangup,
    MenuBase,
    Prompt,
    Queue,
    Repeat,
)
from config.script import (
    OPERATOR,
    OPTED_OUT,
    CheckPin,
    OptOut,
    Play,
    Result,
    ScriptFile,
    Survey,
)
from ivr.choice import choose
from ivr.plan import SAY_TRACKING_CODE, PromptMedia, prompts_in, render_prompts
from ivr.prompts import PromptStore
from ivr.runner import QUEUE_CONTEXT
from outbound.say import Words, render_words, say
from outbound.script_files import load_script, script_path

log = structlog.get_logger(__name__)

SURVEY_KEYS = "12345"
MACHINE = "MACHINE"  # AMDSTATUS of an answering machine; HUMAN, NOTSURE, HANGUP are people


class ScriptServices(Protocol):
    """What a script changes outside the call. Ticket changes return whether they applied."""

    async def close_ticket(self, tracking_code: str, note: str | None) -> bool: ...

    async def reopen_ticket(self, tracking_code: str, note: str | None) -> bool: ...

    async def note_ticket(self, tracking_code: str, note: str) -> bool: ...

    async def add_dnc(self, phone: str) -> None: ...

    async def contact_for_pin(self, pin: str) -> int | None: ...

    async def open_call_ticket(self, linkedid: str, note: str) -> str | None:
        """Open the ticket of call ``linkedid`` (every call has one) with ``note``; its
        tracking code, None if it could not be opened."""
        ...


@dataclass(frozen=True)
class ScriptContact:
    """The person called, as the campaign knows them."""

    phone: str  # E.164
    ticket: str | None = None  # a tracking code
    language: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    campaign: str = ""  # its name, for the operator's screen-pop


@dataclass
class ScriptResult:
    """What happened on the call, for the attempt's record."""

    keys: str = ""
    outcome: str | None = None
    survey: dict[str, int] = field(default_factory=dict)
    opted_out: bool = False
    to_operator: bool = False
    ticket_action: str | None = None  # close, reopen or note, once applied
    nodes: list[str] = field(default_factory=list)
    hung_up: bool = False  # the contact hung up before the script's end


@dataclass(frozen=True)
class ScriptPlan:
    """A script made ready for calls: its prompts and words rendered, per language."""

    script: ScriptFile
    source: Path
    media: PromptMedia
    words: Words


def load_script_plan(name_or_path: str | Path, store: PromptStore, *,
                     base_dir: Path | None = None,
                     sounds: tuple[Path | None, Path | None] = (None, None)) -> ScriptPlan:
    """Load, check and render a script (blocking: run it in a thread, never during a call).

    Raises :class:`config.loader.ConfigError` naming the script's errors.
    """
    path = script_path(name_or_path, base_dir)
    script = load_script(path, sounds=sounds)
    media = render_prompts(prompts_in(script), script.languages, store, path.parent)
    return ScriptPlan(script, path, media, render_words(store, script.languages))


def handoff_note(contact: ScriptContact) -> str:
    """The note on the call's ticket when a campaign call is handed to the operators."""
    ticket = f"the contact's ticket is {contact.ticket}" if contact.ticket else "no ticket"
    campaign = contact.campaign or "unnamed"
    return f"Campaign call ({campaign}) handed to an operator; {ticket}."


def is_machine(amd_status: str) -> bool:
    """Whether ``AMDSTATUS`` says an answering machine took the call."""
    return amd_status.upper() == MACHINE


class ScriptCall:
    """One contact's way through a script."""

    def __init__(self, session: CallSession, plan: ScriptPlan, contact: ScriptContact,
                 services: ScriptServices) -> None:
        self._session = session
        self._plan = plan
        self._script = plan.script
        self._contact = contact
        self._services = services
        self._result = ScriptResult()
        self._menu: str | None = None  # the latest menu, where a PIN check goes back to

    async def run(self, machine: bool) -> ScriptResult:
        """Walk the script from its ``machine`` or ``human`` entry; the result, even when the
        contact hangs up midway (then ``hung_up``)."""
        language = self._contact.language
        if language not in self._script.languages:
            language = self._script.languages[0]
        entry = self._script.entry
        node: str | None = entry.machine if machine else entry.human
        try:
            if language != self._session.language:
                await self._session.set_language(language)
            while node is not None:
                node = await self._enter(node)
            if not self._result.to_operator:
                await self._session.hangup()
        except CallHungUp:
            self._result.hung_up = True
        log.info("outbound.script_done", outcome=self._result.outcome, keys=self._result.keys,
                 hung_up=self._result.hung_up)
        return self._result

    async def _enter(self, name: str) -> str | None:
        if self._session.hung_up:
            raise CallHungUp(self._session.id)
        self._result.nodes.append(name)
        node = self._script.nodes[name]
        if isinstance(node, MenuBase):
            self._menu = name
            options: Mapping[str, Any] = getattr(node, "options")  # noqa: B009
            after = getattr(node, "after_retries") or self._script.defaults.after_retries  # noqa: B009
            action = await choose(self._session, node, options, after, self._script.defaults,
                                  self._play, self._keyed)
        else:
            action = node
        return await self._perform(action, name)

    async def _perform(self, action: Any, current: str) -> str | None:
        """Do ``action``; the next node, or None when the script is over."""
        if isinstance(action, GoToMenu):
            return action.target
        if isinstance(action, Repeat):
            return current
        if isinstance(action, Play):
            await self._play(action.prompt)
            return action.next
        if isinstance(action, ChooseLanguage):
            await self._session.set_language(action.language)
            return action.next or current
        if isinstance(action, Result):
            return await self._record(action)
        if isinstance(action, Survey):
            return await self._ask(action)
        if isinstance(action, CheckPin):
            return await self._check_pin(action)
        if isinstance(action, OptOut):
            self._result.outcome, self._result.opted_out = OPTED_OUT, True
            await self._services.add_dnc(self._contact.phone)
            await self._play(action.prompt, interruptible=False)
        elif isinstance(action, Queue):
            await self._to_operator(action)
        elif isinstance(action, Hangup):
            await self._play(action.prompt, interruptible=False)
        return None

    async def _record(self, action: Result) -> str | None:
        self._result.outcome = action.outcome
        code = self._contact.ticket
        if action.ticket is not None and code:
            services = self._services
            applied = await (
                services.close_ticket(code, action.note) if action.ticket == "close" else
                services.reopen_ticket(code, action.note) if action.ticket == "reopen" else
                services.note_ticket(code, action.note or ""))
            if applied:
                self._result.ticket_action = action.ticket
        await self._play(action.prompt, interruptible=action.next is not None)
        return action.next

    async def _ask(self, action: Survey) -> str | None:
        defaults = self._script.defaults
        for _ in range(action.retries + 1):
            await self._play(action.prompt)
            key = await self._session.read_digits(1, defaults.timeout, terminator="")
            if key:
                self._keyed(key)
            if key and key in SURVEY_KEYS:
                self._result.survey[action.item] = int(key)
                return action.next
            await self._play(action.invalid or defaults.invalid if key else defaults.no_input)
        return action.next  # unanswered: the item stays out of the result

    async def _check_pin(self, action: CheckPin) -> str | None:
        defaults = self._script.defaults
        for _ in range(action.retries + 1):
            await self._play(action.prompt)
            pin = await self._session.read_digits(action.max_digits, defaults.timeout,
                                                  defaults.inter_digit_timeout)
            if pin and await self._pin_is_right(action, pin):
                await self._play(action.recognised)
                return action.next or self._menu
            await self._play(action.not_recognised)
        return action.failed

    async def _pin_is_right(self, action: CheckPin, pin: str) -> bool:
        if action.variable is not None:
            return self._contact.variables.get(action.variable, "").replace(" ", "") == pin
        return await self._services.contact_for_pin(pin) is not None

    async def _to_operator(self, action: Queue) -> None:
        """Hand the call to the operators' queue with what the screen-pop shows."""
        self._result.outcome, self._result.to_operator = OPERATOR, True
        session = self._session
        contact = self._contact
        await self._play(action.prompt, interruptible=False)
        await self._services.open_call_ticket(session.linkedid, handoff_note(contact))
        await session.set_variable("CENTRALINO_QUEUE", action.queue)
        await session.set_variable(CAMPAIGN_VARIABLE, contact.campaign)
        await session.set_variable(TICKET_VARIABLE, contact.ticket or "")
        await session.continue_in_dialplan(QUEUE_CONTEXT)

    def _keyed(self, key: str) -> None:
        self._result.keys += key

    async def _play(self, prompt: Prompt | None, interruptible: bool = True) -> None:
        """Play ``prompt`` in the call's language, the contact's data said in it."""
        language = self._session.language
        media: list[str] = []
        for uri in self._plan.media(prompt, language):
            media += self._said(uri, language) if uri.startswith("say:") else [uri]
        if media:
            await self._session.play(*media, interruptible=interruptible)

    def _said(self, placeholder: str, language: str) -> list[str]:
        if placeholder == SAY_TRACKING_CODE:
            return digit_sounds(self._contact.ticket or "")
        _, kind, name = placeholder.split(":", 2)
        try:
            return say(kind, self._contact.variables[name], language,  # type: ignore[arg-type]
                       self._plan.words)
        except (KeyError, ValueError):  # the list check keeps these out; never stop a call
            log.warning("outbound.value_not_said", variable=name, kind=kind)
            return []
