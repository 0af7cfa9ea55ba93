"""Callback calls over AMI: the Originate sent, the dialplan's result read, DIALSTATUS mapped;
and the Asterisk config the dialling needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from centralino.core.ami import AmiConnectionLost, MalformedEvent
from centralino.core.dialing import DialFailed, DialReport, parse_report
from centralino.core.sandbox.render import render_asterisk_config
from config.secrets import Secrets
from config.settings import CallbackSettings, Settings
from cti.callbacks.dialer import LEGS, RESULT_EVENT, CallbackDialer, follow_results, outcome_of
from cti.callbacks.models import CallbackOutcome
from tests.unit.answering_ami import FakeAmi

SETTINGS = CallbackSettings(ring_seat_seconds=15, dial_caller_seconds=30)


@pytest.mark.parametrize(("leg", "status", "outcome"), [
    ("caller", "ANSWER", CallbackOutcome.REACHED),
    ("caller", "NOANSWER", CallbackOutcome.NO_ANSWER),
    ("caller", "BUSY", CallbackOutcome.BUSY),
    ("caller", "CHANUNAVAIL", CallbackOutcome.WRONG_NUMBER),
    ("caller", "CONGESTION", CallbackOutcome.WRONG_NUMBER),
    ("caller", "INVALIDARGS", CallbackOutcome.WRONG_NUMBER),
    ("caller", "CANCEL", CallbackOutcome.CANCELLED),
    ("caller", "", CallbackOutcome.CANCELLED),
    ("seat", "NOANSWER", CallbackOutcome.SEAT_UNAVAILABLE),
    ("seat", "CHANUNAVAIL", CallbackOutcome.SEAT_UNAVAILABLE),
])
def test_dialstatus_of_the_leg_that_ended_the_attempt_is_its_outcome(
    leg: str, status: str, outcome: CallbackOutcome,
) -> None:
    assert outcome_of(DialReport(1, leg, status)) is outcome


def test_a_callback_result_user_event_is_read() -> None:
    event = {"Event": "UserEvent", "UserEvent": "CallbackResult", "Attempt": "42",
             "Leg": "caller", "DialStatus": "NOANSWER"}
    assert parse_report(event, RESULT_EVENT, LEGS) == DialReport(42, "caller", "NOANSWER")


def test_other_user_events_are_not_callback_results() -> None:
    assert parse_report({"Event": "UserEvent", "UserEvent": "CentralinoRecordingDone"},
                        RESULT_EVENT, LEGS) is None


@pytest.mark.parametrize("fields", [{"Attempt": "", "Leg": "caller"},
                                    {"Attempt": "x1", "Leg": "caller"},
                                    {"Attempt": "4", "Leg": "operator"},
                                    {"Attempt": "9" * 30, "Leg": "caller"}])
def test_a_callback_result_without_attempt_or_leg_is_malformed(fields: dict[str, str]) -> None:
    with pytest.raises(MalformedEvent):
        parse_report({"Event": "UserEvent", "UserEvent": "CallbackResult", **fields},
                     RESULT_EVENT, LEGS)


def test_results_reach_the_handler_and_malformed_ones_do_not() -> None:
    handlers: dict[str, Callable[[Any], None]] = {}

    class Events:
        def on_event(self, name: str, callback: Callable[[Any], None]) -> None:
            handlers[name] = callback

    seen: list[DialReport] = []
    follow_results(Events(), seen.append)
    malformed_before = malformed_user_events()
    handlers["UserEvent"]({"UserEvent": "CallbackResult", "Attempt": "oops", "Leg": "seat"})
    handlers["UserEvent"]({"UserEvent": "CallbackResult", "Attempt": "3", "Leg": "seat",
                           "DialStatus": "NOANSWER"})
    assert seen == [DialReport(3, "seat", "NOANSWER")]
    assert malformed_user_events() == malformed_before + 1


def malformed_user_events() -> float:
    return REGISTRY.get_sample_value("centralino_ami_malformed_events_total",
                                     {"event": "UserEvent"}) or 0.0


async def test_the_seat_is_rung_through_a_local_channel_then_the_caller_is_dialled() -> None:
    ami = FakeAmi({"Response": "Success", "Message": "Originate successfully queued"})
    await CallbackDialer(ami, SETTINGS).dial(42, "seat2", "+393331234567")
    [action] = ami.sent
    assert action["Action"] == "Originate"
    assert action["Channel"] == "Local/seat2@callback-ring-seat/n"
    assert (action["Context"], action["Exten"], action["Priority"]) == (
        "callback-dial", "+393331234567", "1")
    assert action["Async"] == "true"
    assert action["Variable"].split(",") == ["__CENTRALINO_ATTEMPT=42",
                                             "__CENTRALINO_RING_SECONDS=15",
                                             "__CENTRALINO_DIAL_SECONDS=30"]
    assert int(action["Timeout"]) > 15_000  # the Originate outwaits the seat's ringing


async def test_an_originate_asterisk_refuses_is_a_failed_dial() -> None:
    ami = FakeAmi({"Response": "Error", "Message": "Extension does not exist."})
    with pytest.raises(DialFailed, match="Extension does not exist"):
        await CallbackDialer(ami, SETTINGS).dial(1, "seat1", "+393331234567")


async def test_an_originate_lost_with_the_connection_is_a_failed_dial() -> None:
    ami = FakeAmi(AmiConnectionLost("the AMI connection was lost"))
    with pytest.raises(DialFailed, match="connection was lost"):
        await CallbackDialer(ami, SETTINGS).dial(1, "seat1", "+393331234567")


async def test_only_digits_are_dialled() -> None:
    ami = FakeAmi({"Response": "Success"})
    with pytest.raises(ValueError, match="not a number"):
        await CallbackDialer(ami, SETTINGS).dial(1, "seat1", "+39333,1234;x")
    assert ami.sent == []


def _rendered(**toll_free: Any) -> dict[str, str]:
    settings = Settings.model_validate({"version": 1, "toll_free": toll_free})
    secrets = Secrets("ami", "ari", {name: "pw" for name in settings.seats.names}, "pin",
                      "session")
    return render_asterisk_config(settings, secrets)


def test_the_dialplan_has_the_callback_contexts_and_reports_results() -> None:
    dialplan = _rendered()["extensions.conf"]
    for context in ("[callback-ring-seat]", "[callback-dial]", "[callback-answered]",
                    "[callback-report]"):
        assert context in dialplan
    assert dialplan.count("UserEvent(CallbackResult,") == 3
    assert ("Dial(PJSIP/${EXTEN}@tollfree-trunk,${CENTRALINO_DIAL_SECONDS},"
            "U(callback-answered^s^1))") in dialplan


def test_the_engine_reads_user_events() -> None:
    manager = _rendered()["manager.conf"]
    read = next(line for line in manager.splitlines() if line.startswith("read ="))
    assert "user" in read.split("=", 1)[1].replace(" ", "").split(",")


def test_the_trunk_dials_out_to_its_outbound_contact_when_set() -> None:
    pjsip = _rendered(outbound_contact="sip:127.0.0.1:20170")["pjsip.conf"]
    assert "aors = tollfree-trunk" in pjsip
    assert "contact = sip:127.0.0.1:20170" in pjsip
    assert "type = aor\ncontact" not in _rendered()["pjsip.conf"]
