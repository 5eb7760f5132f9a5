"""Write a phone-like capture of N packets: the same bytes for the same seed, fast.

Run: ``python bench/pcapgen.py OUT.pcap [--packets 1000000] [--seed 7]`` (``.pcapng``: pcapng).

``ACTIVE`` conversations of a phone behind a laptop hotspot, interleaved packet by packet:
DNS over UDP (A and AAAA together from random ports, some HTTPS, CNAME aliases), mDNS and
now and then DNS over TCP; TLS on 443 and long-lived push on 5228, every ClientHello over
two segments (post-quantum key shares outgrow one, smaller hellos are cut), a TLS 1.3
server flight, 16 KiB records over 1400-byte segments, delayed ACKs, a few
retransmissions; QUIC v1 Initials protected as RFC 9001 says (a post-quantum ClientHello
spans two), then Handshake and short-header packets; HTTP/1.1 on 80 and 8080
(connectivity checks, OCSP, uploads, downloads, keep-alive); RTP voice and video. A third
of conversations run over IPv6, one in eight is tagged 802.1Q VLAN 43. Names come from
everyday services and from the bundled Echap feed.

Headers are packed per packet, checksums included (RFC 1071, summed as one integer modulo
0xFFFF); application payloads come from tests/netcap/gen/app_payloads.py. :func:`generate`
returns the :class:`Truth`: every DNS question name, SNI and HTTP Host written, counted as
tshark prints them (a DNS name once in the query, once in the answer).
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import struct
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from tests.netcap.gen import app_payloads as app  # noqa: E402

from unstalk.feed.model import IndicatorKind  # noqa: E402
from unstalk.feed.store import bundled_dir, load_folder  # noqa: E402

Frames = Iterator[bytes]

ACTIVE, MSS, POOL, FEED_NAMES = 40, 1400, 1 << 20, 150
IPV6_SHARE, VLAN_SHARE, FEED_SHARE, RETRANSMIT = 0.33, 0.125, 0.03, 0.003
START_US, MEAN_GAP_US = 1_700_000_000_000_000, 600
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
PHONE_MAC, ROUTER_MAC = bytes.fromhex("02005e100001"), bytes.fromhex("02005e100002")
PHONE = {False: bytes((192, 168, 43, 17)), True: ipaddress.ip_address("2001:db8:43::17").packed}
RESOLVER = {False: bytes((192, 168, 43, 1)), True: ipaddress.ip_address("2001:db8:43::1").packed}
EVERYDAY = " ".join(
    (
        "www.google.com android.googleapis.com play.googleapis.com clients4.google.com",
        "www.gstatic.com fonts.gstatic.com lh3.googleusercontent.com update.googleapis.com",
        "firebaseinstallations.googleapis.com app-measurement.com www.youtube.com i.ytimg.com",
        "graph.facebook.com static.xx.fbcdn.net edge-chat.facebook.com www.instagram.com",
        "g.whatsapp.net mmg.whatsapp.net chat.signal.org api.telegram.org api.twitter.com",
        "pbs.twimg.com api.spotify.com audio-ak.spotifycdn.com outlook.office365.com",
        "login.microsoftonline.com www.wikipedia.org upload.wikimedia.org www.bbc.co.uk",
    )
).split()
"""Everyday services, the most often contacted first."""
HTTP_HOSTS = ("connectivitycheck.gstatic.com", "ocsp.digicert.com", "ocsp.pki.goog")
CHANGE_CIPHER_SPEC = b"\x14\x03\x03\x00\x01\x01"

_V4, _TCP, _UDP = struct.Struct("!BBHHHBBH"), struct.Struct("!HHIIBBHHH"), struct.Struct("!HHHH")
_RTP, _RECORD = struct.Struct("!BBHII"), struct.Struct("!BHH")
_PCAP, _EPB = struct.Struct("<IIII"), struct.Struct("<IIIIIII")
_MSS_OPTION = struct.pack("!BBH", 2, 4, MSS + 60)
_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
_PCAPNG_HEADER = struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28)
_PCAPNG_HEADER += struct.pack("<IIHHII", 1, 20, 1, 0, 262144, 20)  # one Ethernet interface, µs


@dataclass
class Truth:
    """What the capture holds, and how many packets each kind of conversation sent."""

    dns: Counter[str] = field(default_factory=Counter)
    sni: Counter[str] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    packets: int = 0
    bytes: int = 0


def _words(data: bytes) -> int:
    """``data`` as one integer: modulo 0xFFFF it equals the sum of its 16-bit words."""
    return int.from_bytes(data + b"\0" if len(data) & 1 else data, "big")


class Wire:
    """One conversation's addresses: packs frames either way (``up``: from the phone)."""

    __slots__ = ("_addr_sum", "_addrs", "_ident", "_links", "_ttl", "_v6")

    def __init__(self, server: bytes, vlan: int, ttl: int = 64) -> None:
        self._v6, self._ttl = (v6 := len(server) == 16), ttl
        tag = struct.pack("!HH", 0x8100, vlan) if vlan else b""
        tail = tag + (b"\x86\xdd" if v6 else b"\x08\x00")
        self._links = (PHONE_MAC + ROUTER_MAC + tail, ROUTER_MAC + PHONE_MAC + tail)
        self._addrs = (server + PHONE[v6], PHONE[v6] + server)
        self._addr_sum = _words(server) + _words(PHONE[v6])
        self._ident = 0

    def _ip(self, up: bool, proto: int, segment: bytes) -> bytes:
        if self._v6:
            header = struct.pack("!IHBB", 0x60000000, len(segment), proto, self._ttl)
            header += self._addrs[up]
        else:
            self._ident = (self._ident + 1) & 0xFFFF
            fixed = _V4.pack(0x45, 0, 20 + len(segment), self._ident, 0x4000, self._ttl, proto, 0)
            checksum = -(_words(fixed) + self._addr_sum) % 0xFFFF
            header = fixed[:10] + checksum.to_bytes(2, "big") + self._addrs[up]
        frame = self._links[up] + header + segment
        return frame if len(frame) >= 60 else frame + bytes(60 - len(frame))

    def tcp(
        self, up: bool, ports: tuple[int, int], numbers: tuple[int, int], flags: int, data: bytes
    ) -> bytes:
        options = _MSS_OPTION if flags & SYN else b""
        size = 20 + len(options)
        head = _TCP.pack(*ports, *numbers, size << 2, flags, 65535, 0, 0) + options
        checksum = -(self._addr_sum + 6 + size + len(data) + _words(head) + _words(data)) % 0xFFFF
        return self._ip(up, 6, head[:16] + checksum.to_bytes(2, "big") + head[18:] + data)

    def udp(self, up: bool, ports: tuple[int, int], data: bytes) -> bytes:
        length = 8 + len(data)
        checksum = -(self._addr_sum + 17 + 2 * length + sum(ports) + _words(data)) % 0xFFFF
        return self._ip(up, 17, _UDP.pack(*ports, length, checksum or 0xFFFF) + data)


