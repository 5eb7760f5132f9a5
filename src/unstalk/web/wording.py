"""Plain-language words for what the feed and the index call things.

One dictionary per enum, each covering every member (the tests check this), so
a new kind or tier cannot reach a page without an explanation.
"""

from __future__ import annotations

from unstalk.feed.model import FamilyType, IndicatorKind, Role
from unstalk.models import Severity

SEVERITY_TITLES: dict[Severity, str] = {
    Severity.CRITICAL: "Strong sign of stalkerware",
    Severity.HIGH: "Likely link to stalkerware",
    Severity.MEDIUM: "Link to a stalkerware seller",
    Severity.LOW: "Monitoring app that does not hide (watchware)",
    Severity.INFO: "For information",
}

SEVERITY_EXPLANATIONS: dict[Severity, str] = {
    Severity.CRITICAL: (
        "This value belongs to a known stalkerware app itself (its name on the phone, the "
        "certificate it is signed with, one of its files) or to a server where it sends what it "
        "collects. If you copied it from this phone, the app is very probably installed, or was."
    ),
    Severity.HIGH: (
        "This is a place where a stalkerware app is downloaded from, or a server linked to one "
        "whose purpose the list does not say. It is a strong reason to look further."
    ),
    Severity.MEDIUM: (
        "This is the website of a company that sells stalkerware. Visiting it is not the same as "
        "having the app on the phone: someone may only have been reading about it."
    ),
    Severity.LOW: (
        "This belongs to a monitoring app that shows itself, such as parental-control or "
        "employee-monitoring software. It is reported so you know it is there, but it is not "
        "called stalkerware. It can still be misused: ask whether the person knew about it and "
        "agreed to it."
    ),
    Severity.INFO: "This is listed for information only.",
}

FAMILY_TYPES: dict[FamilyType, str] = {
    FamilyType.STALKERWARE: (
        "Stalkerware: an app that lets someone secretly watch another person's phone (messages, "
        "location, calls, photos) without their agreement and without showing that it is there."
    ),
    FamilyType.WATCHWARE: (
        "Watchware: monitoring that shows itself on the phone, such as parental-control or "
        "employee-monitoring apps. It is reported, but not called stalkerware."
    ),
}

KIND_LABELS: dict[IndicatorKind, str] = {
    IndicatorKind.PACKAGE: "Android app package name",
    IndicatorKind.IOS_BUNDLE: "iPhone app identifier",
    IndicatorKind.CERT_SHA1: "app signing certificate fingerprint (SHA-1)",
    IndicatorKind.CERT_SHA256: "app signing certificate fingerprint (SHA-256)",
    IndicatorKind.CERT_ORG: "organisation named in an app's signing certificate",
    IndicatorKind.CERT_CNAME_RE: "name pattern of an app's signing certificate",
    IndicatorKind.FILE_SHA256: "file fingerprint (SHA-256) of a known app file",
    IndicatorKind.DOMAIN: "internet domain",
    IndicatorKind.IPV4: "internet address (IPv4)",
    IndicatorKind.IPV6: "internet address (IPv6)",
    IndicatorKind.CIDR: "range of internet addresses",
    IndicatorKind.URL: "web address",
    IndicatorKind.YARA: "detection rule",
}

ROLE_LABELS: dict[Role, str] = {
    Role.C2: "a server where the app sends what it collects, or gets its orders from",
    Role.WEBSITE: "the seller's website",
    Role.DISTRIBUTION: "a place the app is downloaded from",
}
