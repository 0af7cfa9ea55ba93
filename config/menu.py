"""The menu file schema: the whole toll-free IVR, its office hours and classification tree.

One YAML file (``ivr.menu_file`` in the settings; the shipped default is
``config/menus/tollfree.yaml``). The structure is checked here; the cross-references (targets
that exist, reachable nodes, known classification codes, sound files) by :mod:`ivr.check`.

A **node** is either a menu (a prompt and options by DTMF key) or a single action (for example
``closed: {action: voicemail, ...}``). An **option** is an action; ``menu`` goes to another node.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from config.hours import HoursSettings

Key = Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
StatusName = Annotated[str, Field(pattern=r"^[a-z][a-z_]{2,31}$")]  # never a language code
NodeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
ClassificationCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
SoundName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_/-]+$", max_length=200)]
Seconds = Annotated[float, Field(gt=0, le=120)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- prompts ---------------------------------------------------------------------------------


class SoundPrompt(_Strict):
    """An Asterisk sound by name (``sounds/<language>/<name>.*`` on the Asterisk side)."""

    sound: SoundName


class FilePrompt(_Strict):
    """A recorded audio file (WAV), path relative to the menu file."""

    file: str = Field(min_length=1, max_length=500)


class TtsPrompt(_Strict):
    """Text spoken by espeak-ng in the prompt's language, rendered once and cached."""

    tts: str = Field(min_length=1, max_length=2000)


VariableName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
SayKind = Literal["date", "amount", "digits"]


class SayPrompt(_Strict):
    """Something of the call read out at run time: the ticket's tracking code, digit by digit,
    or (in an outbound script only) the contact's variable ``var`` as a date, an amount in euros
    or digits, in the call's language."""

    say: Literal["tracking_code"] | SayKind
    var: VariableName | None = None

    @model_validator(mode="after")
    def _variable_for_contact_data(self) -> SayPrompt:
        if self.say == "tracking_code" and self.var is not None:
            raise ValueError("say: tracking_code takes no var")
        if self.say != "tracking_code" and self.var is None:
            raise ValueError(f"say: {self.say} needs the variable to say (var: NAME)")
        return self


_PROMPT_KINDS = ("sound", "file", "tts", "say")


def _prompt_kind(value: Any) -> str | None:
    """Which prompt item a mapping is, by its one key, so an error names only that kind."""
    if isinstance(value, dict):
        return next((key for key in _PROMPT_KINDS if key in value), None)
    return next((key for key in _PROMPT_KINDS if hasattr(value, key)), None)


def _by_type(value: Any) -> str:
    return "per_language" if isinstance(value, dict) else "all_languages"


PromptItem = Annotated[
    Annotated[SoundPrompt, Tag("sound")] | Annotated[FilePrompt, Tag("file")]
    | Annotated[TtsPrompt, Tag("tts")] | Annotated[SayPrompt, Tag("say")],
    Discriminator(_prompt_kind, custom_error_type="prompt_item",
                  custom_error_message="a prompt item is one of {sound: NAME}, {file: PATH}, "
                                       "{tts: TEXT}, {say: tracking_code}, "
                                       "{say: date|amount|digits, var: NAME}"),
]
Prompt = Annotated[
    Annotated[list[PromptItem], Tag("all_languages")]
    | Annotated[dict[Language, list[PromptItem]], Tag("per_language")],
    Discriminator(_by_type),
]
"""A list played in every language, or one list per language (``{it: [...], en: [...]}``)."""


# -- actions ---------------------------------------------------------------------------------


class GoToMenu(_Strict):
    """Go to another node (a sub-menu, or a single-action node)."""

    action: Literal["menu"]
    target: NodeName


class Back(_Strict):
    """Go back to the menu the caller came from (the entry node if there is none)."""

    action: Literal["back"]


class Repeat(_Strict):
    """Play the current menu again."""

    action: Literal["repeat"]


