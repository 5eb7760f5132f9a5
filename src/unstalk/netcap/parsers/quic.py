"""QUIC Initial packets (RFC 9000, RFC 9001 section 5, RFC 9369): decrypted to read the ClientHello.

Initial packets are encrypted with keys anyone can derive from the client's
Destination Connection ID and a salt published for each version, which is how
an observer reads the TLS ClientHello carried in their CRYPTO frames.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "QUIC_V1",
    "QUIC_V2",
    "CryptoStream",
    "InitialPacket",
    "QuicFormatError",
    "crypto_frames",
    "initial_keys",
    "is_long_header",
    "read_initials",
    "read_varint",
]

QUIC_V1 = 0x00000001
QUIC_V2 = 0x6B3343CF

_SALTS = {
    QUIC_V1: bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
    QUIC_V2: bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9"),
}
_LABEL_PREFIX = {QUIC_V1: b"quic", QUIC_V2: b"quicv2"}
_INITIAL_TYPE = {QUIC_V1: 0, QUIC_V2: 1}
"""Long-header packet type of Initial packets: RFC 9369 section 3.2 renumbers them."""

_TAG = 16
_SAMPLE = 16
_MAX_CID = 20
_MAX_CRYPTO = 1 << 16
"""CRYPTO stream bytes kept per connection: far above any real ClientHello."""
_MAX_FRAGMENTS = 64
_MAX_KEYS = 256

_FRAME_PADDING = 0x00
_FRAME_PING = 0x01
_FRAME_ACK = 0x02
_FRAME_ACK_ECN = 0x03
_FRAME_CRYPTO = 0x06
_FRAME_CLOSE = 0x1C
_NOT_PADDING = re.compile(b"[^\x00]")
_U32 = struct.Struct("!I")


class QuicFormatError(ValueError):
    """An Initial packet that cannot be read; ``reason`` is a short stable key."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"unreadable QUIC Initial packet: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class InitialPacket:
    version: int
    dcid: bytes
    scid: bytes
    packet_number: int
    payload: bytes
    """Decrypted frames."""


@dataclass(frozen=True, slots=True)
class _Keys:
    aead: AESGCM
    iv: int
    header: CipherContext
    """AES-ECB of the header protection key: stateless block by block, so one context
    serves every packet (creating one costs about 12 us, twenty times the block itself)."""


def is_long_header(datagram: bytes) -> bool:
    """Whether a datagram starts with a QUIC long header of a version we can decrypt."""
    return (
        len(datagram) >= 7
        and datagram[0] & 0xC0 == 0xC0
        and _U32.unpack_from(datagram, 1)[0] in _SALTS
    )


def _expand_label(secret: bytes, label: bytes, length: int) -> bytes:
    """HKDF-Expand-Label of TLS 1.3 (RFC 8446 section 7.1) with an empty context."""
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    output = b""
    block = b""
    counter = 1
    while len(output) < length:
        block = hmac.digest(secret, block + info + bytes((counter,)), hashlib.sha256)
        output += block
        counter += 1
    return output[:length]


def initial_keys(version: int, dcid: bytes, *, server: bool = False) -> tuple[bytes, bytes, bytes]:
    """Return the ``(key, iv, hp)`` protecting one side's Initial packets."""
    prefix = _LABEL_PREFIX[version]
    initial_secret = hmac.digest(_SALTS[version], dcid, hashlib.sha256)
    side = b"server in" if server else b"client in"
    secret = _expand_label(initial_secret, side, 32)
    return (
        _expand_label(secret, prefix + b" key", 16),
        _expand_label(secret, prefix + b" iv", 12),
        _expand_label(secret, prefix + b" hp", 16),
    )


_key_cache: dict[tuple[int, bytes], _Keys] = {}


def _client_keys(version: int, dcid: bytes) -> _Keys:
    cached = _key_cache.get((version, dcid))
    if cached is None:
        key, iv, hp = initial_keys(version, dcid)
        header = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
        cached = _Keys(AESGCM(key), int.from_bytes(iv, "big"), header)
        if len(_key_cache) >= _MAX_KEYS:
            _key_cache.clear()
        _key_cache[(version, dcid)] = cached
    return cached


def read_varint(data: bytes, offset: int) -> tuple[int, int]:
    """Decode a variable-length integer (RFC 9000 section 16); return it and the next offset."""
    if offset >= len(data):
        raise QuicFormatError("truncated")
    first = data[offset]
    size = 1 << (first >> 6)
    if offset + size > len(data):
        raise QuicFormatError("truncated")
    value = first & 0x3F
    for index in range(offset + 1, offset + size):
        value = (value << 8) | data[index]
    return value, offset + size


def read_initials(datagram: bytes, key_dcid: bytes | None = None) -> Iterator[InitialPacket]:
    """Decrypt the client Initial packets coalesced in one UDP datagram.

    Keys come from ``key_dcid``, the Destination Connection ID of the client's
    first Initial, when given (later Initials may carry the server's choice of
    connection ID but keep the first keys); else from each packet's own DCID.
    Stops at the first packet that is not an Initial of QUIC v1 or v2 (0-RTT,
    Handshake, short header or padding follow Initials in a datagram).
    Raises :class:`QuicFormatError` for an Initial that is cut short or does
    not decrypt with the client keys.
    """
    offset = 0
    while is_long_header(datagram[offset : offset + 7]):
        version = _U32.unpack_from(datagram, offset + 1)[0]
        if (datagram[offset] >> 4) & 0x03 != _INITIAL_TYPE[version]:
            return
        packet, offset = _read_initial(datagram, offset, version, key_dcid)
        yield packet


