"""Roles as sets of permissions: what each kind of user may open, and where they land.

A route asks for a :class:`Permission`, never for a role: a new role is one more line of
:data:`ROLE_PERMISSIONS`, not a search through every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Permission(StrEnum):
    """One thing a user may open or do in the web app."""

    CONSOLE = "console"  # the operator console: the seat, screen-pops, ticket forms
    LIVE_VIEW = "live_view"  # the supervisor's live view of seats, queue and today's numbers
    RECORDINGS = "recordings"  # play or download the recordings of one's own tickets
    ALL_RECORDINGS = "all_recordings"  # ... and every other recording
    CALLBACKS = "callbacks"  # the callback list: call a task back, close it
    SEATS = "seats"  # GET /api/seats: the seats and who is at them
    HOURS_OVERRIDE = "hours_override"  # force the helpline open or closed
    IVR_RELOAD = "ivr_reload"  # load the IVR menu file again
    REPORTS = "reports"  # the contact center's reports (calls, queue, tickets)
    CAMPAIGNS = "campaigns"  # the outbound campaign pages
    CAMPAIGN_REPORTS = "campaign_reports"  # the campaigns' reports


class Role(StrEnum):
    """A kind of user; what it may do is :data:`ROLE_PERMISSIONS`, not its place in a list."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    CAMPAIGN_MANAGER = "campaign_manager"
    ADMIN = "admin"

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self]

    def may(self, permission: Permission) -> bool:
        """Whether this role has ``permission``."""
        return permission in ROLE_PERMISSIONS[self]


_OPERATOR = frozenset({Permission.CONSOLE, Permission.RECORDINGS, Permission.CALLBACKS,
                       Permission.SEATS})
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.OPERATOR: _OPERATOR,
    # Supervisors stand in for an operator, so they keep the console.
    Role.SUPERVISOR: _OPERATOR | {Permission.LIVE_VIEW, Permission.ALL_RECORDINGS,
                                  Permission.HOURS_OVERRIDE, Permission.REPORTS},
    # Outbound only: never the console, the live view or the recordings of inbound calls.
    Role.CAMPAIGN_MANAGER: frozenset({Permission.CAMPAIGNS, Permission.CAMPAIGN_REPORTS}),
    Role.ADMIN: frozenset(Permission),
}

HOME: Mapping[Role, str] = {
    Role.OPERATOR: "/console",
    Role.SUPERVISOR: "/supervisor",
    Role.CAMPAIGN_MANAGER: "/campaigns",
    Role.ADMIN: "/supervisor",
}
"""Where a role lands after signing in (``/`` when that page is not part of the app)."""

ROLE_LABELS: Mapping[Role, str] = {
    Role.OPERATOR: "operator", Role.SUPERVISOR: "supervisor",
    Role.CAMPAIGN_MANAGER: "campaign manager", Role.ADMIN: "admin",
}
