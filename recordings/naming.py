"""Names of Asterisk's stored recordings: they carry what reconciliation needs to ingest one.

``voicemail-<situation>-<linkedid>`` and ``conversation-<linkedid>``, the linkedid's ``.``
written as ``-`` (a dot would read as a file extension to Asterisk). Any other name is not ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recordings.models import RecordingKind, VoicemailSituation

_LINKEDID = re.compile(r"^[0-9]+\.[0-9]+$")
_SITUATIONS = "|".join(situation.value for situation in VoicemailSituation)
_NAME = re.compile(rf"^(?:voicemail-(?P<situation>{_SITUATIONS})|conversation)"
                   r"-(?P<seconds>[0-9]+)-(?P<sequence>[0-9]+)$")


class BadLinkedid(ValueError):
    """Not an Asterisk linkedid (``<seconds>.<sequence>``)."""


@dataclass(frozen=True)
class RecordingName:
    """What a recording's name says: its kind, its call and (voicemail) the situation."""

    kind: RecordingKind
    linkedid: str
    situation: VoicemailSituation | None


def _encoded(linkedid: str) -> str:
    if not _LINKEDID.match(linkedid):
        raise BadLinkedid(f"not an Asterisk linkedid: {linkedid!r}")
    return linkedid.replace(".", "-")


def voicemail_name(situation: VoicemailSituation, linkedid: str) -> str:
    """The stored recording's name of the message left in call ``linkedid``."""
    return f"voicemail-{situation.value}-{_encoded(linkedid)}"


def conversation_name(linkedid: str) -> str:
    """The stored recording's name of the operator's conversation in call ``linkedid``."""
    return f"conversation-{_encoded(linkedid)}"


def parse_name(name: str) -> RecordingName | None:
    """What ``name`` says, or None when it is not a name of ours."""
    found = _NAME.match(name)
    if found is None:
        return None
    linkedid = f"{found['seconds']}.{found['sequence']}"
    if found["situation"] is None:
        return RecordingName(RecordingKind.CONVERSATION, linkedid, None)
    return RecordingName(RecordingKind.VOICEMAIL, linkedid, VoicemailSituation(found["situation"]))
