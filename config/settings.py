"""The settings schema: every key a Centralino YAML file may hold.

Unknown keys are errors (``extra="forbid"``) so a typo never silently falls back to a default.
Secrets are not part of the YAML: see :mod:`config.secrets`.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    ValidationInfo,
    field_validator,
    model_validator,
)

Port = Annotated[int, Field(ge=1, le=65535)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


HostName = Annotated[str, Field(pattern=r"^(\*|(\*\.)?[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$")]
MIB = 1024 * 1024


class StatusPageSettings(_Strict):
    """Rate limits of the public status page (cti/status_page.py), in look-ups a minute."""

    per_client_per_minute: int = Field(default=30, ge=1, le=10_000)  # an IPv4 or an IPv6 /64
    total_per_minute: int = Field(default=600, ge=1, le=1_000_000)  # all clients together


class WebSettings(_Strict):
    """The web app (health, metrics, consoles)."""

    host: str = "127.0.0.1"
    port: Port = 8080
    # The address users type, e.g. https://helpline.example.org (behind a reverse proxy).
    # With https: session cookies are Secure and every answer carries HSTS.
    public_url: AnyHttpUrl | None = None
    # Host names the web app answers to (the Host header); others get 400. "*.example.org"
    # matches subdomains. The public_url's host must be one of them.
    allowed_hosts: list[HostName] = Field(default_factory=lambda: ["127.0.0.1", "localhost"],
                                          min_length=1)
    # Largest request body accepted; larger ones (declared or streamed) get 413.
    max_body_bytes: int = Field(default=MIB, ge=1024, le=64 * MIB)

    @property
    def https(self) -> bool:
        """Whether users reach the web app over HTTPS (``public_url``)."""
        return self.public_url is not None and self.public_url.scheme == "https"

    @model_validator(mode="after")
    def _public_host_allowed(self) -> WebSettings:
        host = self.public_url.host if self.public_url is not None else None
        if host is not None and not any(
                allowed in ("*", host) or (allowed.startswith("*.")
                                           and host.endswith(allowed[1:]))
                for allowed in self.allowed_hosts):
            raise ValueError(f"public_url's host {host!r} is not in allowed_hosts: add it")
        return self

    # Reverse proxies (addresses or networks) whose X-Forwarded-For is believed: the client is
    # the right-most address in it that is not one of them. Empty: the header is ignored.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)
    status_page: StatusPageSettings = StatusPageSettings()


class ReconnectSettings(_Strict):
    """Capped exponential backoff between connection attempts."""

    initial_delay: Seconds = 0.5
    max_delay: Seconds = 15.0


class AmiSettings(_Strict):
    """Asterisk Manager Interface (queues, originate, events)."""

    port: Port = 5038
    username: str = "centralino"
    action_timeout: Seconds = 10.0
    ping_interval: Seconds = 5.0


class AriSettings(_Strict):
    """Asterisk REST Interface (call control via a Stasis application)."""

    port: Port = 8088
    username: str = "centralino"
    app: str = Field(default="centralino", pattern=r"^[A-Za-z0-9_-]+$")
    request_timeout: Seconds = 10.0


class SipSettings(_Strict):
    """The PJSIP UDP transport callers and seats reach."""

    host: str = "127.0.0.1"
    port: Port = 5060


class AsteriskSettings(_Strict):
    """Where the Asterisk the engine drives lives (the sandbox or an existing one)."""

    host: str = "127.0.0.1"
    ami: AmiSettings = AmiSettings()
    ari: AriSettings = AriSettings()
    sip: SipSettings = SipSettings()
    reconnect: ReconnectSettings = ReconnectSettings()


class TollFreeSettings(_Strict):
    """The toll-free number and the trunk that delivers its calls."""

    number: str = Field(default="800100100", pattern=r"^[0-9]{3,20}$")
    trunk_addresses: list[IPv4Address] = Field(default_factory=lambda: [IPv4Address("127.0.0.1")])
    # Where calls out through the trunk go (IVR transfers, callbacks): a SIP URI such as
    # sip:127.0.0.1:5070. Unset: the trunk takes no outbound calls.
    outbound_contact: str | None = Field(default=None, pattern=r"^sips?:[^\s;]+$")


class SeatSettings(_Strict):
    """Operator seats: PJSIP endpoints the operators' phones register as."""

    count: int = Field(default=4, ge=1, le=32)
    prefix: str = Field(default="seat", pattern=r"^[a-z][a-z0-9_-]*$")

    @property
    def names(self) -> list[str]:
        return [f"{self.prefix}{n}" for n in range(1, self.count + 1)]


