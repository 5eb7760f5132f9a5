"""Application payloads, byte by byte: DNS messages, TLS ClientHellos, QUIC Initials, HTTP.

Shaped like what phones send today: GREASE extensions, post-quantum key shares
that push a ClientHello past one segment or one QUIC packet, CRYPTO frames
shuffled between PING and PADDING as Chrome does, DNS answers with compressed
names, CNAME chains and HTTPS records with address hints.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from unstalk.netcap.parsers.quic import QUIC_V1, initial_keys

TYPE_A, TYPE_CNAME, TYPE_AAAA, TYPE_HTTPS = 1, 5, 28, 65

# -- DNS ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rr:
    """One answer record: ``value`` is an address (A, AAAA), a name (CNAME) or a target (HTTPS)."""

    owner: str
    rtype: int
    value: str
    hints: tuple[str, ...] = ()
    """HTTPS/SVCB ipv4hint and ipv6hint addresses."""
    ttl: int = 300


class _Message:
    """A DNS message being written, compressing names against what is already written."""

    def __init__(self) -> None:
        self.data = bytearray()
        self._known: dict[str, int] = {}

    def name(self, name: str) -> None:
        labels = [label for label in name.rstrip(".").split(".") if label]
        for index in range(len(labels)):
            suffix = ".".join(labels[index:]).lower()
            if suffix in self._known:
                self.data += struct.pack("!H", 0xC000 | self._known[suffix])
                return
            if len(self.data) < 0x3FFF:
                self._known[suffix] = len(self.data)
            raw = labels[index].encode()
            self.data += bytes((len(raw),)) + raw
        self.data += b"\0"

    def record(self, rr: Rr) -> None:
        self.name(rr.owner)
        self.data += struct.pack("!HHI", rr.rtype, 1, rr.ttl)
        length_at = len(self.data)
        self.data += b"\0\0"
        if rr.rtype in (TYPE_A, TYPE_AAAA):
            self.data += ipaddress.ip_address(rr.value).packed
        elif rr.rtype == TYPE_CNAME:
            self.name(rr.value)
        else:
            self.data += struct.pack("!H", 1)
            self.name(rr.value)
            self.data += _svc_param(1, b"\x02h2")
            for key, family in ((4, 4), (6, 6)):
                packed = b"".join(
                    ipaddress.ip_address(h).packed
                    for h in rr.hints
                    if ipaddress.ip_address(h).version == family
                )
                if packed:
                    self.data += _svc_param(key, packed)
        rdlength = len(self.data) - length_at - 2
        self.data[length_at : length_at + 2] = struct.pack("!H", rdlength)


def _svc_param(key: int, value: bytes) -> bytes:
    return struct.pack("!HH", key, len(value)) + value


def dns_message(
    questions: Sequence[tuple[str, int]],
    answers: Sequence[Rr] = (),
    *,
    ident: int = 0x2A2A,
    response: bool = False,
) -> bytes:
    message = _Message()
    flags = 0x8180 if response else 0x0100
    message.data += struct.pack("!HHHHHH", ident, flags, len(questions), len(answers), 0, 0)
    for name, qtype in questions:
        message.name(name)
        message.data += struct.pack("!HH", qtype, 1)
    for rr in answers:
        message.record(rr)
    return bytes(message.data)


def dns_query(name: str, qtype: int = TYPE_A, *, ident: int = 0x2A2A) -> bytes:
    return dns_message([(name, qtype)], ident=ident)


def dns_answer(
    name: str, answers: Sequence[Rr], qtype: int = TYPE_A, *, ident: int = 0x2A2A
) -> bytes:
    return dns_message([(name, qtype)], answers, ident=ident, response=True)


def tcp_framed(message: bytes) -> bytes:
    """A DNS message as sent over TCP: behind its two-byte length."""
    return struct.pack("!H", len(message)) + message


# -- TLS ---------------------------------------------------------------------------

GREASE = (0x0A0A, 0x1A1A, 0x2A2A, 0x3A3A, 0x4A4A)
_X25519 = 0x001D
_X25519_MLKEM768 = 0x11EC


def _ext(ext_type: int, body: bytes) -> bytes:
    return struct.pack("!HH", ext_type, len(body)) + body


def _vec16(body: bytes) -> bytes:
    return struct.pack("!H", len(body)) + body


def _extensions(sni: str | None, alpn: Sequence[str], *, post_quantum: bool, quic: bool) -> bytes:
    parts = [_ext(GREASE[0], b"")]
    if sni is not None:
        name = sni.encode()
        parts.append(_ext(0, _vec16(b"\0" + _vec16(name))))
    parts.append(_ext(23, b""))
    parts.append(_ext(0xFF01, b"\0"))
    parts.append(_ext(10, _vec16(struct.pack("!4H", GREASE[1], _X25519, 0x17, 0x18))))
    parts.append(_ext(11, b"\x01\x00"))
    if alpn:
        parts.append(_ext(16, _vec16(b"".join(bytes((len(p),)) + p.encode() for p in alpn))))
    parts.append(_ext(13, _vec16(struct.pack("!5H", 0x0403, 0x0804, 0x0401, 0x0503, 0x0805))))
    shares = struct.pack("!HH", GREASE[2], 1) + b"\0"
    if post_quantum:
        shares += struct.pack("!HH", _X25519_MLKEM768, 1216) + bytes(range(256)) * 4 + bytes(192)
    shares += struct.pack("!HH", _X25519, 32) + bytes(range(32))
    parts.append(_ext(51, _vec16(shares)))
    parts.append(_ext(45, b"\x01\x01"))
    parts.append(_ext(43, b"\x04" + struct.pack("!HH", GREASE[3], 0x0304)))
    if quic:
        parts.append(_ext(57, bytes.fromhex("0104800075300408ffffffffffffffff")))
    parts.append(_ext(GREASE[4], b"\0"))
    return b"".join(parts)


def client_hello(
    sni: str | None,
    *,
    alpn: Sequence[str] = ("h2", "http/1.1"),
    post_quantum: bool = False,
    quic: bool = False,
) -> bytes:
    """A ClientHello handshake message (4-byte header included)."""
    body = struct.pack("!H", 0x0303) + bytes(range(32))
    body += b"\x20" + bytes(range(32, 64))  # legacy session id
    body += _vec16(struct.pack("!4H", GREASE[0], 0x1301, 0x1302, 0xC02B))
    body += b"\x01\x00"
    body += _vec16(_extensions(sni, alpn, post_quantum=post_quantum, quic=quic))
    return b"\x01" + len(body).to_bytes(3, "big") + body


def tls_records(handshake: bytes, record_size: int = 16384) -> bytes:
    """Handshake bytes in TLS records of at most ``record_size`` bytes of payload."""
    return b"".join(
        struct.pack("!BHH", 22, 0x0301, len(handshake[i : i + record_size]))
        + handshake[i : i + record_size]
        for i in range(0, len(handshake), record_size)
    )


# -- QUIC --------------------------------------------------------------------------


def varint(value: int) -> bytes:
    if value < 0x40:
        return bytes((value,))
    if value < 0x4000:
        return struct.pack("!H", 0x4000 | value)
    return struct.pack("!I", 0x80000000 | value)


def crypto_frame(offset: int, data: bytes) -> bytes:
    return b"\x06" + varint(offset) + varint(len(data)) + data


PING = b"\x01"


def quic_initial(
    frames: bytes,
    *,
    dcid: bytes,
    scid: bytes = b"\x11\x22\x33\x44",
    version: int = QUIC_V1,
    packet_number: int = 0,
    size: int = 1200,
) -> bytes:
    """A client Initial packet protected as RFC 9001 section 5 says, padded to ``size`` bytes."""
    key, iv, hp = initial_keys(version, dcid)
    packet_type = 0 if version == QUIC_V1 else 1
    first = 0xC0 | (packet_type << 4) | 0x03  # 4-byte packet number
    head = struct.pack("!BI", first, version) + bytes((len(dcid),)) + dcid
    head += bytes((len(scid),)) + scid + varint(0)
    overhead = len(head) + 2 + 4 + 16
    frames += b"\0" * max(0, size - overhead - len(frames))
    pn = struct.pack("!I", packet_number)
    header = head + struct.pack("!H", 0x4000 | (len(frames) + 4 + 16)) + pn
    nonce = (int.from_bytes(iv, "big") ^ packet_number).to_bytes(12, "big")
    sealed = AESGCM(key).encrypt(nonce, frames, header)
    mask = Cipher(algorithms.AES(hp), modes.ECB()).encryptor().update(sealed[:16])
    protected = bytearray(header)
    protected[0] ^= mask[0] & 0x0F
    for index in range(4):
        protected[len(header) - 4 + index] ^= mask[1 + index]
    return bytes(protected) + sealed


# -- HTTP --------------------------------------------------------------------------


def http_request(
    host: str,
    path: str = "/",
    *,
    method: str = "GET",
    user_agent: str = "Dalvik/2.1.0 (Linux; U; Android 14)",
    absolute: bool = False,
    body: bytes = b"",
) -> bytes:
    target = f"http://{host}{path}" if absolute else path
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", f"User-Agent: {user_agent}"]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Accept-Encoding: gzip")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
