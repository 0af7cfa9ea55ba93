"""The README tour's caller: one real SIP call to the running product, from a number that can be
called back, pressing keys and then saying a message (espeak-ng speech), with sipp.

    .venv/bin/python -m tests.integration.tour_caller --press 0 --say "The road is flooded."
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from config.loader import load_settings
from config.settings import Settings

from .sipp_caller import HANG_UP, Pause, Press, Speak, Step, place_call
from .voicemail.speech import RATE, spoken

WELCOME_MS = 9000  # the welcome with the call's tracking code, and the main menu begins
TALK_SECONDS = 35  # the greeting (with the tracking code), the beep, then a message


def steps(keys: str, message: str, language: str) -> list[Step]:
    """Wait for the menu, press ``keys``, then say ``message`` over and over for
    :data:`TALK_SECONDS` and hang up: what follows the beep is the recorded message, however
    long the greeting before it."""
    if not message:
        return [Pause(WELCOME_MS), Press(keys)]
    said = spoken(message, language)
    return [Pause(WELCOME_MS), Press(keys),
            Speak(said * -(-TALK_SECONDS * RATE // len(said)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="the product's settings (default: embedded)")
    parser.add_argument("--caller", default="3331234567", help="the number calling")
    parser.add_argument("--press", default="0", help="keys pressed at the main menu")
    parser.add_argument("--say", default="", help="a message said after the beep")
    parser.add_argument("--language", default="en", help="espeak-ng's voice for the message")
    options = parser.parse_args()
    settings: Settings = load_settings(options.config)
    result = asyncio.run(place_call(settings, steps(options.press, options.say, options.language),
                                    HANG_UP, caller=options.caller))
    print("call placed" if result.succeeded else f"sipp failed:\n{result.output}")
    raise SystemExit(0 if result.succeeded else 1)


if __name__ == "__main__":
    main()