QueueStrategy = Literal["leastrecent", "ringall", "fewestcalls", "random", "rrmemory",
                        "rrordered", "linear", "wrandom"]
PauseReason = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class AcdSettings(_Strict):
    """The operators' queue (Asterisk app_queue): distribution, timing, announcements, pauses."""

    queue: str = Field(default="operators", pattern=r"^[a-z][a-z0-9_-]*$")
    # app_queue's strategy; leastrecent rings the seat idle longest (since its last call).
    strategy: QueueStrategy = "leastrecent"
    ring_timeout: int = Field(default=15, ge=1)        # seconds a seat rings before the next try
    wrapup_seconds: int = Field(default=10, ge=0)      # after a call, before the seat rings again
    # A waiting caller's pause between tries of the seats when none took the call (all busy,
    # none answered): a seat freed meanwhile waits at most this long for the next caller.
    retry_seconds: int = Field(default=1, ge=1)
    max_wait_seconds: int = Field(default=300, ge=1)   # then the caller leaves (overflow)
    announce_frequency: int = Field(default=30, ge=0)  # position and hold time; 0: never
    pause_reasons: list[PauseReason] = Field(
        default_factory=lambda: ["break", "back_office", "training"], min_length=1)
    music_class: str = Field(default="default", pattern=r"^[A-Za-z0-9_-]+$")
    # Record the operators' conversations (recordings/conversation.py); callers hear the
    # notice first, in their language (the prompts.language one when theirs has none).
    record_calls: bool = False
    recording_notice: dict[Language, Annotated[str, Field(min_length=1, max_length=500)]] = (
        Field(default_factory=lambda: {"it": "Questa chiamata potrebbe essere registrata.",
                                       "en": "This call may be recorded."}, min_length=1))
    # The post-call survey: a script (a shipped script's name, such as ``survey``, or a path,
    # relative to the settings file) the caller goes to when the operator hangs up; None: off.
    post_call_survey: str | None = Field(default=None, min_length=1, max_length=500)


class CallbackSettings(_Strict):
    """Callback tasks (voicemail, abandoned and missed calls): retries and the automatic mode."""

    max_attempts: int = Field(default=3, ge=1, le=20)  # unanswered calls, then unreachable
    retry_spacing_minutes: int = Field(default=30, ge=1)  # after an unanswered call
    auto_offer: bool = False  # ring the next due callback on a seat idle long enough
    auto_offer_idle_seconds: int = Field(default=60, ge=1)
    ring_seat_seconds: int = Field(default=20, ge=1)  # the operator's seat rings first
    dial_caller_seconds: int = Field(default=40, ge=1)  # then the caller's phone


class OutboundSettings(_Strict):
    """The engine's own caps on campaign calls, over all campaigns together (each campaign's
    ``pacing`` caps it further): every call waiting for an answer holds a thread in Asterisk."""

    max_channels: int = Field(default=50, ge=1, le=1000)  # campaign calls in flight at once
    calls_per_second: float = Field(default=10.0, gt=0, le=200)  # new campaign calls
    # How often any campaign may try one number (the do-not-disturb budget across campaigns).
    attempts_per_day: int = Field(default=1, ge=1, le=20)
    attempts_per_week: int = Field(default=7, ge=1, le=100)


class PromptSettings(_Strict):
    """Asterisk's own language: what it plays while the engine is away (the IVR's language is
    the menu file's first one, set on every call the engine takes)."""

    language: str = Field(default="it", pattern=r"^[a-z]{2}$")


class SandboxSettings(_Strict):
    """The project's own Asterisk, run in a Debian-unstable chroot."""

    root: Path = Path("~/.cache/centralino/asterisk-root")
    instance: str = Field(default="default", pattern=r"^[a-z0-9_-]+$")
    boot_timeout: Seconds = 60.0
    # A second AMI user, rendered only into the sandbox's manager.conf, for tests and
    # benchmarks that need CLI commands and hang-ups; the engine never logs in with it.
    tools_ami_username: str = Field(default="centralino-tools", pattern=r"^[A-Za-z0-9_-]+$")


