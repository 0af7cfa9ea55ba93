"""Operator seats as real SIP phones: sipp registers a seat with its password, then answers.

A seat is two sipp runs on the same UDP port (the endpoint has ``rewrite_contact``, so the
registered contact is the port the REGISTER came from): a REGISTER with digest auth
(``-au/-ap``), then a UAS that rings and answers every INVITE and waits for the BYE, or rings
and never answers (the queue gives up after its ring timeout and CANCELs).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings

from ..sip_messages import REPLY_OK
from ..sipp_caller import SippResult, free_udp_port

_HEADER = ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
           '<!DOCTYPE scenario SYSTEM "sipp.dtd">\n')

_REGISTER = """\
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{seat}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{seat}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: {cseq} REGISTER
      Contact: {contact}
      Expires: {expires}
      Max-Forwards: 70{auth}
      Content-Length: 0
    ]]>
  </send>
"""

_RINGING = """\
  <recv request="INVITE" crlf="true" rrs="true">{keep_cseq}</recv>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:{seat}@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
"""

_KEEP_CSEQ = """
    <action>
      <ereg regexp=".*" search_in="hdr" header="CSeq:" check_it="true" assign_to="invite_cseq"/>
    </action>
  """

# While it rings, the caller may give up (the queue CANCELs): a ringing phone answers that
# with 200 and 487, as a real one does; an INVITE left without a final answer would keep the
# seat busy in Asterisk for the 32 s of its transaction timeout.
_ANSWER = """\
  <recv request="CANCEL" timeout="{answer_after_ms}" ontimeout="answer"/>
{cancelled}
  <label id="answer"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:{seat}@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=seat 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv request="ACK" crlf="true">{keep_tags}</recv>
{hang_up}  <recv request="BYE"/>
{reply_ok}  <label id="done"/>
"""

_KEEP_TAGS = """
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="caller"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="callee"/>
    </action>
  """

# The operator hangs up first: the seat's own BYE, after talking for a while.
_HANG_UP = """\
  <pause milliseconds="{talk_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From:[$callee]
      To:[$caller]
      [last_Call-ID:]
      CSeq: 1 BYE
      Contact: <sip:{seat}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" next="done"/>
"""

_CANCELLED = """\
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq:[$invite_cseq]
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"{next}/>
"""

_NO_ANSWER = '  <recv request="CANCEL"/>\n' + _CANCELLED.format(next="")


def register_xml(seat: str, expires: int) -> str:
    """A UAC scenario: REGISTER, answer the 401 challenge with -au/-ap, expect 200.

    ``expires=0`` removes every contact of the seat (``Contact: *``).
    """
    contact = "*" if expires == 0 else f"<sip:{seat}@[local_ip]:[local_port]>"
    first = _REGISTER.format(seat=seat, cseq=1, expires=expires, contact=contact, auth="")
    second = _REGISTER.format(seat=seat, cseq=2, expires=expires, contact=contact,
                              auth="\n      [authentication]")
    return (_HEADER + '<scenario name="seat register">\n' + first
            + '  <recv response="401" auth="true"/>\n' + second
            + '  <recv response="200"/>\n</scenario>\n')


def phone_xml(seat: str, answer: bool, answer_after_ms: int = 300,
              hang_up_after_ms: int | None = None) -> str:
    """A UAS scenario for each INVITE: ring, then answer and wait for the BYE (or hang up
    itself after ``hang_up_after_ms``), or never answer."""
    # the 487 answers the INVITE, after a CANCEL: keep the INVITE's CSeq
    body = _RINGING.format(seat=seat, keep_cseq=_KEEP_CSEQ)
    if answer:
        # sipp refuses a scenario with variables it never uses: the tags only when needed
        hangs_up = hang_up_after_ms is not None
        body += _ANSWER.format(seat=seat, reply_ok=REPLY_OK, answer_after_ms=answer_after_ms,
                               cancelled=_CANCELLED.format(next=' next="done"'),
                               keep_tags=_KEEP_TAGS if hangs_up else "",
                               hang_up=_HANG_UP.format(seat=seat, talk_ms=hang_up_after_ms)
                               if hangs_up else "")
    else:
        body += _NO_ANSWER
    return _HEADER + '<scenario name="seat phone">\n' + body + "</scenario>\n"


async def _sipp(arguments: list[str], timeout: float) -> SippResult:
    process = await asyncio.create_subprocess_exec(
        "sipp", *arguments, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout)
    return SippResult(process.returncode or 0, stdout.decode(errors="replace")[-2000:])


async def register(settings: Settings, seat: str, password: str, port: int,
                   expires: int = 3600) -> SippResult:
    """REGISTER ``seat`` from 127.0.0.1:``port`` (``expires=0``: unregister every contact)."""
    with tempfile.TemporaryDirectory() as workdir:
        scenario = Path(workdir) / "register.xml"
        scenario.write_text(register_xml(seat, expires), encoding="ascii")
        sip = settings.asterisk.sip
        return await _sipp([
            f"{sip.host}:{sip.port}", "-sf", str(scenario), "-s", seat, "-au", seat,
            "-ap", password, "-m", "1", "-i", "127.0.0.1", "-p", str(port),
            "-timeout", "10s", "-timeout_error", "-nostdin"], timeout=20)


@dataclass
class SeatPhone:
    """A registered seat's phone, running until the context that made it ends."""

    seat: str
    port: int
    process: asyncio.subprocess.Process


@contextlib.asynccontextmanager
async def seat_phone(settings: Settings, seat: str, password: str, answer: bool = True,
                     hang_up_after_ms: int | None = None) -> AsyncIterator[SeatPhone]:
    """Register ``seat`` and run its phone (answering or not, hanging up first after
    ``hang_up_after_ms`` or waiting for the caller's BYE); unregister it on the way out."""
    port = free_udp_port()
    result = await register(settings, seat, password, port)
    assert result.succeeded, f"{seat} did not register: {result.output}"
    with tempfile.TemporaryDirectory() as workdir:
        scenario = Path(workdir) / "phone.xml"
        scenario.write_text(phone_xml(seat, answer, hang_up_after_ms=hang_up_after_ms),
                            encoding="ascii")
        process = await asyncio.create_subprocess_exec(
            "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port),
            "-mp", str(free_udp_port()), "-nostdin", "-trace_err",
            "-error_file", str(Path(workdir) / "errors.log"),
            cwd=workdir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            yield SeatPhone(seat, port, process)
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
            await register(settings, seat, password, port, expires=0)
