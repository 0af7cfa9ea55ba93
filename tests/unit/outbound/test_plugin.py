"""The outbound domain in the engine: without an outbound trunk nothing is dialled (every
number would fail as if it did not exist); with one, the dial loop runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from centralino.app.engine import Engine
from config.secrets import Secrets
from config.settings import Settings
from outbound.plugin import Outbound, _one_writer
from outbound.service import OutboundService
from tests.conftest import sqlite_url


def _outbound(tmp_path: Path, trunk: str | None) -> tuple[Outbound, OutboundService]:
    settings = Settings.model_validate({
        "version": 1, "database_url": sqlite_url(tmp_path),
        "recordings": {"dir": str(tmp_path / "recordings")},
        "toll_free": {"outbound_contact": trunk}})
    engine = Engine(settings, Secrets("ami", "ari", {}, "pin", "k" * 32))
    [domain] = [d for d in engine.domains if isinstance(d, Outbound)]
    return domain, engine.service(OutboundService)


@pytest.mark.parametrize(("trunk", "dialling"), [(None, False), ("sip:127.0.0.1:5070", True)])
async def test_the_dial_loop_runs_only_with_an_outbound_trunk(
        tmp_path: Path, trunk: str | None, dialling: bool) -> None:
    domain, service = _outbound(tmp_path, trunk)
    with capture_logs() as logs:
        await domain.start()
    try:
        assert service.running is dialling
        assert any(e["event"] == "outbound.no_trunk" for e in logs) is not dialling
    finally:
        await domain.stop()


def test_claims_and_results_share_the_group_commit_on_sqlite_only() -> None:
    assert _one_writer("sqlite+aiosqlite:///var/centralino.db")
    assert not _one_writer("postgresql+asyncpg://centralino@db/centralino")
