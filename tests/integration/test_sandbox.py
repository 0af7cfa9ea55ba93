"""The sandbox Asterisk, for real: up, AMI and ARI answer, the AMI client survives restarts, down.

Runs its own instance (``test-sandbox``, its own ports and secrets) so neither the product's
default instance nor the integration suite's instance is disturbed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from centralino.core.ami import AmiClient, AmiConnectionLost, AmiError, AmiUnavailable
from centralino.core.sandbox import process
from centralino.core.sandbox.errors import SandboxError
from centralino.core.sandbox.tools import tools_ami_client
from config.loader import load_settings
from config.secrets import SECRETS_FILE_ENV, load_secrets
from config.settings import Settings

pytestmark = pytest.mark.integration

SIP_PORT, AMI_PORT, ARI_PORT = 5170, 5178, 8178


SANDBOX_CONFIG = f"""\
version: 1
asterisk:
  ami: {{port: {AMI_PORT}, ping_interval: 1, action_timeout: 5}}
  ari: {{port: {ARI_PORT}}}
  sip: {{port: {SIP_PORT}}}
  reconnect: {{initial_delay: 0.1, max_delay: 0.5}}
seats: {{count: 2}}
sandbox: {{instance: test-sandbox, boot_timeout: 30}}
"""


@pytest.fixture(scope="module")
def sandbox_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The instance's config file; its secrets file is set in the environment meanwhile."""
    base = tmp_path_factory.mktemp("sandbox")
    path = base / "sandbox.yaml"
    path.write_text(SANDBOX_CONFIG, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRETS_FILE_ENV, str(base / "secrets.yaml"))
        yield path


@pytest.fixture(scope="module")
def sandbox_settings(sandbox_config: Path) -> Iterator[Settings]:
    settings = load_settings(sandbox_config)
    process.down(settings)  # a leftover from an interrupted run
    yield settings
    process.down(settings)


@pytest.fixture(scope="module")
def running(sandbox_settings: Settings) -> process.SandboxStatus:
    return process.up(sandbox_settings)


async def until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(0.05)


def ami_client(settings: Settings) -> AmiClient:
    return AmiClient(settings.asterisk, load_secrets(settings.seats.names).ami_secret)


def tools_client(settings: Settings) -> AmiClient:
    return tools_ami_client(settings, load_secrets(settings.seats.names))


def test_up_reports_a_running_instance_on_the_configured_ports(
        sandbox_settings: Settings, running: process.SandboxStatus) -> None:
    assert running.running and running.pid
    assert (running.sip_port, running.ami_port, running.ari_port) == (SIP_PORT, AMI_PORT, ARI_PORT)
    assert running.seats == ["seat1", "seat2"]
    assert running.toll_free_number == "800100100"
    assert process.status(sandbox_settings) == running
    assert process.up(sandbox_settings).pid == running.pid  # already up: just reported
    root = Path(running.root)
    assert (root / "var/lib/centralino/test-sandbox/etc/pjsip.conf").exists()
    assert Path(running.log_file).exists()


async def test_ami_client_logs_in_to_asterisk_22(
        sandbox_settings: Settings, running: process.SandboxStatus) -> None:
    client = ami_client(sandbox_settings)
    await client.start()
    try:
        await client.wait_fully_booted(10)
        assert client.connected and client.last_error is None
        settings = await client.send_action({"Action": "CoreSettings"})
        assert settings.success
        assert settings["AsteriskVersion"].startswith("22."), settings
    finally:
        await client.close()
    assert not client.connected


async def test_the_engines_ami_user_is_refused_commands_config_and_system_actions(
        sandbox_settings: Settings, running: process.SandboxStatus) -> None:
    engine_user, tools = ami_client(sandbox_settings), tools_client(sandbox_settings)
    await engine_user.start()
    await tools.start()
    try:
        await engine_user.wait_fully_booted(10)
        await tools.wait_fully_booted(10)
        for action in ({"Action": "Command", "Command": "core show version"},
                       {"Action": "GetConfig", "Filename": "manager.conf"},
                       {"Action": "UpdateConfig", "SrcFilename": "manager.conf",
                        "DstFilename": "manager.conf"},
                       {"Action": "ModuleLoad", "Module": "app_test.so", "LoadType": "load"},
                       {"Action": "Hangup", "Channel": "PJSIP/nobody-0"},
                       {"Action": "Redirect", "Channel": "PJSIP/nobody-0", "Context": "x",
                        "Exten": "s", "Priority": "1"}):
            refused = await engine_user.send_action(action)
            assert not refused.success, (action, refused)
            assert "Permission denied" in refused.get("Message", ""), (action, refused)
        with pytest.raises(AmiError, match="Permission denied"):
            await engine_user.command("dialplan show from-tollfree")
        text = await tools.command("dialplan show from-tollfree")
        assert "800100100" in text and "Stasis(centralino,tollfree,${CHANNEL(linkedid)})" in text
    finally:
        await engine_user.close()
        await tools.close()