def _read_initial(
    data: bytes, start: int, version: int, key_dcid: bytes | None
) -> tuple[InitialPacket, int]:
    offset = start + 5
    dcid, offset = _read_cid(data, offset)
    scid, offset = _read_cid(data, offset)
    token_length, offset = read_varint(data, offset)
    offset += token_length
    length, pn_offset = read_varint(data, offset)
    end = pn_offset + length
    if end > len(data) or length < 4 + _SAMPLE:
        raise QuicFormatError("truncated")
    keys = _client_keys(version, dcid if key_dcid is None else key_dcid)
    sample = data[pn_offset + 4 : pn_offset + 4 + _SAMPLE]
    mask = keys.header.update(sample)
    first = data[start] ^ (mask[0] & 0x0F)
    pn_length = (first & 0x03) + 1
    pn_bytes = (
        int.from_bytes(data[pn_offset : pn_offset + pn_length], "big")
        ^ int.from_bytes(mask[1 : 1 + pn_length], "big")
    ).to_bytes(pn_length, "big")
    header = bytes((first,)) + data[start + 1 : pn_offset] + pn_bytes
    packet_number = int.from_bytes(pn_bytes, "big")
    nonce = (keys.iv ^ packet_number).to_bytes(12, "big")
    try:
        payload = keys.aead.decrypt(nonce, data[pn_offset + pn_length : end], header)
    except InvalidTag as e:
        raise QuicFormatError("decryption-failed") from e
    return InitialPacket(version, dcid, scid, packet_number, payload), end


def _read_cid(data: bytes, offset: int) -> tuple[bytes, int]:
    if offset >= len(data):
        raise QuicFormatError("truncated")
    length = data[offset]
    if length > _MAX_CID:
        raise QuicFormatError("bad-connection-id")
    if offset + 1 + length > len(data):
        raise QuicFormatError("truncated")
    return data[offset + 1 : offset + 1 + length], offset + 1 + length


def crypto_frames(payload: bytes) -> list[tuple[int, bytes]]:
    """Return the ``(offset, data)`` of every CRYPTO frame in a decrypted Initial payload.

    PADDING, PING, ACK and CONNECTION_CLOSE frames are skipped; any other frame
    type is not allowed in an Initial packet and raises :class:`QuicFormatError`.
    """
    frames: list[tuple[int, bytes]] = []
    offset = 0
    size = len(payload)
    while offset < size:
        frame_type = payload[offset]
        if frame_type == _FRAME_PADDING:
            found = _NOT_PADDING.search(payload, offset)
            offset = found.start() if found else size
        elif frame_type == _FRAME_CRYPTO:
            start, offset = read_varint(payload, offset + 1)
            length, offset = read_varint(payload, offset)
            if offset + length > size:
                raise QuicFormatError("truncated")
            frames.append((start, payload[offset : offset + length]))
            offset += length
        else:
            offset = _skip_frame(payload, offset, frame_type)
    return frames


def _skip_frame(payload: bytes, offset: int, frame_type: int) -> int:
    if frame_type == _FRAME_PING:
        return offset + 1
    if frame_type in (_FRAME_ACK, _FRAME_ACK_ECN):
        offset += 1
        for _ in range(2):  # largest acknowledged, ack delay
            _, offset = read_varint(payload, offset)
        ranges, offset = read_varint(payload, offset)
        _, offset = read_varint(payload, offset)  # first range
        for _ in range(min(ranges, len(payload)) * 2):
            _, offset = read_varint(payload, offset)
        for _ in range(3 if frame_type == _FRAME_ACK_ECN else 0):
            _, offset = read_varint(payload, offset)
        return offset
    if frame_type == _FRAME_CLOSE:
        offset += 1
        for _ in range(2):  # error code, frame type
            _, offset = read_varint(payload, offset)
        reason_length, offset = read_varint(payload, offset)
        return offset + reason_length
    raise QuicFormatError("bad-frame")


class CryptoStream:
    """The CRYPTO stream of one connection, reassembled by offset from fragments.

    Fragments arrive out of order, repeated and spread over several Initial
    packets; memory is bounded by the number of fragments and their extent.
    """

    __slots__ = ("_fragments", "data")

    def __init__(self) -> None:
        self.data = b""
        """The bytes known contiguously from offset 0."""
        self._fragments: dict[int, bytes] = {}

    def add(self, offset: int, fragment: bytes) -> bool:
        """Add one CRYPTO frame; return whether the contiguous prefix grew.

        Raises :class:`QuicFormatError` when the stream goes past its bounds.
        """
        if offset + len(fragment) > _MAX_CRYPTO:
            raise QuicFormatError("crypto-too-long")
        if offset + len(fragment) <= len(self.data):
            return False
        if len(self._fragments) >= _MAX_FRAGMENTS:
            raise QuicFormatError("too-many-fragments")
        known = self._fragments.get(offset)
        if known is None or len(known) < len(fragment):
            self._fragments[offset] = fragment
        before = len(self.data)
        self._drain()
        return len(self.data) > before

    def _drain(self) -> None:
        # Ascending offsets: one pass joins every fragment that touches the prefix.
        for offset in sorted(self._fragments):
            if offset > len(self.data):
                break
            fragment = self._fragments.pop(offset)
            overlap = len(self.data) - offset
            if overlap < len(fragment):
                self.data += fragment[overlap:]
