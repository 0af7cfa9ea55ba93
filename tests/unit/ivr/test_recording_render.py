"""``acd.record_calls`` in the dialplan: the caller hears the notice before Queue(), the
operator's leg records the conversation where ARI lists stored recordings, and says when done."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config.loader import ConfigError
from config.settings import Settings
from ivr.notices import prepare_notices
from ivr.prompts import PromptStore
from tests.unit.core.test_sandbox_render import render, section

RECORDING = {"version": 1, "acd": {"record_calls": True}}


def dialplan_lines(extensions: str, context: str) -> list[str]:
    return [line.strip() for line in section(extensions, context).splitlines()
            if line.strip() and not line.startswith(";")]


def test_without_recording_the_queue_neither_announces_nor_records() -> None:
    extensions = render(Settings(version=1))["extensions.conf"]
    assert "MixMonitor" not in extensions and "recording-notice" not in extensions
    assert "[acd-record-conversation]" not in extensions
    assert dialplan_lines(extensions, "acd-queue")[0].endswith(",,,,300)")


def test_a_recorded_queue_plays_the_notice_in_the_callers_language_then_queues() -> None:
    extensions = render(Settings.model_validate(RECORDING))["extensions.conf"]
    first, second = dialplan_lines(extensions, "acd-queue")[:2]
    assert first == (
        "exten => s,1,Playback(/var/lib/centralino/default/media/recording-notice-"
        '${IF(${REGEX("^(it|en)$" ${CHANNEL(language)})}?${CHANNEL(language)}:it)})')
    assert second == ('same => n,Queue(${IF($["${CENTRALINO_QUEUE}" = ""]?operators:'
                      "${CENTRALINO_QUEUE})},,,,300,,acd-record-conversation)")


def test_the_operators_leg_records_into_the_stored_recordings_named_after_the_call() -> None:
    extensions = render(Settings.model_validate(RECORDING))["extensions.conf"]
    assert dialplan_lines(extensions, "acd-record-conversation") == [
        "exten => s,1,Set(CENTRALINO_RECORDING=conversation-${REPLACE(CHANNEL(linkedid),.,-)})",
        "same => n,MixMonitor(${ASTSPOOLDIR}/recording/${CENTRALINO_RECORDING}.wav,b)",
        "same => n,Set(CHANNEL(hangup_handler_push)=acd-recording-done,s,1)",
        "same => n,Return()",
    ]
    assert dialplan_lines(extensions, "acd-recording-done") == [
        "exten => s,1,StopMixMonitor()",
        "same => n,UserEvent(CentralinoRecordingDone,Recording: ${CENTRALINO_RECORDING},"
        "Linkedid: ${CHANNEL(linkedid)})",
        "same => n,Return()",
    ]


def test_the_notice_falls_back_to_a_language_it_has_and_plays_from_the_media_dir() -> None:
    extensions = render(Settings.model_validate({
        "version": 1, "prompts": {"language": "fr"},
        "ivr": {"media_dir": "/srv/media", "asterisk_media_dir": "/mnt/media"},
        "acd": {"record_calls": True, "recording_notice": {"de": "Aufgezeichnet.",
                                                           "en": "Recorded."}}}))["extensions.conf"]
    first = dialplan_lines(extensions, "acd-queue")[0]
    assert first.startswith("exten => s,1,Playback(/mnt/media/recording-notice-")
    assert '"^(de|en)$"' in first and first.endswith(":de)})")


@pytest.mark.parametrize("notice", [{}, {"ITA": "Registrata."}, {"it": ""}])
def test_a_bad_recording_notice_is_refused(notice: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate({"version": 1, "acd": {"recording_notice": notice}})


async def test_an_engine_that_cannot_render_the_notice_refuses_to_record(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "media"
    not_a_directory.write_text("a file where the media directory should be")
    with pytest.raises(ConfigError, match=r"acd\.recording_notice") as refused:
        await prepare_notices(PromptStore(not_a_directory, "/media"), not_a_directory,
                              {"it": "Questa chiamata potrebbe essere registrata."})
    assert "record_calls: false" in str(refused.value)
