"""Pieces of SIP messages the sipp scenarios share (they are sipp keywords, not Python
format fields: fill them in with ``str.format`` as text)."""

from __future__ import annotations

REPLY_OK = """\
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
"""
"""A ``200 OK`` to the request just received (a BYE, a CANCEL)."""


def sdp_offer(owner: str) -> str:
    """The SDP of a phone that speaks G.711 mu-law and RFC 4733 DTMF, after its headers."""
    return f"""\
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o={owner} 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16"""
