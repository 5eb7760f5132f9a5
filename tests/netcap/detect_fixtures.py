"""Observations built by hand, and a small feed, for the detector and heuristic tests."""

from __future__ import annotations

from unstalk.feed.index import FeedIndex
from unstalk.feed.model import Family, FamilyType, Feed, Indicator, IndicatorKind, Role, family_id
from unstalk.netcap.findings import Observations
from unstalk.netcap.model import (
    DnsRecord,
    Flow,
    FlowKey,
    HttpRequest,
    NameSource,
    TlsHello,
    Transport,
)

T0 = 1_760_000_000.0
PHONE = "192.168.43.20"
GATEWAY = "192.168.43.1"

SPY = Family(family_id(FamilyType.STALKERWARE, "ExampleSpy"), "ExampleSpy", FamilyType.STALKERWARE)
KIDS = Family(family_id(FamilyType.WATCHWARE, "KidWatch"), "KidWatch", FamilyType.WATCHWARE)
_K = IndicatorKind


def small_feed() -> Feed:
    spy, kids = SPY.id, KIDS.id
    return Feed(
        families=(SPY, KIDS),
        indicators=(
            Indicator(_K.DOMAIN, "api.examplespy.com", spy, Role.C2, source="ioc.yaml"),
            Indicator(_K.DOMAIN, "examplespy.com", spy, Role.WEBSITE, source="ioc.yaml"),
            Indicator(_K.DOMAIN, "spy-bucket.s3.amazonaws.com", spy, Role.C2, source="ioc.yaml"),
            Indicator(_K.IPV4, "203.0.113.66", spy, Role.C2, source="ioc.yaml"),
            Indicator(_K.CIDR, "198.51.100.0/24", spy, Role.C2, source="ioc.yaml"),
            Indicator(
                _K.URL, "http://dl.example.net/files/spy.apk", spy, Role.DISTRIBUTION, "ioc.yaml"
            ),
            Indicator(_K.DOMAIN, "kidwatch.example", kids, Role.C2, source="watchware.yaml"),
        ),
    )


def small_index() -> FeedIndex:
    return FeedIndex.build(small_feed())


def key(
    server: str,
    port: int = 443,
    *,
    transport: Transport = Transport.TCP,
    client: str = PHONE,
    client_port: int = 40000,
) -> FlowKey:
    return FlowKey(transport, client, client_port, server, port)


def flow(
    server: str,
    port: int = 443,
    *,
    transport: Transport = Transport.TCP,
    first: float = T0,
    duration: float = 1.0,
    size: int = 5000,
    name: str | None = None,
    source: NameSource = NameSource.NONE,
    client_port: int = 40000,
    timestamps: tuple[float, ...] = (),
    first_number: int | None = None,
) -> Flow:
    return Flow(
        key(server, port, transport=transport, client_port=client_port),
        first_seen=first,
        last_seen=first + duration,
        packets=10,
        bytes=size,
        name=name,
        name_source=source if name else NameSource.NONE,
        timestamps=list(timestamps),
        first_number=first_number,
    )


def dns(name: str, *answers: str, number: int = 1, at: float = T0, qtype: str = "A") -> DnsRecord:
    return DnsRecord(
        number, at, PHONE, GATEWAY, name, qtype, tuple(answers), Transport.UDP, bool(answers)
    )


def hello(
    sni: str | None,
    server: str,
    port: int = 443,
    *,
    number: int = 10,
    at: float = T0,
    quic: int | None = None,
) -> TlsHello:
    transport = Transport.UDP if quic else Transport.TCP
    return TlsHello(number, at, key(server, port, transport=transport), sni, (), quic)


def http(
    host: str | None,
    server: str,
    path: str = "/",
    *,
    port: int = 80,
    method: str = "GET",
    number: int = 20,
    at: float = T0,
) -> HttpRequest:
    return HttpRequest(number, at, key(server, port), method, host, path)


def observed(
    *,
    flows: tuple[Flow, ...] = (),
    dns: tuple[DnsRecord, ...] = (),
    tls: tuple[TlsHello, ...] = (),
    http: tuple[HttpRequest, ...] = (),
) -> Observations:
    return Observations(flows, dns, tls, http)
