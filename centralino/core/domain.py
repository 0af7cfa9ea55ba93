"""What the engine gives a domain and what a domain gives the engine: the plugin contract.

Each domain package has one ``plugin.py`` whose module-level ``PLUGIN`` names its models, its
CLI commands and how to build it from the :class:`Core`. The composition root
(:mod:`centralino.app.domains`) lists the plugins in order; the engine builds and starts them in
that order and stops them in reverse, the CLI and the schema read the same list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any, TypeVar, cast

import typer
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from centralino.core.ami import AmiClient
from centralino.core.ari import AriClient
from centralino.core.bus import EventBus
from centralino.core.group_commit import GroupCommit
from centralino.core.stasis import CallScript
from config.secrets import Secrets
from config.settings import Settings

T = TypeVar("T")


class Services:
    """What domains offer each other at run time, keyed by a type (a class or a Protocol).

    A domain provides under a type it owns or a Protocol of a lower layer, and a later domain
    asks for it by that type: neither imports the other's wiring.
    """

    def __init__(self) -> None:
        self._provided: dict[type[Any], tuple[str, Any]] = {}

    def provide(self, key: type[T], value: T, *, by: str) -> None:
        """Offer ``value`` under ``key``; ``by`` names the domain (for error messages)."""
        if key in self._provided:
            raise ValueError(f"{key.__qualname__} is provided by {self._provided[key][0]} "
                             f"already; {by} cannot provide it again")
        self._provided[key] = (by, value)

    def get(self, key: type[T]) -> T:
        """The value offered under ``key``; LookupError if no domain built so far offers it."""
        try:
            return cast(T, self._provided[key][1])
        except KeyError:
            raise LookupError(f"no domain provides {key.__qualname__} (is the domain that does "
                              "listed before the one asking, in centralino.app.domains?)") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Core:
    """The typed dependencies every domain is built from."""

    settings: Settings
    secrets: Secrets
    sessions: async_sessionmaker[AsyncSession]
    call_writes: GroupCommit  # the calls' small writes, batched in a thread of their own
    bus: EventBus
    ami: AmiClient
    ari: AriClient
    clock: Callable[[], datetime]
    services: Services


class Domain:
    """A built domain as the engine runs it; a domain overrides what it has."""

    def routers(self) -> Sequence[APIRouter]:
        """Its web routes."""
        return ()

    def scripts(self) -> Mapping[str, CallScript]:
        """Its Stasis call scripts, by the first ``Stasis()`` argument that selects them."""
        return {}

    async def start(self) -> None:
        """Called in the plugins' order, before AMI and ARI connect."""

    async def stop(self) -> None:
        """Called in reverse order, after the calls were handed over, before AMI/ARI close."""


@dataclass(frozen=True, slots=True)
class CliGroup:
    """One ``centralino NAME ...`` command group."""

    name: str
    app: typer.Typer
    help: str


@dataclass(frozen=True, slots=True)
class Plugin:
    """A domain's entry point: what the engine, the CLI and the schema take from it."""

    name: str
    build: Callable[[Core], Domain] | None = None  # None: nothing runs in the engine
    commands: Sequence[CliGroup] = field(default=())
    models: Sequence[ModuleType] = field(default=())  # its table modules, for the schema
