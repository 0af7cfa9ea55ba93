"""The sandbox's one error type: its message is shown to the user as is."""

from __future__ import annotations


class SandboxError(Exception):
    """The sandbox cannot do what was asked; the message says why and what to do."""
