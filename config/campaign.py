"""Campaign file schema: an outbound campaign as a YAML file (issue 13), checked like the menu
file, every problem with its file and line (:func:`config.loader.load_yaml_model`).

``version``, ``name`` and ``script`` are required; every other key has the prudent default a
public service would choose (see docs and ARCHITECTURE's rules on automated calls).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from config.hours import HoursSettings, TimeRange, Weekday

# The Italian telemarketing code's hours, the strictest of the rules gathered: Mon-Fri 09-20,
# Saturdays 10-19, never on Sundays or national holidays.
CALLING_WEEK: dict[Weekday, list[TimeRange]] = {
    **{day: ["09:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri")}, "sat": ["10:00-19:00"]}
MIN_RING_SECONDS = 15  # Ofcom and the TSR: let it ring 15 s at least


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pacing(_Strict):
    max_channels: int = Field(default=4, ge=1, le=500)  # calls in flight at once
    calls_per_second: float = Field(default=1.0, gt=0, le=50)


class Retry(_Strict):
    after_minutes: int = Field(ge=1, le=60 * 24 * 30)
    max: int = Field(ge=0, le=20)


class Retries(_Strict):
    """When a disposition is tried again (an invalid number never is)."""

    busy: Retry = Retry(after_minutes=30, max=3)
    no_answer: Retry = Retry(after_minutes=120, max=3)
    congestion: Retry = Retry(after_minutes=5, max=5)  # the network's, not the customer's
    machine: Retry = Retry(after_minutes=240, max=2)
    failed: Retry = Retry(after_minutes=60, max=1)


class Stage(_Strict):
    """A step of a ladder (payment reminders): its script, this many days after the last."""

    script: str = Field(min_length=1, max_length=200)
    after_days: int = Field(ge=0, le=365)


class CampaignFile(_Strict):
    version: Literal[1]
    name: str = Field(min_length=1, max_length=120)
    script: str = Field(min_length=1, max_length=200)  # a shipped script's name, or a path
    window: HoursSettings = HoursSettings(weekly=CALLING_WEEK)
    pacing: Pacing = Pacing()
    retries: Retries = Retries()
    max_attempts: int = Field(default=5, ge=1, le=50)
    ring_seconds: int = Field(default=25, ge=MIN_RING_SECONDS, le=120)
    caller_id: str | None = Field(default=None, pattern=r"^\+?[0-9]{3,20}$")
    machine: Literal["leave_message", "retry", "hang_up"] = "leave_message"
    expire_days: int = Field(default=14, ge=1, le=365)
    stages: list[Stage] = Field(default_factory=list, max_length=20)
    language: str = Field(default="it", pattern=r"^[a-z]{2}$")
    start_at: AwareDatetime | None = None
    end_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CampaignFile:
        if self.start_at is not None and self.end_at is not None and self.end_at <= self.start_at:
            raise ValueError("end_at is not after start_at")
        return self

