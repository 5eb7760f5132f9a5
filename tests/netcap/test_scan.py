"""``scan_capture`` gives exactly what the packet reader feeding the extractor gives.

The short cut (counters updated in place for flows no longer inspected) must
never change a flow, an observation, a skip count or the summary, whatever the
capture holds: every link type, IPv4 and IPv6, VLAN tags, fragments, records
split across read chunks, damaged files and a port reused for a new connection.
Every capture is read twice: with the compiled record walk (when the package was
built with it) and with the walk in Python alone. Nor must sharing the flows out
between readers (as processes do for big files): every capture is also read in two
and in three shares here, in one process, and put back together.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from tests.netcap.gen import app_scenarios as scenarios
from tests.netcap.gen import frames as F
from tests.netcap.gen.app_payloads import (
    client_hello,
    dns_answer,
    dns_query,
    tcp_framed,
    tls_records,
)
from tests.netcap.gen.pcap_writer import Interface, PcapngWriter
from tests.netcap.gen.scenarios import (
    PHONE_V4,
    SERVER_V4,
    Scenario,
    mixed_traffic,
    several_interfaces,
)
from unstalk.netcap import scanner as scan_module
from unstalk.netcap.extract import Extraction, Extractor
from unstalk.netcap.model import CaptureSummary, NameSource
from unstalk.netcap.parsers import readbuffer
from unstalk.netcap.parts import join
from unstalk.netcap.reader import iter_packets
from unstalk.netcap.scan import Scan, Share, scan_capture, summary_of, walk_capture

LINK_TYPES = (
    F.LINKTYPE_ETHERNET,
    F.LINKTYPE_RAW,
    F.LINKTYPE_LINUX_SLL,
    F.LINKTYPE_LINUX_SLL2,
    F.LINKTYPE_NULL,
)


def _reference(data: bytes) -> tuple[CaptureSummary, Extraction]:
    extractor = Extractor()
    with iter_packets(io.BytesIO(data), path="phone.pcap") as reader:
        for packet in reader:
            extractor.add(packet)
        summary = reader.summary()
    return summary, extractor.finish()


@contextmanager
def _python_walk_only() -> Iterator[None]:
    compiled = getattr(scan_module, "_fastwalk")  # noqa: B009 - a private module attribute
    setattr(scan_module, "_fastwalk", None)  # noqa: B010
    try:
        yield
    finally:
        setattr(scan_module, "_fastwalk", compiled)  # noqa: B010


def _shared(data: bytes, count: int) -> Scan:
    """The capture read in ``count`` shares in this process, as helper processes read it."""
    readers = [
        walk_capture(io.BytesIO(data), path="phone.pcap", share=Share(index, count))
        for index in range(count)
    ]
    walks = [walked for _, walked in readers]
    return Scan(summary_of(readers[0][0], walks), join([w.part for w in walks]))


def _both_walks(data: bytes) -> list[Scan]:
    scans = [scan_capture(io.BytesIO(data), path="phone.pcap"), _shared(data, 2), _shared(data, 3)]
    with _python_walk_only():
        scans += [scan_capture(io.BytesIO(data), path="phone.pcap"), _shared(data, 2)]
    return scans


def _assert_same(data: bytes) -> Extraction:
    summary, extraction = _reference(data)
    for scan in _both_walks(data):
        assert scan.summary == summary
        assert scan.extraction == extraction
    return extraction


def _file(scenario: Scenario, suffix: str, tmp_path: Path) -> bytes:
    return scenario.write(tmp_path / f"capture{suffix}").read_bytes()


@pytest.mark.parametrize("suffix", [".pcap", ".pcapng", ".pcap.gz"])
@pytest.mark.parametrize("layout", [(False, ()), (True, ()), (False, (43,))])
def test_phone_traffic_gives_the_same_flows_and_names(
    layout: tuple[bool, tuple[int, ...]], suffix: str, tmp_path: Path
) -> None:
    ipv6, vlans = layout
    built = scenarios.combined_capture(ipv6=ipv6, vlans=vlans)
    result = _assert_same(_file(built.scenario, suffix, tmp_path))
    assert sorted(r.name for r in result.dns) == sorted(built.dns)
    assert sorted(h.sni for h in result.tls if h.sni) == sorted(built.sni)


@pytest.mark.parametrize("link_type", LINK_TYPES)
@pytest.mark.parametrize("suffix", [".pcap", ".pcapng"])
def test_every_link_and_header_shape_gives_the_same_result(
    link_type: int, suffix: str, tmp_path: Path
) -> None:
    scenario = mixed_traffic(link_type)
    # Repeat the traffic, so that its flows are known (and done with) the second time.
    for frame in list(scenario.frames):
        scenario.add(frame.data)
    _assert_same(_file(scenario, suffix, tmp_path))


@pytest.mark.parametrize("nanosecond", [False, True])
@pytest.mark.parametrize("big_endian", [False, True])
def test_either_byte_order_and_resolution_give_the_same_result(
    nanosecond: bool, big_endian: bool
) -> None:
    scenario = scenarios.combined_capture(ipv6=True, vlans=(7,)).scenario
    for frame in list(scenario.frames):  # the second time round, flows are done with
        scenario.add(frame.data)
    _assert_same(scenario.pcap(nanosecond=nanosecond, big_endian=big_endian))


@pytest.mark.parametrize("tsresol", [6, 9, 0x80 | 30])
@pytest.mark.parametrize("big_endian", [False, True])
def test_pcapng_clocks_of_every_kind_give_the_same_times(tsresol: int, big_endian: bool) -> None:
    # Microseconds and binary fractions are divided in the compiled walk; nanoseconds
    # (ticks beyond 2**53) go through Python's own division.
    scenario = scenarios.combined_capture(vlans=(4,)).scenario
    for frame in list(scenario.frames):
        scenario.add(frame.data)
    _assert_same(scenario.pcapng(big_endian=big_endian, tsresol=tsresol))


def test_pcapng_interfaces_with_clock_offsets_and_other_links_give_the_same_result() -> None:
    scenario = scenarios.combined_capture(ipv6=True).scenario
    writer = PcapngWriter()
    writer.section()
    ethernet = writer.interface(Interface(F.LINKTYPE_ETHERNET, tsoffset=-3600))
    writer.interface(Interface(F.LINKTYPE_LINUX_SLL, tsresol=9))
    later = writer.interface(Interface(F.LINKTYPE_ETHERNET, tsresol=9, tsoffset=7200))
    # A divisor beyond 2**53, made possible by an offset that keeps the ticks small.
    fine = writer.interface(Interface(F.LINKTYPE_ETHERNET, tsresol=16, tsoffset=1_699_999_990))
    for interface in (ethernet, later, fine):
        for frame in scenario.frames:
            writer.packet(replace(frame, interface=interface))
    writer.section(big_endian=True)  # a new section starts its interfaces afresh
    writer.interface(Interface(F.LINKTYPE_ETHERNET))
    for frame in scenario.frames:
        writer.packet(replace(frame, interface=0))
    _assert_same(writer.getvalue())


def test_records_split_across_read_chunks_give_the_same_result(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(readbuffer, "CHUNK", 97)
    built = scenarios.combined_capture(vlans=(5,))
    _assert_same(_file(built.scenario, ".pcap", tmp_path))


def test_several_interfaces_and_custom_blocks_give_the_same_result() -> None:
    _assert_same(several_interfaces())


@pytest.mark.parametrize("cut", [24 + 8, 24 + 16 + 30, -7])
def test_a_file_cut_short_is_reported_as_the_reader_reports_it(cut: int, tmp_path: Path) -> None:
    data = _file(scenarios.combined_capture().scenario, ".pcap", tmp_path)
    for scan in _both_walks(data[:cut]):
        assert scan.summary.truncated
        assert (scan.summary, scan.extraction) == _reference(data[:cut])


def test_a_damaged_length_stops_reading_as_the_reader_does(tmp_path: Path) -> None:
    data = bytearray(_file(scenarios.combined_capture().scenario, ".pcap", tmp_path))
    data[24 + 8 : 24 + 12] = (1 << 30).to_bytes(4, "little")  # frame 1 claims 1 GiB
    for scan in _both_walks(bytes(data)):
        assert "claims" in scan.summary.truncated_reason
        assert (scan.summary, scan.extraction) == _reference(bytes(data))


def _connection(scenario: Scenario, sni: str, isn: int) -> None:
    session = scenario.tcp_session(PHONE_V4, 50123, SERVER_V4, 443)
    session.client_seq = isn
    session.handshake()
    session.client_send(tls_records(client_hello(sni)))
    session.server_send(b"\x16\x03\x03" + b"s" * 5000)
    session.client_send(b"\x17\x03\x03" + b"c" * 3000)
    session.close()


def test_a_port_reused_for_a_new_connection_starts_a_new_flow(tmp_path: Path) -> None:
    scenario = Scenario("reuse")
    _connection(scenario, "first.example", 1000)
    _connection(scenario, "second.example", 900_000)
    result = _assert_same(_file(scenario, ".pcap", tmp_path))
    assert [(f.name, f.name_source) for f in result.flows] == [
        ("first.example", NameSource.SNI),
        ("second.example", NameSource.SNI),
    ]
    assert sum(f.packets for f in result.flows) == len(scenario.frames)


def test_handshakes_sent_twice_keep_the_connection_and_its_names(tmp_path: Path) -> None:
    # A SYN and SYN-ACK sent again with the same sequence numbers (a retransmission) go
    # through the short cut. The DNS answer over TCP arrives in two segments, the second
    # first: only the server's initial sequence number, taken from the SYN-ACK, tells
    # that the first to arrive must wait for the other.
    scenario = Scenario("retransmitted")
    web = scenario.tcp_session(PHONE_V4, 50200, SERVER_V4, 443)
    dns = scenario.tcp_session(PHONE_V4, 50201, SERVER_V4, 53)
    for session in (web, dns, web, dns):
        session.client_seq, session.server_seq = 1000, 5000
        session.handshake()
    web.client_send(tls_records(client_hello("twice.example")))
    dns.client_send(tcp_framed(dns_query("tcp.example")))
    answer = tcp_framed(dns_answer("tcp.example", []))
    half = len(answer) // 2
    for seq, part in ((5001 + half, answer[half:]), (5001, answer[:half])):
        scenario.tcp(SERVER_V4, PHONE_V4, 53, 50201, part, seq=seq, ack=dns.client_seq)
    result = _assert_same(_file(scenario, ".pcap", tmp_path))
    assert [f.name for f in result.flows] == ["twice.example", None]
    assert [(r.name, r.response) for r in result.dns] == [
        ("tcp.example", False),
        ("tcp.example", True),
    ]


def test_damaged_bytes_anywhere_give_the_same_result(tmp_path: Path) -> None:
    built = scenarios.combined_capture(ipv6=True, vlans=(9,))
    clean = _file(built.scenario, ".pcap", tmp_path)
    rng = random.Random(6)
    for _ in range(40):
        data = bytearray(clean)
        for position in rng.sample(range(24, len(data)), 25):
            data[position] = rng.randrange(256)
        _assert_same(bytes(data))
