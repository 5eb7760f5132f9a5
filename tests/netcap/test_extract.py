"""The extractor on hand-built packets: flow table, reassembly, naming, damaged payloads."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.netcap import quic_vectors as rfc
from tests.netcap.gen.app_payloads import (
    TYPE_A,
    Rr,
    client_hello,
    crypto_frame,
    dns_answer,
    dns_query,
    http_request,
    quic_initial,
    tcp_framed,
    tls_records,
)
from unstalk.netcap import extract
from unstalk.netcap.extract import Extraction, Extractor
from unstalk.netcap.model import NameSource, Packet, Transport

PHONE, SERVER, RESOLVER = "10.0.0.2", "93.184.216.34", "10.0.0.1"
SYN, ACK, PSH = 0x02, 0x10, 0x08


class Wire:
    """Builds the packets of a capture in order: numbers and times go up by themselves."""

    def __init__(self) -> None:
        self.packets: list[Packet] = []
        self.time = 1_700_000_000.0

    def send(
        self,
        payload: bytes = b"",
        *,
        src: str = PHONE,
        dst: str = SERVER,
        sport: int = 40000,
        dport: int = 443,
        transport: Transport = Transport.TCP,
        seq: int = 0,
        flags: int = ACK | PSH,
        gap: float = 0.001,
    ) -> Packet:
        self.time += gap
        packet = Packet(
            number=len(self.packets) + 1,
            timestamp=self.time,
            src=src,
            dst=dst,
            transport=transport,
            src_port=sport,
            dst_port=dport,
            payload=memoryview(payload),
            length=40 + len(payload),
            tcp_seq=seq,
            tcp_flags=flags if transport is Transport.TCP else 0,
        )
        self.packets.append(packet)
        return packet

    def connect(
        self, dport: int = 443, *, sport: int = 40000, dst: str = SERVER, isn: int = 100
    ) -> int:
        """SYN, SYN-ACK, ACK; return the sequence number of the client's first data byte."""
        self.send(sport=sport, dport=dport, dst=dst, seq=isn, flags=SYN)
        self.send(src=dst, dst=PHONE, sport=dport, dport=sport, seq=9000, flags=SYN | ACK)
        self.send(sport=sport, dport=dport, dst=dst, seq=isn + 1, flags=ACK)
        return isn + 1

    def udp(
        self,
        payload: bytes,
        *,
        src: str = PHONE,
        dst: str = SERVER,
        sport: int = 50000,
        dport: int = 443,
        gap: float = 0.001,
    ) -> Packet:
        return self.send(
            payload, src=src, dst=dst, sport=sport, dport=dport, transport=Transport.UDP, gap=gap
        )

    def extract(self) -> Extraction:
        extractor = Extractor()
        for packet in self.packets:
            extractor.add(packet)
        return extractor.finish()


def test_flow_accounting_and_orientation_from_the_syn() -> None:
    wire = Wire()
    first = wire.connect(8443)
    wire.send(b"x" * 10, src=SERVER, dst=PHONE, sport=8443, dport=40000, seq=9001)
    wire.send(seq=first, dport=8443, flags=ACK)
    (flow,) = wire.extract().flows
    assert (flow.key.client, flow.key.client_port) == (PHONE, 40000)
    assert (flow.key.server, flow.key.server_port) == (SERVER, 8443)
    assert flow.packets == 5
    assert flow.bytes == 5 * 40 + 10
    assert flow.first_seen == wire.packets[0].timestamp
    assert flow.last_seen == wire.packets[-1].timestamp


def test_each_flow_remembers_its_first_frame() -> None:
    wire = Wire()
    wire.udp(b"x" * 20, dport=9999)
    wire.connect(443)
    flows = {f.key.server_port: f.first_number for f in wire.extract().flows}
    assert flows == {9999: 1, 443: 2}


def test_capture_starting_mid_connection_keeps_the_server_side() -> None:
    wire = Wire()
    wire.send(b"data", src=SERVER, dst=PHONE, sport=5228, dport=41000)
    wire.udp(dns_answer("x.example", []), src=RESOLVER, dst=PHONE, sport=53, dport=33000)
    push, dns_flow = wire.extract().flows
    assert (push.key.server, push.key.server_port) == (SERVER, 5228)
    assert (dns_flow.key.client, dns_flow.key.server_port) == (PHONE, 53)