class Tcp:
    """A TCP connection: sequence numbers both ways, segments, delayed ACKs."""

    def __init__(self, ctx: Context, server: bytes, server_port: int) -> None:
        self.ctx, self.wire, self.port = ctx, ctx.wire(server), ctx.port()
        self.ports = ((server_port, self.port), (self.port, server_port))
        self.seq = [ctx.rng.getrandbits(32), ctx.rng.getrandbits(32)]  # [server, phone]

    def send(self, up: bool, data: bytes = b"", flags: int = ACK | PSH) -> bytes:
        seq, ack = self.seq[up], self.seq[not up] if flags & ACK else 0
        self.seq[up] = (seq + len(data) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
        return self.wire.tcp(up, self.ports[up], (seq, ack), flags, data)

    def handshake(self) -> Frames:
        yield self.send(True, flags=SYN)
        yield self.send(False, flags=SYN | ACK)
        yield self.send(True, flags=ACK)

    def stream(self, up: bool, data: bytes) -> Frames:
        """``data`` in full segments, ACKed every second one, a few sent twice."""
        for count, start in enumerate(range(0, len(data), MSS), 1):
            segment = data[start : start + MSS]
            yield self.send(up, segment)
            if self.ctx.rng.random() < RETRANSMIT:
                self.seq[up] = (self.seq[up] - len(segment)) & 0xFFFFFFFF
                yield self.send(up, segment)
            if count % 2 == 0:
                yield self.send(not up, flags=ACK)

    def close(self) -> Frames:
        yield self.send(True, flags=FIN | ACK)
        yield self.send(False, flags=FIN | ACK)
        yield self.send(True, flags=ACK)
        self.ctx.busy.discard(self.port)


def server_address(name: str, v6: bool) -> bytes:
    """A stable public-looking address per name (the DNS answers give the same)."""
    h = zlib.crc32(name.encode())
    if v6:
        return b"\x20\x01\x0d\xb8" + h.to_bytes(4, "big") + bytes(7) + b"\x01"
    first = (23, 31, 34, 52, 64, 91, 104, 142, 151, 157, 185, 198, 203)[h % 13]
    return bytes((first, h >> 8 & 255, h >> 16 & 255, 1 + (h >> 24) % 254))


@cache
def _answer(name: str, qtype: int) -> bytes:
    owner, records = name, []
    if zlib.crc32(name.encode()) % 3 == 0:  # a third of names sit behind a CDN alias
        owner = name.split(".")[0] + ".edgekey.net"
        records.append(app.Rr(name, app.TYPE_CNAME, owner))
    v4, v6 = (str(ipaddress.ip_address(server_address(name, f))) for f in (False, True))
    if qtype == app.TYPE_HTTPS:
        records.append(app.Rr(owner, qtype, ".", hints=(v4, v6)))
    else:
        records.append(app.Rr(owner, qtype, v6 if qtype == app.TYPE_AAAA else v4))
    return app.dns_answer(name, records, qtype, ident=0)


@cache
def _query(name: str, qtype: int) -> bytes:
    return app.dns_query(name, qtype, ident=0)


@cache
def _hello(name: str, post_quantum: bool, quic: bool) -> bytes:
    alpn = ("h3",) if quic else ("h2", "http/1.1")
    return app.client_hello(name, alpn=alpn, post_quantum=post_quantum, quic=quic)


def _server_hello() -> bytes:
    extensions = struct.pack("!HHHHHHH", 43, 2, 0x0304, 51, 36, 0x1D, 32) + bytes(range(32))
    body = struct.pack("!H", 0x0303) + bytes(range(100, 132)) + b"\x20" + bytes(range(32, 64))
    body += struct.pack("!HBH", 0x1301, 0, len(extensions)) + extensions
    handshake = b"\x02" + len(body).to_bytes(3, "big") + body
    return _RECORD.pack(22, 0x0303, len(handshake)) + handshake + CHANGE_CIPHER_SPEC


SERVER_HELLO = _server_hello()


class Context:
    """Randomness, payload bytes, ports in use and the truth, shared by all conversations."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pool = self.rng.randbytes(POOL)
        self.truth = Truth()
        self.busy: set[int] = set()
        feed = load_folder(bundled_dir()).indicators
        domains = sorted({i.value for i in feed if i.kind is IndicatorKind.DOMAIN})
        self.feed = self.rng.sample(domains, FEED_NAMES)
        self._weights = [1 / rank for rank in range(1, len(EVERYDAY) + 1)]

    def name(self) -> str:
        if self.rng.random() < FEED_SHARE:
            return self.rng.choice(self.feed)
        return self.rng.choices(EVERYDAY, self._weights)[0]

    def blob(self, size: int) -> bytes:
        start = self.rng.randrange(POOL - size)
        return self.pool[start : start + size]

    def records(self, size: int) -> bytes:
        """``size`` bytes of TLS application data, in records of at most 16 KiB."""
        parts = []
        for start in range(0, size, 16384):
            length = min(16384, size - start)
            parts += [_RECORD.pack(23, 0x0303, length), self.blob(length)]
        return b"".join(parts)

    def size(self, mu: float, sigma: float, most: int) -> int:
        return min(most, max(100, int(self.rng.lognormvariate(mu, sigma))))

    def port(self) -> int:
        while (port := self.rng.randrange(32768, 61000)) in self.busy:
            pass
        self.busy.add(port)
        return port

    def wire(self, server: bytes) -> Wire:
        return Wire(server, 43 if self.rng.random() < VLAN_SHARE else 0)

    def server(self, name: str) -> bytes:
        return server_address(name, self.rng.random() < IPV6_SHARE)


# -- conversations: each yields its frames, noting a name just before the frame completing it


def dns_lookup(ctx: Context) -> Frames:
    name, resolver = ctx.name(), RESOLVER[ctx.rng.random() < IPV6_SHARE]
    wire, many = ctx.wire(resolver), ctx.rng.random() < 0.1
    qtypes = (app.TYPE_HTTPS, app.TYPE_A, app.TYPE_AAAA) if many else (app.TYPE_A, app.TYPE_AAAA)
    asked = [(ctx.port(), ctx.rng.getrandbits(16).to_bytes(2, "big"), q) for q in qtypes]
    for port, ident, qtype in asked:
        ctx.truth.dns[name] += 1
        yield wire.udp(True, (port, 53), ident + _query(name, qtype)[2:])
    for port, ident, qtype in asked:
        ctx.truth.dns[name] += 1
        yield wire.udp(False, (53, port), ident + _answer(name, qtype)[2:])
        ctx.busy.discard(port)


def mdns_query(ctx: Context) -> Frames:
    ctx.truth.dns["_googlecast._tcp.local"] += 1
    query = app.dns_query("_googlecast._tcp.local", 12, ident=0)
    yield Wire(bytes((224, 0, 0, 251)), 0, ttl=255).udp(True, (5353, 5353), query)  # RFC 6762


def dns_over_tcp(ctx: Context) -> Frames:
    name = ctx.name()
    tcp = Tcp(ctx, RESOLVER[ctx.rng.random() < IPV6_SHARE], 53)
    yield from tcp.handshake()
    ctx.truth.dns[name] += 1
    yield tcp.send(True, app.tcp_framed(_query(name, app.TYPE_HTTPS)))
    ctx.truth.dns[name] += 1
    yield tcp.send(False, app.tcp_framed(_answer(name, app.TYPE_HTTPS)))
    yield from tcp.close()


def tls_session(ctx: Context, *, push: bool = False) -> Frames:
    rng, name = ctx.rng, "mtalk.google.com" if push else ctx.name()
    tcp = Tcp(ctx, ctx.server(name), 5228 if push else 443)
    yield from tcp.handshake()
    hello = app.tls_records(_hello(name, rng.random() < 0.7, False))
    cut = MSS if len(hello) > MSS else rng.randrange(40, len(hello) - 40)
    yield tcp.send(True, hello[:cut])
    ctx.truth.sni[name] += 1
    yield tcp.send(True, hello[cut:])
    yield from tcp.stream(False, SERVER_HELLO + ctx.records(rng.randrange(2500, 4500)))
    yield tcp.send(True, CHANGE_CIPHER_SPEC + ctx.records(53))
    for _ in range(rng.randrange(10, 60) if push else 1 + int(rng.expovariate(0.7))):
        yield from tcp.stream(True, ctx.records(rng.randrange(60, 900)))
        response = rng.randrange(40, 300) if push else ctx.size(8.5, 1.8, 4_000_000)
        yield from tcp.stream(False, ctx.records(response))
    yield from tcp.close()


def _long_header(dcid: bytes, scid: bytes, body: bytes) -> bytes:
    """A QUIC v1 Handshake packet (keys unknown to anyone watching)."""
    length = struct.pack("!H", 0x4000 | len(body))
    return b"\xe3\0\0\0\1\x08" + dcid + b"\x08" + scid + length + body


def quic_session(ctx: Context) -> Frames:
    name, rng = ctx.name(), ctx.rng
    wire, port = ctx.wire(ctx.server(name)), ctx.port()
    dcid, phone_cid, server_cid = rng.randbytes(8), rng.randbytes(8), rng.randbytes(8)
    hello = _hello(name, rng.random() < 0.6, True)
    parts = [(0, hello)] if len(hello) < 1100 else [(0, hello[:1000]), (1000, hello[1000:])]
    for number, (offset, part) in enumerate(parts):
        if number == len(parts) - 1:
            ctx.truth.sni[name] += 1
        frames = app.crypto_frame(offset, part)
        initial = app.quic_initial(frames, dcid=dcid, scid=phone_cid, packet_number=number)
        yield wire.udp(True, (port, 443), initial)
    for _ in range(3):
        yield wire.udp(False, (443, port), _long_header(phone_cid, server_cid, ctx.blob(1150)))
    yield wire.udp(True, (port, 443), _long_header(server_cid, phone_cid, ctx.blob(80)))
    for count in range(ctx.size(3.5, 1.6, 6000)):
        down = b"\x41" + phone_cid + ctx.blob(rng.randrange(1100, 1250))
        yield wire.udp(False, (443, port), down)
        if count % 2:
            yield wire.udp(
                True, (port, 443), b"\x41" + server_cid + ctx.blob(rng.randrange(30, 60))
            )
    ctx.busy.discard(port)


def _http_request(ctx: Context, host: str, port: int) -> bytes:
    authority = host if port == 80 else f"{host}:{port}"
    if host == HTTP_HOSTS[0]:
        return app.http_request(authority, "/generate_204")
    if host in HTTP_HOSTS or ctx.rng.random() < 0.5:
        body = ctx.blob(83 if host in HTTP_HOSTS else ctx.rng.randrange(200, 1000))
        return app.http_request(authority, "/upload", method="POST", body=body)
    return app.http_request(authority, f"/files/{ctx.rng.getrandbits(32):08x}.bin")


def http_session(ctx: Context) -> Frames:
    host = ctx.rng.choice(HTTP_HOSTS) if ctx.rng.random() < 0.6 else ctx.name()
    server_port = 8080 if ctx.rng.random() < 0.2 else 80
    tcp = Tcp(ctx, ctx.server(host), server_port)
    yield from tcp.handshake()
    for _ in range(1 + int(ctx.rng.expovariate(1.5))):
        request = _http_request(ctx, host, server_port)
        if ctx.rng.random() < 0.25:  # cut inside the Host header
            cut = request.index(b"Host:") + 8
            yield tcp.send(True, request[:cut])
            request = request[cut:]
        ctx.truth.hosts[host] += 1
        yield tcp.send(True, request)
        size = 0 if host == HTTP_HOSTS[0] else ctx.size(7.5, 1.5, POOL // 2)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        head += b"Content-Length: %d\r\n\r\n" % size
        yield from tcp.stream(False, head + ctx.blob(size))
    yield from tcp.close()


def media_stream(ctx: Context) -> Frames:
    """An RTP call through a relay: voice both ways, video down for some."""
    rng, port = ctx.rng, ctx.port()
    wire, relay = ctx.wire(ctx.server(f"relay{rng.randrange(64)}")), rng.randrange(19302, 19310)
    video, ssrc = rng.random() < 0.4, (rng.getrandbits(32), rng.getrandbits(32))
    for seq in range(ctx.size(7, 0.8, 8000)):
        up = bool(seq & 1)
        size = rng.randrange(900, 1200) if video and not up else rng.randrange(90, 180)
        rtp = _RTP.pack(0x80, 0x6F, seq >> 1 & 0xFFFF, seq * 480 & 0xFFFFFFFF, ssrc[up])
        yield wire.udp(up, (port, relay) if up else (relay, port), rtp + ctx.blob(size))
    ctx.busy.discard(port)


KINDS: dict[str, tuple[float, Callable[[Context], Frames]]] = {
    "dns": (50, dns_lookup),
    "mdns": (2, mdns_query),
    "dns-tcp": (0.5, dns_over_tcp),
    "tls": (30, tls_session),
    "tls-push": (0.3, lambda ctx: tls_session(ctx, push=True)),
    "quic": (3.5, quic_session),
    "http": (8, http_session),
    "media": (0.4, media_stream),
}
"""Conversations started, in proportion (packets follow from their lengths)."""


class Writer:
    """Frames to pcap (microseconds) or pcapng (one Ethernet interface), in large writes."""

    def __init__(self, out: BinaryIO, *, pcapng: bool) -> None:
        self._out, self._pcapng, self._parts = out, pcapng, list[bytes]()
        out.write(_PCAPNG_HEADER if pcapng else _PCAP_HEADER)

    def frame(self, micros: int, data: bytes) -> None:
        size = len(data)
        if self._pcapng:
            total = 32 + size + -size % 4
            stamp = (micros >> 32, micros & 0xFFFFFFFF)
            self._parts += [_EPB.pack(6, total, 0, *stamp, size, size), data]
            self._parts.append(bytes(-size % 4) + total.to_bytes(4, "little"))
        else:
            seconds, micro = divmod(micros, 1_000_000)
            self._parts += [_PCAP.pack(seconds, micro, size, size), data]
        if len(self._parts) > 8192:
            self.flush()

    def flush(self) -> None:
        self._out.write(b"".join(self._parts))
        self._parts.clear()


def generate(out: BinaryIO, packets: int, *, seed: int = 7, pcapng: bool = False) -> Truth:
    """Write ``packets`` frames to ``out``; return what they hold."""
    ctx = Context(seed)
    rng, truth, writer = ctx.rng, ctx.truth, Writer(out, pcapng=pcapng)
    kinds, weights = list(KINDS), [weight for weight, _ in KINDS.values()]

    def start() -> tuple[str, Frames]:
        kind = rng.choices(kinds, weights)[0]
        return kind, KINDS[kind][1](ctx)

    active = [start() for _ in range(ACTIVE)]
    clock = START_US
    while truth.packets < packets:
        slot = rng.randrange(ACTIVE)
        kind, frames = active[slot]
        frame = next(frames, None)
        if frame is None:
            active[slot] = start()
            continue
        clock += 1 + int(rng.random() * 2 * MEAN_GAP_US)
        writer.frame(clock, frame)
        truth.kinds[kind] += 1
        truth.packets += 1
        truth.bytes += len(frame)
    writer.flush()
    return truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a phone-like capture.")
    parser.add_argument("out", type=Path, help="capture to write (.pcap or .pcapng)")
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with args.out.open("wb") as out:
        truth = generate(out, args.packets, seed=args.seed, pcapng=args.out.suffix == ".pcapng")
    seconds = time.perf_counter() - started
    print(f"{args.out}: {truth.packets:,} packets, {truth.bytes / 1e6:,.1f} MB in {seconds:.1f} s")
    for kind, count in truth.kinds.most_common():
        print(f"  {kind:>9}: {count:>9,} packets ({100 * count / truth.packets:.1f}%)")
    found = (truth.dns.total(), truth.sni.total(), truth.hosts.total())
    print("  DNS names {:,}, SNIs {:,}, HTTP hosts {:,}".format(*found))


if __name__ == "__main__":
    main()
