"""The compiled record walk on its own: what it takes, where it stops, hostile input.

``tests/netcap/test_scan.py`` shows that scans with and without it are equal on
every capture shape the tests generate; here the function is called directly.
"""

from __future__ import annotations

import random
import struct
from types import ModuleType
from typing import TypeVar

import pytest

from tests.netcap.gen import frames as F
from unstalk.netcap import flowstate as fs
from unstalk.netcap.extract import BURST_GAP, MAX_BURSTS
from unstalk.netcap.model import Flow, FlowKey, Transport
from unstalk.netcap.scanner import _IPV4

fastwalk: ModuleType = pytest.importorskip("unstalk.netcap._fastwalk")

PHONE, SERVER = "192.168.1.20", "203.0.113.5"
_Entry = tuple[fs.FlowState, bool]
_State = TypeVar("_State")


def _record(frame: bytes, sec: int, usec: int = 0) -> bytes:
    return struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame


def _udp_frame(sport: int = 40000, payload: bytes = b"media") -> bytes:
    return F.ethernet(F.udp_packet(PHONE, SERVER, sport, 443, payload))


def _done_flow(frame: bytes) -> tuple[Flow, dict[bytes, _Entry]]:
    """A flow the extractor is done with, filed under the frame's raw key."""
    key = _IPV4.unpack_from(frame, 12)[5]
    flow = Flow(FlowKey(Transport.UDP, PHONE, 40000, SERVER, 443), 100.0, 100.0, 1, 60)
    flow.timestamps.append(100.0)
    state = fs.FlowState(flow, fs.QUIC, 0)
    state.drop()
    return flow, {key: (state, True)}


def _walk(
    data: bytes, udp: dict[bytes, tuple[_State, bool]], **changes: object
) -> tuple[int, int, float, int]:
    args: dict[str, object] = {
        "pos": 0,
        "end": len(data),
        "size": 16,
        "big": False,
        "scale": 1e6,
        "tcp": {},
        "number": 0,
        "ts": 0.0,
    }
    args.update(changes)
    result: tuple[int, int, float, int] = fastwalk.walk(
        data,
        args["pos"],
        args["end"],
        args["size"],
        args["big"],
        args["scale"],
        args["tcp"],
        udp,
        args["number"],
        args["ts"],
        0,
        BURST_GAP,
        MAX_BURSTS,
        fs.HTTP,
        args.get("index", 0),
        args.get("count", 1),
    )
    return result


def test_packets_of_a_finished_flow_only_add_to_its_counters() -> None:
    frame = _udp_frame()
    flow, udp = _done_flow(frame)
    data = _record(frame, 100, 500_000) + _record(frame, 103) + _record(frame, 103, 1)
    pos, number, ts, partial = _walk(data, udp, number=7)
    assert (pos, number, ts, partial) == (len(data), 10, 103.000001, 0)
    length = 20 + 8 + len(b"media")  # the IP packet's own length, not the padded frame's
    assert (flow.packets, flow.bytes) == (4, 60 + 3 * length)
    assert flow.last_seen == 103.000001
    assert flow.timestamps == [100.0, 103.0]  # a new burst after more than a second


def test_it_stops_untouched_at_the_first_packet_that_needs_the_python_code() -> None:
    frame = _udp_frame()
    flow, udp = _done_flow(frame)
    unknown = _udp_frame(sport=40001)
    data = _record(frame, 101) + _record(unknown, 102) + _record(frame, 103)
    pos, number, ts, _ = _walk(data, udp)
    assert (pos, number, ts) == (16 + len(frame), 1, 101.0)
    assert (flow.packets, flow.last_seen) == (2, 101.0)


class _PlainState:
    """A state without slots: read through the ordinary attribute protocol."""

    def __init__(self, flow: Flow) -> None:
        self.inspect = False
        self.kind = fs.QUIC
        self.flow = flow


class _SlottedFlow(Flow):
    """A subclass: its slots are found again for its own type."""

    __slots__ = ()


