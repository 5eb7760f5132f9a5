"""TLS ClientHello (RFC 8446 section 4.1.2): the server name and ALPN a client asks for.

The ClientHello is the only cleartext message that names the server. It may be
split over several TLS records (and those over several TCP segments), so
:func:`client_hello_from_records` reads a client byte stream from its start and
says whether more bytes are needed. QUIC carries the same handshake message
without the record layer: :func:`parse_handshake` serves both.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "MAX_HELLO",
    "ClientHello",
    "TlsFormatError",
    "client_hello_from_records",
    "looks_like_tls",
    "parse_client_hello",
    "parse_handshake",
]

CONTENT_HANDSHAKE = 22
HANDSHAKE_CLIENT_HELLO = 1
EXT_SERVER_NAME = 0
EXT_ALPN = 16
_MAX_RECORD = (1 << 14) + 2048
"""Largest record payload TLS allows (ciphertext expansion included)."""
MAX_HELLO = 1 << 16
"""ClientHellos past 64 KiB do not exist in practice; stop waiting for one."""

_U16 = struct.Struct("!H")


class TlsFormatError(ValueError):
    """Not a well-formed ClientHello; ``reason`` is a short stable key."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed TLS ClientHello: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ClientHello:
    sni: str | None
    """The first ``host_name`` of the server_name extension, lower-cased."""
    alpn: tuple[str, ...]
    legacy_version: int


def looks_like_tls(data: bytes) -> bool:
    """Whether a client stream starts with a TLS handshake record carrying a ClientHello.

    Needs six bytes; checks the record type, a plausible version and length, and
    the handshake type, so that it can run on every port.
    """
    if len(data) < 6 or data[0] != CONTENT_HANDSHAKE or data[1] != 3 or data[2] > 4:
        return False
    length = _U16.unpack_from(data, 3)[0]
    return 0 < length <= _MAX_RECORD and data[5] == HANDSHAKE_CLIENT_HELLO


def client_hello_from_records(stream: bytes) -> ClientHello | None:
    """Parse the ClientHello at the start of a client's TLS byte stream.

    Returns None while the stream is too short to hold the whole message.
    Raises :class:`TlsFormatError` when the records or the hello are malformed.
    """
    handshake = bytearray()
    offset = 0
    needed = -1
    while needed < 0 or len(handshake) < needed:
        if offset + 5 > len(stream):
            return None
        content_type = stream[offset]
        length = _U16.unpack_from(stream, offset + 3)[0]
        if content_type != CONTENT_HANDSHAKE or stream[offset + 1] != 3:
            raise TlsFormatError("bad-record")
        if length == 0 or length > _MAX_RECORD:
            raise TlsFormatError("bad-record-length")
        fragment = stream[offset + 5 : offset + 5 + length]
        handshake += fragment
        if len(fragment) < length:
            # The record is incomplete; the hello may still fit in what arrived.
            offset = len(stream)
        else:
            offset += 5 + length
        if needed < 0 and len(handshake) >= 4:
            needed = 4 + _handshake_length(handshake)
    return parse_handshake(bytes(handshake[:needed]))


def _handshake_length(header: bytes | bytearray) -> int:
    if header[0] != HANDSHAKE_CLIENT_HELLO:
        raise TlsFormatError("not-client-hello")
    length = int.from_bytes(header[1:4], "big")
    if length + 4 > MAX_HELLO:
        raise TlsFormatError("hello-too-long")
    return length


def parse_handshake(message: bytes) -> ClientHello | None:
    """Parse a handshake message (4-byte header included) that should be a ClientHello.

    Returns None while ``message`` is shorter than the length its header announces.
    """
    if len(message) < 4:
        return None
    length = _handshake_length(message)
    if len(message) < 4 + length:
        return None
    return parse_client_hello(message[4 : 4 + length])


def parse_client_hello(body: bytes) -> ClientHello:
    """Parse a ClientHello body (after the handshake header)."""
    try:
        return _parse_body(body)
    except (IndexError, struct.error) as e:
        raise TlsFormatError("truncated") from e


def _parse_body(body: bytes) -> ClientHello:
    legacy_version = _U16.unpack_from(body, 0)[0]
    offset = 2 + 32
    offset += 1 + body[offset]  # session id
    offset += 2 + _U16.unpack_from(body, offset)[0]  # cipher suites
    offset += 1 + body[offset]  # compression methods
    if offset > len(body):
        raise TlsFormatError("truncated")
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    if offset == len(body):
        return ClientHello(None, (), legacy_version)  # no extensions: SSL 3.0 style
    end = offset + 2 + _U16.unpack_from(body, offset)[0]
    if end > len(body):
        raise TlsFormatError("truncated")
    offset += 2
    while offset + 4 <= end:
        ext_type, ext_length = struct.unpack_from("!HH", body, offset)
        start = offset + 4
        offset = start + ext_length
        if offset > end:
            raise TlsFormatError("truncated")
        if ext_type == EXT_SERVER_NAME and sni is None:
            sni = _server_name(body[start:offset])
        elif ext_type == EXT_ALPN and not alpn:
            alpn = _alpn(body[start:offset])
    return ClientHello(sni, alpn, legacy_version)


def _server_name(ext: bytes) -> str | None:
    if len(ext) < 2:
        raise TlsFormatError("bad-server-name")
    end = min(len(ext), 2 + _U16.unpack_from(ext, 0)[0])
    offset = 2
    while offset + 3 <= end:
        name_type = ext[offset]
        length = _U16.unpack_from(ext, offset + 1)[0]
        start = offset + 3
        offset = start + length
        if offset > end:
            raise TlsFormatError("bad-server-name")
        if name_type == 0:
            return _host(ext[start:offset])
    return None


def _host(raw: bytes) -> str | None:
    name = raw.decode("ascii", "backslashreplace").rstrip(".").lower()
    return name or None


def _alpn(ext: bytes) -> tuple[str, ...]:
    if len(ext) < 2:
        raise TlsFormatError("bad-alpn")
    end = min(len(ext), 2 + _U16.unpack_from(ext, 0)[0])
    offset = 2
    protocols: list[str] = []
    while offset < end:
        length = ext[offset]
        start = offset + 1
        offset = start + length
        if offset > end:
            raise TlsFormatError("bad-alpn")
        protocols.append(ext[start:offset].decode("ascii", "backslashreplace"))
    return tuple(protocols)
