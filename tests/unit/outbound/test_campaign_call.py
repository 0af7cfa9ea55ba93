"""The Stasis entry ``campaign``: its arguments checked, the script run, the call's end told."""

from __future__ import annotations

import pytest

from outbound.call import CallArgs, parse_args


def test_the_dialplans_arguments_are_read() -> None:
    assert parse_args(["campaign", "1796487655.13", "104", "MACHINE",
                       "LONGGREETING-1500-1500"]) == CallArgs(
        "1796487655.13", 104, "MACHINE", "LONGGREETING-1500-1500")
    assert parse_args(["campaign", "1.2", "7", "", ""]).amd_status == ""


@pytest.mark.parametrize("args", [
    ["campaign", "1.2", "7", "HUMAN"],
    ["tollfree", "1.2", "7", "HUMAN", "HUMAN-800-800"],
    ["campaign", "x", "7", "HUMAN", "HUMAN-800-800"],
    ["campaign", "1.2", "-7", "HUMAN", "HUMAN-800-800"],
    ["campaign", "1.2", "9" * 30, "HUMAN", "HUMAN-800-800"],
    ["campaign", "1.2", "7", "ROBOT", "HUMAN-800-800"],
    ["campaign", "1.2", "7", "HUMAN", "1;DROP"],
])
def test_malformed_arguments_are_refused(args: list[str]) -> None:
    with pytest.raises(ValueError):
        parse_args(args)
