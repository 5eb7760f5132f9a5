"""DNS messages (RFC 1035): questions and the answers that name addresses.

Only the header, the question section and the answer section are read: the
authority and additional sections never name what the client asked for.
Compression pointers are followed with a bounded number of jumps so a hostile
message cannot loop.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass

__all__ = [
    "DnsAnswer",
    "DnsFormatError",
    "DnsMessage",
    "parse_message",
    "qtype_name",
]

_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")
_QUESTION_FIXED = struct.Struct("!HH")
_SVC_PARAM = struct.Struct("!HH")

_MAX_NAME = 255
"""Longest name on the wire (RFC 1035 section 2.3.4)."""
_MAX_JUMPS = 32
"""A name has at most 127 labels, but real messages need a handful of pointers."""
_MAX_QUESTIONS = 32
"""Real resolvers send one question; mDNS a few dozen at most."""

TYPE_A = 1
TYPE_CNAME = 5
TYPE_AAAA = 28
TYPE_SVCB = 64
TYPE_HTTPS = 65

_QTYPE_NAMES = {
    1: "A",
    2: "NS",
    5: "CNAME",
    6: "SOA",
    12: "PTR",
    15: "MX",
    16: "TXT",
    28: "AAAA",
    33: "SRV",
    35: "NAPTR",
    41: "OPT",
    43: "DS",
    46: "RRSIG",
    47: "NSEC",
    48: "DNSKEY",
    64: "SVCB",
    65: "HTTPS",
    255: "ANY",
}

_SVC_IPV4HINT = 4
_SVC_IPV6HINT = 6


class DnsFormatError(ValueError):
    """The bytes are not a well-formed DNS message; ``reason`` is a short stable key."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed DNS message: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    name: str
    rtype: int
    ttl: int
    addresses: tuple[str, ...] = ()
    """From A and AAAA records and the address hints of HTTPS/SVCB records."""
    names: tuple[str, ...] = ()
    """CNAME targets and HTTPS/SVCB targets other than the owner itself."""


@dataclass(frozen=True, slots=True)
class DnsMessage:
    id: int
    response: bool
    rcode: int
    questions: tuple[tuple[str, int], ...]
    """``(name, qtype)`` pairs."""
    answers: tuple[DnsAnswer, ...]


def qtype_name(qtype: int) -> str:
    """Return the mnemonic of a record type (``A``, ``HTTPS`` ...) or its number."""
    return _QTYPE_NAMES.get(qtype) or str(qtype)


def parse_message(data: bytes) -> DnsMessage:
    """Decode the header, questions and answers of one DNS message.

    Names are returned lower-cased without the trailing dot (``.`` for the root).
    Raises :class:`DnsFormatError` when the message is cut short or inconsistent.
    """
    if len(data) < _HEADER.size:
        raise DnsFormatError("truncated")
    ident, flags, qdcount, ancount, _, _ = _HEADER.unpack_from(data)
    if flags & 0x7800 not in (0, 0x2000, 0x2800):
        # Opcodes other than QUERY (0), NOTIFY (4) and UPDATE (5) are unassigned:
        # a random UDP payload on port 53 is far more likely than a real one.
        raise DnsFormatError("bad-opcode")
    if qdcount > _MAX_QUESTIONS:
        raise DnsFormatError("too-many-questions")
    offset = _HEADER.size
    questions: list[tuple[str, int]] = []
    for _ in range(qdcount):
        name, offset = read_name(data, offset)
        if offset + 4 > len(data):
            raise DnsFormatError("truncated")
        qtype, _qclass = _QUESTION_FIXED.unpack_from(data, offset)
        offset += 4
        questions.append((name, qtype))
    answers: list[DnsAnswer] = []
    for _ in range(ancount):
        answer, offset = _read_answer(data, offset)
        if answer is not None:
            answers.append(answer)
    return DnsMessage(ident, bool(flags & 0x8000), flags & 0x000F, tuple(questions), tuple(answers))


def read_name(data: bytes, offset: int) -> tuple[str, int]:
    """Read a possibly compressed name at ``offset``; return it and the offset after it."""
    labels: list[bytes] = []
    wire_length = 1
    jumps = 0
    end = -1
    size = len(data)
    while True:
        if offset >= size:
            raise DnsFormatError("truncated")
        length = data[offset]
        if length >= 0xC0:
            jumps += 1
            if jumps > _MAX_JUMPS:
                raise DnsFormatError("compression-loop")
            if end < 0:
                end = offset + 2
            offset = _pointer(data, offset)
            continue
        if length == 0:
            break
        if length > 63:
            raise DnsFormatError("bad-label-type")
        wire_length += length + 1
        stop = offset + 1 + length
        if wire_length > _MAX_NAME or stop > size:
            raise DnsFormatError("name-too-long" if wire_length > _MAX_NAME else "truncated")
        labels.append(data[offset + 1 : stop])
        offset = stop
    if not labels:
        return ".", (end if end >= 0 else offset + 1)
    name = b".".join(labels).decode("ascii", "backslashreplace").lower()
    return name, (end if end >= 0 else offset + 1)


def _pointer(data: bytes, offset: int) -> int:
    if offset + 1 >= len(data):
        raise DnsFormatError("truncated")
    return ((data[offset] & 0x3F) << 8) | data[offset + 1]


def _read_answer(data: bytes, offset: int) -> tuple[DnsAnswer | None, int]:
    name, offset = read_name(data, offset)
    if offset + _RR_FIXED.size > len(data):
        raise DnsFormatError("truncated")
    rtype, _rclass, ttl, rdlength = _RR_FIXED.unpack_from(data, offset)
    start = offset + _RR_FIXED.size
    stop = start + rdlength
    if stop > len(data):
        raise DnsFormatError("truncated")
    if rtype in (TYPE_A, TYPE_AAAA):
        return DnsAnswer(name, rtype, ttl, addresses=(_address(data[start:stop]),)), stop
    if rtype == TYPE_CNAME:
        return DnsAnswer(name, rtype, ttl, names=(read_name(data, start)[0],)), stop
    if rtype in (TYPE_HTTPS, TYPE_SVCB):
        names, addresses = _svcb(data, start, stop)
        return DnsAnswer(name, rtype, ttl, addresses, names), stop
    return None, stop


def _address(raw: bytes) -> str:
    """Format an address the way :mod:`ipaddress` does, so that it compares equal."""
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw)
    if len(raw) == 16:
        return str(ipaddress.IPv6Address(raw))
    raise DnsFormatError("bad-rdata")


def _svcb(data: bytes, start: int, stop: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Target name (unless it is ``.``: the owner itself) and the address hints."""
    if stop - start < 3:
        raise DnsFormatError("bad-rdata")
    target, offset = read_name(data, start + 2)
    addresses: list[str] = []
    while offset + 4 <= stop:
        key, length = _SVC_PARAM.unpack_from(data, offset)
        offset += 4
        end = offset + length
        if end > stop:
            raise DnsFormatError("bad-rdata")
        size = 4 if key == _SVC_IPV4HINT else 16 if key == _SVC_IPV6HINT else 0
        if size and length % size == 0:
            addresses.extend(_address(data[i : i + size]) for i in range(offset, end, size))
        offset = end
    return (() if target == "." else (target,)), tuple(addresses)
