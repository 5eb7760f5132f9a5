"""Capture containers: pcap (micro/nano, both byte orders), pcapng (interfaces, block
types, sections), gzip, and damaged or foreign files."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.netcap.gen import frames as F
from tests.netcap.gen.pcap_writer import (
    DSB,
    NRB,
    Frame,
    Interface,
    PcapngWriter,
    write_pcap,
    write_pcapng,
)
from unstalk.errors import CaptureError
from unstalk.netcap.model import CaptureSummary
from unstalk.netcap.parsers.capture import MAX_FRAME
from unstalk.netcap.parsers.readbuffer import CHUNK
from unstalk.netcap.reader import iter_packets

T0 = 1_700_000_000_123_456_789
CLIENT, SERVER = "10.0.0.2", "10.0.0.3"

Row = tuple[int, float, str, int, bytes]


def udp(index: int, size: int = 4) -> bytes:
    """An IPv4/UDP packet whose source port and payload tell which one it is."""
    return F.udp_packet(CLIENT, SERVER, 1000 + index, 53, bytes([index % 256]) * size)


def read(data: bytes) -> tuple[list[Row], CaptureSummary]:
    capture = iter_packets(io.BytesIO(data), path="test.pcap")
    rows = [(p.number, p.timestamp, p.src, p.src_port, bytes(p.payload)) for p in capture]
    return rows, capture.summary()


def frames(count: int, link_type: int = F.LINKTYPE_ETHERNET, step_ns: int = 1_000) -> list[Frame]:
    return [Frame(F.link(link_type, udp(i)), T0 + i * step_ns) for i in range(count)]


@pytest.mark.parametrize("big_endian", [False, True], ids=["le", "be"])
@pytest.mark.parametrize("nanosecond", [False, True], ids=["us", "ns"])
def test_pcap_in_every_resolution_and_byte_order(nanosecond: bool, big_endian: bool) -> None:
    data = write_pcap(frames(3), 1, nanosecond=nanosecond, big_endian=big_endian)
    rows, summary = read(data)
    assert [(n, port) for n, _, _, port, _ in rows] == [(1, 1000), (2, 1001), (3, 1002)]
    expected = T0 / 1e9 if nanosecond else (T0 // 1000) / 1e6
    assert rows[0][1] == pytest.approx(expected, abs=1e-6)
    assert rows[2][1] - rows[0][1] == pytest.approx(2e-6, abs=5e-7)
    assert summary.format == ("pcap-ns" if nanosecond else "pcap")
    assert (summary.link_types, summary.packets, summary.truncated) == ((1,), 3, False)


def test_kuznetzov_pcap_records_are_read() -> None:
    header = struct.pack("<IHHiIII", 0xA1B2CD34, 2, 4, 0, 0, 65535, F.LINKTYPE_RAW)
    packet = udp(5)
    record = struct.pack("<IIII", 1_700_000_000, 250_000, len(packet), len(packet))
    extra = struct.pack("<IHBx", 3, 2, 0)
    rows, _ = read(header + record + extra + packet)
    assert rows == [(1, 1_700_000_000.25, CLIENT, 1005, b"\x05" * 4)]


@pytest.mark.parametrize("big_endian", [False, True], ids=["le", "be"])
def test_pcapng_interfaces_keep_their_own_link_type_and_clock(big_endian: bool) -> None:
    writer = PcapngWriter(big_endian=big_endian)
    writer.section()
    eth = writer.interface(Interface(F.LINKTYPE_ETHERNET, tsresol=6))
    raw = writer.interface(Interface(F.LINKTYPE_RAW, name="tun0", tsresol=9))
    sll2 = writer.interface(Interface(F.LINKTYPE_LINUX_SLL2, name="any", tsresol=0x80 | 20))
    offset = writer.interface(Interface(F.LINKTYPE_IPV4, tsresol=3, tsoffset=1_000_000_000))
    layouts = [(eth, F.LINKTYPE_ETHERNET), (raw, F.LINKTYPE_RAW), (sll2, F.LINKTYPE_LINUX_SLL2)]
    for index, (iface, link_type) in enumerate(layouts * 2):
        writer.packet(Frame(F.link(link_type, udp(index)), T0 + index * 1_000_000, None, iface))
    writer.packet(Frame(udp(9), T0, None, offset), comment="seen on the phone's hotspot")
    rows, summary = read(writer.getvalue())
    assert [port for _, _, _, port, _ in rows] == [1000, 1001, 1002, 1003, 1004, 1005, 1009]
    for index, (_, timestamp, _, _, _) in enumerate(rows[:6]):
        assert timestamp == pytest.approx(T0 / 1e9 + index / 1000, abs=2e-6)
    assert rows[6][1] == pytest.approx(T0 / 1e9, abs=1e-3)
    assert summary.link_types == (1, 101, 276, 228)
    assert (summary.format, summary.packets) == ("pcapng", 7)


def test_pcapng_simple_obsolete_and_unknown_blocks() -> None:
    writer = PcapngWriter()
    writer.section()
    writer.interface(Interface(F.LINKTYPE_RAW))
    writer.block(NRB, struct.pack("<HH", 0, 0))
    writer.packet(Frame(udp(1), T0))
    writer.simple_packet(udp(2))
    writer.block(DSB, b"\x4b\x53\x4c\x54" + struct.pack("<I", 3) + b"key")
    writer.block(0x77, b"unknown block")
    writer.obsolete_packet(Frame(udp(3), T0 + 5_000_000))
    writer.statistics(0, T0)
    rows, summary = read(writer.getvalue())
    assert [(n, port) for n, _, _, port, _ in rows] == [(1, 1001), (2, 1002), (3, 1003)]
    # A simple packet block has no clock: it takes the previous packet's time.
    assert rows[1][1] == rows[0][1]
    assert rows[2][1] == pytest.approx(T0 / 1e9 + 0.005, abs=1e-6)
    assert summary.packets == 3


def test_custom_and_journal_blocks_keep_wiresharks_frame_numbers() -> None:
    writer = PcapngWriter()
    writer.section()
    writer.interface(Interface(F.LINKTYPE_RAW))
    writer.block(0x40000BAD, struct.pack("<I", 32473) + b"written before any packet")
    writer.packet(Frame(udp(1), T0))
    writer.block(0x40000BAD, struct.pack("<I", 32473) + b"vendor data")
    writer.block(0x00000BAD, struct.pack("<I", 32473) + b"copyable")
    writer.block(9, b"__REALTIME_TIMESTAMP=1\nMESSAGE=hotspot up\n")
    writer.packet(Frame(udp(2), T0))
    rows, summary = read(writer.getvalue())
    assert [(n, port) for n, _, _, port, _ in rows] == [(2, 1001), (6, 1002)]
    assert summary.first_timestamp == rows[0][1]
    assert dict(summary.skipped.counts) == {
        "not a packet (pcapng custom block)": 3,
        "not a packet (systemd journal entry)": 1,
    }


def test_pcapng_sections_may_switch_byte_order_and_redeclare_interfaces() -> None:
    writer = PcapngWriter()
    writer.section()
    writer.interface(Interface(F.LINKTYPE_ETHERNET))
    writer.packet(Frame(F.ethernet(udp(1)), T0))
    writer.section(big_endian=True)
    writer.interface(Interface(F.LINKTYPE_LINUX_SLL))
    writer.packet(Frame(F.linux_sll(udp(2)), T0 + 1_000))
    writer.section(big_endian=False)
    writer.interface(Interface(F.LINKTYPE_RAW))
    writer.packet(Frame(udp(3), T0 + 2_000))
    rows, summary = read(writer.getvalue())
    assert [(n, port) for n, _, _, port, _ in rows] == [(1, 1001), (2, 1002), (3, 1003)]
    assert summary.link_types == (1, 113, 101)


@pytest.mark.parametrize("container", ["pcap", "pcapng"])
def test_gzip_is_read_through_from_a_stream_that_cannot_seek(container: str) -> None:
    plain = (
        write_pcap(frames(5), 1) if container == "pcap" else write_pcapng(frames(5), [Interface(1)])
    )

    read_end, write_end = os.pipe()
    os.write(write_end, gzip.compress(plain))
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert not pipe.seekable()
        capture = iter_packets(pipe, path="pipe")
        assert [p.src_port for p in capture] == [1000, 1001, 1002, 1003, 1004]
    summary = capture.summary()
    assert (summary.compressed, summary.format, summary.packets) == (True, container, 5)


def test_frames_across_read_chunks_arrive_whole_and_stay_valid() -> None:
    size = 1400
    count = 3 * CHUNK // size
    packets = [F.link(F.LINKTYPE_RAW, udp(i, size)) for i in range(256)]
    data = write_pcap((Frame(packets[i % 256], T0 + i) for i in range(count)), F.LINKTYPE_RAW)
    capture = iter_packets(io.BytesIO(data), path="big.pcap")
    kept = list(capture)
    assert len(kept) == count
    assert all(bytes(p.payload) == bytes([i % 256]) * size for i, p in enumerate(kept))


def test_memory_stays_bounded_by_the_read_chunk_not_the_file() -> None:
    size = 1400
    packet = udp(1, size)
    count = 12 * CHUNK // size
    data = write_pcap((Frame(packet, T0 + i) for i in range(count)), F.LINKTYPE_RAW)
    stream = io.BytesIO(data)
    tracemalloc.start()
    try:
        total = sum(len(p.payload) for p in iter_packets(stream, path="big.pcap"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == count * size
    assert peak < 4 * CHUNK < len(data) / 3


PCAP = write_pcap(frames(3), 1)
PCAPNG = write_pcapng(frames(3), [Interface(1)])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "This file is empty"),
        (b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "not a packet capture (pcap or pcapng)"),
        (b"\xfd7zXZ\x00\x00\x04" + b"\0" * 40, "compressed with xz"),
        (b"PK\x03\x04" + b"\0" * 40, "compressed with zip"),
        (PCAP[:20], "cut short inside its header"),
        (PCAPNG[:10], "cut short inside its header"),
        (PCAPNG[:8] + b"\xde\xad\xbe\xef" + PCAPNG[12:], "pcapng header is damaged"),
        (PCAP[:4] + b"\x03\x00" + PCAP[6:], "Unsupported pcap version 3"),
        (gzip.compress(b"just some text, not a capture"), "not a packet capture"),
        (gzip.compress(PCAP)[:12], "not a packet capture"),
    ],
    ids=[
        "empty",
        "http",
        "xz",
        "zip",
        "pcap-header",
        "pcapng-header",
        "bom",
        "version",
        "gz-text",
        "gz-cut",
    ],
)
def test_files_that_are_not_captures_raise_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(CaptureError) as caught:
        iter_packets(io.BytesIO(data), path="evidence.bin")
    assert message in str(caught.value)
    assert str(caught.value).startswith("evidence.bin: ")


def _bad_block_length(data: bytes, length: int) -> bytes:
    # The third block is the first packet (after the section and interface blocks).
    shb = struct.unpack_from("<I", data, 4)[0]
    idb = struct.unpack_from("<I", data, shb + 4)[0]
    start = shb + idb
    return data[: start + 4] + struct.pack("<I", length) + data[start + 8 :]


def _bad_trailer(data: bytes) -> bytes:
    shb = struct.unpack_from("<I", data, 4)[0]
    idb = struct.unpack_from("<I", data, shb + 4)[0]
    second = shb + idb + struct.unpack_from("<I", data, shb + idb + 4)[0]
    end = second + struct.unpack_from("<I", data, second + 4)[0]
    return data[: end - 4] + b"\xff\xff\xff\xff" + data[end:]


@pytest.mark.parametrize(
    ("data", "packets", "reason"),
    [
        (PCAP[:-5], 2, "the file ends inside frame 3"),
        (PCAP[: 24 + 2 * (16 + 60) + 9], 2, "ends inside the header of frame 3"),
        (PCAP[:24] + struct.pack("<IIII", 0, 0, MAX_FRAME + 1, 60) + PCAP[40:], 0, "claims 262145"),
        (PCAPNG[:-7], 2, "the file ends inside a block"),
        (PCAPNG + b"\x06\x00", 3, "the file ends inside a block at byte 360"),
        (_bad_block_length(PCAPNG, 30), 0, "damaged block (length 30)"),
        (_bad_block_length(PCAPNG, 1 << 30), 0, "damaged block"),
        (_bad_trailer(PCAPNG), 1, "damaged block"),
    ],
    ids=[
        "pcap-data",
        "pcap-header",
        "pcap-huge",
        "ng-data",
        "ng-header",
        "ng-odd",
        "ng-huge",
        "ng-trailer",
    ],
)
def test_damaged_files_yield_what_precedes_the_damage(
    data: bytes, packets: int, reason: str
) -> None:
    rows, summary = read(data)
    assert len(rows) == summary.packets == packets
    assert summary.truncated
    assert reason in summary.truncated_reason


def test_cut_gzip_stream_yields_the_packets_before_the_cut() -> None:
    compressed = gzip.compress(write_pcap(frames(3000), 1))
    rows, summary = read(compressed[: len(compressed) // 2])
    assert 0 < len(rows) < 3000
    assert [n for n, *_ in rows] == list(range(1, len(rows) + 1))
    assert summary.truncated
    assert "compressed data is damaged or cut short" in summary.truncated_reason


def test_a_file_cut_at_a_record_boundary_is_complete() -> None:
    rows, summary = read(PCAP[: 24 + 2 * (16 + 60)])
    assert (len(rows), summary.truncated, summary.truncated_reason) == (2, False, "")


def test_undeclared_interface_and_inconsistent_lengths_are_counted_not_fatal() -> None:
    writer = PcapngWriter()
    writer.section()
    writer.interface(Interface(F.LINKTYPE_RAW))
    writer.packet(Frame(udp(1), T0, None, 3))
    writer.block(6, struct.pack("<IIIII", 0, 0, 0, 500, 500) + b"\0" * 8)
    writer.packet(Frame(udp(2), T0))
    rows, summary = read(writer.getvalue())
    assert [(n, port) for n, _, _, port, _ in rows] == [(3, 1002)]
    assert dict(summary.skipped.counts) == {
        "packet on an interface the file never declared": 1,
        "damaged packet block": 1,
    }


MIXED_NG = PcapngWriter()
MIXED_NG.section()
MIXED_NG.interface(Interface(F.LINKTYPE_ETHERNET))
MIXED_NG.interface(Interface(F.LINKTYPE_RAW, tsresol=9))
MIXED_NG.packet(Frame(F.ethernet(udp(1)), T0))
MIXED_NG.simple_packet(F.ethernet(udp(2)))
MIXED_NG.obsolete_packet(Frame(udp(3), T0, None, 1))
MIXED_NG.packet(Frame(udp(4), T0, None, 1))


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from([PCAP, MIXED_NG.getvalue()]),
    cut=st.integers(0, 400),
    flips=st.lists(st.tuples(st.integers(0, 399), st.integers(0, 255)), max_size=8),
    compress=st.booleans(),
)
def test_damaged_containers_never_crash_the_reader(
    base: bytes, cut: int, flips: list[tuple[int, int]], compress: bool
) -> None:
    data = bytearray(base[: len(base) - cut % (len(base) + 1)])
    for index, value in flips:
        if index < len(data):
            data[index] = value
    raw = gzip.compress(bytes(data), mtime=0) if compress else bytes(data)
    try:
        capture = iter_packets(io.BytesIO(raw), path="fuzz")
    except CaptureError:
        return
    packets = list(capture)
    summary = capture.summary()
    assert summary.packets == len(packets) + summary.skipped.total
