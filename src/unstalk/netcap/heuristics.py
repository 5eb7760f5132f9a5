"""Heuristics over a capture's traffic: things worth a look that no indicator names.

Each check is a generator of :class:`~unstalk.netcap.findings.NetworkFinding`
over a :class:`Context`; :data:`CHECKS` lists them, so adding one is one
function and one line. A heuristic never reads as proof of stalkerware: the
highest severity one can give is MEDIUM, below every stalkerware indicator hit.
Thresholds are module constants, documented in docs/network.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise
from statistics import fmean, pstdev
from typing import TypeVar

from unstalk.feed.detect import host_suffixes, parse_ip
from unstalk.models import Severity
from unstalk.netcap.findings import (
    Check,
    NetworkFinding,
    Observation,
    Observations,
    Seen,
    Sighting,
    Sightings,
    SightingTable,
    host_of,
)
from unstalk.netcap.model import Flow, NameSource, Transport

_K = TypeVar("_K")

TLS_PORTS = frozenset(
    {443, 8443, 853, 993, 995, 465, 587, 25, 110, 143, 636, 990, 5223, 5222, 5228, 5349, 8883}
)
"""Ports where a TLS ClientHello is expected (HTTPS, DoT, mail, Apple and Google push, ...)."""

COMMON_PORTS = {
    Transport.TCP: frozenset(
        {20, 21, 22, 25, 53, 80, 110, 143, 443, 465, 587, 853, 993, 995, 5222, 5223, 5228}
        | {5229, 5230, 5349, 8080, 8443, 8883}
    ),
    Transport.UDP: frozenset(
        {53, 123, 443, 500, 853, 3478, 3479, 3480, 3481, 4500, 5349} | set(range(19302, 19310))
    ),
}
"""Destination ports a phone normally talks to; others are reported above a byte threshold."""

UNUSUAL_PORT_MIN_BYTES = 2048
"""Bytes to one address and unusual port before it is reported (a failed SYN is 60 bytes)."""
NO_NAME_MIN_BYTES = 2048
"""Bytes to one address with no name before it is reported."""
UNNAMED_SERVICE_PORTS = frozenset({53, 123, 853})
"""DNS, NTP and DoT servers are addressed by IP on purpose: never "without a name"."""

BEACON_MIN_BURSTS = 6
"""Bursts of traffic to one host needed before a rhythm counts (5 intervals)."""
BEACON_MIN_PERIOD = 10.0
"""Seconds: a shorter mean interval is a chatty connection, not a check-in."""
BEACON_MAX_CV = 0.2
"""Most the intervals may vary (standard deviation over mean) and still count as regular."""
BEACON_BURST_GAP = 2.0
"""Seconds: traffic closer together than this to the last of a burst belongs to that burst."""

# Private, shared (CGNAT), loopback, link-local, multicast, reserved and broadcast ranges.
_LOCAL_NETS = tuple(
    ipaddress.ip_network(n)
    for n in ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16")
    + ("172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3", "::/127", "fc00::/7", "fe80::/10")
    + ("ff00::/8",)
)


@lru_cache(maxsize=1 << 16)
def is_public(address: str) -> bool:
    """True for an address on the internet: not private, loopback, link-local, multicast, ...

    Documentation ranges (192.0.2.0/24 ...) count as public, so hand-made
    captures behave like real ones.
    """
    parsed = parse_ip(address)
    return parsed is not None and not any(parsed in net for net in _LOCAL_NETS)


@cache
def _data_list(name: str) -> frozenset[str]:
    text = (resources.files("unstalk.netcap") / "data" / name).read_text(encoding="utf-8")
    lines = (line.strip().lower().lstrip(".") for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def doh_providers() -> frozenset[str]:
    """Public DNS-over-HTTPS endpoints (``data/doh.txt``)."""
    return _data_list("doh.txt")


def cleartext_by_design() -> frozenset[str]:
    """Captive-portal probes and certificate-status hosts (``data/connectivity.txt``)."""
    return _data_list("connectivity.txt")


def dynamic_dns_suffixes() -> frozenset[str]:
    """Free dynamic-DNS and tunnelling suffixes (``data/dyndns.txt``)."""
    return _data_list("dyndns.txt")


def suspicious_tlds() -> frozenset[str]:
    """Top-level domains TinyCheck calls suspicious, without the dot (``data/tlds.txt``)."""
    return _data_list("tlds.txt")


def matching_suffix(host: str, suffixes: frozenset[str]) -> str | None:
    """The longest of ``suffixes`` that ``host`` is, or is under; None when there is none."""
    return next((s for s in host_suffixes(host) if s in suffixes), None)


@dataclass(frozen=True, slots=True)
class Context:
    """What every heuristic reads: the observations and their folded sightings."""

    observations: Observations
    sightings: Sightings

    def public_flows(self) -> Iterator[Flow]:
        """Connections whose server is on the internet (not the hotspot, not multicast)."""
        return (f for f in self.observations.flows if is_public(f.key.server))


def _finding(
    check: Check, severity: Severity, summary: str, sighting: Sighting, detail: str = ""
) -> NetworkFinding:
    return NetworkFinding(check, severity, summary, sighting, detail=detail)


def _flow_sighting(flows: list[Flow], value: str) -> Sighting:
    first = min(flows, key=lambda f: f.first_seen)
    observation = Observation(
        Seen.CONNECTION,
        value,
        first.first_number,
        first.first_seen,
        first.key,
        first.name,
        first.name_source,
    )
    return Sighting(observation, len(flows), max(f.last_seen for f in flows), (Seen.CONNECTION,))


def _group(flows: Iterable[Flow], key: Callable[[Flow], _K | None]) -> dict[_K, list[Flow]]:
    """Flows by ``key``, leaving out those it gives None for."""
    groups: dict[_K, list[Flow]] = {}
    for flow in flows:
        group = key(flow)
        if group is not None:
            groups.setdefault(group, []).append(flow)
    return groups


def _label(flow: Flow) -> str:
    return f"{flow.name} ({flow.key.server})" if flow.name else flow.key.server


def check_cleartext_http(ctx: Context) -> Iterator[NetworkFinding]:
    """HTTP requests with a Host: anyone on the path can read (and change) them."""
    hosts = SightingTable()
    for request in ctx.observations.http:
        if request.host and is_public(request.flow.server):
            host = host_of(request.host)
            hosts.add(
                Observation(
                    Seen.HTTP_HOST,
                    host,
                    request.number,
                    request.timestamp,
                    request.flow,
                    host,
                    NameSource.HTTP_HOST,
                )
            )
    for host, sighting in hosts.items():
        expected = (
            host.startswith(("ocsp", "crl"))
            or matching_suffix(host, cleartext_by_design()) is not None
        )
        why = (
            "a connectivity or certificate check, unencrypted by design"
            if expected
            else "anyone on the network path can read what is sent"
        )
        yield _finding(
            Check.CLEARTEXT_HTTP,
            Severity.INFO if expected else Severity.LOW,
            f"Unencrypted web (HTTP) requests to {host}: {why}.",
            sighting,
            f"{sighting.count} request(s)",
        )


def check_tls_unusual_port(ctx: Context) -> Iterator[NetworkFinding]:
    """TLS over TCP to a port where TLS is not usual: a custom server, often self-run."""
    groups: dict[tuple[str, int], list[Observation]] = {}
    for hello in ctx.observations.tls:
        flow = hello.flow
        quic, port = hello.quic_version is not None, flow.server_port
        if not quic and port not in TLS_PORTS and is_public(flow.server):
            name = host_of(hello.sni) if hello.sni else None
            source = NameSource.SNI if name else NameSource.NONE
            groups.setdefault((flow.server, flow.server_port), []).append(
                Observation(
                    Seen.TLS_SNI, flow.server, hello.number, hello.timestamp, flow, name, source
                )
            )
    for (server, port), seen in groups.items():
        first = min(seen, key=lambda o: o.timestamp)
        sighting = Sighting(first, len(seen), max(o.timestamp for o in seen), (Seen.TLS_SNI,))
        target = f"{first.name} ({server})" if first.name else server
        yield _finding(
            Check.TLS_UNUSUAL_PORT,
            Severity.LOW,
            f"Encrypted (TLS) connections to {target} on port {port}, "
            "which is not a usual port for that.",
            sighting,
            f"{len(seen)} TLS handshake(s) on TCP port {port}",
        )


def check_unusual_port(ctx: Context) -> Iterator[NetworkFinding]:
    """Traffic to a destination port outside the common set, above a byte threshold."""
    tls_ports = {(h.flow.server, h.flow.server_port) for h in ctx.observations.tls}

    def key(flow: Flow) -> tuple[str, int] | None:
        common = COMMON_PORTS.get(flow.key.transport)
        port = flow.key.server_port
        if common is None or port in common or (flow.key.server, port) in tls_ports:
            return None
        return flow.key.server, port

    for (server, port), flows in _group(ctx.public_flows(), key).items():
        total = sum(f.bytes for f in flows)
        if total < UNUSUAL_PORT_MIN_BYTES:
            continue
        transport = flows[0].key.transport.value.upper()
        yield _finding(
            Check.UNUSUAL_PORT,
            Severity.LOW,
            f"Traffic to {_label(flows[0])} on {transport} port {port}, a port phones rarely use.",
            _flow_sighting(flows, server),
            f"{len(flows)} connection(s), {total} bytes",
        )


def check_encrypted_dns(ctx: Context) -> Iterator[NetworkFinding]:
    """DNS over HTTPS (public DoH services by name) and DNS over TLS or QUIC (port 853)."""
    providers = doh_providers()
    ports: dict[str, set[int]] = {}
    for hello in ctx.observations.tls:
        if hello.sni:
            ports.setdefault(host_of(hello.sni), set()).add(hello.flow.server_port)
    for name, sighting in ctx.sightings.names.items():
        if matching_suffix(name, providers) is None:
            continue
        used = ports.get(name, set())
        if used and used <= {853}:
            continue  # DNS over TLS: reported once per server below.
        https = bool(used) or Seen.HTTP_HOST in sighting.seen_as
        yield _finding(
            Check.ENCRYPTED_DNS,
            Severity.LOW if https else Severity.INFO,
            f"Contact with the encrypted-DNS service {name} (DNS over HTTPS): names looked up "
            "through it are hidden from this check."
            if https
            else f"The encrypted-DNS service {name} was looked up; it may be used to hide "
            "the names an app looks up.",
            sighting,
        )

    def key(flow: Flow) -> str | None:
        return flow.key.server if flow.key.server_port == 853 else None

    for server, flows in _group(ctx.public_flows(), key).items():
        yield _finding(
            Check.ENCRYPTED_DNS,
            Severity.INFO,
            f"Encrypted DNS (DNS over TLS, port 853) to {_label(flows[0])}, as Android's "
            "Private DNS does: names looked up through it are hidden from this check.",
            _flow_sighting(flows, server),
            f"{len(flows)} connection(s)",
        )


def check_dynamic_dns(ctx: Context) -> Iterator[NetworkFinding]:
    """Names under free dynamic-DNS or tunnelling services, where throw-away servers live."""
    suffixes = dynamic_dns_suffixes()
    for name, sighting in ctx.sightings.names.items():
        suffix = matching_suffix(name, suffixes)
        if suffix is not None and name != suffix:
            yield _finding(
                Check.DYNAMIC_DNS,
                Severity.MEDIUM,
                f"{name} is a free dynamic-DNS or tunnel name (under {suffix}): cheap spyware "
                "often reports to servers like this.",
                sighting,
            )


def check_suspicious_tld(ctx: Context) -> Iterator[NetworkFinding]:
    """Names under top-level domains that are cheap or free and common among throw-away servers."""
    tlds = suspicious_tlds()
    for name, sighting in ctx.sightings.names.items():
        tld = name.rpartition(".")[2]
        if "." in name and tld in tlds:
            yield _finding(
                Check.SUSPICIOUS_TLD,
                Severity.LOW,
                f"{name} is under .{tld}, a top-level domain common among throw-away servers.",
                sighting,
            )


def check_address_without_name(ctx: Context) -> Iterator[NetworkFinding]:
    """Connections to internet addresses no DNS answer, SNI or Host named."""
    named = ctx.sightings.named

    def key(flow: Flow) -> str | None:
        server = flow.key.server
        if flow.name or server in named or flow.key.server_port in UNNAMED_SERVICE_PORTS:
            return None
        return server

    for server, flows in _group(ctx.public_flows(), key).items():
        total = sum(f.bytes for f in flows)
        if total < NO_NAME_MIN_BYTES:
            continue
        ports = ", ".join(str(p) for p in sorted({f.key.server_port for f in flows}))
        yield _finding(
            Check.ADDRESS_WITHOUT_NAME,
            Severity.LOW,
            f"Traffic to {server} without any host name (no DNS answer, TLS SNI or HTTP Host "
            "named it): an app may have the address built in.",
            _flow_sighting(flows, server),
            f"{len(flows)} connection(s), {total} bytes, port(s) {ports}",
        )


def bursts(times: Iterable[float], gap: float = BEACON_BURST_GAP) -> list[float]:
    """Start times of bursts: sorted times, merging each into the burst it is within ``gap`` of."""
    starts: list[float] = []
    last = float("-inf")
    for moment in sorted(times):
        if moment - last > gap:
            starts.append(moment)
        last = moment
    return starts


def check_beaconing(ctx: Context) -> Iterator[NetworkFinding]:
    """Traffic to one host in bursts at a near-regular interval: an app checking in."""

    def key(flow: Flow) -> str | None:
        port = flow.key.server_port
        return None if port in UNNAMED_SERVICE_PORTS else flow.name or flow.key.server

    for flows in _group(ctx.public_flows(), key).values():
        starts = bursts(t for f in flows for t in (f.first_seen, *f.timestamps))
        if len(starts) < BEACON_MIN_BURSTS:
            continue
        gaps = [b - a for a, b in pairwise(starts)]
        period = fmean(gaps)
        spread = pstdev(gaps)
        if period < BEACON_MIN_PERIOD or spread > BEACON_MAX_CV * period:
            continue
        sighting = _flow_sighting(flows, flows[0].key.server)
        yield _finding(
            Check.BEACONING,
            Severity.MEDIUM,
            f"Regular check-ins with {_label(flows[0])}: {len(starts)} bursts of traffic about "
            f"every {period:.0f} seconds, as an app reporting on a timer does.",
            Sighting(sighting.first, len(starts), starts[-1], sighting.seen_as),
            f"{len(starts)} bursts, interval {period:.1f} s ± {spread:.1f} s "
            f"(variation {spread / period:.2f}, at most {BEACON_MAX_CV} counts)",
        )


CHECKS: tuple[Callable[[Context], Iterator[NetworkFinding]], ...] = (
    check_cleartext_http,
    check_tls_unusual_port,
    check_unusual_port,
    check_encrypted_dns,
    check_dynamic_dns,
    check_suspicious_tld,
    check_address_without_name,
    check_beaconing,
)
