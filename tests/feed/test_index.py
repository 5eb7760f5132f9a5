"""The compiled match index: every lookup, its normalisation, severities and the allow-list rule."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unstalk.errors import FeedFormatError
from unstalk.feed.index import AllowList, FeedIndex, Match, severity_of
from unstalk.feed.model import (
    Family,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Role,
    Sample,
    Status,
    family_id,
)
from unstalk.models import Severity

K = IndicatorKind
ASSETS = Path(__file__).parent / "assets"
SPY = Family(family_id(FamilyType.STALKERWARE, "SpyCo"), "SpyCo", FamilyType.STALKERWARE)
KIDS = Family(family_id(FamilyType.WATCHWARE, "KidWatch"), "KidWatch", FamilyType.WATCHWARE)


def ind(
    kind: IndicatorKind,
    value: str,
    role: Role | None = None,
    *,
    family: Family = SPY,
    status: Status = Status.ACTIVE,
    name: str | None = None,
) -> Indicator:
    return Indicator(kind, value, family.id, role, "test", status=status, name=name)


def index_of(*indicators: Indicator, samples: tuple[Sample, ...] = ()) -> FeedIndex:
    return FeedIndex.build(Feed((SPY, KIDS), indicators, samples))


def values(matches: tuple[Match, ...]) -> list[str]:
    return [m.indicator.value for m in matches]


# --- severity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family_type", "kind", "role", "expected"),
    [
        (FamilyType.STALKERWARE, K.DOMAIN, Role.C2, Severity.CRITICAL),
        (FamilyType.STALKERWARE, K.IPV4, Role.C2, Severity.CRITICAL),
        (FamilyType.STALKERWARE, K.PACKAGE, None, Severity.CRITICAL),
        (FamilyType.STALKERWARE, K.CERT_SHA1, None, Severity.CRITICAL),
        (FamilyType.STALKERWARE, K.CERT_CNAME_RE, None, Severity.CRITICAL),
        (FamilyType.STALKERWARE, K.FILE_SHA256, None, Severity.CRITICAL),
        (FamilyType.STALKERWARE, K.YARA, None, Severity.CRITICAL),
        (FamilyType.STALKERWARE, K.DOMAIN, Role.DISTRIBUTION, Severity.HIGH),
        (FamilyType.STALKERWARE, K.URL, None, Severity.HIGH),
        (FamilyType.STALKERWARE, K.DOMAIN, Role.WEBSITE, Severity.MEDIUM),
        (FamilyType.WATCHWARE, K.DOMAIN, Role.C2, Severity.LOW),
        (FamilyType.WATCHWARE, K.PACKAGE, None, Severity.LOW),
    ],
)
def test_severity_table(
    family_type: FamilyType, kind: IndicatorKind, role: Role | None, expected: Severity
) -> None:
    assert severity_of(family_type, kind, role) is expected


def test_c2_outranks_website_outranks_any_watchware() -> None:
    c2 = severity_of(FamilyType.STALKERWARE, K.DOMAIN, Role.C2).rank
    website = severity_of(FamilyType.STALKERWARE, K.DOMAIN, Role.WEBSITE).rank
    watchware = {
        severity_of(FamilyType.WATCHWARE, kind, role).rank
        for kind in IndicatorKind
        for role in (*Role, None)
    }
    assert c2 < website < min(watchware)


def test_match_carries_family_kind_role_and_the_value_as_typed() -> None:
    index = index_of(ind(K.DOMAIN, "c2.spyco.example", Role.C2))
    (match,) = index.domain("Phone.C2.SpyCo.Example.")
    assert (match.family_type, match.kind, match.role) == (
        FamilyType.STALKERWARE,
        K.DOMAIN,
        Role.C2,
    )
    assert match.observed == "Phone.C2.SpyCo.Example."
    assert match.family is SPY and match.severity is Severity.CRITICAL


# --- domains ----------------------------------------------------------------------------


DOMAINS = index_of(
    ind(K.DOMAIN, "api.example.com", Role.C2),
    ind(K.DOMAIN, "example.org", Role.WEBSITE),
    ind(K.DOMAIN, "deep.bucket.s3.amazonaws.com", Role.C2),
    ind(K.DOMAIN, "kidwatch.example", Role.WEBSITE, family=KIDS),
    ind(K.DOMAIN, "bücher.example", Role.C2),
    ind(K.DOMAIN, "xn--mnchen-3ya.example", Role.C2),
    ind(K.DOMAIN, "198.51.100.7", Role.C2),
)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("api.example.com", ["api.example.com"]),
        ("a.b.api.example.com", ["api.example.com"]),
        ("API.Example.COM", ["api.example.com"]),
        ("api.example.com.", ["api.example.com"]),
        ("  api.example.com\n", ["api.example.com"]),
        ("notapi.example.com", []),
        ("api.example.com.evil.org", []),
        ("example.com", []),
        ("x.deep.bucket.s3.amazonaws.com", ["deep.bucket.s3.amazonaws.com"]),
        ("other.s3.amazonaws.com", []),
        ("BÜCHER.example", ["bücher.example"]),
        ("www.xn--bcher-kva.example", ["bücher.example"]),
        ("münchen.example", ["xn--mnchen-3ya.example"]),
        ("198.51.100.7", ["198.51.100.7"]),
        ("", []),
        (".", []),
    ],
)
def test_domain_matches_on_label_boundaries_only(host: str, expected: list[str]) -> None:
    assert values(DOMAINS.domain(host)) == expected


def test_a_name_under_two_indicators_gets_both_most_specific_first() -> None:
    index = index_of(
        ind(K.DOMAIN, "example.com", Role.WEBSITE), ind(K.DOMAIN, "api.example.com", Role.C2)
    )
    assert values(index.domain("x.api.example.com")) == ["api.example.com", "example.com"]
    assert dict(index.hostnames(["x.api.example.com"]))["x.api.example.com"] == index.domain(
        "x.api.example.com"
    )


TRICKY_NAMES = [
    "api.example.com",
    "deep.api.example.com",
    "API.EXAMPLE.COM.",
    "notapi.example.com",
    "api.example.com.evil.org",
    "x.deep.bucket.s3.amazonaws.com",
    "bucket.s3.amazonaws.com",
    "kidwatch.example",
    "bücher.example",
    "xn--bcher-kva.example",
    "MÜNCHEN.example.",
    "198.51.100.7",
    "[::ffff:198.51.100.7]",
    "2001:db8::1",
    "example.org..",
    "",
    "com",
    "api.example.com",
]
SHORT = index_of(ind(K.DOMAIN, "api", Role.C2), ind(K.DOMAIN, "api.api", Role.C2))


def test_single_label_indicators_match_every_name_under_them() -> None:
    assert values(SHORT.domain("x.api.api")) == ["api.api", "api"]
    assert list(SHORT.hostnames(["x.api.api", "api.org"])) == [
        ("x.api.api", SHORT.domain("x.api.api"))
    ]


def test_hostnames_yields_exactly_the_hits_domain_finds_in_order() -> None:
    expected = [(name, DOMAINS.domain(name)) for name in TRICKY_NAMES if DOMAINS.domain(name)]
    assert list(DOMAINS.hostnames(TRICKY_NAMES)) == expected
    assert [name for name, _ in expected].count("api.example.com") == 2


def test_hostnames_accepts_any_iterable_and_yields_nothing_without_hits() -> None:
    assert list(DOMAINS.hostnames(iter(["example.net", "localhost"]))) == []


_LABEL = st.sampled_from(["api", "example", "com", "org", "x", "not", "s3", "bucket", "1", "-"])


@settings(max_examples=300, deadline=None, database=None)
@given(
    indicator_labels=st.lists(st.lists(_LABEL, min_size=1, max_size=4), min_size=1, max_size=6),
    host_labels=st.lists(_LABEL, min_size=1, max_size=6),
    trailing_dot=st.booleans(),
    upper=st.booleans(),
)
def test_domain_agrees_with_a_plain_suffix_reference(
    indicator_labels: list[list[str]], host_labels: list[str], trailing_dot: bool, upper: bool
) -> None:
    domains = {".".join(labels) for labels in indicator_labels}
    index = index_of(*(ind(K.DOMAIN, d, Role.C2) for d in sorted(domains)))
    host = ".".join(host_labels)
    typed = (host.upper() if upper else host) + ("." if trailing_dot else "")
    # A numeric last label is no host name (and an IP literal is looked up as an address).
    names = {d for d in domains if not d.rpartition(".")[2].isdigit()}
    expected = {d for d in names if host == d or host.endswith("." + d)}
    assert set(values(index.domain(typed))) == expected
    assert dict(index.hostnames([typed])).get(typed, ()) == index.domain(typed)


# --- addresses --------------------------------------------------------------------------


ADDRESSES = index_of(
    ind(K.IPV4, "10.1.2.3", Role.C2),
    ind(K.CIDR, "10.0.0.0/8", Role.C2),
    ind(K.CIDR, "10.1.0.0/16", Role.DISTRIBUTION),
    ind(K.CIDR, "10.1.2.0/24", Role.WEBSITE),
    ind(K.IPV6, "2001:0db8:0000:0000:0000:0000:0000:0001", Role.C2),
    ind(K.CIDR, "2001:db8:abcd::/48", Role.C2),
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("10.1.2.3", ["10.1.2.3", "10.1.2.0/24", "10.1.0.0/16", "10.0.0.0/8"]),
        ("10.1.2.99", ["10.1.2.0/24", "10.1.0.0/16", "10.0.0.0/8"]),
        ("10.200.0.1", ["10.0.0.0/8"]),
        ("::ffff:10.1.2.3", ["10.1.2.3", "10.1.2.0/24", "10.1.0.0/16", "10.0.0.0/8"]),
        ("11.0.0.1", []),
        ("2001:db8::1", ["2001:0db8:0000:0000:0000:0000:0000:0001"]),
        ("[2001:DB8:0:0::1]", ["2001:0db8:0000:0000:0000:0000:0000:0001"]),
        ("fe80::1%eth0", []),
        ("2001:db8:abcd:1::5", ["2001:db8:abcd::/48"]),
        ("not an address", []),
    ],
)
def test_ip_matches_exactly_and_in_every_containing_block(
    address: str, expected: list[str]
) -> None:
    assert values(ADDRESSES.ip(address)) == expected


def test_overlapping_blocks_all_match_for_every_address_of_a_range() -> None:
    inner = ipaddress.ip_network("10.1.2.0/24")
    for address in (inner[0], inner[128], inner[-1]):
        assert {"10.1.2.0/24", "10.1.0.0/16", "10.0.0.0/8"} <= set(
            values(ADDRESSES.ip(str(address)))
        )


def test_network_reports_blocks_around_it_and_indicators_inside_it() -> None:
    assert values(ADDRESSES.network("10.1.0.0/16")) == [
        "10.1.0.0/16",
        "10.0.0.0/8",
        "10.1.2.0/24",
        "10.1.2.3",
    ]
    assert values(ADDRESSES.network("192.0.2.0/24")) == []


# --- URLs -------------------------------------------------------------------------------


URLS = index_of(
    ind(K.URL, "https://github.com/karma9874/AndroRAT", Role.DISTRIBUTION),
    ind(K.URL, "http://dl.example.net/get.php?id=7", Role.DISTRIBUTION),
    ind(K.DOMAIN, "c2.example.com", Role.C2),
    ind(K.IPV4, "203.0.113.9", Role.C2),
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/karma9874/AndroRAT", ["https://github.com/karma9874/AndroRAT"]),
        (
            "http://GitHub.com:443/karma9874/AndroRAT/#readme",
            ["https://github.com/karma9874/AndroRAT"],
        ),
        (
            "https://github.com/karma9874/AndroRAT/releases/download/v1/app.apk",
            ["https://github.com/karma9874/AndroRAT"],
        ),
        ("https://github.com/karma9874/AndroRATx", []),
        ("https://github.com/karma9874", []),
        ("https://dl.example.net/get.php?id=7", ["http://dl.example.net/get.php?id=7"]),
        ("https://dl.example.net/get.php?id=8", []),
        ("https://user:secret@api.c2.example.com:8443/upload", ["c2.example.com"]),
        ("http://203.0.113.9:8080/panel", ["203.0.113.9"]),
        ("not a url at all", []),
        ("http://[::1", []),
    ],
)
def test_url_matches_normalised_url_parent_paths_and_host(url: str, expected: list[str]) -> None:
    assert values(URLS.url(url)) == expected


# --- app identity -----------------------------------------------------------------------


SHA1 = "31A6ECECD97CF39BC4126B8745CD94A7C30BF81C"
SHA256 = "2F3BC9EBE8C249F0416F5B0367F34B4B8F6AAA7D351DC5B4912FE2558491B6B7"
CNAME_RE = r"^Kids\WSafety\W[0-9]{2}-[0-9]{2}-[0-9]{2,4}\W[0-9]{2}:[0-9]{2}:[0-9]{2}$"

IDENTITY = index_of(
    ind(K.PACKAGE, "com.thetruth"),
    ind(K.IOS_BUNDLE, "com.spyco.Agent"),
    ind(K.CERT_SHA1, SHA1),
    ind(K.CERT_SHA256, "AB" * 32),
    ind(K.CERT_ORG, "Tesline-Service SRL"),
    ind(K.CERT_CNAME_RE, CNAME_RE),
    ind(K.YARA, "rule spyco : stalkerware { condition: true }", name="spyco"),
    samples=(Sample(SHA256.lower(), "1TopSpy", SPY.id, "com.topspy"),),
)


def test_package_and_bundle_ids_match_in_any_case() -> None:
    assert values(IDENTITY.package("COM.TheTruth")) == ["com.thetruth"]
    assert values(IDENTITY.package("com.thetruth.extra")) == []
    assert values(IDENTITY.ios_bundle("com.spyco.agent")) == ["com.spyco.Agent"]


@pytest.mark.parametrize(
    "fingerprint", [SHA1, SHA1.lower(), ":".join(SHA1[i : i + 2] for i in range(0, 40, 2))]
)
def test_certificate_sha1_in_any_spelling(fingerprint: str) -> None:
    assert values(IDENTITY.cert(fingerprint)) == [SHA1]


def test_certificate_sha256_is_told_apart_by_length() -> None:
    assert values(IDENTITY.cert(":".join(["ab"] * 32))) == ["AB" * 32]
    assert IDENTITY.cert("AB" * 20) == ()


def test_a_known_sample_matches_by_file_hash_with_its_app_name() -> None:
    (match,) = IDENTITY.file_hash(SHA256.lower())
    assert match.family is SPY and match.indicator.name == "1TopSpy"
    assert match.kind is K.FILE_SHA256 and match.severity is Severity.CRITICAL
    assert IDENTITY.file_hash("0" * 64) == ()


def test_a_sample_also_listed_as_an_indicator_matches_once() -> None:
    index = index_of(
        ind(K.FILE_SHA256, SHA256), samples=(Sample(SHA256.lower(), "1TopSpy", SPY.id),)
    )
    assert len(index.file_hash(SHA256)) == 1


def test_certificate_subject_organisation_and_anchored_common_name() -> None:
    assert values(IDENTITY.cert_subject("tesline-service srl", None)) == ["Tesline-Service SRL"]
    assert values(IDENTITY.cert_subject(None, "Kids Safety 01-02-2020 10:11:12")) == [CNAME_RE]
    assert IDENTITY.cert_subject(None, "My Kids Safety 01-02-2020 10:11:12") == ()
    assert IDENTITY.cert_subject(None, None) == ()


def test_yara_rule_by_name() -> None:
    assert [m.indicator.name for m in IDENTITY.yara_rule("spyco")] == ["spyco"]
    assert IDENTITY.yara_rule("other") == ()


# --- feed handling ----------------------------------------------------------------------


def test_revoked_indicators_are_only_in_the_revoked_index() -> None:
    index = index_of(ind(K.DOMAIN, "old.example", Role.C2, status=Status.REVOKED))
    assert index.domain("old.example") == ()
    (match,) = index.revoked.domain("www.old.example")
    assert match.indicator.status is Status.REVOKED
    assert index.revoked.revoked.domain("old.example") == ()


def test_unusable_indicators_are_listed_with_a_reason_not_dropped() -> None:
    ghost = Indicator(K.DOMAIN, "ghost.example", family_id(FamilyType.STALKERWARE, "Ghost"))
    bad = [
        ind(K.CIDR, "10.0.0.0/33"),
        ind(K.CERT_CNAME_RE, "([unclosed"),
        ind(K.CERT_SHA1, "XYZ"),
        ind(K.DOMAIN, "10.0.0"),
    ]
    index = index_of(ghost, *bad, ind(K.DOMAIN, "ok.example", Role.C2))
    reasons = dict(index.skipped)
    assert set(reasons) == {ghost, *bad}
    assert "not in the feed" in reasons[ghost]
    assert "regular expression" in reasons[bad[1]]
    assert index.ip("10.0.0.0") == () and index.domain("1.10.0.0") == ()
    assert values(index.domain("ok.example")) == ["ok.example"]


# --- allow-list -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tinycheck_allow() -> AllowList:
    return AllowList.from_tinycheck((ASSETS / "tinycheck_whitelist.json").read_bytes())


def test_allow_list_covers_subdomains_and_networks(tinycheck_allow: AllowList) -> None:
    assert tinycheck_allow.contains_domain("celular007.s3.amazonaws.com")
    assert tinycheck_allow.contains_domain("WWW.GOOGLE.COM.")
    assert not tinycheck_allow.contains_domain("notgoogle.com")
    assert tinycheck_allow.contains_ip("192.168.1.20")
    assert tinycheck_allow.contains_ip("255.255.255.255")
    assert not tinycheck_allow.contains_ip("203.0.113.9")


def test_an_allow_listed_host_still_matches_its_indicator(tinycheck_allow: AllowList) -> None:
    # Real Echap C2 hosts live under amazonaws.com, which TinyCheck allows wholesale.
    host = "celular007.s3.amazonaws.com"
    index = index_of(ind(K.DOMAIN, host, Role.C2))
    assert tinycheck_allow.contains_domain(host)
    assert values(index.domain(host)) == [host]
    assert [name for name, _ in index.hostnames([host, "www.google.com"])] == [host]


@pytest.mark.parametrize(
    ("data", "location"),
    [
        (b"{not json", ""),
        (b'["elements"]', ""),
        (b'{"elements": [{"type": "domain"}]}', "elements[0]"),
        (b'{"elements": [{"type": "domain", "element": "a.example"}, "x"]}', "elements[1]"),
        (b'{"elements": [{"type": "cidr", "element": "10.0.0.0/99"}]}', "elements[0]"),
        (b'{"elements": [{"type": "regex", "element": ".*"}]}', "elements[0]"),
        (b"\xff\xfe", ""),
        (b"[" * 100_000, ""),
    ],
)
def test_a_broken_allow_list_is_a_plain_error(data: bytes, location: str) -> None:
    with pytest.raises(FeedFormatError) as caught:
        AllowList.from_tinycheck(data, source="mine.json")
    assert caught.value.source == "mine.json" and caught.value.location == location
