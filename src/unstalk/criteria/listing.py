"""The feed matches of one app, sorted by what they can decide, and how to name them.

Identity hits (package, certificates, file hash, YARA) under stalkerware or watchware
families decide a verdict, unless the same value is listed under both (disputed);
addresses in the code only call for a closer look.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from unstalk.apk.capabilities import Evidence, EvidenceKind
from unstalk.criteria.model import FamilyMatch
from unstalk.feed.index import Match
from unstalk.feed.model import NETWORK_KINDS, FamilyType, IndicatorKind, Role, Status


@dataclass(frozen=True, slots=True)
class Listing:
    """The feed matches, sorted by what they can decide."""

    families: tuple[FamilyMatch, ...]
    stalkerware: tuple[Match, ...]
    """Hits on the app itself under stalkerware families, not disputed."""
    watchware: tuple[Match, ...]
    """Hits on the app itself under watchware families."""
    disputed: tuple[Match, ...]
    """Stalkerware hits on a value the feed also lists under a watchware family."""
    servers: tuple[Match, ...]
    """Addresses in the code that stalkerware families use as servers or download sites."""
    other_servers: tuple[Match, ...]
    """Other addresses in the code (vendor web sites, watchware servers) of families the
    matches above do not already name."""


def listing_of(feed_matches: Sequence[Match]) -> Listing:
    """Sort matches by what they can decide; revoked indicators and repeats are dropped."""
    matches = [m for m in dict.fromkeys(feed_matches) if m.indicator.status is Status.ACTIVE]
    identity = [m for m in matches if m.kind not in NETWORK_KINDS]
    watch = [m for m in identity if m.family_type is FamilyType.WATCHWARE]
    overt = {(m.kind, m.indicator.value) for m in watch}
    spy = [m for m in identity if m.family_type is FamilyType.STALKERWARE]
    disputed = [m for m in spy if (m.kind, m.indicator.value) in overt]
    stalkerware = [m for m in spy if (m.kind, m.indicator.value) not in overt]
    network = [m for m in matches if m.kind in NETWORK_KINDS]
    servers = {
        m: None
        for m in network
        if m.family_type is FamilyType.STALKERWARE and m.role is not Role.WEBSITE
    }
    decisive = {m.family.id for m in stalkerware or watch}
    named = {m.family.id for m in [*identity, *servers]}
    grouped: dict[str, list[Match]] = {}
    for m in sorted(matches, key=lambda m: m.family_type is not FamilyType.STALKERWARE):
        grouped.setdefault(m.family.id, []).append(m)
    families = tuple(
        FamilyMatch(hits[0].family, tuple(hits), family in decisive)
        for family, hits in grouped.items()
    )
    return Listing(
        families,
        tuple(stalkerware),
        tuple(watch),
        tuple(disputed),
        tuple(servers),
        tuple(m for m in network if m not in servers and m.family.id not in named),
    )


def family_names(matches: Iterable[Match]) -> str:
    return ", ".join(dict.fromkeys(m.family.name for m in matches))


_KIND_WORDS = {
    IndicatorKind.PACKAGE: "package name",
    IndicatorKind.IOS_BUNDLE: "bundle identifier",
    IndicatorKind.CERT_SHA1: "signing certificate",
    IndicatorKind.CERT_SHA256: "signing certificate",
    IndicatorKind.CERT_ORG: "certificate organisation",
    IndicatorKind.CERT_CNAME_RE: "certificate name",
    IndicatorKind.FILE_SHA256: "file hash",
    IndicatorKind.YARA: "code (YARA rule)",
}


def kinds(matches: Iterable[Match]) -> str:
    words = dict.fromkeys(_KIND_WORDS.get(m.kind, m.kind.value) for m in matches)
    return " and ".join(words)


def indicator_evidence(matches: Iterable[Match]) -> list[Evidence]:
    return [
        Evidence(
            EvidenceKind.INDICATOR,
            f"{m.kind.value} {m.observed} -> {m.family.name} ({m.family.type.value})",
            m.indicator.source or "indicator feed",
        )
        for m in matches
    ]