def test_states_and_flows_of_other_classes_get_the_same_counters() -> None:
    frame = _udp_frame()
    key = _IPV4.unpack_from(frame, 12)[5]
    data = _record(frame, 101) + _record(frame, 103)
    flows = []
    for flow_class in (Flow, _SlottedFlow):
        flow = flow_class(FlowKey(Transport.UDP, PHONE, 40000, SERVER, 443), 100.0, 100.0, 1, 60)
        flows.append(flow)
        udp = {key: (_PlainState(flow), True)}
        assert _walk(data, udp)[1] == 2
    assert all((f.packets, f.bytes, f.last_seen) == (3, 60 + 2 * 33, 103.0) for f in flows)


class _ForgettingState:
    """A state whose ``inspect`` empties the flow table it was found in, as it is read."""

    def __init__(self, flow: Flow, table: dict[bytes, tuple[_ForgettingState, bool]]) -> None:
        self.flow = flow
        self.table = table

    @property
    def inspect(self) -> bool:
        self.table.clear()
        return False


def test_python_code_run_while_reading_a_state_cannot_pull_it_away() -> None:
    frame = _udp_frame()
    key = _IPV4.unpack_from(frame, 12)[5]
    flow = Flow(FlowKey(Transport.UDP, PHONE, 40000, SERVER, 443), 100.0, 100.0, 1, 60)
    udp: dict[bytes, tuple[_ForgettingState, bool]] = {}
    udp[key] = (_ForgettingState(flow, udp), True)
    data = _record(frame, 101) + _record(frame, 102)
    assert _walk(data, udp)[1] == 1  # the first counted; the second finds no flow
    assert flow.packets == 2


def test_a_flow_still_inspected_is_left_to_the_python_code() -> None:
    frame = _udp_frame()
    flow, udp = _done_flow(frame)
    next(iter(udp.values()))[0].inspect = True
    assert _walk(_record(frame, 101), udp)[:2] == (0, 0)
    assert flow.packets == 1


def _http_flow(frame: bytes) -> tuple[Flow, dict[bytes, _Entry]]:
    """An HTTP flow still read, the frame's sender its server."""
    key = _IPV4.unpack_from(frame, 12)[5]
    flow = Flow(FlowKey(Transport.TCP, SERVER, 50000, PHONE, 80), 100.0, 100.0, 1, 60)
    state = fs.FlowState(flow, fs.HTTP, 0)
    return flow, {key: (state, False)}


def test_an_http_servers_packets_only_add_to_counters_but_its_clients_requests_do_not() -> None:
    answer = F.ethernet(F.tcp_packet(PHONE, SERVER, 80, 50000, b"HTTP/1.1 200 OK\r\n"))
    flow, tcp = _http_flow(answer)
    assert _walk(_record(answer, 101), {}, tcp=tcp)[1] == 1
    assert flow.packets == 2
    state, _ = next(iter(tcp.values()))
    tcp = dict.fromkeys(tcp, (state, True))  # the same bytes, now from the client
    assert _walk(_record(answer, 102), {}, tcp=tcp)[1] == 0
    assert flow.packets == 2


def test_a_record_cut_short_or_too_long_is_left_to_the_python_code() -> None:
    frame = _udp_frame()
    _, udp = _done_flow(frame)
    whole = _record(frame, 101)
    assert _walk(whole[:-1], udp)[0] == 0
    huge = struct.pack("<IIII", 101, 0, 1 << 30, 1 << 30) + frame
    assert _walk(huge, udp)[0] == 0
    assert _walk(whole, udp, end=len(whole) + 4096)[0] == len(whole)  # end past the data


def test_frames_captured_in_part_are_counted() -> None:
    frame = _udp_frame()
    _, udp = _done_flow(frame)
    data = struct.pack("<IIII", 101, 0, len(frame), len(frame) + 40) + frame
    assert _walk(data, udp)[3] == 1


def test_a_layout_that_is_not_classic_pcap_is_refused() -> None:
    with pytest.raises(ValueError, match="classic pcap"):
        _walk(b"", {}, size=8)
    with pytest.raises(ValueError, match="classic pcap"):
        _walk(b"", {}, pos=-1)


