"""Read a capture and extract from it in one pass, fast: :func:`scan_capture`.

It gives exactly what :func:`~unstalk.netcap.reader.iter_packets` feeding
:class:`~unstalk.netcap.extract.Extractor` gives (the same summary, flows and
observations), in a fraction of the time. Most packets of a capture belong to
connections already named or given up on (the bulk of a video stream, a download,
a QUIC connection after its Initial), and for those only the flow's counters
change: :class:`~unstalk.netcap.scanner.Scanner` updates them in place without
building a :class:`~unstalk.netcap.model.Packet`, and gives every other frame to
the extractor.

Classic pcap records are walked here in place in the read buffer; pcapng records
come from the record iterator. For both, the compiled walk of
:mod:`unstalk.netcap._fastwalk` (built with the package where a C compiler is at
hand) takes the packets that only add to a flow's counters, nine in ten of a
phone's capture, before they reach Python. Big captures can be shared out between
processes by flow (:class:`Share`, :mod:`unstalk.netcap.shards`), each reader
walking every record and taking in its own flows' packets; :func:`summary_of` and
:func:`~unstalk.netcap.parts.join` put the readers' findings back together.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import BinaryIO

from unstalk.netcap.model import CaptureSummary
from unstalk.netcap.parsers.capture import MAX_FRAME, PcapLayout, RecordReader
from unstalk.netcap.parsers.packet import LINKTYPE_ETHERNET
from unstalk.netcap.parts import Extraction, ExtractionPart, join
from unstalk.netcap.reader import summarise
from unstalk.netcap.scanner import ALONE, Scanner, Share, share_of

__all__ = ["Scan", "Share", "Walked", "scan_capture", "share_of", "summary_of", "walk_capture"]


@dataclass(frozen=True, slots=True)
class Scan:
    """A capture's summary and everything extracted from it."""

    summary: CaptureSummary
    extraction: Extraction


@dataclass(frozen=True, slots=True)
class Walked:
    """What one reader found in its share of a capture (sent between processes)."""

    part: ExtractionPart
    skipped: dict[str, int]
    first: tuple[int, float] | None
    """Number and time of the first frame this reader took in, if any."""
    last: float
    """Time of the capture's last frame."""
    frames: int
    partial: int


def scan_capture(stream: BinaryIO, *, path: str, jobs: int = 1, source: str | None = None) -> Scan:
    """Read the capture in ``stream`` (pcap or pcapng, gzip or not) and extract from it.

    ``path`` only labels messages and the summary. With ``jobs`` above 1 and the
    capture's file name in ``source``, that many processes share the work (see
    :mod:`unstalk.netcap.shards`), with the same result. Raises
    :class:`~unstalk.errors.CaptureError` when the stream does not hold a capture;
    damage found later ends reading early and is told in the summary.
    """
    if jobs > 1 and source is not None:
        from unstalk.netcap.shards import scan_shared  # noqa: PLC0415 - it imports this module

        return scan_shared(stream, path=path, source=source, jobs=jobs)
    records, walked = walk_capture(stream, path=path)
    return Scan(summary_of(records, [walked]), join([walked.part]))


def walk_capture(
    stream: BinaryIO, *, path: str, share: Share = ALONE
) -> tuple[RecordReader, Walked]:
    """Walk every record of the capture, extracting from the flows of ``share``."""
    records = RecordReader(stream, path=path)
    scanner = Scanner(share)
    collecting = gc.isenabled()
    gc.disable()
    try:
        if records.pcap_layout is not None:
            last = _walk_pcap(records, records.pcap_layout, scanner)
        else:
            last = _walk_records(records, scanner)
        part = scanner.extractor.close()
    finally:
        if collecting:
            _resume_collector()
    walked = Walked(part, scanner.skipped, scanner.first, last, records.frames, scanner.partial)
    return records, walked


