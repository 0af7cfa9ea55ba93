"""The plugin contract: what domains offer each other, and how the engine builds, starts and
stops them (no Asterisk: AMI and ARI keep trying in the background)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from centralino.app.domains import PLUGINS
from centralino.app.engine import Engine
from centralino.core.call_session import CallSession
from centralino.core.domain import Core, Domain, Plugin, Services
from centralino.core.hours import plugin as hours
from centralino.core.hours.service import HoursService
from centralino.core.stasis import CallScript
from config.secrets import Secrets
from config.settings import Settings
from tests.conftest import sqlite_url
from tests.unit.core.test_ami_client import unused_port


class Greeter:
    """What one fake domain offers the next."""

    def __init__(self, word: str) -> None:
        self.word = word


class Recorded(Domain):
    """A domain that writes down what the engine does with it."""

    def __init__(self, name: str, core: Core, log: list[str]) -> None:
        self.name, self._log = name, log
        if name == "first":
            core.services.provide(Greeter, Greeter("ciao"), by=name)
        else:
            log.append(f"{name} got {core.services.get(Greeter).word}")
        self.hours = core.services.get(HoursService)

    def routers(self) -> Sequence[APIRouter]:
        router = APIRouter()
        router.add_api_route(f"/api/{self.name}", lambda: {"domain": self.name})
        return [router]

    def scripts(self) -> Mapping[str, CallScript]:
        async def script(_session: CallSession) -> None:
            return None

        return {self.name: script}

    async def start(self) -> None:
        self._log.append(f"start {self.name}")

    async def stop(self) -> None:
        self._log.append(f"stop {self.name}")


def recorded(name: str, log: list[str]) -> Plugin:
    return Plugin(name, build=lambda core: Recorded(name, core, log))


def test_a_service_is_found_by_the_type_it_was_provided_under() -> None:
    services = Services()
    greeter = Greeter("salve")
    services.provide(Greeter, greeter, by="first")
    assert services.get(Greeter) is greeter


def test_a_service_is_provided_once() -> None:
    services = Services()
    services.provide(Greeter, Greeter("a"), by="first")
    with pytest.raises(ValueError, match="provided by first already; second"):
        services.provide(Greeter, Greeter("b"), by="second")


def test_asking_for_a_service_nobody_provides_names_it_and_the_list_to_check() -> None:
    with pytest.raises(LookupError, match=r"no domain provides Greeter .*centralino.app.domains"):
        Services().get(Greeter)


def test_every_domain_is_listed_once_and_the_cli_groups_do_not_clash() -> None:
    names = [plugin.name for plugin in PLUGINS]
    assert len(names) == len(set(names))
    groups = [group.name for plugin in PLUGINS for group in plugin.commands]
    assert len(groups) == len(set(groups))


async def test_domains_start_in_order_stop_in_reverse_and_serve_their_routes_and_scripts(
        tmp_path: Path) -> None:
    port = unused_port()
    settings = Settings.model_validate({
        "version": 1, "database_url": sqlite_url(tmp_path),
        "web": {"port": port},
        "asterisk": {"ami": {"port": unused_port()}, "ari": {"port": unused_port()}},
        "recordings": {"dir": str(tmp_path / "recordings")}})
    log: list[str] = []
    engine = Engine(settings, Secrets("ami", "ari", {}, "pin", "k" * 32),
                    plugins=(hours.PLUGIN, recorded("first", log), recorded("second", log)))
    assert log == ["second got ciao"]  # built in order: the first one's service was there
    with pytest.raises(ValueError, match="'first' exists already"):
        engine.dispatcher.add_script("first", Recorded.scripts)  # type: ignore[arg-type]

    stop = asyncio.Event()
    running = asyncio.create_task(engine.run(stop))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(100):
            try:
                answer = await client.get("/api/second")
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.05)
        assert answer.status_code == 401  # the route is there, and private by default
    assert log == ["second got ciao", "start first", "start second"]
    stop.set()
    await asyncio.wait_for(running, 15)
    assert log[-2:] == ["stop second", "stop first"]