async def test_ari_answers_its_user_and_refuses_a_wrong_password(
        sandbox_settings: Settings, running: process.SandboxStatus) -> None:
    ari = sandbox_settings.asterisk.ari
    password = load_secrets(sandbox_settings.seats.names).ari_password
    url = f"http://{sandbox_settings.asterisk.host}:{ari.port}/ari/asterisk/info"
    async with aiohttp.ClientSession() as http:
        good = {"Authorization": aiohttp.encode_basic_auth(ari.username, password)}
        async with http.get(url, headers=good) as response:
            assert response.status == 200
            info = await response.json()
        assert info["system"]["version"].startswith("22.")
        bad = {"Authorization": aiohttp.encode_basic_auth(ari.username, "wrong")}
        async with http.get(url, headers=bad) as response:
            assert response.status == 401


async def test_the_watchdog_drops_a_connection_asterisk_stops_answering(
        sandbox_settings: Settings, running: process.SandboxStatus) -> None:
    """A frozen Asterisk keeps the TCP connection open: only the unanswered Ping reveals it."""
    client = ami_client(sandbox_settings)
    await client.start()
    try:
        await until(lambda: client.connected, 10, "AMI login")
        os.kill(running.pid, signal.SIGSTOP)
        try:
            originate = asyncio.create_task(client.send_action({
                "Action": "Originate", "Channel": "Local/s@engine-unavailable",
                "Application": "Wait", "Data": "1"}))
            await until(lambda: not client.connected, 5, "watchdog noticing the frozen Asterisk")
            assert "Ping" in (client.last_error or "")
            # Never re-sent on the next connection (it could dial twice): its caller is told.
            with pytest.raises(AmiConnectionLost):
                await originate
            with pytest.raises(AmiUnavailable):
                await client.send_action({"Action": "Ping"})
        finally:
            os.kill(running.pid, signal.SIGCONT)
        await until(lambda: client.connected, 10, "AMI login after SIGCONT")
        assert (await client.send_action({"Action": "Ping"})).success
    finally:
        await client.close()


def test_up_refuses_a_port_taken_by_another_program(sandbox_settings: Settings,
                                                    running: process.SandboxStatus) -> None:
    busy = sandbox_settings.model_copy(update={"sandbox": sandbox_settings.sandbox.model_copy(
        update={"instance": "test-sandbox-busy"})})
    # The running test-sandbox instance holds these very ports.
    with pytest.raises(SandboxError, match=r"asterisk\.ami\.port"):
        process.up(busy)
    assert not process.status(busy).running


async def test_ami_client_started_before_asterisk_connects_once_it_is_up(
        sandbox_settings: Settings, running: process.SandboxStatus) -> None:
    await asyncio.to_thread(process.down, sandbox_settings)
    assert not process.status(sandbox_settings).running
    client = ami_client(sandbox_settings)
    await client.start()
    try:
        await asyncio.sleep(1.0)  # several failed attempts, none of them blocking the loop
        assert not client.connected and client.last_error
        await asyncio.to_thread(process.up, sandbox_settings)
        await client.wait_fully_booted(15)
        assert client.connected
        # Asterisk restarts under the client: it reconnects by itself.
        await asyncio.to_thread(process.down, sandbox_settings)
        await until(lambda: not client.connected, 5, "noticing Asterisk's shutdown")
        await asyncio.to_thread(process.up, sandbox_settings)
        await client.wait_fully_booted(15)
        assert (await client.send_action({"Action": "Ping"})).success
    finally:
        await client.close()


def test_down_stops_the_instance_and_is_idempotent(sandbox_settings: Settings) -> None:
    process.up(sandbox_settings)
    assert process.down(sandbox_settings) is True
    status = process.status(sandbox_settings)
    assert not status.running and status.pid is None
    assert process.down(sandbox_settings) is False
    with socket.socket() as sock:  # the AMI port is free again
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", AMI_PORT))


def centralino(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "centralino", *args], capture_output=True,
                          text=True, timeout=90, check=False)


def test_the_cli_brings_the_sandbox_up_reports_it_and_takes_it_down(sandbox_config: Path,
                                                                    sandbox_settings: Settings
                                                                    ) -> None:
    config = ["--config", str(sandbox_config)]
    started = centralino("sandbox", "up", *config)
    assert started.returncode == 0, started.stderr
    assert "Traceback" not in started.stderr
    assert "running" in started.stdout and f"127.0.0.1:{SIP_PORT}" in started.stdout
    reported = centralino("sandbox", "status", "--json", *config)
    assert reported.returncode == 0, reported.stderr
    status = json.loads(reported.stdout)
    assert status["running"] is True and status["ami_port"] == AMI_PORT
    assert status["seats"] == ["seat1", "seat2"] and status["instance"] == "test-sandbox"
    logs = centralino("sandbox", "logs", "-n", "5", *config)
    assert logs.returncode == 0 and len(logs.stdout.splitlines()) == 5
    stopped = centralino("sandbox", "down", *config)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    reported = centralino("sandbox", "status", "--json", *config)
    assert reported.returncode == 0 and json.loads(reported.stdout)["running"] is False
