"""Read a capture file as a stream of decoded packets, then summarise what was read.

>>> with read_capture(Path("phone.pcapng")) as capture:
...     for packet in capture:
...         handle(packet)          # packet.payload is only valid inside this loop body
...     summary = capture.summary()

Memory use does not grow with the capture: the file is read in 1 MiB chunks and
each packet's payload is a view into the current chunk (holding on to views
holds on to their chunks: copy the bytes you keep). Frames that cannot be
decoded down to IP are counted by reason in the summary, never silently dropped.
``summary().packets`` counts every frame, numbered as Wireshark numbers them.
"""

from __future__ import annotations

import struct
from collections.abc import Generator, Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from unstalk.errors import CaptureError
from unstalk.netcap.model import CaptureSummary, Packet, SkippedPackets
from unstalk.netcap.parsers.capture import (
    LINK_CUSTOM,
    LINK_DAMAGED,
    LINK_JOURNAL,
    LINK_UNDECLARED,
    RecordReader,
)
from unstalk.netcap.parsers.packet import DECODERS, Decoder, unsupported_link_reason

SKIP_MALFORMED = "malformed packet"
SKIP_UNDECLARED = "packet on an interface the file never declared"
SKIP_DAMAGED_BLOCK = "damaged packet block"
SKIP_CUSTOM = "not a packet (pcapng custom block)"
SKIP_JOURNAL = "not a packet (systemd journal entry)"


def _constant(reason: str) -> Decoder:
    def decode(_frame: memoryview, _number: int, _timestamp: float) -> str:
        return reason

    return decode


_PSEUDO_DECODERS: dict[int, Decoder] = {
    LINK_UNDECLARED: _constant(SKIP_UNDECLARED),
    LINK_DAMAGED: _constant(SKIP_DAMAGED_BLOCK),
    LINK_CUSTOM: _constant(SKIP_CUSTOM),
    LINK_JOURNAL: _constant(SKIP_JOURNAL),
}
_ALL_DECODERS = {**DECODERS, **_PSEUDO_DECODERS}


def decoder_for(link_type: int) -> Decoder:
    """The decoder for a record's link type; pseudo and unknown types decode to a skip reason."""
    return _ALL_DECODERS.get(link_type) or _constant(unsupported_link_reason(link_type))


def summarise(
    records: RecordReader,
    skipped: dict[str, int],
    span: tuple[float | None, float | None],
    partial: int,
) -> CaptureSummary:
    """The summary of a capture read through ``records``: what was read and what was skipped."""
    counts = tuple(sorted(skipped.items(), key=lambda item: (-item[1], item[0])))
    return CaptureSummary(
        path=records.path,
        format=records.format,
        link_types=tuple(records.link_types),
        packets=records.frames,
        first_timestamp=span[0],
        last_timestamp=span[1],
        skipped=SkippedPackets(counts),
        truncated=records.truncated,
        truncated_reason=records.truncated_reason,
        partial_packets=partial,
        compressed=records.compressed,
    )


class CaptureReader:
    """An iterator of the capture's decoded packets; :meth:`summary` tells what was read.

    Iterate once, then call :meth:`summary`: it is complete once iteration has
    ended or the reader is closed. The file is closed when iteration ends, on
    :meth:`close`, or on leaving a ``with`` block.
    """

    def __init__(self, stream: BinaryIO, *, path: str, owns_stream: bool = False) -> None:
        self._stream = stream
        self._owns_stream = owns_stream
        self._records = RecordReader(stream, path=path)
        self._skipped: dict[str, int] = {}
        self._partial = 0
        self._first: float | None = None
        self._last: float | None = None
        self._packets = self._decode()

    def __iter__(self) -> Iterator[Packet]:
        return self._packets

    def __next__(self) -> Packet:
        return next(self._packets)

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._packets.close()
        if self._owns_stream:
            self._stream.close()

    def _decode(self) -> Generator[Packet, None, None]:
        skipped = self._skipped
        current_link: int | None = None
        decode = _constant("")
        number = partial = 0
        first: float | None = None
        timestamp = 0.0
        try:
            for link_type, timestamp, orig_len, frame in self._records:
                number += 1
                # Pseudo records (custom blocks ...) have no time of their own.
                if first is None and link_type >= 0:
                    first = timestamp
                if link_type != current_link:
                    current_link = link_type
                    decode = decoder_for(link_type)
                if orig_len > len(frame):
                    partial += 1
                try:
                    packet = decode(frame, number, timestamp)
                except (struct.error, IndexError, ValueError):
                    packet = SKIP_MALFORMED
                if isinstance(packet, str):
                    skipped[packet] = skipped.get(packet, 0) + 1
                    continue
                yield packet
        finally:
            self._partial = partial
            self._first = first
            self._last = None if first is None else timestamp
            if self._owns_stream:
                self._stream.close()

    def summary(self) -> CaptureSummary:
        """What was read: frame count, skipped frames by reason, link types, time span."""
        return summarise(self._records, self._skipped, (self._first, self._last), self._partial)


def iter_packets(stream: BinaryIO, *, path: str) -> CaptureReader:
    """Read packets from an open binary stream (pcap or pcapng, gzip or not).

    The stream is left open. ``path`` only labels messages and the summary.
    Raises :class:`CaptureError` when the stream does not hold a capture.
    """
    return CaptureReader(stream, path=path)


def read_capture(path: Path) -> CaptureReader:
    """Open a capture file for streaming (pcap or pcapng, gzip or not).

    Raises :class:`CaptureError` at once when the file cannot be opened, is
    empty, or is not a capture; damage found later ends iteration early and is
    reported by :meth:`CaptureReader.summary` (``truncated``, ``truncated_reason``).
    """
    try:
        stream = path.open("rb")
    except OSError as e:
        raise CaptureError(
            f"{path}: cannot open the capture file ({e.strerror or e}).",
            advice="Check the file name and that you are allowed to read it.",
        ) from e
    try:
        return CaptureReader(stream, path=str(path), owns_stream=True)
    except BaseException:
        stream.close()
        raise