class IvrSettings(_Strict):
    """The toll-free IVR: its menu file and where prompt audio goes."""

    # Relative paths are relative to the settings file.
    menu_file: Path = Path(__file__).with_name("menus") / "tollfree.yaml"
    # Where the engine writes rendered prompts (TTS, recorded files), and the same directory as
    # Asterisk sees it. Unset: the sandbox's media directory. Set both for another Asterisk
    # (a shared directory, e.g. NFS).
    media_dir: Path | None = None
    asterisk_media_dir: str | None = None
    # Asterisk's sounds directory, for `config check` (unset: the sandbox's).
    sounds_dir: Path | None = None

    @model_validator(mode="after")
    def _both_media_dirs(self) -> IvrSettings:
        if (self.media_dir is None) != (self.asterisk_media_dir is None):
            raise ValueError("set both media_dir and asterisk_media_dir (the same directory "
                             "as the engine and as Asterisk see it), or neither for the sandbox")
        return self


class RetentionDays(_Strict):
    """How long recordings are kept before the daily purge deletes their files
    (recordings/retention.py); their rows stay, for the audit trail."""

    voicemail: int = Field(default=90, ge=1, le=3650)
    conversation: int = Field(default=30, ge=1, le=3650)


class RecordingsSettings(_Strict):
    """Where voicemail and conversation recordings are kept, and how they are kept safe."""

    # Relative to the working directory, like the default SQLite file.
    dir: Path = Path("var/recordings")
    web_format: Literal["mp3", "opus"] = "mp3"  # the copy browsers play (Ogg/Opus or MP3)
    reconcile_interval_seconds: Seconds = 300.0  # look for recordings Asterisk still holds
    min_free_disk_mb: int = Field(default=500, ge=0)  # below: a warning and a metric
    retention_days: RetentionDays = RetentionDays()  # then the daily purge deletes the files


SETTINGS_DIR = "settings_dir"
"""Validation context key: the directory of the YAML file being loaded (relative paths
start there)."""


class TranscriptionSettings(_Strict):
    """Voicemail transcription with vosk (recordings/transcription.py); off without a model."""

    # A vosk model directory (the one holding am/ and conf/); relative to the settings file.
    model_path: Path | None = None
    workers: int = Field(default=1, ge=1, le=8)  # processes, each holding the model in memory
    timeout_seconds: Seconds = 300.0  # for one recording, then it stays untranscribed

    @field_validator("model_path")
    @classmethod
    def _a_vosk_model(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        if path is None:
            return None
        path = Path((info.context or {}).get(SETTINGS_DIR, ".")) / path.expanduser()
        if not path.is_dir():
            raise ValueError(f"{path} is not a directory: expected a vosk model directory "
                             "(unpack the model archive and name the folder it creates)")
        if not ((path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()):
            raise ValueError(f"{path} is not a vosk model directory: it has no am/final.mdl "
                             "(name the folder that holds am/, conf/ and graph/)")
        return path.absolute()


class LoggingSettings(_Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["console", "json"] = "console"


class Settings(_Strict):
    """Everything the engine, the sandbox and the CLI read."""

    version: Literal[1]
    database_url: str = "sqlite+aiosqlite:///var/centralino.db"
    web: WebSettings = WebSettings()
    asterisk: AsteriskSettings = AsteriskSettings()
    toll_free: TollFreeSettings = TollFreeSettings()
    seats: SeatSettings = SeatSettings()
    acd: AcdSettings = AcdSettings()
    callbacks: CallbackSettings = CallbackSettings()
    outbound: OutboundSettings = OutboundSettings()
    prompts: PromptSettings = PromptSettings()
    sandbox: SandboxSettings = SandboxSettings()
    ivr: IvrSettings = IvrSettings()
    recordings: RecordingsSettings = RecordingsSettings()
    transcription: TranscriptionSettings = TranscriptionSettings()
    logging: LoggingSettings = LoggingSettings()

    @model_validator(mode="after")
    def _distinct_ami_users(self) -> Settings:
        if self.sandbox.tools_ami_username == self.asterisk.ami.username:
            raise ValueError("sandbox.tools_ami_username must differ from asterisk.ami.username: "
                             "the engine's AMI user has fewer rights than the tools' one")
        return self

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected an async SQLAlchemy URL: sqlite+aiosqlite:///FILE "
                "or postgresql+asyncpg://USER@HOST/DB"
            )
        return url
