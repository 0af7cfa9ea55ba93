"""A campaign call walked through shipped scripts, with a scripted contact standing in for the
channel: what is played, what is recorded, what the ticket and the DNC list are told."""

from __future__ import annotations

from typing import Any, cast

import pytest

from centralino.core.call_session import CallSession
from outbound.runner import (
    ScriptCall,
    ScriptContact,
    ScriptPlan,
    ScriptResult,
    is_machine,
    load_script_plan,
)

from .fakes import Contact, Services, Store


@pytest.fixture(scope="module")
def plans() -> dict[str, ScriptPlan]:
    return {name: load_script_plan(name, Store())
            for name in ("fault_check", "payment_reminder", "provisioning_notice", "survey")}


async def _run(plan: ScriptPlan, channel: Contact, services: Services, *,
               machine: bool = False, **contact: Any) -> ScriptResult:
    who = ScriptContact(**{"phone": "+393331234567", "ticket": "1234567", **contact})
    return await ScriptCall(cast(CallSession, channel), plan, who, services).run(machine)


async def test_fault_fixed_closes_the_ticket(plans: dict[str, ScriptPlan]) -> None:
    channel, services = Contact("1"), Services()
    result = await _run(plans["fault_check"], channel, services)
    assert (result.outcome, result.keys, result.ticket_action) == ("fixed", "1", "close")
    assert services.calls[0][:2] == ("close", "1234567")
    assert "sound:digits/1 | sound:digits/2" in channel.heard()  # the tracking code, said
    assert channel.hangups == 1 and not result.to_operator


async def test_fault_not_fixed_reopens_and_goes_to_an_operator_with_the_screen_pop(
        plans: dict[str, ScriptPlan]) -> None:
    channel, services = Contact("2", language="en"), Services()
    result = await _run(plans["fault_check"], channel, services, language="en",
                        campaign="Faults March")
    assert result.outcome == "operator" and result.to_operator
    assert result.ticket_action == "reopen" and services.calls[0][0] == "reopen"
    assert services.calls[1] == ("open", "1732.1", "Campaign call (Faults March) handed to an "
                                 "operator; the contact's ticket is 1234567.")
    assert channel.continued == ("acd-queue", "s")
    assert channel.variables == {"CENTRALINO_QUEUE": "operators",
                                 "CENTRALINO_CAMPAIGN": "Faults March",
                                 "CENTRALINO_TICKET": "1234567"}
    assert "tts:en:We are sorry" in channel.heard() and channel.hangups == 0


async def test_a_ticket_change_that_does_not_apply_is_not_reported_as_done(
        plans: dict[str, ScriptPlan]) -> None:
    result = await _run(plans["fault_check"], Contact("1"), Services(applies=False))
    assert result.outcome == "fixed" and result.ticket_action is None


async def test_nine_opts_out_onto_the_do_not_call_list(plans: dict[str, ScriptPlan]) -> None:
    channel, services = Contact("9"), Services()
    result = await _run(plans["payment_reminder"], channel, services,
                        variables={"amount_due": "12,50", "due_date": "2025-03-31"})
    assert result.opted_out and result.outcome == "opted_out"
    assert services.calls == [("dnc", "+393331234567")]


async def test_the_amount_due_is_said_in_the_contacts_language(
        plans: dict[str, ScriptPlan]) -> None:
    channel = Contact("2", "", "", "", language="it")
    result = await _run(plans["payment_reminder"], channel, Services(),
                        variables={"amount_due": "12,50", "due_date": "31/03/2025"})
    heard = channel.heard()
    assert ("sound:digits/12 | sound:digits/euros | sound:digits/e | sound:digits/50 | "
            "tts:it:centesimi") in heard
    assert "sound:digits/mon-2" in heard  # marzo
    assert result.outcome == "amount_heard" and result.keys == "2"


async def test_an_answering_machine_hears_the_message_and_nothing_is_asked(
        plans: dict[str, ScriptPlan]) -> None:
    channel = Contact()
    result = await _run(plans["provisioning_notice"], channel, Services(), machine=True,
                        variables={"switch_date": "2025-06-01", "pin": "4321"})
    assert result.nodes == ["message"] and result.keys == ""
    assert "sound:digits/h-1" in channel.heard()  # primo giugno
    assert is_machine("MACHINE") and not is_machine("NOTSURE")


@pytest.mark.parametrize(("pin", "outcome", "node"), [("4321", "details_heard", "details"),
                                                     ("1111", "informed", "informed")])
async def test_the_details_are_told_only_after_the_right_pin(
        plans: dict[str, ScriptPlan], pin: str, outcome: str, node: str) -> None:
    channel = Contact("1", pin, pin, pin)
    result = await _run(plans["provisioning_notice"], channel, Services(),
                        variables={"switch_date": "2025-06-01", "pin": "4321"})
    assert result.outcome == outcome and result.nodes[-1] == node
    assert ("tts:it:La data esatta del passaggio è" in channel.heard()) is (node == "details")
    assert pin not in result.keys  # a PIN is no key path


async def test_a_survey_stores_each_answer_and_asks_again_on_a_wrong_key(
        plans: dict[str, ScriptPlan]) -> None:
    channel = Contact("1", "5", "7", "4", "3", "2")
    result = await _run(plans["survey"], channel, Services())
    assert result.survey == {"waiting_time": 5, "accuracy": 4, "ability": 3, "courtesy": 2}
    assert result.outcome == "answered" and result.keys == "157432"


async def test_a_contact_who_hangs_up_midway_keeps_what_was_answered(
        plans: dict[str, ScriptPlan]) -> None:
    result = await _run(plans["survey"], Contact("1", "4"), Services())
    assert result.hung_up and result.survey == {"waiting_time": 4} and result.outcome is None


def test_the_workflow_services_are_the_runners_services() -> None:
    from outbound.runner import ScriptServices
    from outbound.script_services import WorkflowScriptServices

    services: type[ScriptServices] = WorkflowScriptServices  # mypy checks the Protocol here
    assert {"close_ticket", "reopen_ticket", "note_ticket", "add_dnc", "contact_for_pin"} <= set(
        dir(services))