def test_a_flow_whose_bursts_are_not_a_list_is_an_error_not_a_crash() -> None:
    frame = _udp_frame()
    flow, udp = _done_flow(frame)
    flow.timestamps = ()  # type: ignore[assignment]
    with pytest.raises(TypeError, match="list"):
        _walk(_record(frame, 200), udp)


def test_random_bytes_never_crash_it() -> None:
    rng = random.Random(11)
    frame = _udp_frame()
    _, udp = _done_flow(frame)
    for _ in range(2000):
        size = rng.randrange(0, 400)
        data = bytes(rng.randrange(256) for _ in range(size))
        if rng.random() < 0.5:
            data = _record(frame, 101) + data
        pos, number, _, partial = _walk(data, udp, end=rng.randrange(0, size + 64))
        assert 0 <= pos <= len(data)
        assert 0 <= partial <= number


def _epb(frame: bytes, ticks: int, *, interface: int = 0, trailer: int | None = None) -> bytes:
    body = struct.pack("<IIIII", interface, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), len(frame))
    body += frame + b"\0" * (-len(frame) % 4)
    length = 12 + len(body)
    return struct.pack("<II", 6, length) + body + struct.pack("<I", trailer or length)


def _walk_pcapng(
    data: bytes, udp: dict[bytes, _Entry], clocks: list[tuple[int, int, int]]
) -> tuple[int, int, float, int]:
    result: tuple[int, int, float, int] = fastwalk.walk_pcapng(
        data,
        0,
        len(data),
        False,
        clocks,
        {},
        udp,
        0,
        0.0,
        0,
        BURST_GAP,
        MAX_BURSTS,
        fs.HTTP,
        1 << 24,
        0,
        1,
    )
    return result


def test_pcapng_packet_blocks_of_a_finished_flow_are_taken_until_another_block() -> None:
    frame = _udp_frame()
    flow, udp = _done_flow(frame)
    other_block = struct.pack("<II", 5, 16) + b"\0" * 4 + struct.pack("<I", 16)
    data = _epb(frame, 101_000_000) + _epb(frame, 102_000_000) + other_block
    pos, number, ts, _ = _walk_pcapng(data, udp, [(1, 1_000_000, 0)])
    assert (pos, number, ts) == (len(data) - 16, 2, 102.0)
    assert flow.packets == 3


@pytest.mark.parametrize(
    ("block", "clocks"),
    [
        (_epb(_udp_frame(), 5, trailer=999), [(1, 1_000_000, 0)]),  # lengths disagree
        (_epb(_udp_frame(), 5, interface=1), [(1, 1_000_000, 0)]),  # undeclared interface
        (_epb(_udp_frame(), 5), [(113, 1_000_000, 0)]),  # not Ethernet
        (_epb(_udp_frame(), 5), [(1, 1_000_000, 1 << 60)]),  # offset not exact in a double
        (_epb(_udp_frame(), 5)[:-4], [(1, 1_000_000, 0)]),  # cut short
    ],
)
def test_pcapng_blocks_it_cannot_take_exactly_are_left_to_python(
    block: bytes, clocks: list[tuple[int, int, int]]
) -> None:
    flow, udp = _done_flow(_udp_frame())
    assert _walk_pcapng(block, udp, clocks)[:2] == (0, 0)
    assert flow.packets == 1


def test_pcapng_times_equal_pythons_for_every_kind_of_clock() -> None:
    rng = random.Random(5)
    frame = _udp_frame()
    divisors = [10**n for n in range(20)] + [2**n for n in range(64)] + [7, 999_999_937]
    for _ in range(3000):
        ticks = rng.choice([rng.randrange(1 << 53), rng.randrange(1 << 64)])
        divisor = rng.choice(divisors)
        offset = rng.randrange(-(1 << 40), 1 << 40)
        _, udp = _done_flow(frame)
        ts = _walk_pcapng(_epb(frame, ticks), udp, [(1, divisor, offset)])[2]
        assert ts == ticks / divisor + offset
