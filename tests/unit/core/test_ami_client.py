"""The AMI client when Asterisk is not there: it fails fast and keeps retrying quietly."""

from __future__ import annotations

import asyncio
import socket

import pytest

from centralino.core import metrics
from centralino.core.ami import AmiClient, AmiUnavailable
from config.settings import AsteriskSettings


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_on(port: int) -> AsteriskSettings:
    return AsteriskSettings.model_validate({
        "ami": {"port": port, "action_timeout": 1, "ping_interval": 1},
        "reconnect": {"initial_delay": 0.05, "max_delay": 0.1},
    })


async def test_actions_fail_fast_while_asterisk_is_unreachable() -> None:
    client = AmiClient(settings_on(unused_port()), "secret")
    with pytest.raises(AmiUnavailable, match="not connected"):
        await client.send_action({"Action": "Ping"})
    with pytest.raises(ValueError, match="Action"):
        await client.send_action({"Foo": "bar"})


async def test_start_returns_at_once_and_retries_in_the_background() -> None:
    client = AmiClient(settings_on(unused_port()), "secret")
    before = metrics.AMI_RECONNECTS._value.get()
    await asyncio.wait_for(client.start(), 0.5)
    await asyncio.sleep(0.6)
    assert not client.connected
    assert client.last_error and client.last_error.startswith("cannot connect")
    assert metrics.AMI_RECONNECTS._value.get() - before >= 3
    assert metrics.AMI_CONNECTED._value.get() == 0
    await client.close()
    with pytest.raises(TimeoutError):
        await client.wait_fully_booted(0.05)
