"""Campaign calls over AMI: the Originate sent, the dialplan's report read, DIALSTATUS,
HANGUPCAUSE and AMDSTATUS mapped to a disposition; the dialplan the dialling needs."""

from __future__ import annotations

import pytest

from centralino.core.ami import AmiConnectionLost
from centralino.core.dialing import DialFailed, DialReport, parse_report
from centralino.core.sandbox.render import render_asterisk_config
from config.secrets import Secrets
from config.settings import Settings
from outbound.dialer import (
    LEGS,
    RESULT_EVENT,
    CampaignDialer,
    answered_disposition,
    disposition_of,
)
from outbound.terms import Disposition
from tests.unit.answering_ami import FakeAmi


@pytest.mark.parametrize(("status", "cause", "disposition"), [
    ("BUSY", 17, Disposition.BUSY),
    ("NOANSWER", 19, Disposition.NO_ANSWER),
    ("NOANSWER", None, Disposition.NO_ANSWER),
    ("CONGESTION", 34, Disposition.CONGESTION),
    ("CONGESTION", 1, Disposition.INVALID_NUMBER),  # unallocated number
    ("CONGESTION", 3, Disposition.INVALID_NUMBER),  # no route to destination
    ("CONGESTION", 28, Disposition.INVALID_NUMBER),  # invalid number format
    ("CHANUNAVAIL", 0, Disposition.INVALID_NUMBER),
    ("CANCEL", 16, Disposition.FAILED),
    ("", None, Disposition.FAILED),
    ("INVALIDARGS", None, Disposition.FAILED),
])
def test_an_unanswered_legs_status_and_cause_give_its_disposition(
    status: str, cause: int | None, disposition: Disposition,
) -> None:
    assert disposition_of(DialReport(1, "customer", status, cause)) is disposition


@pytest.mark.parametrize(("amd", "disposition"), [
    ("MACHINE", Disposition.MACHINE), ("HUMAN", Disposition.HUMAN),
    ("NOTSURE", Disposition.HUMAN), ("HANGUP", Disposition.HUMAN), ("", Disposition.HUMAN)])
def test_an_answered_call_is_a_machine_only_when_amd_says_so(
    amd: str, disposition: Disposition,
) -> None:
    assert answered_disposition(amd) is disposition


def test_a_campaign_result_is_read_with_its_hangup_cause() -> None:
    event = {"Event": "UserEvent", "UserEvent": "CampaignResult", "Attempt": "42",
             "Leg": "customer", "DialStatus": "BUSY", "HangupCause": "17"}
    assert parse_report(event, RESULT_EVENT, LEGS) == DialReport(42, "customer", "BUSY", 17)


def test_a_result_without_a_usable_cause_has_none() -> None:
    event = {"UserEvent": "CampaignResult", "Attempt": "4", "Leg": "customer",
             "DialStatus": "CANCEL", "HangupCause": "x"}
    assert parse_report(event, RESULT_EVENT, LEGS) == DialReport(4, "customer", "CANCEL")


async def test_the_customer_is_dialled_through_a_local_channel_into_the_answered_context(
) -> None:
    ami = FakeAmi({"Response": "Success", "Message": "Originate successfully queued"})
    await CampaignDialer(ami).dial(42, "+393331234567", ring_seconds=20,
                                   caller_id="800100100", campaign_id=7)
    [action] = ami.sent
    assert (action["Action"], action["ActionID"], action["Async"]) == (
        "Originate", "campaign-42", "true")
    assert action["Channel"] == "Local/+393331234567@campaign-dial/n"
    assert (action["Context"], action["Exten"], action["Priority"]) == (
        "campaign-answered", "s", "1")
    assert action["Variable"].split(",") == [
        "__CENTRALINO_ATTEMPT=42", "__CENTRALINO_CAMPAIGN=7",
        "__CENTRALINO_RING_SECONDS=20", "__CENTRALINO_CALLER_ID=800100100"]
    assert int(action["Timeout"]) > 20_000  # outlasts the ring and the AMD


@pytest.mark.parametrize("answer", [{"Response": "Error", "Message": "No such context"},
                                    AmiConnectionLost("the AMI connection was lost")])
async def test_an_originate_asterisk_did_not_take_is_a_failed_dial(
    answer: dict[str, str] | Exception,
) -> None:
    with pytest.raises(DialFailed):
        await CampaignDialer(FakeAmi(answer)).dial(1, "+393331234567", ring_seconds=20,
                                                   caller_id="800100100", campaign_id=1)


@pytest.mark.parametrize(("number", "caller_id"), [("+39333,1234", "800100100"),
                                                   ("+393331234567", "80010;0100")])
async def test_only_digits_are_dialled_and_sent_as_caller_id(number: str,
                                                             caller_id: str) -> None:
    ami = FakeAmi({"Response": "Success"})
    with pytest.raises(ValueError, match="not a number"):
        await CampaignDialer(ami).dial(1, number, ring_seconds=20, caller_id=caller_id,
                                       campaign_id=1)
    assert ami.sent == []


def test_the_dialplan_dials_the_trunk_runs_amd_and_enters_stasis() -> None:
    settings = Settings.model_validate({"version": 1})
    secrets = Secrets("ami", "ari", {name: "pw" for name in settings.seats.names}, "pin",
                      "session")
    files = render_asterisk_config(settings, secrets)
    dialplan = files["extensions.conf"]
    for context in ("[campaign-dial]", "[campaign-amd]", "[campaign-answered]",
                    "[campaign-report]"):
        assert context in dialplan
    assert ("Dial(PJSIP/${EXTEN}@tollfree-trunk,${CENTRALINO_RING_SECONDS},"
            "U(campaign-amd^s^1))") in dialplan
    assert "Stasis(centralino,campaign,${CHANNEL(linkedid)},${CENTRALINO_ATTEMPT}," in dialplan
    assert "UserEvent(CampaignResult,Attempt: ${CENTRALINO_ATTEMPT},Leg: customer," in dialplan
    assert "maximum_number_of_words = 3" in files["amd.conf"]


async def test_the_numbers_in_calls_are_the_campaign_dial_channels_asterisk_lists() -> None:
    ami = FakeAmi([  # an EventList answer, as Asterisk 22 gives it
        {"Response": "Success", "EventList": "start"},
        {"Event": "CoreShowChannel", "Channel": "Local/+393330000001@campaign-dial-00000000;2",
         "Context": "campaign-dial", "Exten": "+393330000001"},
        {"Event": "CoreShowChannel", "Channel": "Local/+393330000001@campaign-dial-00000000;1",
         "Context": "campaign-answered", "Exten": "s"},
        {"Event": "CoreShowChannel", "Channel": "PJSIP/tollfree-trunk-00000001",
         "Context": "campaign-amd", "Exten": "s"},
        {"Event": "CoreShowChannel", "Channel": "PJSIP/trunk-00000002",
         "Context": "tollfree", "Exten": "800100100"},
        {"Event": "CoreShowChannelsComplete", "EventList": "Complete", "ListItems": "4"}])

    assert await CampaignDialer(ami).numbers_in_calls() == {"+393330000001"}
    assert ami.sent == [{"Action": "CoreShowChannels"}]
