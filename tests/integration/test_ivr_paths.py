"""Real SIP callers walk the test menu (tests/integration/menus/test_menu.yaml) with RFC 4733
keys; each test checks the path, outcome and classification stored on the call's ticket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import REGISTRY

from centralino.core.calls.service import record_call_started
from centralino.core.db import run_write
from config.secrets import load_secrets
from config.settings import Settings
from cti.tickets.contacts import add_contact
from cti.tickets.store import open_ticket_for_call

from .ari_observer import AriObserver, observe_asterisk
from .conftest import OPEN_TIME, EngineRunner
from .sipp_caller import HANG_UP, WAIT_FOR_BYE, Pause, Press, Step, place_call
from .stored import ended_call, ticket_of_call_from

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture(autouse=True)
def open_center(engine: EngineRunner) -> Iterator[None]:
    engine.clock.now = OPEN_TIME
    yield
    engine.clock.now = OPEN_TIME


async def call(settings: Settings, caller: str, steps: list[Step],
               end: str = WAIT_FOR_BYE) -> AriObserver:
    async with observe_asterisk(settings) as asterisk:
        result = await place_call(settings, steps, end, caller=caller)  # type: ignore[arg-type]
    assert result.succeeded, result.output
    return asterisk


def nodes(ticket_nodes: list[dict[str, str]]) -> list[str]:
    return [visit["node"] for visit in ticket_nodes]


def keys_timed() -> float:
    """How many key -> next prompt waits the engine has timed (its Prometheus histogram)."""
    return REGISTRY.get_sample_value("centralino_key_to_prompt_seconds_count") or 0.0


async def test_key_pressed_during_the_welcome_cuts_it_short_and_chooses_the_option(
        engine: EngineRunner, settings: Settings) -> None:
    timed_before = keys_timed()
    asterisk = await call(settings, "3335550001", [Pause(1500), Press("4")])

    ticket = await ticket_of_call_from(engine, "3335550001")
    assert ticket.dtmf_path == "4"
    assert ticket.ivr_outcome == "info_message" and ticket.classification == "info"
    assert nodes(ticket.ivr_nodes) == ["welcome", "main"]
    assert ticket.language == "en"
    played = asterisk.media_played()
    assert "sound:vm-intro" not in played, "the typed-ahead key skips the menu prompt"
    assert "sound:auth-thankyou" in played
    assert asterisk.times_read_out(ticket.tracking_code) == 0, "the key cut the code short"
    assert keys_timed() == timed_before + 1, "the key, then the message that answers it"


async def test_sub_menu_back_and_classification_are_recorded_in_order(
        engine: EngineRunner, settings: Settings) -> None:
    await call(settings, "3335550002", [Pause(500), Press("1#11")])

    ticket = await ticket_of_call_from(engine, "3335550002")
    assert ticket.dtmf_path == "1#11"
    assert nodes(ticket.ivr_nodes) == ["welcome", "main", "seismic", "main", "seismic",
                                       "event_notice"]
    assert ticket.classification == "seismic.event"
    assert ticket.ivr_outcome == "info_message"
    times = [datetime.fromisoformat(visit["at"]) for visit in ticket.ivr_nodes]
    assert times == sorted(times)


async def test_caller_who_presses_nothing_is_asked_again_then_hung_up_on(
        engine: EngineRunner, settings: Settings) -> None:
    asterisk = await call(settings, "3335550003", [])

    ticket = await ticket_of_call_from(engine, "3335550003")
    assert ticket.dtmf_path == ""
    assert ticket.ivr_outcome == "hangup_in_menu"
    assert asterisk.media_played().count("sound:vm-intro") == 2  # retries: 1
    assert asterisk.media_played()[-1] == "sound:goodbye"


async def test_an_invalid_key_is_refused_and_the_caller_chooses_again(
        engine: EngineRunner, settings: Settings) -> None:
    asterisk = await call(settings, "3335550004", [Pause(500), Press("8"), Pause(1500),
                                                   Press("4")])

    ticket = await ticket_of_call_from(engine, "3335550004")
    assert ticket.dtmf_path == "84"
    assert ticket.ivr_outcome == "info_message"
    assert "sound:beep" in asterisk.media_played()


async def test_star_repeats_the_menu_and_the_repeat_is_part_of_the_path(
        engine: EngineRunner, settings: Settings) -> None:
    asterisk = await call(settings, "3335550015", [Pause(500), Press("*"), Pause(1500),
                                                   Press("0")])

    ticket = await ticket_of_call_from(engine, "3335550015")
    assert ticket.dtmf_path == "*0"
    assert nodes(ticket.ivr_nodes) == ["welcome", "main", "main"]
    assert ticket.ivr_outcome == "hangup_in_menu"
    assert "sound:vm-goodbye" in asterisk.media_played()  # option 0: hangup with a prompt


async def test_caller_hanging_up_mid_menu_leaves_a_ticket_saying_so(
        engine: EngineRunner, settings: Settings) -> None:
    await call(settings, "3335550005", [Pause(2500)], end=HANG_UP)

    ticket = await ticket_of_call_from(engine, "3335550005")
    assert ticket.ivr_outcome == "hangup_in_menu"
    assert nodes(ticket.ivr_nodes)[0] == "welcome" and ticket.dtmf_path == ""


async def test_queued_caller_nobody_can_answer_overflows_to_the_closed_message_and_voicemail(
        engine: EngineRunner, settings: Settings) -> None:
    await call(settings, "3335550006", [Pause(500), Press("2"), Pause(4000)], end=HANG_UP)

    ticket = await ticket_of_call_from(engine, "3335550006")
    assert ticket.classification == "seismic" and ticket.dtmf_path == "2"
    assert nodes(ticket.ivr_nodes)[-1] == "closed", "no operator logged in: queue overflow"
    assert ticket.ivr_outcome == "voicemail"
    stored = await ended_call(engine, "3335550006")
    assert stored.disposition == "answered"
    assert stored.duration_seconds is not None and stored.duration_seconds > 4


async def test_caller_leaves_a_message_ended_with_the_pound_key(
        engine: EngineRunner, settings: Settings) -> None:
    asterisk = await call(settings, "3335550007", [Pause(500), Press("3"), Pause(2500),
                                                   Press("#")])

    ticket = await ticket_of_call_from(engine, "3335550007")
    assert ticket.ivr_outcome == "voicemail"
    assert ticket.dtmf_path == "3"
    assert asterisk.events_of("RecordingFinished"), "Asterisk finished the recording"


async def test_ticket_status_is_read_back_for_an_existing_code(
        engine: EngineRunner, settings: Settings) -> None:
    async with engine.sessions() as session:
        await run_write(session, record_call_started, "status-query.1", channel="PJSIP/x",
                        did="800", at=OPEN_TIME)
        code = (await open_ticket_for_call(session, "status-query.1")).tracking_code

    asterisk = await call(settings, "3335550008", [Pause(500), Press("5"), Pause(500),
                                                   Press(code + "#")])

    ticket = await ticket_of_call_from(engine, "3335550008")
    assert ticket.ivr_outcome == "status_query"
    assert ticket.dtmf_path == "5", "the keyed tracking code is not part of the menu path"
    assert "sound:auth-thankyou" in asterisk.media_played()  # the test menu's 'new' prompt


async def test_ticket_status_of_an_unknown_code_says_not_found(
        engine: EngineRunner, settings: Settings) -> None:
    asterisk = await call(settings, "3335550009", [Pause(500), Press("5"), Pause(500),
                                                   Press("123456780#")])

    ticket = await ticket_of_call_from(engine, "3335550009")
    assert ticket.ivr_outcome == "status_query"
    played = asterisk.media_played()
    assert "sound:beep" in played and "sound:auth-thankyou" not in played


async def test_caller_identified_by_pin_is_linked_to_the_contact(
        engine: EngineRunner, settings: Settings) -> None:
    async with engine.sessions() as session:
        contact = await add_contact(session, "Maria Rossi", phone="+39 333 555 0010",
                                    pin="4321", pin_key=load_secrets([]).pin_key)

    await call(settings, "3335550010", [Pause(500), Press("6"), Pause(500), Press("4321#"),
                                        Pause(1500), Press("4")])

    ticket = await ticket_of_call_from(engine, "3335550010")
    assert ticket.contact_id == contact.id
    assert ticket.dtmf_path == "64", "the PIN is never stored in the path"
    assert ticket.ivr_outcome == "info_message"


async def test_transfer_hands_the_call_to_the_transfer_context_with_the_number(
        engine: EngineRunner, settings: Settings) -> None:
    asterisk = await call(settings, "3335550011", [Pause(500), Press("7")])

    ticket = await ticket_of_call_from(engine, "3335550011")
    assert ticket.ivr_outcome == "transfer"
    assert any(e["channel"]["dialplan"]["context"] == "ivr-transfer"
               and e["channel"]["dialplan"]["exten"] == "0612345678"
               for e in asterisk.events_of("ChannelDialplan"))


async def test_choosing_italian_switches_the_call_and_the_ticket_language(
        engine: EngineRunner, settings: Settings) -> None:
    await call(settings, "3335550012", [Pause(500), Press("9"), Pause(1500), Press("4")])

    ticket = await ticket_of_call_from(engine, "3335550012")
    assert ticket.language == "it"
    assert ticket.dtmf_path == "94"
    assert ticket.ivr_outcome == "info_message"


async def test_out_of_hours_caller_hears_the_closed_message_and_leaves_a_message(
        engine: EngineRunner, settings: Settings) -> None:
    engine.clock.now = datetime(2026, 11, 25, 20, 0, tzinfo=ROME)  # a Wednesday evening

    asterisk = await call(settings, "3335550013", [Pause(3500), Press("#")])

    ticket = await ticket_of_call_from(engine, "3335550013")
    assert nodes(ticket.ivr_nodes) == ["closed"]
    assert ticket.ivr_outcome == "voicemail"
    tts = [m for m in asterisk.media_played() if "/media/tts-" in m]
    assert tts, asterisk.media_played()
    assert asterisk.playback_states(tts[0]) == ["done"], "Asterisk played the rendered TTS file"


async def test_on_a_national_holiday_the_caller_gets_the_holiday_routing(
        engine: EngineRunner, settings: Settings) -> None:
    engine.clock.now = datetime(2026, 12, 25, 10, 0, tzinfo=ROME)  # Christmas, a Friday

    await call(settings, "3335550014", [])

    ticket = await ticket_of_call_from(engine, "3335550014")
    assert nodes(ticket.ivr_nodes) == ["holiday"]
    assert ticket.ivr_outcome == "info_message"
