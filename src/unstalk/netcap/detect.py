"""Find stalkerware traffic in what a capture showed: feed matches first, then heuristics.

Every name (DNS question or CNAME answer, TLS or QUIC SNI, HTTP Host), every
address (DNS answer, both ends of every connection) and every cleartext HTTP URL
is looked up in the feed index before anything else, and no allow-list is ever
consulted for those hits: broad allow-list entries such as ``amazonaws.com``
cover real stalkerware servers. An allow-list may only lower heuristic findings,
to INFO, and says so on the finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from unstalk.feed.allowlist import AllowList
from unstalk.feed.detect import parse_ip
from unstalk.feed.index import FeedIndex, Match
from unstalk.feed.model import FamilyId, FamilyType, IndicatorKind, Role
from unstalk.models import Severity
from unstalk.netcap.findings import (
    Check,
    IndicatorRef,
    NetworkFinding,
    Observations,
    Sighting,
    Sightings,
    collect,
)
from unstalk.netcap.heuristics import CHECKS, Context, is_public

__all__ = ["Detection", "detect", "feed_matches", "temper"]

_CHECK_ORDER = {check: n for n, check in enumerate(Check)}

ALWAYS_LIMITS = (
    "Only servers listed in the indicator feed are recognised as stalkerware: a new or "
    "unlisted server is not.",
    "What is sent is encrypted and not read: the checks use host names (DNS, TLS and QUIC "
    "server names, HTTP Host) and addresses.",
    "Only what the phone sent during the capture is checked: an app that stayed silent then "
    "is not seen. Capture for longer, while the phone is in use, to see more.",
    "Heuristic findings are things to review, not proof: ordinary apps do these things too.",
)


@dataclass(frozen=True, slots=True)
class Detection:
    findings: tuple[NetworkFinding, ...]
    """Most severe first; feed matches before heuristics of the same severity."""
    limits: tuple[str, ...]
    """What these checks could not see, in plain language."""
    names: int
    """Distinct host names seen."""
    addresses: int
    """Distinct addresses seen."""

    @property
    def feed_matches(self) -> tuple[NetworkFinding, ...]:
        return tuple(f for f in self.findings if f.is_feed_match)


def detect(
    observations: Observations, index: FeedIndex, *, allowlist: AllowList | None = None
) -> Detection:
    """Match the observations against the feed, then run the heuristics in ``CHECKS``."""
    sightings = collect(observations)
    matched = list(feed_matches(sightings, index))
    context = Context(observations, sightings)
    heuristic = [temper(f, allowlist) for check in CHECKS for f in check(context)]
    findings = sorted((*matched, *heuristic), key=_order)
    return Detection(
        tuple(findings),
        (*ALWAYS_LIMITS, *_observed_limits(observations, sightings, findings)),
        len(sightings.names),
        len(sightings.addresses),
    )


def feed_matches(sightings: Sightings, index: FeedIndex) -> Iterator[NetworkFinding]:
    """One finding per (indicator, value seen): names, then addresses, then URLs."""
    names = sightings.names
    for name, matches in index.hostnames(names):
        yield from _feed_findings(matches, names.get(name))
    for address, sighting in sightings.addresses.items():
        yield from _feed_findings(index.ip(address), sighting)
    for url, sighting in sightings.urls.items():
        # Host hits were already reported from the HTTP Host; keep the URL indicators only.
        hits = tuple(m for m in index.url(url) if m.kind is IndicatorKind.URL)
        yield from _feed_findings(hits, sighting)


def _feed_findings(matches: Iterable[Match], sighting: Sighting | None) -> Iterator[NetworkFinding]:
    """One finding per family the value matched, led by its most severe, most specific hit."""
    if sighting is None:
        return
    value = sighting.first.value
    by_family: dict[FamilyId, list[Match]] = {}
    for match in matches:
        by_family.setdefault(match.family.id, []).append(match)
    for hits in by_family.values():
        hits.sort(key=lambda m: (m.severity.rank, m.indicator.value != value))
        indicator, *others = (IndicatorRef.of(m) for m in hits)
        under = "" if value == indicator.value else f" (under the listed {indicator.value})"
        role = indicator.role.value if indicator.role else "no role given"
        yield NetworkFinding(
            Check.FEED_MATCH,
            hits[0].severity,
            _feed_summary(value, indicator) + under + ".",
            sighting,
            indicator,
            tuple(others),
            detail=f"indicator {indicator.kind.value} {indicator.value} ({role}) "
            f"from {indicator.source or 'the feed'}",
        )


def _feed_summary(value: str, indicator: IndicatorRef) -> str:
    family = indicator.family
    if indicator.family_type is FamilyType.WATCHWARE:
        return (
            f"{value} belongs to {family}, a monitoring app that is not hidden from the "
            "phone's user (watchware)"
        )
    match indicator.role:
        case Role.C2:
            return (
                f"{value} is a server the stalkerware {family} reports to: the app may be "
                "running on this phone"
            )
        case Role.DISTRIBUTION:
            return f"{value} is where the stalkerware {family} is downloaded from"
        case Role.WEBSITE:
            return f"{value} is the website of the stalkerware {family}"
        case None:
            return f"{value} is listed as a server of the stalkerware {family}"


def temper(finding: NetworkFinding, allowlist: AllowList | None) -> NetworkFinding:
    """Lower a heuristic finding to INFO when the allow-list covers its host.

    Feed matches are returned unchanged, whatever the allow-list holds.
    """
    if allowlist is None or finding.is_feed_match or finding.severity is Severity.INFO:
        return finding
    first = finding.evidence.first
    names = [n for n in (first.name, first.value) if n and parse_ip(n) is None]
    addresses = [a for a in (first.value,) if parse_ip(a) is not None]
    if first.flow is not None:
        addresses.append(first.flow.server)
    if any(allowlist.contains_domain(n) for n in names) or any(
        allowlist.contains_ip(a) for a in addresses
    ):
        return replace(finding, severity=Severity.INFO, allowlisted=True)
    return finding


def _order(finding: NetworkFinding) -> tuple[int, int, float, str]:
    return (
        finding.severity.rank,
        _CHECK_ORDER[finding.check],
        finding.evidence.first.timestamp,
        finding.evidence.first.value,
    )


def _observed_limits(
    observations: Observations, sightings: Sightings, findings: list[NetworkFinding]
) -> Iterator[str]:
    if not (observations.flows or observations.dns or observations.tls or observations.http):
        yield "No connections were seen in this capture."
        return
    if not observations.dns:
        yield (
            "No DNS lookups were seen (the phone may use encrypted DNS, or looked the names up "
            "before the capture started): some connections may have no name."
        )
    if any(f.check is Check.ENCRYPTED_DNS for f in findings):
        yield (
            "The phone used encrypted DNS: the names it looked up through it are hidden, so "
            "connections are named only by TLS or QUIC server names and HTTP Host."
        )
    unnamed = sum(
        1
        for flow in observations.flows
        if not flow.name and flow.key.server not in sightings.named and is_public(flow.key.server)
    )
    if unnamed:
        yield (
            f"{unnamed} connection(s) to internet addresses had no name: only their addresses "
            "were checked."
        )
    no_sni = sum(1 for hello in observations.tls if not hello.sni)
    if no_sni:
        yield f"{no_sni} TLS or QUIC handshake(s) carried no server name (hidden or absent)."
