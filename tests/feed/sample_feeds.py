"""A small hand-built feed holding every indicator kind, role, TLP and status, for format tests."""

from __future__ import annotations

from datetime import UTC, datetime

from unstalk.feed.model import (
    TLP,
    Family,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Platform,
    Provenance,
    Role,
    Status,
    family_id,
    normalise_value,
)

RETRIEVED = datetime(2026, 6, 21, 8, 30, tzinfo=UTC)
YARA_RULE = """rule examplespy : stalkerware {
    strings:
        $s1 = "examplespy_upload" ascii
    condition:
        uint16(0) == 0x6564 and $s1
}"""

_K = IndicatorKind
SPY = Family(
    family_id(FamilyType.STALKERWARE, "ExampleSpy"),
    "ExampleSpy",
    FamilyType.STALKERWARE,
    aliases=("Example Spy Pro", "ExSpy, Inc."),
    platforms=(Platform.ANDROID, Platform.IOS),
    websites=("examplespy.com",),
    vendor_ref="vendors/ExampleSpy.yaml",
)
KIDS = Family(family_id(FamilyType.WATCHWARE, "KidWatch"), "KidWatch", FamilyType.WATCHWARE)
GHOST = Family(
    family_id(FamilyType.STALKERWARE, "Ghost"), "Ghost", FamilyType.STALKERWARE, implied=True
)


def _spy_indicators() -> tuple[Indicator, ...]:
    fid = SPY.id
    return (
        Indicator(_K.PACKAGE, "com.examplespy.system", fid),
        Indicator(_K.IOS_BUNDLE, "com.examplespy.ios", fid),
        Indicator(_K.CERT_SHA1, "CA5304E94F4BC97DA9D147E76858DBF70AB8B4E6", fid),
        Indicator(_K.CERT_SHA256, "AB" * 32, fid, tlp=TLP.AMBER),
        Indicator(_K.CERT_ORG, "Example Service SRL", fid),
        Indicator(_K.CERT_CNAME_RE, r"^Kids\WSafety\W[0-9]{2}$", fid),
        Indicator(_K.FILE_SHA256, "CD" * 32, fid, status=Status.REVOKED),
        Indicator(_K.FILE_SHA256, "EF" * 32, fid),
        Indicator(_K.DOMAIN, "protocol-a1.examplespy.com", fid, Role.C2),
        Indicator(_K.DOMAIN, "examplespy.com", fid, Role.C2),
        Indicator(_K.DOMAIN, "examplespy.com", fid, Role.WEBSITE),
        Indicator(
            _K.DOMAIN,
            normalise_value(_K.DOMAIN, "télécharger.example"),
            fid,
            Role.DISTRIBUTION,
            tlp=TLP.GREEN,
        ),
        Indicator(_K.DOMAIN, "old.examplespy.com", fid, Role.C2, status=Status.REVOKED),
        Indicator(_K.IPV4, "192.0.2.1", fid, Role.C2, tlp=TLP.RED),
        Indicator(_K.IPV6, "2001:db8::1", fid, Role.C2, tlp=TLP.AMBER_STRICT),
        Indicator(_K.CIDR, "198.51.100.0/24", fid, Role.C2),
        Indicator(_K.CIDR, "2001:db8:1::/48", fid, Role.C2),
        Indicator(_K.URL, "https://examplespy.com/download?id=1", fid, Role.DISTRIBUTION),
        Indicator(_K.URL, "https://examplespy.com/it's-here", fid, Role.DISTRIBUTION),
        Indicator(_K.YARA, YARA_RULE, fid, name="examplespy"),
    )


def representative_feed() -> Feed:
    """Families of both types and an implied one; every kind, role and TLP; revoked entries."""
    others = (
        Indicator(_K.PACKAGE, "com.kidwatch.parent", KIDS.id),
        Indicator(_K.DOMAIN, "kidwatch.example", KIDS.id, Role.WEBSITE),
        Indicator(_K.FILE_SHA256, "01" * 32, GHOST.id),
    )
    return Feed(
        families=(SPY, KIDS, GHOST),
        indicators=_spy_indicators() + others,
        provenance=Provenance("echap", "bundled", retrieved=RETRIEVED),
    )


def facts(feed: Feed) -> set[tuple[str, str, str, str | None, str, str]]:
    """What a format must carry for each indicator: kind, value, family, role, TLP, status."""
    return {
        (i.kind.value, i.value, i.family, i.role.value if i.role else None, i.tlp, i.status)
        for i in feed.indicators
    }
