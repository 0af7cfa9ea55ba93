"""The outbound script file schema: what an automated call says and asks, in the IVR's menu
language (:mod:`config.menu`) extended for outbound calls.

A script says the contact's data (``{say: date, var: switch_date}``), records a result and
changes the contact's ticket, asks survey questions, takes an opt-out, checks a PIN and hands
the call to the operators. It starts at ``entry.human`` or, on an answering machine, at
``entry.machine``. Cross-references are checked by :mod:`outbound.script_check`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from config.menu import Announce as Play
from config.menu import (
    ChooseLanguage,
    GoToMenu,
    Hangup,
    Identify,
    Key,
    Language,
    MenuBase,
    NodeName,
    Prompt,
    PromptDefaults,
    Queue,
    Repeat,
    SoundPrompt,
    VariableName,
    node_kind,
)

VariableType = Literal["date", "amount", "digits", "text"]
"""A contact variable's type: a date, an amount in euros, digits (a PIN, a code), or text."""

OutcomeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
ItemName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
RESERVED_COLUMNS = ("phone", "ticket", "language")  # a contact list's own columns


def names_a_file(script: str) -> bool:
    """Whether ``script`` (a campaign's or a queue's) is a file's path, not a shipped script's
    name such as ``survey``."""
    return "/" in script or script.endswith((".yaml", ".yml"))
OPTED_OUT = "opted_out"
OPERATOR = "operator"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Result(_Strict):
    """Record the script's outcome (``fixed``, ``paid``...), maybe change the contact's ticket.

    ``ticket: close`` closes it (resolving it first if it is still open), ``reopen`` reopens
    it, ``note`` only adds ``note`` to it; ``note`` goes with any of them. Then ``prompt``, then
    ``next``, or goodbye and hang up when there is none.
    """

    action: Literal["result"]
    outcome: OutcomeName
    ticket: Literal["close", "reopen", "note"] | None = None
    note: str | None = Field(default=None, min_length=1, max_length=1000)
    prompt: Prompt | None = None
    next: NodeName | None = None

    @model_validator(mode="after")
    def _note_for_ticket(self) -> Result:
        if self.ticket == "note" and self.note is None:
            raise ValueError("ticket: note needs the note to add (note: TEXT)")
        if self.note is not None and self.ticket is None:
            raise ValueError("a note goes on the ticket: say what to do with it "
                             "(ticket: close, reopen or note)")
        return self


class Survey(_Strict):
    """One survey question: the answer is a key from 1 to 5, stored under ``item``."""

    action: Literal["survey"]
    item: ItemName
    prompt: Prompt
    invalid: Prompt | None = None  # default: defaults.invalid
    retries: int = Field(default=2, ge=0, le=5)
    next: NodeName | None = None  # none: goodbye and hang up


class OptOut(_Strict):
    """The number goes on the do-not-call list (outcome ``opted_out``); ``prompt``, hang up."""

    action: Literal["opt_out"]
    prompt: Prompt


class CheckPin(Identify):
    """The contact keys a PIN: the contact's variable ``variable`` (digits), or, without one,
    any contact's PIN as the IVR checks it. Right: ``recognised``, then ``next`` (none: back to
    the menu). Wrong after the retries: ``not_recognised``, then ``failed`` (none: hang up)."""

    variable: VariableName | None = None
    failed: NodeName | None = None


ScriptAction = Annotated[
    GoToMenu | Repeat | Play | ChooseLanguage | Hangup | Queue | Result | Survey | OptOut
    | CheckPin,
    Field(discriminator="action"),
]
"""``queue`` hands the call to the operators (outcome ``operator``), with the campaign and the
contact's ticket on the screen-pop."""


class ScriptMenu(MenuBase):
    """A prompt, then one key chooses an option."""

    options: dict[Key, ScriptAction] = Field(min_length=1)
    after_retries: ScriptAction | None = None  # default: defaults.after_retries


ScriptNode = Annotated[
    Annotated[ScriptMenu, Tag("menu")] | Annotated[ScriptAction, Tag("action")],
    Discriminator(node_kind),
]


class ScriptDefaults(PromptDefaults):
    """What a script's menus use unless they say otherwise."""

    after_retries: ScriptAction = Hangup(action="hangup", prompt=[SoundPrompt(sound="goodbye")])


class ScriptEntry(_Strict):
    """Where a call starts: a person answered, or an answering machine (the message left)."""

    human: NodeName
    machine: NodeName


class ScriptFile(_Strict):
    """One outbound call script."""

    version: Literal[1]
    languages: list[Language] = Field(default=["it", "en"], min_length=1)  # first: default
    variables: dict[VariableName, VariableType] = {}  # the list's columns the script uses
    defaults: ScriptDefaults = ScriptDefaults()
    entry: ScriptEntry
    nodes: dict[NodeName, ScriptNode] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _no_reserved_variables(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("variables"), dict):
            reserved = [name for name in data["variables"] if name in RESERVED_COLUMNS]
            if reserved:
                raise ValueError(f"{', '.join(reserved)} is a contact list's own column, not a "
                                 "variable: the script knows it already")
        return data
