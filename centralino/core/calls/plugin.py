"""Calls: the table every call the engine handles is written to (the Stasis dispatcher's log)."""

from __future__ import annotations

from centralino.core.calls import models
from centralino.core.domain import Plugin

PLUGIN = Plugin("calls", models=(models,))
