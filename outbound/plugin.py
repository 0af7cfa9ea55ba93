"""Outbound campaigns as a domain: campaigns, their lists and the do-not-call list, the dialer
and the call scripts."""

from __future__ import annotations

from centralino.core.domain import Core, Domain, Plugin
from outbound import models


class Outbound(Domain):
    def __init__(self, core: Core) -> None:
        self._sessions = core.sessions


PLUGIN = Plugin("outbound", build=Outbound, models=(models,))
