"""Recording names carry the kind, the situation and the call, and nothing else is ours."""

from __future__ import annotations

import pytest

from recordings.models import RecordingKind, VoicemailSituation
from recordings.naming import (
    BadLinkedid,
    RecordingName,
    conversation_name,
    parse_name,
    voicemail_name,
)


def test_a_voicemail_name_reads_back_as_its_situation_and_linkedid() -> None:
    name = voicemail_name(VoicemailSituation.HOLIDAY, "1764612345.42")

    assert name == "voicemail-holiday-1764612345-42"
    assert parse_name(name) == RecordingName(RecordingKind.VOICEMAIL, "1764612345.42",
                                             VoicemailSituation.HOLIDAY)


def test_a_conversation_name_reads_back_without_a_situation() -> None:
    assert parse_name(conversation_name("1764612345.7")) == RecordingName(
        RecordingKind.CONVERSATION, "1764612345.7", None)


@pytest.mark.parametrize("name", [
    "voicemail-1764612345-42",  # the old name, without a situation
    "voicemail-later-1764612345-42",  # not a situation
    "voicemail-busy-1764612345-42.wav",
    "greeting-1764612345-42",
    "../voicemail-busy-1-2",
    "",
])
def test_names_that_are_not_ours_are_left_alone(name: str) -> None:
    assert parse_name(name) is None


@pytest.mark.parametrize("linkedid", ["", "abc", "1.2.3", "12/3.4", "1764612345"])
def test_only_an_asterisk_linkedid_makes_a_name(linkedid: str) -> None:
    with pytest.raises(BadLinkedid, match="linkedid"):
        voicemail_name(VoicemailSituation.BUSY, linkedid)
