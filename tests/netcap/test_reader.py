"""read_capture end to end: packets and summary on generated captures, damaged input,
and tshark as the oracle for every frame's addresses, ports and time."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest

from tests.netcap.gen import frames as F
from tests.netcap.gen.pcap_writer import Frame, Interface, PcapngWriter, write_pcap
from tests.netcap.gen.scenarios import (
    PHONE_V4,
    SERVER_V4,
    START_NS,
    Scenario,
    combined_pcapng,
    mixed_traffic,
    several_interfaces,
    single_family,
)
from tests.netcap.gen.tshark import have_tshark, tshark_fields_many
from unstalk.errors import CaptureError
from unstalk.netcap.model import Packet, Transport
from unstalk.netcap.reader import read_capture

LINKS_WITH_ARP = {F.LINKTYPE_ETHERNET, F.LINKTYPE_LINUX_SLL, F.LINKTYPE_LINUX_SLL2}
MIXED_LINKS = [
    F.LINKTYPE_ETHERNET,
    F.LINKTYPE_LINUX_SLL,
    F.LINKTYPE_LINUX_SLL2,
    F.LINKTYPE_RAW,
    F.LINKTYPE_RAW_BSD,
    F.LINKTYPE_NULL,
    F.LINKTYPE_LOOP,
]


def test_summary_counts_every_frame_and_every_skip_reason(tmp_path: Path) -> None:
    scenario = mixed_traffic()
    path = scenario.write(tmp_path / "phone.pcap")
    with read_capture(path) as capture:
        packets = list(capture)
    summary = capture.summary()
    assert summary.packets == len(scenario.frames) == len(packets) + 4
    assert dict(summary.skipped.counts) == {"ip fragment": 3, "not an IP packet (ARP)": 1}
    assert summary.skipped.total == 4
    assert (summary.format, summary.link_types, summary.truncated) == ("pcap", (1,), False)
    assert summary.first_timestamp == START_NS / 1e9
    assert summary.last_timestamp == pytest.approx(scenario.frames[-1].ts_ns / 1e9)
    transports = {p.transport for p in packets}
    assert transports == {Transport.TCP, Transport.UDP, Transport.OTHER}
    assert [p.number for p in packets] == sorted(p.number for p in packets)


def test_unsupported_link_types_are_counted_and_the_rest_is_read(tmp_path: Path) -> None:
    writer = PcapngWriter()
    writer.section()
    usb = writer.interface(Interface(F.LINKTYPE_USB_LINUX, name="usbmon0"))
    eth = writer.interface(Interface(F.LINKTYPE_ETHERNET))
    ip = F.udp_packet(PHONE_V4, SERVER_V4, 40000, 443, b"quic")
    for index in range(4):
        writer.packet(Frame(b"\0" * 64, START_NS + index, None, usb))
        writer.packet(Frame(F.ethernet(ip), START_NS + index, None, eth))
    path = tmp_path / "two.pcapng"
    path.write_bytes(writer.getvalue())
    capture = read_capture(path)
    assert [p.number for p in capture] == [2, 4, 6, 8]
    summary = capture.summary()
    assert dict(summary.skipped.counts) == {"unsupported link type 189": 4}
    assert (summary.packets, summary.link_types) == (8, (189, 1))


def test_malformed_packets_are_skipped_with_exact_counts(tmp_path: Path) -> None:
    s = Scenario("malformed", link_type=F.LINKTYPE_RAW)
    good = F.tcp_packet(PHONE_V4, SERVER_V4, 40000, 443, b"ok")
    s.ip(good)
    s.ip(b"\x45" + good[1:19])  # cut inside the IPv4 header
    s.ip(b"\x43" + good[1:])  # header length 12 bytes
    s.ip(good[:32] + b"\x30" + good[33:])  # TCP data offset 3
    s.ip(good[:28])  # cut inside the TCP header
    s.ip(b"\x45" + good[1:])
    s.ip(b"")
    path = s.write(tmp_path / "malformed.pcap")
    capture = read_capture(path)
    assert [p.number for p in capture] == [1, 6]
    assert dict(capture.summary().skipped.counts) == {
        "truncated IPv4 header": 1,
        "malformed IPv4 header": 1,
        "malformed TCP header": 1,
        "truncated TCP header": 1,
        "frame too short for its link layer": 1,
    }


def test_snapped_frames_are_decoded_and_counted_as_partial(tmp_path: Path) -> None:
    ip = F.tcp_packet(PHONE_V4, SERVER_V4, 40000, 443, b"x" * 1000)
    frame = F.ethernet(ip)
    records = [Frame(frame[:96], START_NS, len(frame)), Frame(frame, START_NS + 1)]
    path = tmp_path / "snap.pcap"
    path.write_bytes(write_pcap(records, F.LINKTYPE_ETHERNET))
    capture = read_capture(path)
    packets = [(len(p.payload), p.length) for p in capture]
    assert packets == [(96 - 54, len(ip)), (1000, len(ip))]
    assert capture.summary().partial_packets == 1


def test_truncated_file_reads_every_complete_packet(tmp_path: Path) -> None:
    data = mixed_traffic().pcap()
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:-10])
    capture = read_capture(path)
    packets = list(capture)
    summary = capture.summary()
    assert summary.truncated
    assert summary.packets == len(mixed_traffic().frames) - 1
    assert len(packets) == summary.packets - summary.skipped.total


def test_missing_file_and_folder_raise_capture_errors(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="cannot open the capture file"):
        read_capture(tmp_path / "nope.pcap")
    with pytest.raises(CaptureError, match="cannot open the capture file"):
        read_capture(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("not a capture")
    with pytest.raises(CaptureError, match=r"notes\.txt: This file is not a packet capture"):
        read_capture(text)


def test_the_file_is_closed_after_iteration_and_on_leaving_with(tmp_path: Path) -> None:
    path = mixed_traffic().write(tmp_path / "a.pcap")
    capture = read_capture(path)
    list(capture)
    assert capture._stream.closed
    with read_capture(path) as early:
        next(early)
    assert early._stream.closed


# -- tshark as the oracle ---------------------------------------------------------------

ORACLE_FIELDS = [
    "frame.number",
    "frame.time_epoch",
    "ip.src",
    "ipv6.src",
    "ip.dst",
    "ipv6.dst",
    "tcp.srcport",
    "udp.srcport",
    "tcp.dstport",
    "udp.dstport",
]


def _ours(packet: Packet) -> tuple[str, str, str, str]:
    if packet.transport is Transport.OTHER:
        return packet.src, packet.dst, "", ""
    return packet.src, packet.dst, str(packet.src_port), str(packet.dst_port)


def assert_matches_tshark(path: Path, rows: list[dict[str, str]]) -> None:
    with read_capture(path) as capture:
        ours = {p.number: (_ours(p), p.timestamp) for p in capture}
    assert capture.summary().packets == len(rows)
    for row in rows:
        number = int(row["frame.number"])
        theirs = (
            row["ip.src"] or row["ipv6.src"],
            row["ip.dst"] or row["ipv6.dst"],
            row["tcp.srcport"] or row["udp.srcport"],
            row["tcp.dstport"] or row["udp.dstport"],
        )
        if number not in ours:
            assert not theirs[2], f"frame {number} skipped, tshark decoded {theirs}"
            continue
        fields, timestamp = ours[number]
        assert fields == theirs, f"frame {number}"
        assert timestamp == pytest.approx(float(row["frame.time_epoch"]), abs=1e-6)


def _oracle_captures(tmp: Path) -> list[Path]:
    """Few files (tshark starts slowly) that together hold every link type and format."""
    scenarios = [mixed_traffic(link) for link in MIXED_LINKS]
    scenarios += [single_family(link) for link in (F.LINKTYPE_IPV4, F.LINKTYPE_IPV6)]
    mixed = mixed_traffic()
    variants = {
        "links.pcapng": combined_pcapng(scenarios, tsresols=(6, 9, 0x80 | 20, 3)),
        "mixed.pcap": mixed.pcap(),
        "mixed-ns-be.pcap": mixed.pcap(nanosecond=True, big_endian=True),
        "mixed-be.pcapng.gz": gzip.compress(mixed.pcapng(big_endian=True, tsresol=9), mtime=0),
        "interfaces-be.pcapng": several_interfaces(big_endian=True),
    }
    for name, data in variants.items():
        (tmp / name).write_bytes(data)
    return [tmp / name for name in variants]


@pytest.mark.oracle
@pytest.mark.skipif(not have_tshark(), reason="tshark is not installed (CI installs it)")
def test_tshark_sees_the_same_addresses_ports_and_times(tmp_path: Path) -> None:
    paths = _oracle_captures(tmp_path)
    for path, rows in zip(paths, tshark_fields_many(paths, ORACLE_FIELDS), strict=True):
        assert_matches_tshark(path, rows)
    assert len(paths) == 5


def test_oracle_captures_hold_what_the_oracle_must_check(tmp_path: Path) -> None:
    link_types: set[int] = set()
    for path in _oracle_captures(tmp_path):
        with read_capture(path) as capture:
            versions = {p.ip_version for p in capture}
        summary = capture.summary()
        link_types.update(summary.link_types)
        if not path.name.startswith("interfaces"):
            assert versions == {4, 6}
            assert summary.skipped.total >= 3
    assert link_types == {0, 1, 12, 101, 108, 113, 228, 229, 276}


def test_pcap_header_link_type_keeps_only_the_link_bits(tmp_path: Path) -> None:
    data = bytearray(mixed_traffic().pcap())
    # The top bits of the link-type field flag an FCS length; they are not the link type.
    struct.pack_into("<I", data, 20, 0x1000_0000 | F.LINKTYPE_ETHERNET)
    path = tmp_path / "fcs.pcap"
    path.write_bytes(bytes(data))
    capture = read_capture(path)
    assert len(list(capture)) == len(mixed_traffic().frames) - 4
