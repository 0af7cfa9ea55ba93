"""The recordings' vocabulary other domains may use: kinds and situations, without the tables."""

from __future__ import annotations

from enum import StrEnum


class RecordingKind(StrEnum):
    VOICEMAIL = "voicemail"  # a message a caller left
    CONVERSATION = "conversation"  # an operator's call, recorded by the queue


class VoicemailSituation(StrEnum):
    """Why the caller reached voicemail: it picks the greeting."""

    CLOSED = "closed"  # out of office hours (or closed by a supervisor)
    HOLIDAY = "holiday"
    BUSY = "busy"  # nobody free: no operator logged in, or the maximum wait passed
    CHOICE = "choice"  # the caller chose it in the menu


class RecordingAccessAction(StrEnum):
    PLAY = "play"
    DOWNLOAD = "download"
