"""Every domain of Centralino, in the order the engine builds and starts them (and stops them
in reverse). A domain is one folder with a ``plugin.py`` and one line here: the engine, the
CLI (:mod:`centralino.app.cli`) and the schema (:mod:`centralino.app.schema`) read this list.
A domain may use what the domains above it provide (:class:`centralino.core.domain.Services`).
"""

from __future__ import annotations

from acd import plugin as acd
from centralino.core.auth import plugin as users
from centralino.core.calls import plugin as calls
from centralino.core.domain import Plugin
from centralino.core.hours import plugin as hours
from centralino.core.sandbox import plugin as sandbox
from cti.callbacks import plugin as callbacks
from cti.console import plugin as console
from cti.status import plugin as status
from cti.supervisor import plugin as supervisor
from cti.tickets import plugin as tickets
from ivr import plugin as ivr
from outbound import plugin as outbound
from recordings import plugin as recordings

PLUGINS: tuple[Plugin, ...] = (
    sandbox.PLUGIN,
    users.PLUGIN,
    calls.PLUGIN,
    hours.PLUGIN,
    tickets.PLUGIN,
    recordings.PLUGIN,
    ivr.PLUGIN,
    acd.PLUGIN,
    callbacks.PLUGIN,
    console.PLUGIN,
    supervisor.PLUGIN,
    status.PLUGIN,
    outbound.PLUGIN,
)
