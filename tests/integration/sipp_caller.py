"""Place real SIP calls with sipp: a caller who waits, presses keys (RFC 4733) and hangs up.

The scenario is written per call from a list of steps, so a test reads as what the caller
does: ``place_call(settings, [Pause(2000), Press("4")], end=WAIT_FOR_BYE)``.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from config.settings import Settings

from .dtmf_pcap import DtmfStream
from .sip_messages import sdp_offer

KEY_GAP_MS = 200  # after a burst of keys, before the next step

WAIT_FOR_BYE: Literal["wait_for_bye"] = "wait_for_bye"
HANG_UP: Literal["hang_up"] = "hang_up"


@dataclass(frozen=True)
class Pause:
    ms: int


@dataclass(frozen=True)
class Press:
    """Keys sent one after another as RFC 4733 events."""

    keys: str


@dataclass(frozen=True)
class Speak:
    """Audio the caller says: G.711 mu-law samples at 8 kHz (see voicemail/speech.py)."""

    ulaw: bytes


Step = Pause | Press | Speak


@dataclass(frozen=True)
class SippResult:
    returncode: int
    output: str

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0


_HEADERS = """\
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Centralino Test" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>{to_tag}
      Call-ID: [call_id]
      CSeq: {cseq}
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70"""

_INVITE = """\
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
{headers}
{sdp}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
{ack_headers}
      Content-Length: 0
    ]]>
  </send>
"""

_WAIT_FOR_BYE = """\
  <recv request="BYE" timeout="{timeout_ms}"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
"""

_HANG_UP = """\
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
{headers}
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
"""


def scenario_xml(steps: list[Step], end: Literal["wait_for_bye", "hang_up"], workdir: Path,
                 bye_timeout_ms: int = 60000) -> str:
    """A sipp UAC scenario: call, then ``steps``, then wait for the BYE or send one.

    Keys (RFC 4733 events) and speech are pcap files written to ``workdir``, one RTP stream
    per call. Each plays to its end before the next step, except the last one before waiting
    for the BYE: the IVR may hang up while it plays (a message ended by the caller's silence).
    """
    body = [_INVITE.format(sdp=sdp_offer("user1"),
                           headers=_HEADERS.format(to_tag="", cseq="1 INVITE"),
                           ack_headers=_HEADERS.format(to_tag="[peer_tag_param]",
                                                       cseq="1 ACK"))]
    stream = DtmfStream()
    for number, step in enumerate(steps):
        if isinstance(step, Pause):
            body.append(f'  <pause milliseconds="{step.ms}"/>\n')
            continue
        pcap = workdir / f"rtp-{number}.pcap"
        seconds = (stream.write_speech(pcap, step.ulaw) if isinstance(step, Speak)
                   else stream.write(pcap, step.keys))
        body.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n')
        if number < len(steps) - 1 or end != WAIT_FOR_BYE:  # else the BYE may cut it short
            body.append(f'  <pause milliseconds="{int(seconds * 1000) + KEY_GAP_MS}"/>\n')
    if end == WAIT_FOR_BYE:
        body.append(_WAIT_FOR_BYE.format(timeout_ms=bye_timeout_ms))
    else:
        body.append(_HANG_UP.format(headers=_HEADERS.format(to_tag="[peer_tag_param]",
                                                            cseq="2 BYE")))
    return ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
            '<!DOCTYPE scenario SYSTEM "sipp.dtd">\n'
            '<scenario name="centralino test caller">\n' + "".join(body) + "</scenario>\n")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def place_call(settings: Settings, steps: list[Step],
                     end: Literal["wait_for_bye", "hang_up"], caller: str = "3331234567",
                     timeout: float = 90.0) -> SippResult:
    """Dial the toll-free number from ``caller`` and do ``steps``; return how sipp ended."""
    with tempfile.TemporaryDirectory() as workdir:
        directory = Path(workdir)
        scenario = directory / "scenario.xml"
        scenario.write_text(scenario_xml(steps, end, directory, int(timeout * 1000)),
                            encoding="ascii")
        callers = directory / "callers.csv"
        callers.write_text(f"SEQUENTIAL\n{caller};\n", encoding="ascii")
        sip = settings.asterisk.sip
        errors = directory / "errors.log"
        command = [
            "sipp", f"{sip.host}:{sip.port}", "-sf", str(scenario),
            "-s", settings.toll_free.number, "-inf", str(callers), "-m", "1", "-l", "1",
            "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mp", str(free_udp_port()),
            "-timeout", f"{int(timeout)}s", "-timeout_error", "-nostdin", "-trace_err",
            "-error_file", str(errors),
        ]
        process = await asyncio.create_subprocess_exec(
            *command, cwd=workdir, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout + 15)
        details = errors.read_text(errors="replace") if errors.exists() else ""
        return SippResult(process.returncode or 0, stdout.decode(errors="replace")[-2000:]
                          + details[-2000:])
