"""Campaign customers behind the trunk: one sipp UAS on ``toll_free.outbound_contact`` that
acts by the dialled number's last digit, so one list holds every kind of customer.

=====  =========================================================================
digit  the customer
=====  =========================================================================
1      answers, says "Pronto?" (espeak-ng), listens, presses 1 (RFC 4733), waits
2      is busy (486)
3      rings and never answers (the CANCEL gets 200 and 487)
4      an answering machine: a greeting long enough for AMD to say MACHINE
5      answers, says "Pronto?" and hangs up a few seconds into the message
6      an unallocated number (404)
7      the network is congested (503)
8      as 1, but presses 2, then stays on the line until it is hung up
9      as 1, but presses 9
other  as 1
=====  =========================================================================

:func:`customer_number` makes such a number; :func:`customers` runs the phone, and with a
``trace`` file :func:`calls_per_number` counts, on the customers' side, the calls each number
got. The benchmark uses the same scenario (:func:`scenario_xml`) with sipp's own rate and
concurrency options.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from ..dtmf_pcap import DtmfStream
from ..sip_messages import REPLY_OK, sdp_offer
from ..sipp_caller import free_udp_port
from ..voicemail.speech import RATE, spoken

HUMAN = "1"
BUSY = "2"
NO_ANSWER = "3"
MACHINE = "4"
HANGS_UP = "5"
UNALLOCATED = "6"
CONGESTED = "7"
PRESSES_2 = "8"
PRESSES_9 = "9"

HELLO = ("Pronto?", "it")
GREETING = ("Ciao, sono Mario Rossi. In questo momento non posso rispondere. Lasciate un "
            "messaggio dopo il segnale acustico e vi richiamerò appena possibile. Grazie.", "it")
LISTEN_MS = 4000  # after "Pronto?": the script's first words, then the key
HANG_UP_AFTER_MS = 3000  # the customer who leaves mid-message
SILENCE = b"\xff"  # G.711 mu-law silence: the line stays open, as a real phone's does

_HEADER = ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
           '<!DOCTYPE scenario SYSTEM "sipp.dtd">\n<scenario name="campaign customers">\n')
_FINAL = """\
  <label id="{label}"/>
  <send>
    <![CDATA[
      SIP/2.0 {status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK" next="done"/>
"""
_INVITE = """\
  <recv request="INVITE" crlf="true" rrs="true">
    <action>
{kinds}
      <ereg regexp=".*" search_in="hdr" header="CSeq:" check_it="true" assign_to="invite_cseq"/>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="their_end"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="our_end"/>
    </action>
  </recv>
{jumps}
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:customer@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
  <nop test="no_answer" next="ringing"/>
  <pause milliseconds="200"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:customer@[local_ip]:[local_port]>
{sdp}
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <nop test="machine" next="machine"/>
  <nop><action><exec play_pcap_audio="{hello}"/></action></nop>
  <nop test="hangs_up" next="hangs_up"/>
  <recv request="BYE" timeout="{listen_ms}" ontimeout="press"/>
  <nop next="bye"/>
  <label id="press"/>
  <nop test="presses_2" next="press_2"/>
  <nop test="presses_9" next="press_9"/>
  <nop><action><exec play_pcap_audio="{key}"/></action></nop>
  <recv request="BYE" next="bye"/>
  <label id="press_2"/>
  <nop><action><exec play_pcap_audio="{key_2}"/></action></nop>
  <recv request="BYE" next="bye"/>
  <label id="press_9"/>
  <nop><action><exec play_pcap_audio="{key_9}"/></action></nop>
  <recv request="BYE" next="bye"/>
  <label id="machine"/>
  <nop><action><exec play_pcap_audio="{greeting}"/></action></nop>
  <recv request="BYE" next="bye"/>
  <label id="hangs_up"/>
  <recv request="BYE" timeout="{hang_up_ms}" ontimeout="leave"/>
  <label id="bye"/>
{reply_ok}  <nop next="done"/>
  <label id="leave"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From:[$our_end];tag=[pid]SIPpTag01[call_number]
      To:[$their_end]
      [last_Call-ID:]
      CSeq: 1 BYE
      Contact: <sip:customer@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" next="done"/>
  <label id="ringing"/>
  <recv request="CANCEL"/>
{reply_ok}  <send>
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
  <recv request="ACK" next="done"/>
{finals}  <label id="done"/>
</scenario>
"""
_KINDS = {"busy": (BUSY, "486 Busy Here"), "no_answer": (NO_ANSWER, ""),
          "machine": (MACHINE, ""), "hangs_up": (HANGS_UP, ""),
          "unallocated": (UNALLOCATED, "404 Not Found"),
          "congested": (CONGESTED, "503 Service Unavailable"),
          "presses_2": (PRESSES_2, ""), "presses_9": (PRESSES_9, "")}


def customer_number(kind: str, index: int) -> str:
    """An Italian mobile number (E.164) whose customer acts as ``kind`` (a digit above)."""
    if len(kind) != 1 or not kind.isdigit() or not 0 <= index < 100_000:
        raise ValueError(f"no customer {kind!r} number {index}")
    return f"+39333{index:05d}{kind}"


def _silence(ms: int) -> bytes:
    return SILENCE * (RATE * ms // 1000)


def scenario_xml(workdir: Path) -> str:
    """The customers' UAS scenario; its audio (pcap files) is written to ``workdir``."""
    stream = DtmfStream()
    hello, key, key_2, key_9, greeting = (
        workdir / name for name in ("hello.pcap", "key.pcap", "key_2.pcap", "key_9.pcap",
                                    "greeting.pcap"))
    stream.write_speech(hello, spoken(*HELLO) + _silence(LISTEN_MS))
    for path, digit in ((key, "1"), (key_2, "2"), (key_9, "9")):
        stream.write(path, digit)
    stream.write_speech(greeting, spoken(*GREETING))
    kinds = "\n".join(
        f'      <ereg regexp="INVITE sip:[^@ ]*{digit}@" search_in="msg" check_it="false" '
        f'assign_to="{name}"/>' for name, (digit, _) in _KINDS.items())
    jumps = "".join(f'  <nop test="{name}" next="{name}"/>\n'
                    for name, (_, status) in _KINDS.items() if status)
    finals = "".join(_FINAL.format(label=name, status=status)
                     for name, (_, status) in _KINDS.items() if status)
    return _HEADER + _INVITE.format(
        kinds=kinds, jumps=jumps, finals=finals, hello=hello, key=key, key_2=key_2,
        key_9=key_9, greeting=greeting,
        listen_ms=LISTEN_MS, hang_up_ms=HANG_UP_AFTER_MS, reply_ok=REPLY_OK,
        sdp=sdp_offer("customer"))


_INVITE_RECEIVED = re.compile(r"^INVITE sip:(\+?[0-9]+)@.*?^Call-ID:\s*(\S+)",
                               re.MULTILINE | re.DOTALL)


def calls_per_number(trace: Path) -> Counter[str]:
    """How many calls (distinct Call-IDs: a retransmitted INVITE is one call) each number got,
    from the SIP messages :func:`customers` wrote to ``trace``."""
    text = trace.read_text(encoding="utf-8", errors="replace") if trace.exists() else ""
    calls = {(number, call_id) for number, call_id in _INVITE_RECEIVED.findall(text)}
    return Counter(number for number, _ in calls)


@contextlib.asynccontextmanager
async def customers(port: int, *extra: str, trace: Path | None = None
                    ) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run the customers' phone on 127.0.0.1:``port`` until the block ends; ``extra``: more
    sipp options (``-l``, ...); ``trace``: where every SIP message is written."""
    if trace is not None:
        extra = (*extra, "-trace_msg", "-message_file", str(trace))
    with tempfile.TemporaryDirectory() as workdir:
        scenario = Path(workdir) / "customers.xml"
        scenario.write_text(scenario_xml(Path(workdir)), encoding="ascii")
        process = await asyncio.create_subprocess_exec(
            "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port),
            "-mp", str(free_udp_port()), "-nostdin", "-trace_err",
            "-error_file", str(Path(workdir) / "errors.log"), *extra, cwd=workdir,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            yield process
        finally:
            await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Stop sipp so that it writes out its message trace (a SIGKILL would lose the end)."""
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
    await process.wait()


async def _answer_until_stopped(port: int) -> None:
    async with customers(port) as process:
        print(f"campaign customers on 127.0.0.1:{port} (last digit of the number: 1 presses 1, "
              "2 busy, 3 no answer, 4 answering machine, 8 presses 2, 9 opts out); Ctrl-C stops")
        await process.wait()


if __name__ == "__main__":  # the README's tour: customers behind the sandbox's trunk
    import argparse

    parser = argparse.ArgumentParser(description="Campaign customers: a sipp phone behind the "
                                                 "trunk (toll_free.outbound_contact).")
    parser.add_argument("--port", type=int, default=5070)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_answer_until_stopped(parser.parse_args().port))
