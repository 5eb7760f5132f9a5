"""Recognising what a person typed into ``unstalk feed match``, and looking it up every way."""

from __future__ import annotations

import pytest

from unstalk.feed.detect import detect_kinds, lookup, parse_ip, url_parts
from unstalk.feed.index import FeedIndex
from unstalk.feed.model import (
    Family,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    Role,
    Sample,
    family_id,
)

K = IndicatorKind
SHA1 = "31A6ECECD97CF39BC4126B8745CD94A7C30BF81C"
SHA256 = "2F3BC9EBE8C249F0416F5B0367F34B4B8F6AAA7D351DC5B4912FE2558491B6B7"


def colons(hex_digits: str) -> str:
    return ":".join(hex_digits[i : i + 2] for i in range(0, len(hex_digits), 2))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://user:secret@Example.com:8443/panel?x=1", (K.URL,)),
        ("hxxp://example.com/", (K.URL,)),
        ("example.com:8080", (K.URL,)),
        ("example.com/download/app.apk", (K.URL,)),
        ("[2001:db8::1]:443", (K.URL,)),
        ("203.0.113.9:80", (K.URL,)),
        ("203.0.113.9", (K.IPV4,)),
        (" 203.0.113.9\n", (K.IPV4,)),
        ("::ffff:203.0.113.9", (K.IPV4,)),
        ("2001:DB8:0:0::1", (K.IPV6,)),
        ("[2001:db8::1]", (K.IPV6,)),
        ("fe80::1%wlan0", (K.IPV6,)),
        ("[fe80::1%25wlan0]", (K.IPV6,)),
        ("10.0.0.0/8", (K.CIDR,)),
        ("2001:db8::/32", (K.CIDR,)),
        (SHA256.lower(), (K.FILE_SHA256, K.CERT_SHA256)),
        (colons(SHA256), (K.CERT_SHA256, K.FILE_SHA256)),
        (SHA1, (K.CERT_SHA1,)),
        (colons(SHA1), (K.CERT_SHA1,)),
        (colons(SHA1).lower(), (K.CERT_SHA1,)),
        ("d41d8cd98f00b204e9800998ecf8427e", ()),
        ("com.example.app", (K.PACKAGE, K.IOS_BUNDLE, K.DOMAIN)),
        ("de.spyco.agent", (K.PACKAGE, K.IOS_BUNDLE, K.DOMAIN)),
        ("api.example.com", (K.DOMAIN, K.PACKAGE, K.IOS_BUNDLE)),
        ("app.1topspy.com", (K.DOMAIN, K.IOS_BUNDLE)),
        ("com.my_app.agent", (K.PACKAGE,)),
        ("com.my-company.agent", (K.IOS_BUNDLE, K.DOMAIN)),
        ("api.example.com.", (K.DOMAIN,)),
        ("API.EXAMPLE.COM.", (K.DOMAIN,)),
        ("bücher.example", (K.DOMAIN,)),
        ("xn--bcher-kva.example", (K.DOMAIN, K.IOS_BUNDLE)),
        ("Tesline-Service SRL", (K.CERT_ORG, K.CERT_CNAME_RE)),
        ("mspy", (K.CERT_ORG, K.CERT_CNAME_RE, K.YARA)),
        ("", ()),
        ("   ", ()),
    ],
)
def test_detect_kinds(value: str, expected: tuple[IndicatorKind, ...]) -> None:
    assert detect_kinds(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("192.0.2.1 ", "192.0.2.1"),
        ("192.0.2", None),
        ("example.com", None),
    ],
)
def test_parse_ip_reads_every_spelling_of_one_address(text: str, expected: str | None) -> None:
    address = parse_ip(text)
    assert (address.compressed if address else None) == expected


