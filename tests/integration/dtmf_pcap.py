"""RFC 4733 telephone-event packets (and G.711 speech) as pcap files, for sipp's
``play_pcap_audio``.

sipp replays a pcap's RTP headers as they are. The pcaps it ships carry one key each with fixed
sequence numbers, so a key sent twice in a call (or after a key with a higher sequence number)
is dropped by Asterisk as a duplicate. These files continue one RTP stream across a call: each
call gets a :class:`DtmfStream`, and each burst of keys continues its sequence and timestamps.
"""

from __future__ import annotations

import struct
from pathlib import Path

PCMU_PAYLOAD_TYPE = 0  # G.711 mu-law, the audio the test callers offer in their SDP
EVENT_CODES = {**{d: int(d) for d in "0123456789"}, "*": 10, "#": 11}
PAYLOAD_TYPE = 101  # the telephone-event type the test callers offer in their SDP
PACKET_INTERVAL_US = 20_000
SAMPLES_PER_PACKET = 160  # 20 ms at 8 kHz
TONE_PACKETS = 6  # 120 ms of tone, then three end packets
KEY_SPACING_US = 300_000  # from one key's start to the next one's
SSRC = 0x43454E54
# Ethernet + IPv4 + UDP headers of a 16-byte RTP packet, as in the pcaps sipp ships (sipp
# sends only the RTP part, to the call's media address).
_FRAME_HEADER = bytes.fromhex(
    "0050bf990336000d8714ac2408004500002cf6990000401102d3c0a80003c0a80001c018271000187bed")
_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


class DtmfStream:
    """One call's stream of key presses."""

    def __init__(self) -> None:
        self._sequence = 1000
        self._timestamp = 8000

    def write(self, path: Path, keys: str) -> float:
        """Write ``keys`` as a pcap at ``path``; return how long it plays, in seconds."""
        records = []
        start_us = 0
        for key in keys:
            for index, (end, duration) in enumerate(_event_packets()):
                header = struct.pack("!BBHII", 0x80, (0x80 if index == 0 else 0) | PAYLOAD_TYPE,
                                     self._sequence & 0xFFFF, self._timestamp & 0xFFFFFFFF, SSRC)
                event = struct.pack("!BBH", EVENT_CODES[key], (0x80 if end else 0) | 10,
                                    duration)
                frame = _FRAME_HEADER + header + event
                at_us = start_us + index * PACKET_INTERVAL_US
                records.append(struct.pack("<IIII", at_us // 1_000_000, at_us % 1_000_000,
                                           len(frame), len(frame)) + frame)
                self._sequence += 1
            self._timestamp += KEY_SPACING_US * 8 // 1000
            start_us += KEY_SPACING_US
        path.write_bytes(_PCAP_HEADER + b"".join(records))
        return start_us / 1_000_000

    def write_speech(self, path: Path, ulaw: bytes) -> float:
        """Write G.711 mu-law audio (8 kHz) as a pcap at ``path``; return how long it plays."""
        records = []
        chunks = [ulaw[at:at + SAMPLES_PER_PACKET]
                  for at in range(0, len(ulaw), SAMPLES_PER_PACKET)]
        for index, chunk in enumerate(chunks):
            header = struct.pack("!BBHII", 0x80, (0x80 if index == 0 else 0) | PCMU_PAYLOAD_TYPE,
                                 self._sequence & 0xFFFF, self._timestamp & 0xFFFFFFFF, SSRC)
            frame = _udp_frame(header + chunk)
            at_us = index * PACKET_INTERVAL_US
            records.append(struct.pack("<IIII", at_us // 1_000_000, at_us % 1_000_000,
                                       len(frame), len(frame)) + frame)
            self._sequence += 1
            self._timestamp += len(chunk)
        path.write_bytes(_PCAP_HEADER + b"".join(records))
        return len(chunks) * PACKET_INTERVAL_US / 1_000_000


def _udp_frame(payload: bytes) -> bytes:
    """Ethernet, IPv4 and UDP headers around ``payload``, lengths right (sipp reads them)."""
    udp = struct.pack("!HHHH", 49176, 10000, 8 + len(payload), 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(payload), 0, 0, 64, 17, 0,
                     bytes([192, 168, 0, 3]), bytes([192, 168, 0, 1]))
    return _FRAME_HEADER[:14] + ip + udp + payload


def _event_packets() -> list[tuple[bool, int]]:
    """(end bit, duration) of one key: growing tone packets, then three end packets."""
    tone = [(False, n * SAMPLES_PER_PACKET) for n in range(TONE_PACKETS)]
    final = TONE_PACKETS * SAMPLES_PER_PACKET
    return [*tone, (True, final), (True, final), (True, final)]
