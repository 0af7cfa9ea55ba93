"""The sandbox Asterisk: ``centralino sandbox up | down | status | logs``."""

from __future__ import annotations

from centralino.core.domain import CliGroup, Plugin
from centralino.core.sandbox.cli import app as sandbox_app

PLUGIN = Plugin("sandbox", commands=(
    CliGroup("sandbox", sandbox_app, "The project's own Asterisk, in a chroot."),))