def test_url_keys_ignore_what_does_not_change_the_resource() -> None:
    spellings = [
        "https://Example.COM/a/b/",
        "http://user:pw@example.com:443/a/b#frag",
        "example.com:80/a/b",
        "//example.com/a/b",
    ]
    assert {url_parts(s) for s in spellings} == {
        ("example.com", ("example.com/a/b", "example.com/a", "example.com/"))
    }
    assert url_parts("https://[2001:db8::1]:8443/x?q=1") == (
        "2001:db8::1",
        ("[2001:db8::1]:8443/x?q=1", "[2001:db8::1]:8443/x", "[2001:db8::1]:8443/"),
    )
    assert url_parts("https:///nohost") is None
    assert url_parts("http://example.com:99999/") is None


SPY = Family(family_id(FamilyType.STALKERWARE, "SpyCo"), "SpyCo", FamilyType.STALKERWARE)
OTHER = Family(family_id(FamilyType.STALKERWARE, "Other"), "Other", FamilyType.STALKERWARE)


def _ind(
    kind: IndicatorKind, value: str, family: Family = SPY, role: Role | None = None
) -> Indicator:
    return Indicator(kind, value, family.id, role, "test")


INDEX = FeedIndex.build(
    Feed(
        (SPY, OTHER),
        (
            _ind(K.PACKAGE, "com.spyco.agent"),
            _ind(K.DOMAIN, "spyco.agent", OTHER, Role.C2),
            _ind(K.DOMAIN, "c2.spyco.example", role=Role.C2),
            _ind(K.IPV6, "2001:db8::7", role=Role.C2),
            _ind(K.CIDR, "198.51.100.0/24", role=Role.C2),
            _ind(K.CERT_SHA1, SHA1),
            _ind(K.CERT_SHA256, SHA256),
            _ind(K.CERT_ORG, "Tesline-Service SRL"),
            _ind(K.URL, "https://github.com/karma9874/AndroRAT", role=Role.DISTRIBUTION),
        ),
        (Sample(SHA256.lower(), "SpyCo", OTHER.id),),
    )
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("com.spyco.agent", ["com.spyco.agent", "spyco.agent"]),
        ("COM.SPYCO.AGENT.", ["spyco.agent"]),
        ("https://admin:pw@C2.SpyCo.Example:8443/upload", ["c2.spyco.example"]),
        ("phone.c2.spyco.example", ["c2.spyco.example"]),
        ("[2001:DB8:0::7]", ["2001:db8::7"]),
        ("2001:db8::7%wlan0", ["2001:db8::7"]),
        ("198.51.100.42", ["198.51.100.0/24"]),
        ("198.51.100.128/25", ["198.51.100.0/24"]),
        (colons(SHA1).lower(), [SHA1]),
        ("tesline-service srl", ["Tesline-Service SRL"]),
        (
            "github.com/karma9874/AndroRAT/archive/main.zip",
            ["https://github.com/karma9874/AndroRAT"],
        ),
        ("nothing.example", []),
        ("", []),
    ],
)
def test_lookup_tries_every_candidate_kind(value: str, expected: list[str]) -> None:
    assert [m.indicator.value for m in lookup(INDEX, value)] == expected


def test_a_sha256_is_looked_up_as_file_and_as_certificate() -> None:
    matches = lookup(INDEX, SHA256.lower())
    assert [(m.kind, m.family.id) for m in matches] == [
        (K.FILE_SHA256, OTHER.id),
        (K.CERT_SHA256, SPY.id),
    ]
    assert [m.kind for m in lookup(INDEX, colons(SHA256))] == [K.CERT_SHA256, K.FILE_SHA256]


def test_lookup_reports_each_indicator_once_with_the_value_as_typed() -> None:
    matches = lookup(INDEX, " com.spyco.agent ")
    assert len({m.indicator for m in matches}) == len(matches) == 2
    assert {m.observed for m in matches} == {"com.spyco.agent"}


def test_hex_with_trailing_newline_is_not_a_certificate() -> None:
    from unstalk.feed.detect import hex_digest

    assert hex_digest("A" * 39 + "\n:", 40) is None