def test_burst_start_times_for_beaconing() -> None:
    wire = Wire()
    for gap in (0.0, 0.5, 2.0, 0.1, 60.0, 0.2):
        wire.udp(b"beacon", gap=gap, dport=9999)
    (flow,) = wire.extract().flows
    times = [p.timestamp for p in wire.packets]
    assert flow.timestamps == [times[0], times[2], times[4]]


def test_burst_list_is_bounded() -> None:
    wire = Wire()
    for _ in range(extract.MAX_BURSTS + 50):
        wire.udp(b"beacon", gap=5.0, dport=9999)
    (flow,) = wire.extract().flows
    assert len(flow.timestamps) == extract.MAX_BURSTS
    assert flow.packets == extract.MAX_BURSTS + 50


def test_client_hello_split_over_three_segments() -> None:
    wire = Wire()
    seq = wire.connect()
    hello = tls_records(client_hello("split.example.com"))
    for start in range(0, len(hello), 200):
        wire.send(hello[start : start + 200], seq=seq + start)
    result = wire.extract()
    (tls,) = result.tls
    assert tls.sni == "split.example.com"
    assert tls.alpn == ("h2", "http/1.1")
    assert tls.quic_version is None
    assert tls.number == wire.packets[-1].number
    assert result.flows[0].name == "split.example.com"
    assert result.flows[0].name_source is NameSource.SNI


def test_out_of_order_and_retransmitted_segments() -> None:
    wire = Wire()
    seq = wire.connect()
    hello = tls_records(client_hello("ooo.example.com"))
    parts = [hello[:100], hello[100:300], hello[300:]]
    wire.send(parts[0], seq=seq)
    wire.send(parts[0], seq=seq)  # retransmitted
    wire.send(parts[2], seq=seq + 300)  # early
    wire.send(hello[50:150], seq=seq + 50)  # overlaps old and new bytes
    wire.send(hello[150:300], seq=seq + 150)
    (tls,) = wire.extract().tls
    assert tls.sni == "ooo.example.com"
    assert tls.number == wire.packets[-1].number


def test_sequence_numbers_that_wrap_around() -> None:
    wire = Wire()
    seq = wire.connect(isn=0xFFFFFF00)
    hello = tls_records(client_hello("wrap.example.com"))
    wire.send(hello[:400], seq=seq)
    wire.send(hello[400:], seq=(seq + 400) & 0xFFFFFFFF)
    assert [h.sni for h in wire.extract().tls] == ["wrap.example.com"]


def test_tls_found_on_any_port_and_without_handshake() -> None:
    wire = Wire()
    wire.send(tls_records(client_hello("mtalk.example.com")), dport=5228, seq=77)
    (tls,) = wire.extract().tls
    assert (tls.flow.server_port, tls.sni) == (5228, "mtalk.example.com")


def test_http_on_a_non_standard_port_named_by_host() -> None:
    wire = Wire()
    seq = wire.connect(1234)
    request = http_request("c2.example.net", "/gps", user_agent="spy/1.0")
    wire.send(request[:20], dport=1234, seq=seq)
    wire.send(request[20:], dport=1234, seq=seq + 20)
    result = wire.extract()
    (request_seen,) = result.http
    assert (request_seen.host, request_seen.path, request_seen.user_agent) == (
        "c2.example.net",
        "/gps",
        "spy/1.0",
    )
    assert result.flows[0].name_source is NameSource.HTTP_HOST


def test_keep_alive_requests_and_a_head_cut_by_the_end_of_the_capture() -> None:
    wire = Wire()
    seq = wire.connect(80)
    first = http_request("a.example", "/1", method="POST", body=b"k=v")
    second = http_request("a.example", "/2")
    wire.send(first + second, dport=80, seq=seq)
    wire.send(b"GET /3 HTTP/1.1\r\nHost: a.exa", dport=80, seq=seq + len(first + second))
    other = wire.connect(80, sport=40001)
    wire.send(b"GET /cut HTTP/1.1\r\nHost: cut.example\r\nUser-", sport=40001, dport=80, seq=other)
    paths = [(r.path, r.host) for r in wire.extract().http]
    assert paths == [("/1", "a.example"), ("/2", "a.example"), ("/cut", "cut.example")]