class Queue(_Strict):
    """Hand the caller to the operators' queue (outcome ``queued``)."""

    action: Literal["queue"]
    queue: str = Field(default="operators", pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    prompt: Prompt | None = None
    classification: ClassificationCode | None = None


class Voicemail(_Strict):
    """Record a message after a greeting and a beep (outcome ``voicemail``).

    The greeting is ``prompt``, else the one of ``defaults.voicemail_greetings`` for how the
    caller got here. The message ends on ``#``, after ``max_silence_seconds`` of silence, after
    ``max_seconds``, or with the hang-up; one shorter than ``min_seconds`` is not kept.
    """

    action: Literal["voicemail"]
    prompt: Prompt | None = None
    max_seconds: int = Field(default=120, ge=5, le=600)
    max_silence_seconds: int = Field(default=5, ge=1, le=60)
    min_seconds: float = Field(default=3.0, ge=0, le=60)
    classification: ClassificationCode | None = None

    @model_validator(mode="after")
    def _minimum_below_maximum(self) -> Voicemail:
        if self.min_seconds >= self.max_seconds:
            raise ValueError(f"min_seconds ({self.min_seconds:g}) must be less than "
                             f"max_seconds ({self.max_seconds})")
        return self


class PlayAndHangup(_Strict):
    """An information message, then goodbye (outcome ``info_message``)."""

    action: Literal["play_and_hangup"]
    prompt: Prompt
    classification: ClassificationCode | None = None


class Hangup(_Strict):
    """End the call, after an optional prompt (outcome ``hangup_in_menu``)."""

    action: Literal["hangup"]
    prompt: Prompt | None = None


class TicketStatus(_Strict):
    """The caller keys a tracking code (then #); the IVR reads that ticket's status back."""

    action: Literal["ticket_status"]
    prompt: Prompt
    statuses: dict[StatusName, Prompt]  # ticket status -> what to say (new, resolved, ...)
    not_found: Prompt
    retries: int = Field(default=2, ge=0, le=5)
    next: NodeName | None = None  # after the answer; none: goodbye and hang up


class Identify(_Strict):
    """The caller keys their PIN (then #); the call and its ticket are linked to the contact."""

    action: Literal["identify"]
    prompt: Prompt
    recognised: Prompt | None = None
    not_recognised: Prompt
    retries: int = Field(default=2, ge=0, le=5)
    max_digits: int = Field(default=8, ge=4, le=16)
    next: NodeName | None = None  # none: back to the menu it was chosen in


class Transfer(_Strict):
    """Send the call to another number through the trunk (outcome ``transfer``)."""

    action: Literal["transfer"]
    number: str = Field(pattern=r"^\+?[0-9]{2,20}$")
    prompt: Prompt | None = None


class Announce(_Strict):
    """Play a message (a welcome, a notice), then go on; a key pressed skips the rest."""

    action: Literal["play"]
    prompt: Prompt
    next: NodeName


class Classify(_Strict):
    """Set the ticket's classification, then go on."""

    action: Literal["classify"]
    classification: ClassificationCode
    next: NodeName


class ChooseLanguage(_Strict):
    """Switch the call's language (prompts and Asterisk sounds), then go on."""

    action: Literal["language"]
    language: Language
    next: NodeName | None = None  # none: the menu it was chosen in, in the new language


Action = Annotated[
    GoToMenu | Back | Repeat | Queue | Voicemail | PlayAndHangup | Hangup | TicketStatus
    | Identify | Transfer | Announce | Classify | ChooseLanguage,
    Field(discriminator="action"),
]


# -- nodes and the file ----------------------------------------------------------------------


class MenuBase(_Strict):
    """What every menu has, whatever its options can do (the IVR's, an outbound script's)."""

    prompt: Prompt
    timeout: Seconds | None = None  # for the key, after the prompt; default: defaults.timeout
    retries: int | None = Field(default=None, ge=0, le=10)  # default: defaults.retries
    no_input: Prompt | None = None  # default: defaults.no_input
    invalid: Prompt | None = None  # default: defaults.invalid


class Menu(MenuBase):
    """A prompt, then one key chooses an option."""

    options: dict[Key, Action] = Field(min_length=1)
    after_retries: Action | None = None  # default: defaults.after_retries


def node_kind(value: Any) -> str:
    """A node's union tag: ``menu`` (a mapping without ``action``) or ``action``."""
    if isinstance(value, dict):
        return "action" if "action" in value else "menu"
    return "menu" if isinstance(value, MenuBase) else "action"


Node = Annotated[
    Annotated[Menu, Tag("menu")] | Annotated[Action, Tag("action")],
    Discriminator(node_kind),
]


class Classification(_Strict):
    """One entry of the classification tree; ``code`` is what tickets store."""

    code: ClassificationCode
    label: str | dict[Language, str]
    sla_hours: float | None = Field(default=None, gt=0, le=8760)  # to resolve; none: the parent's
    children: list[Classification] = []


class Entry(_Strict):
    """Where a call starts, by the center's state (``holiday`` defaults to ``closed``)."""

    open: NodeName
    closed: NodeName
    holiday: NodeName | None = None


class VoicemailGreetings(_Strict):
    """The greeting before the beep, by why the caller reached voicemail."""

    closed: Prompt | None = None  # out of office hours, or closed by a supervisor
    holiday: Prompt | None = None  # a national holiday or a closure
    busy: Prompt | None = None  # nobody could answer: no operator, or the maximum wait passed
    choice: Prompt | None = None  # the caller chose voicemail in a menu


class PromptDefaults(_Strict):
    """The timing and prompts every menu uses unless it says otherwise."""

    timeout: Seconds = 5.0
    inter_digit_timeout: Seconds = 3.0
    retries: int = Field(default=2, ge=0, le=10)
    no_input: Prompt = []
    invalid: Prompt = [SoundPrompt(sound="pm-invalid-option")]
    goodbye: Prompt = [SoundPrompt(sound="goodbye")]


class Defaults(PromptDefaults):
    """What a menu uses unless it says otherwise."""

    after_retries: Action = Hangup(action="hangup", prompt=[SoundPrompt(sound="goodbye")])
    voicemail_greetings: VoicemailGreetings = VoicemailGreetings()


class MenuFile(_Strict):
    """The whole IVR of the toll-free number."""

    version: Literal[1]
    languages: list[Language] = Field(default=["it", "en"], min_length=1)  # first: default
    hours: HoursSettings = HoursSettings()
    classifications: list[Classification] = []
    defaults: Defaults = Defaults()
    entry: Entry
    nodes: dict[NodeName, Node] = Field(min_length=1)
