"""Feeds and reference files shared by the list, TinyCheck and Suricata export tests."""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources
from pathlib import Path

from unstalk.feed.formats.echap import load_echap_dir
from unstalk.feed.model import (
    TLP,
    Family,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Provenance,
    Role,
    Sample,
    Status,
    family_id,
)

ASSETS = Path(__file__).parent / "assets" / "lists"


@cache
def bundled_echap() -> Feed:
    """The Echap snapshot shipped inside the package."""
    folder = Path(str(resources.files("unstalk.feed") / "data" / "echap"))
    return load_echap_dir(folder, source="https://github.com/AssoEchap/stalkerware-indicators")


def bundled_file(name: str) -> bytes:
    return (resources.files("unstalk.feed") / "data" / "echap" / name).read_bytes()


def asset(name: str) -> bytes:
    """A reference file from assets/lists (stored gzip-compressed)."""
    return gzip.decompress((ASSETS / f"{name}.gz").read_bytes())


def upstream_lines(name: str) -> list[str]:
    """The non-empty lines of one of Echap's generated files."""
    return [line for line in asset(f"echap-generated/{name}").decode().splitlines() if line]


SPY = Family(family_id(FamilyType.STALKERWARE, "Evil Spy"), "Evil Spy", FamilyType.STALKERWARE)
OTHER = Family(family_id(FamilyType.STALKERWARE, "Spy, Inc."), "Spy, Inc.", FamilyType.STALKERWARE)
KIDS = Family(family_id(FamilyType.WATCHWARE, "Kid Watch"), "Kid Watch", FamilyType.WATCHWARE)


def ind(
    kind: IndicatorKind,
    value: str,
    family: Family = SPY,
    role: Role | None = Role.C2,
    *,
    tlp: TLP = TLP.CLEAR,
    status: Status = Status.ACTIVE,
    name: str | None = None,
) -> Indicator:
    return Indicator(kind, value, family.id, role, "test", tlp, status, name)


def hand_feed(*indicators: Indicator) -> Feed:
    """A small feed with two stalkerware families, one watchware family and two samples."""
    return Feed(
        families=(SPY, OTHER, KIDS),
        indicators=indicators,
        samples=(
            Sample("AB" * 32, "Evil Spy", SPY.id, "com.evil.spy", "CD" * 20, "1.0"),
            Sample("EF" * 32, "Spy, Inc.", OTHER.id),
        ),
        provenance=Provenance("echap", "https://example.org/feed", version="v1"),
    )


def representative_feed() -> Feed:
    """Every network kind and role, both family types, revoked entries and every TLP."""
    return hand_feed(
        ind(IndicatorKind.DOMAIN, "c2.evil.example"),
        ind(IndicatorKind.DOMAIN, "evil.example", role=Role.WEBSITE),
        ind(IndicatorKind.DOMAIN, "dl.evil.example", role=Role.DISTRIBUTION, tlp=TLP.GREEN),
        ind(IndicatorKind.DOMAIN, "old.evil.example", status=Status.REVOKED),
        ind(IndicatorKind.DOMAIN, "api.spy-inc.example", OTHER, tlp=TLP.AMBER),
        ind(IndicatorKind.DOMAIN, "sync.kidwatch.example", KIDS),
        ind(IndicatorKind.DOMAIN, "kidwatch.example", KIDS, Role.WEBSITE),
        ind(IndicatorKind.IPV4, "192.0.2.10", tlp=TLP.AMBER_STRICT),
        ind(IndicatorKind.IPV4, "192.0.2.99", status=Status.REVOKED),
        ind(IndicatorKind.IPV6, "2001:db8::10", OTHER),
        ind(IndicatorKind.CIDR, "198.51.100.0/24", OTHER, None, tlp=TLP.RED),
        ind(IndicatorKind.URL, "https://files.example/evil.apk", role=Role.DISTRIBUTION),
        ind(IndicatorKind.CERT_SHA1, "A" * 40, role=None, name="tls-certificate"),
        ind(IndicatorKind.CERT_SHA1, "B" * 40, role=None),
        ind(IndicatorKind.PACKAGE, "com.evil.spy", role=None),
    )