def test_long_download_between_keep_alive_requests_does_not_stop_inspection() -> None:
    """A big answer and the client's ACKs for it must not use up the connection's budget."""
    wire = Wire()
    seq = wire.connect(80)
    first = http_request("dl.example", "/big")
    wire.send(first, dport=80, seq=seq)
    seq += len(first)
    for n in range(200):
        wire.send(b"x" * 1400, src=SERVER, dst=PHONE, sport=80, dport=40000, seq=9001 + n * 1400)
        wire.send(dport=80, seq=seq, flags=ACK)
    second = http_request("dl.example", "/after")
    wire.send(second, dport=80, seq=seq)
    paths = [r.path for r in wire.extract().http]
    assert paths == ["/big", "/after"]


def test_port_reuse_starts_a_new_connection() -> None:
    wire = Wire()
    for isn, name in ((100, "one.example"), (5_000_000, "two.example")):
        seq = wire.connect(isn=isn)
        wire.send(tls_records(client_hello(name)), seq=seq)
    result = wire.extract()
    assert [f.name for f in result.flows] == ["one.example", "two.example"]
    assert [f.packets for f in result.flows] == [4, 4]


def test_syn_retransmission_is_not_a_new_connection() -> None:
    wire = Wire()
    wire.send(seq=100, flags=SYN)
    wire.connect(isn=100)
    assert len(wire.extract().flows) == 1


def test_dns_over_udp_names_a_later_connection_to_the_answer() -> None:
    wire = Wire()
    answer = [Rr("tracker.example.com", TYPE_A, SERVER)]
    wire.udp(dns_query("tracker.example.com"), dst=RESOLVER, sport=33000, dport=53)
    wire.udp(
        dns_answer("tracker.example.com", answer), src=RESOLVER, dst=PHONE, sport=53, dport=33000
    )
    seq = wire.connect(5222)
    wire.send(b"<stream:stream>", dport=5222, seq=seq)
    result = wire.extract()
    query, response = result.dns
    assert (query.name, query.qtype, query.response) == ("tracker.example.com", "A", False)
    assert (response.client, response.server, response.answers) == (PHONE, RESOLVER, (SERVER,))
    assert result.flows[-1].name == "tracker.example.com"
    assert result.flows[-1].name_source is NameSource.DNS


def test_repeated_dns_messages_with_new_ids_are_each_recorded() -> None:
    """Identical messages (but for their ID) share one parse; every one is still a record."""
    wire = Wire()
    for n, ident in enumerate((0x0001, 0x0002, 0x0003)):
        wire.udp(dns_query("repeat.example", ident=ident), dst=RESOLVER, sport=33000 + n, dport=53)
    wire.udp(b"\x00\x04" + dns_query("repeat.example")[2:12], dst=RESOLVER, sport=34000, dport=53)
    result = wire.extract()
    assert [r.name for r in result.dns] == ["repeat.example"] * 3
    assert sum(result.malformed.values()) == 1


def test_most_recent_answer_before_the_connection_wins() -> None:
    wire = Wire()
    for name in ("old.example", "new.example"):
        wire.udp(
            dns_answer(name, [Rr(name, TYPE_A, SERVER)]),
            src=RESOLVER,
            dst=PHONE,
            sport=53,
            dport=33000,
        )
    seq = wire.connect(7000)
    wire.send(b"\x00", dport=7000, seq=seq)
    wire.udp(
        dns_answer("after.example", [Rr("after.example", TYPE_A, SERVER)]),
        src=RESOLVER,
        dst=PHONE,
        sport=53,
        dport=33000,
    )
    flows = wire.extract().flows
    assert flows[1].name == "new.example"


def test_dns_over_tcp_split_and_pipelined() -> None:
    wire = Wire()
    seq = wire.connect(53, dst=RESOLVER)
    queries = tcp_framed(dns_query("a.example")) + tcp_framed(dns_query("b.example"))
    wire.send(queries[:1], dst=RESOLVER, dport=53, seq=seq)
    wire.send(queries[1:], dst=RESOLVER, dport=53, seq=seq + 1)
    answer = tcp_framed(dns_answer("a.example", [Rr("a.example", TYPE_A, "192.0.2.1")]))
    wire.send(answer[:5], src=RESOLVER, dst=PHONE, sport=53, dport=40000, seq=9001)
    wire.send(answer[5:], src=RESOLVER, dst=PHONE, sport=53, dport=40000, seq=9006)
    records = wire.extract().dns
    assert [(r.name, r.response, r.transport) for r in records] == [
        ("a.example", False, Transport.TCP),
        ("b.example", False, Transport.TCP),
        ("a.example", True, Transport.TCP),
    ]
    assert records[-1].answers == ("192.0.2.1",)


