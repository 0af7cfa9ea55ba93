"""Tickets and contacts as a domain: the desk the call scripts use, queue outcomes kept on each
ticket, and ``centralino tickets | contacts | calls``."""

from __future__ import annotations

from centralino.core.domain import CliGroup, Core, Domain, Plugin
from cti.tickets import models
from cti.tickets.calls_cli import app as calls_app
from cti.tickets.cli import app as tickets_app
from cti.tickets.contacts_cli import app as contacts_app
from cti.tickets.desk import TicketDesk
from cti.tickets.queue_outcomes import QueueOutcomeLog


class Tickets(Domain):
    """Provides :class:`TicketDesk`."""

    def __init__(self, core: Core) -> None:
        self.desk = TicketDesk(core.call_writes, core.sessions, core.bus, core.secrets.pin_key)
        core.services.provide(TicketDesk, self.desk, by="tickets")
        self._queue_outcomes = QueueOutcomeLog(core.sessions, core.bus)

    async def stop(self) -> None:
        await self._queue_outcomes.stop()


PLUGIN = Plugin("tickets", build=Tickets, models=(models,), commands=(
    CliGroup("calls", calls_app, "Calls the engine has handled."),
    CliGroup("tickets", tickets_app, "Tickets opened for calls."),
    CliGroup("contacts", contacts_app, "People the IVR can identify by PIN."),
))
