"""Captures of application traffic, each with what must be extracted from it.

Every builder returns an :class:`AppCapture`: the :class:`Scenario` (write it as
pcap or pcapng) and the DNS question names, SNIs and HTTP hosts in the order
tshark prints them (``-e dns.qry.name -e tls.handshake.extensions_server_name
-e http.host``), plus the name each connection must get.

``ipv6`` swaps every address for an IPv6 one; ``vlans`` tags every frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.netcap import quic_vectors as rfc
from tests.netcap.gen.app_payloads import (
    PING,
    TYPE_A,
    TYPE_AAAA,
    TYPE_CNAME,
    TYPE_HTTPS,
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
from tests.netcap.gen.frames import ACK, LINKTYPE_ETHERNET, PSH, ethernet
from tests.netcap.gen.pcap_writer import Frame
from tests.netcap.gen.scenarios import START_NS, Scenario, TcpSession
from unstalk.netcap.model import NameSource
from unstalk.netcap.parsers.quic import QUIC_V2

FlowId = tuple[str, int, str, int]
"""Client address and port, server address and port."""

_V4 = {
    "phone": "10.0.0.2",
    "resolver": "10.0.0.1",
    "mdns": "224.0.0.251",
    "web": "93.184.216.34",
    "cdn": "203.0.113.10",
    "svc": "203.0.113.20",
    "push": "198.51.100.7",
    "late": "198.51.100.9",
    "quic": "192.0.2.1",
}
_V6 = {
    "phone": "2001:db8:1::2",
    "resolver": "2001:db8:1::1",
    "mdns": "ff02::fb",
    "web": "2001:db8:80::34",
    "cdn": "2001:db8:cafe::10",
    "svc": "2001:db8:cafe::20",
    "push": "2001:db8:5228::7",
    "late": "2001:db8:5228::9",
    "quic": "2001:db8:443::1",
}


_PORT_BASE = {"dns": 41000, "tls": 42000, "quic1": 43000, "quic2": 43500, "http": 44000}
_PORT_BASE["naming"] = 45000
"""Client ports of each builder, apart so that captures can be merged into one."""


@dataclass
class VlanScenario(Scenario):
    """A scenario whose Ethernet frames all carry the given 802.1Q tags."""

    vlans: tuple[int, ...] = ()

    def ip(self, packet: bytes, *, ts_ns: int | None = None) -> Frame:
        return self.add(ethernet(packet, vlans=self.vlans), ts_ns=ts_ns)


@dataclass
class AppCapture:
    scenario: Scenario
    dns: list[str] = field(default_factory=list)
    """Question names, one per question of every DNS message (queries and responses)."""
    sni: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    names: dict[FlowId, tuple[str | None, NameSource]] = field(default_factory=dict)
    """The name (and its source) each listed connection must get."""


class _Builder:
    def __init__(self, name: str, ipv6: bool, vlans: tuple[int, ...]) -> None:
        scenario = VlanScenario(name, LINKTYPE_ETHERNET, vlans=vlans) if vlans else Scenario(name)
        self.capture = AppCapture(scenario)
        self.at = _V6 if ipv6 else _V4
        self.port = _PORT_BASE[name]

    @property
    def scenario(self) -> Scenario:
        return self.capture.scenario

    def next_port(self) -> int:
        self.port += 1
        return self.port

    def session(self, server: str, port: int) -> TcpSession:
        session = self.scenario.tcp_session(
            self.at["phone"], self.next_port(), self.at[server], port
        )
        session.handshake()
        return session

    def expect(self, session: TcpSession, name: str | None, source: NameSource) -> None:
        flow = (session.client, session.client_port, session.server, session.server_port)
        self.capture.names[flow] = (name, source)

    def udp_dns(self, query: bytes, answer: bytes) -> None:
        phone, resolver, port = self.at["phone"], self.at["resolver"], self.next_port()
        self.scenario.udp(phone, resolver, port, 53, query)
        self.scenario.udp(resolver, phone, 53, port, answer)


def dns_capture(*, ipv6: bool = False, vlans: tuple[int, ...] = ()) -> AppCapture:
    """DNS over UDP (A behind a CNAME chain, AAAA, HTTPS hints), mDNS, and over TCP."""
    b = _Builder("dns", ipv6, vlans)
    at, capture = b.at, b.capture
    chain = [
        Rr("tracker.example.com", TYPE_CNAME, "edge.cdn.example.net"),
        Rr("edge.cdn.example.net", TYPE_A if not ipv6 else TYPE_AAAA, at["cdn"]),
    ]
    b.udp_dns(dns_query("tracker.example.com"), dns_answer("tracker.example.com", chain))
    v6 = [Rr("v6.example.org", TYPE_AAAA, "2001:db8:cafe::66")]
    b.udp_dns(dns_query("v6.example.org", TYPE_AAAA), dns_answer("v6.example.org", v6, TYPE_AAAA))
    https = [Rr("svc.example.com", TYPE_HTTPS, ".", hints=(at["svc"],))]
    b.udp_dns(
        dns_query("svc.example.com", TYPE_HTTPS),
        dns_answer("svc.example.com", https, TYPE_HTTPS),
    )
    capture.dns += ["tracker.example.com"] * 2 + ["v6.example.org"] * 2 + ["svc.example.com"] * 2
    b.scenario.udp(at["phone"], at["mdns"], 5353, 5353, dns_query("_googlecast._tcp.local", 12))
    capture.dns.append("_googlecast._tcp.local")

    # Over TCP: the answer's length prefix itself is split between two segments.
    tcp = b.session("resolver", 53)
    tcp.client_send(tcp_framed(dns_query("big.example.com", ident=7)))
    answer = tcp_framed(
        dns_answer("big.example.com", [Rr("big.example.com", TYPE_A, "192.0.2.77")])
    )
    tcp.server_send(answer[:1])
    tcp.server_send(answer[1:])
    # Two queries in one segment, two answers in one segment.
    pipelined = b.session("resolver", 53)
    pipelined.client_send(
        tcp_framed(dns_query("a.example.com")) + tcp_framed(dns_query("b.example.com"))
    )
    pipelined.server_send(
        tcp_framed(dns_answer("a.example.com", [Rr("a.example.com", TYPE_A, "192.0.2.1")]))
        + tcp_framed(dns_answer("b.example.com", [Rr("b.example.com", TYPE_A, "192.0.2.2")]))
    )
    capture.dns += ["big.example.com"] * 2 + ["a.example.com", "b.example.com"] * 2
    b.expect(tcp, None, NameSource.NONE)

    # A connection named by the DNS answer only: XMPP-like cleartext on port 5222.
    xmpp = b.session("cdn", 5222)
    xmpp.client_send(b"<stream:stream to='example.com' version='1.0'>")
    b.expect(xmpp, "tracker.example.com", NameSource.DNS)
    hinted = b.session("svc", 8883)
    hinted.client_send(b"\x10\x0c\x00\x04MQTT\x04\x02\x00<")
    b.expect(hinted, "svc.example.com", NameSource.DNS)
    return capture


def tls_capture(*, ipv6: bool = False, vlans: tuple[int, ...] = ()) -> AppCapture:
    """ClientHellos split over segments, out of order, retransmitted, over records, any port."""
    b = _Builder("tls", ipv6, vlans)
    capture = b.capture

    split = b.session("web", 443)
    hello = tls_records(client_hello("split.example.com"))
    split.client_send(hello, segment_size=len(hello) // 3 + 1)
    b.expect(split, "split.example.com", NameSource.SNI)

    _out_of_order(b, "ooo.example.com")

    retx = b.session("web", 443)
    hello = tls_records(client_hello("retx.example.com"))
    first = retx.client_seq
    retx.client_send(hello[:100])
    b.scenario.tcp(retx.client, retx.server, retx.client_port, 443, hello[:100], seq=first)
    retx.client_send(hello[100:])
    b.expect(retx, "retx.example.com", NameSource.SNI)

    pq = b.session("web", 443)
    pq.client_send(tls_records(client_hello("pq.example.com", post_quantum=True)))
    b.expect(pq, "pq.example.com", NameSource.SNI)

    records = b.session("web", 443)
    records.client_send(tls_records(client_hello("records.example.com"), record_size=90))
    b.expect(records, "records.example.com", NameSource.SNI)

    push = b.session("push", 5228)
    push.client_send(tls_records(client_hello("mtalk.example.com", alpn=())))
    b.expect(push, "mtalk.example.com", NameSource.SNI)

    bare = b.session("late", 443)
    bare.client_send(tls_records(client_hello(None)))
    b.expect(bare, None, NameSource.NONE)
    capture.sni += [
        "split.example.com",
        "ooo.example.com",
        "retx.example.com",
        "pq.example.com",
        "records.example.com",
        "mtalk.example.com",
    ]
    return capture


def _out_of_order(b: _Builder, sni: str) -> None:
    """Segments 1, 3, 2, then 1 again: the hello is whole only with the last new bytes."""
    session = b.session("web", 443)
    hello = tls_records(client_hello(sni))
    third = len(hello) // 3
    start = session.client_seq
    parts = [(0, hello[:third]), (2 * third, hello[2 * third :]), (third, hello[third : 2 * third])]
    parts.append(parts[0])
    for offset, data in parts:
        b.scenario.tcp(
            session.client,
            session.server,
            session.client_port,
            session.server_port,
            data,
            seq=start + offset,
            ack=session.server_seq,
            flags=ACK | PSH,
        )
    session.client_seq = start + len(hello)
    b.expect(session, sni, NameSource.SNI)


def quic_capture(
    *, ipv6: bool = False, vlans: tuple[int, ...] = (), rfc_version: int = 1
) -> AppCapture:
    """An RFC test-vector client Initial, and generated ones: a ClientHello over two Initials.

    ``rfc_version`` picks the RFC 9001 (1) or RFC 9369 (2) packet: both use the
    same connection ID, which tshark takes for one connection moving between
    addresses, so they go in separate captures.
    """
    b = _Builder(f"quic{rfc_version}", ipv6, vlans)
    capture, scenario, at = b.capture, b.scenario, b.at
    port = b.next_port()
    vector = rfc.V1_CLIENT_INITIAL if rfc_version == 1 else rfc.V2_CLIENT_INITIAL
    scenario.udp(at["phone"], at["quic"], port, 443, vector)
    capture.names[(at["phone"], port, at["quic"], 443)] = ("example.com", NameSource.QUIC_SNI)
    if rfc_version == 1:
        scenario.udp(at["quic"], at["phone"], 443, port, rfc.V1_SERVER_INITIAL)

    hello = client_hello("chrome.example.com", alpn=("h3",), post_quantum=True, quic=True)
    cut1, cut2 = 500, 1000
    dcid = bytes.fromhex("a1b2c3d4e5f60718")
    first = crypto_frame(cut1, hello[cut1:cut2]) + PING + b"\0" * 7 + crypto_frame(0, hello[:cut1])
    second = PING + crypto_frame(cut2, hello[cut2:])
    port = b.next_port()
    for number, frames in enumerate((first, second)):
        packet = quic_initial(frames, dcid=dcid, packet_number=number)
        scenario.udp(at["phone"], at["quic"], port, 443, packet)
    capture.names[(at["phone"], port, at["quic"], 443)] = (
        "chrome.example.com",
        NameSource.QUIC_SNI,
    )

    v2 = client_hello("v2.example.com", alpn=("h3",), quic=True)
    port = b.next_port()
    packet = quic_initial(crypto_frame(0, v2), dcid=b"\x42" * 8, version=QUIC_V2)
    scenario.udp(at["phone"], at["quic"], port, 443, packet)
    capture.names[(at["phone"], port, at["quic"], 443)] = ("v2.example.com", NameSource.QUIC_SNI)
    capture.sni += ["example.com", "chrome.example.com", "v2.example.com"]
    return capture


def http_capture(*, ipv6: bool = False, vlans: tuple[int, ...] = ()) -> AppCapture:
    """A request split in its Host header, keep-alive with a body, a proxy request."""
    b = _Builder("http", ipv6, vlans)
    capture = b.capture

    plain = b.session("web", 80)
    request = http_request("plain.example.com", "/index.html")
    cut = request.index(b"Host:") + 8
    plain.client_send(request[:cut])
    plain.client_send(request[cut:])
    plain.server_send(b"HTTP/1.1 204 No Content\r\n\r\n")
    b.expect(plain, "plain.example.com", NameSource.HTTP_HOST)

    api = b.session("web", 8080)
    api.client_send(
        http_request("api.example.com", "/v1/upload", method="POST", body=b"lat=1&lon=2")
    )
    api.server_send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    api.client_send(http_request("api.example.com", "/v1/config"))
    b.expect(api, "api.example.com", NameSource.HTTP_HOST)

    proxy = b.session("push", 3128)
    proxy.client_send(http_request("proxied.example.com", "/x?y=1", absolute=True))
    b.expect(proxy, "proxied.example.com", NameSource.HTTP_HOST)
    capture.hosts += [
        "plain.example.com",
        "api.example.com",
        "api.example.com",
        "proxied.example.com",
    ]
    return capture


def naming_capture(*, ipv6: bool = False, vlans: tuple[int, ...] = ()) -> AppCapture:
    """SNI beats Host beats DNS; a DNS answer after a connection started does not name it."""
    b = _Builder("naming", ipv6, vlans)
    capture, at = b.capture, b.at
    answer = [Rr("resolved.example.com", TYPE_A, at["web"])]
    b.udp_dns(dns_query("resolved.example.com"), dns_answer("resolved.example.com", answer))
    tls = b.session("web", 443)
    tls.client_send(tls_records(client_hello("sni.example.com")))
    b.expect(tls, "sni.example.com", NameSource.SNI)
    web = b.session("web", 80)
    web.client_send(http_request("host.example.com"))
    b.expect(web, "host.example.com", NameSource.HTTP_HOST)
    other = b.session("web", 5000)
    other.client_send(b"\x00\x01binary")
    b.expect(other, "resolved.example.com", NameSource.DNS)
    early = b.session("late", 7000)
    early.client_send(b"\x00\x02binary")
    b.expect(early, None, NameSource.NONE)
    late = [Rr("late.example.com", TYPE_A, at["late"])]
    b.udp_dns(dns_query("late.example.com"), dns_answer("late.example.com", late))
    capture.dns += ["resolved.example.com"] * 2 + ["late.example.com"] * 2
    capture.sni.append("sni.example.com")
    capture.hosts.append("host.example.com")
    return capture


ALL = (dns_capture, tls_capture, quic_capture, http_capture, naming_capture)
"""Builders taking ``ipv6`` and ``vlans``."""


def combined_capture(*, ipv6: bool = False, vlans: tuple[int, ...] = ()) -> AppCapture:
    """Every capture above (with the RFC 9001 QUIC packet) one after the other in one file."""
    parts = [build(ipv6=ipv6, vlans=vlans) for build in ALL]
    scenario = VlanScenario("combined", vlans=vlans) if vlans else Scenario("combined")
    merged = AppCapture(scenario)
    for part in parts:
        start = scenario.frames[-1].ts_ns + scenario.step_ns if scenario.frames else START_NS
        offset = start - part.scenario.start_ns
        for frame in part.scenario.frames:
            scenario.add(frame.data, ts_ns=frame.ts_ns + offset)
        merged.dns += part.dns
        merged.sni += part.sni
        merged.hosts += part.hosts
        merged.names.update(part.names)
    return merged


__all__ = [
    "ALL",
    "AppCapture",
    "combined_capture",
    "dns_capture",
    "http_capture",
    "naming_capture",
    "quic_capture",
    "tls_capture",
]