@pytest.mark.parametrize(
    ("packet", "version"), [(rfc.V1_CLIENT_INITIAL, 1), (rfc.V2_CLIENT_INITIAL, 2)]
)
def test_quic_initial_names_the_connection(packet: bytes, version: int) -> None:
    wire = Wire()
    wire.udp(packet)
    wire.udp(rfc.V1_SERVER_INITIAL, src=SERVER, dst=PHONE, sport=443, dport=50000)
    result = wire.extract()
    (hello,) = result.tls
    assert (hello.sni, hello.quic_version) == ("example.com", version)
    assert result.flows[0].name_source is NameSource.QUIC_SNI
    assert result.malformed == {}


def test_quic_hello_over_two_initials_with_a_new_connection_id() -> None:
    wire = Wire()
    hello = client_hello("chrome.example.com", post_quantum=True, quic=True)
    dcid = b"\x01" * 8
    wire.udp(quic_initial(crypto_frame(900, hello[900:]), dcid=dcid))
    second = quic_initial(crypto_frame(0, hello[:900]), dcid=dcid, packet_number=1)
    wire.udp(second)
    assert [h.sni for h in wire.extract().tls] == ["chrome.example.com"]


def test_damaged_payloads_are_counted_by_reason() -> None:
    wire = Wire()
    wire.udp(b"\x00\x01\x02", src=PHONE, dst=RESOLVER, sport=33000, dport=53)
    wire.send(b"\x16\x03\x01\x00\x04\x01\x00\x00\x10" + b"\x15\x03\x01\x00\x02\x02\x28", seq=5)
    tampered = bytearray(rfc.V1_CLIENT_INITIAL)
    tampered[900] ^= 0xFF
    wire.udp(bytes(tampered))
    wire.send(b"GET / SPDY/3\r\n\r\n", sport=40001, dport=80, seq=5)
    malformed = wire.extract().malformed
    assert malformed == {
        "dns.truncated": 1,
        "tls.bad-record": 1,
        "quic.decryption-failed": 1,
        "http.bad-request-line": 1,
    }


def test_hello_that_never_completes_gives_up_at_the_stream_limit() -> None:
    wire = Wire()
    stream = tls_records(b"\x01\x00\xff\x00" + bytes(0xFF00), record_size=1000)
    for start in range(0, 20_000, 1000):
        wire.send(stream[start : start + 1000], seq=1 + start)
    result = wire.extract()
    assert result.tls == ()
    assert result.malformed == {"tls.hello-over-limit": 1}


def test_open_streams_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_OPEN_STREAMS", 3)
    wire = Wire()
    hellos = [tls_records(client_hello(f"h{i}.example")) for i in range(5)]
    for i, hello in enumerate(hellos):
        wire.send(hello[:50], sport=41000 + i, seq=1)
    for i, hello in enumerate(hellos):
        wire.send(hello[50:], sport=41000 + i, seq=51)
    result = wire.extract()
    assert sorted(h.sni or "" for h in result.tls) == ["h2.example", "h3.example", "h4.example"]
    assert result.malformed == {"streams.too-many-open": 2}


def test_payload_views_may_be_reused_after_add() -> None:
    wire = Wire()
    buffer = bytearray(tls_records(client_hello("copy.example.com")))
    extractor = Extractor()
    wire.send(bytes(buffer[:100]), seq=1)
    packet = wire.packets[0]
    extractor.add(dataclasses.replace(packet, payload=memoryview(buffer)[:100]))
    buffer[:100] = bytes(100)
    wire.send(bytes(tls_records(client_hello("copy.example.com"))[100:]), seq=101)
    extractor.add(wire.packets[1])
    assert [h.sni for h in extractor.finish().tls] == ["copy.example.com"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([53, 80, 443, 5353, 8080]), st.booleans(), st.binary(max_size=80)
        ),
        max_size=12,
    )
)
def test_arbitrary_payloads_never_crash(packets: list[tuple[int, bool, bytes]]) -> None:
    wire = Wire()
    for port, udp, payload in packets:
        if udp:
            wire.udp(payload, dport=port)
        else:
            wire.send(payload, dport=port, seq=1)
    result = wire.extract()
    assert sum(f.packets for f in result.flows) == len(packets)