def summary_of(records: RecordReader, walks: list[Walked]) -> CaptureSummary:
    """The capture's summary from the records walked and what every reader found."""
    skipped: dict[str, int] = {}
    for walked in walks:
        for reason, count in walked.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + count
    starts = [walked.first for walked in walks if walked.first is not None]
    first = min(starts)[1] if starts else None
    span = (first, None if first is None else walks[0].last)
    return summarise(records, skipped, span, walks[0].partial)


def _resume_collector() -> None:
    """Turn the cycle collector back on, past the objects the scan kept.

    A scan keeps hundreds of thousands of objects (flows, DNS records) without
    reference cycles. The collector, left on, walks them again and again as they
    pile up; turned back on after the scan, it walks all of them at once. Either
    way a few per cent of the time goes to finding nothing, so the collector is off
    during the scan and its objects then go straight to the oldest generation
    (freezing and unfreezing does that), unless something else froze objects.
    """
    if not gc.get_freeze_count():
        gc.freeze()
        gc.unfreeze()
    gc.enable()


def _walk_records(records: RecordReader, scanner: Scanner) -> float:
    """Feed every pcapng record to the scanner; return the last record's timestamp.

    The compiled walk, when built, takes the blocks whose packets only add to
    counters before the record iterator sees them (``RecordReader.hop``).
    """
    timestamp, number = 0.0, 0
    ethernet, other = scanner.ethernet, scanner.other
    if scanner.fast_pcapng is not None:
        records.hop = scanner.pcapng_blocks
    for link_type, timestamp, orig_len, frame in records:
        number = records.frames
        if orig_len > len(frame):
            scanner.partial += 1
        if link_type == LINKTYPE_ETHERNET:
            ethernet(frame, 0, len(frame), timestamp, number)
        else:
            other(link_type, frame, timestamp, number)
    hopped, hopped_at = scanner.hopped
    return hopped_at if hopped > number else timestamp


def _walk_pcap(records: RecordReader, layout: PcapLayout, scanner: Scanner) -> float:
    """Walk classic pcap records in the read buffer, as ``RecordReader`` would yield them."""
    header, size, link_type, scale = layout
    unpack = header.unpack_from
    buf = records.buffer
    data, pos, end = buf.data, buf.pos, len(buf.data)
    frame = scanner.ethernet if link_type == LINKTYPE_ETHERNET else scanner.linked(link_type)
    walk = scanner.ethernet_records if link_type == LINKTYPE_ETHERNET else None
    number, timestamp = 0, 0.0
    while True:
        if walk is not None:
            pos, number, timestamp = walk(data, pos, end, layout, (number, timestamp))
        if pos + size > end:
            buf.pos = pos
            if not _refill(records, size, number):
                break
            data, pos, end = buf.data, buf.pos, len(buf.data)
        sec, frac, caplen, orig = unpack(data, pos)
        start = pos + size
        pos = start + caplen
        if pos > end or caplen > MAX_FRAME:
            buf.pos = start - size
            if not _refill(records, size + caplen, number, caplen):
                break
            data, end = buf.data, len(buf.data)
            start = buf.pos + size
            pos = start + caplen
        number += 1
        timestamp = sec + frac / scale
        if orig > caplen:
            scanner.partial += 1
        frame(data, start, pos, timestamp, number)
    records.frames = number
    return timestamp


def _refill(records: RecordReader, need: int, number: int, caplen: int = 0) -> bool:
    """Make ``need`` bytes readable at the buffer position; on failure say why reading ends."""
    buf = records.buffer
    if caplen > MAX_FRAME:
        records.stop(
            f"frame {number + 1} claims {caplen} bytes, more than any real frame: "
            "the file is damaged from there on and the rest was not read"
        )
        return False
    if buf.fill(need):
        return True
    if caplen:
        records.stop(f"the file ends inside frame {number + 1}")
    elif len(buf.data) - buf.pos or buf.error:
        records.stop(f"the file ends inside the header of frame {number + 1}")
    return False
