"""Plain-language words for what the feed and the index call things.

One dictionary per enum, each covering every member (the tests check this), so
a new kind or tier cannot reach a page without an explanation. The words are
English sources marked for the catalogs; the pages translate them.
"""

from __future__ import annotations

from unstalk.feed.model import FamilyType, IndicatorKind, Role
from unstalk.models import Severity
from unstalk.web.i18n import N_

SEVERITY_TITLES: dict[Severity, str] = {
    Severity.CRITICAL: N_("Strong sign of stalkerware"),
    Severity.HIGH: N_("Likely link to stalkerware"),
    Severity.MEDIUM: N_("Link to a stalkerware seller"),
    Severity.LOW: N_("Monitoring app that does not hide (watchware)"),
    Severity.INFO: N_("For information"),
}

SEVERITY_EXPLANATIONS: dict[Severity, str] = {
    Severity.CRITICAL: N_(
        "This value belongs to a known stalkerware app itself (its name on the phone, the "
        "certificate it is signed with, one of its files) or to a server where it sends what it "
        "collects. If you copied it from this phone, the app is very probably installed, or was."
    ),
    Severity.HIGH: N_(
        "This is a place where a stalkerware app is downloaded from, or a server linked to one "
        "whose purpose the list does not say. It is a strong reason to look further."
    ),
    Severity.MEDIUM: N_(
        "This is the website of a company that sells stalkerware. Visiting it is not the same as "
        "having the app on the phone: someone may only have been reading about it."
    ),
    Severity.LOW: N_(
        "This belongs to a monitoring app that shows itself, such as parental-control or "
        "employee-monitoring software. It is reported so you know it is there, but it is not "
        "called stalkerware. It can still be misused: ask whether the person knew about it and "
        "agreed to it."
    ),
    Severity.INFO: N_("This is listed for information only."),
}

FAMILY_TYPES: dict[FamilyType, str] = {
    FamilyType.STALKERWARE: N_(
        "Stalkerware: an app that lets someone secretly watch another person's phone (messages, "
        "location, calls, photos) without their agreement and without showing that it is there."
    ),
    FamilyType.WATCHWARE: N_(
        "Watchware: monitoring that shows itself on the phone, such as parental-control or "
        "employee-monitoring apps. It is reported, but not called stalkerware."
    ),
}

KIND_LABELS: dict[IndicatorKind, str] = {
    IndicatorKind.PACKAGE: N_("Android app package name"),
    IndicatorKind.IOS_BUNDLE: N_("iPhone app identifier"),
    IndicatorKind.CERT_SHA1: N_("app signing certificate fingerprint (SHA-1)"),
    IndicatorKind.CERT_SHA256: N_("app signing certificate fingerprint (SHA-256)"),
    IndicatorKind.CERT_ORG: N_("organisation named in an app's signing certificate"),
    IndicatorKind.CERT_CNAME_RE: N_("name pattern of an app's signing certificate"),
    IndicatorKind.FILE_SHA256: N_("file fingerprint (SHA-256) of a known app file"),
    IndicatorKind.DOMAIN: N_("internet domain"),
    IndicatorKind.IPV4: N_("internet address (IPv4)"),
    IndicatorKind.IPV6: N_("internet address (IPv6)"),
    IndicatorKind.CIDR: N_("range of internet addresses"),
    IndicatorKind.URL: N_("web address"),
    IndicatorKind.YARA: N_("detection rule"),
}

ROLE_LABELS: dict[Role, str] = {
    Role.C2: N_("a server where the app sends what it collects, or gets its orders from"),
    Role.WEBSITE: N_("the seller's website"),
    Role.DISTRIBUTION: N_("a place the app is downloaded from"),
}
