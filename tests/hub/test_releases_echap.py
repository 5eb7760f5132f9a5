"""The Echap layout of a release reads back, lint-clean, with every kind of indicator."""

from __future__ import annotations

from datetime import UTC, datetime

from unstalk.feed.formats.echap import parse_echap
from unstalk.feed.lint import lint_echap
from unstalk.feed.model import (
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    NoteLevel,
    Provenance,
    Role,
    Status,
)
from unstalk.hub.releases.echap_write import export_echap

SPY = FamilyId("stalkerware/spyapp")
WATCH = FamilyId("watchware/kidwatch")
RULE = (
    'rule SpyApp_strings\n{\n    strings:\n        $a = "spyapp-agent"\n'
    "    condition:\n        $a\n}"
)

K = IndicatorKind
INDICATORS = (
    Indicator(K.PACKAGE, "com.spyapp.agent", SPY),
    Indicator(K.IOS_BUNDLE, "com.spyapp.ios", SPY),
    Indicator(K.CERT_SHA1, "A" * 40, SPY),
    Indicator(K.CERT_SHA256, "B" * 64, SPY),
    Indicator(K.CERT_ORG, "SpyApp Ltd", SPY),
    Indicator(K.CERT_CNAME_RE, "^SpyApp.*$", SPY),
    Indicator(K.FILE_SHA256, "C" * 64, SPY),
    Indicator(K.DOMAIN, "c2.spyapp.example", SPY, role=Role.C2),
    Indicator(K.DOMAIN, "spyapp.example", SPY, role=Role.WEBSITE),
    Indicator(K.URL, "https://dl.spyapp.example/app.apk", SPY, role=Role.DISTRIBUTION),
    Indicator(K.IPV4, "192.0.2.10", SPY, role=Role.C2),
    Indicator(K.IPV6, "2001:db8::10", SPY, role=Role.C2),
    Indicator(K.YARA, RULE, SPY, name="SpyApp_strings"),
    Indicator(K.PACKAGE, "com.kidwatch.app", WATCH),
)


def _feed() -> Feed:
    families = (
        Family(SPY, "SpyApp", FamilyType.STALKERWARE, aliases=("Spy App Pro",)),
        Family(WATCH, "KidWatch", FamilyType.WATCHWARE),
    )
    revoked = Indicator(K.PACKAGE, "com.spyapp.old", SPY, status=Status.REVOKED)
    when = datetime(2026, 3, 1, tzinfo=UTC)
    return Feed(families, (*INDICATORS, revoked), provenance=Provenance("hub", "test", None, when))


def test_every_kind_survives_the_round_trip_and_lint_finds_no_error() -> None:
    files, left_out = export_echap(_feed())
    assert left_out == []
    errors = [n for n in lint_echap(files) if n.level is NoteLevel.ERROR]
    assert errors == []
    back = parse_echap(files, source="release")
    names = {f.id: f.name for f in back.families}
    got = {(i.kind, i.value.strip(), names[i.family], i.role) for i in back.indicators}
    want = {
        (i.kind, i.value, "SpyApp" if i.family == SPY else "KidWatch", i.role) for i in INDICATORS
    }
    assert got == want
    spy = next(f for f in back.families if f.name == "SpyApp")
    assert spy.aliases == ("Spy App Pro",) and spy.type is FamilyType.STALKERWARE
    assert next(f for f in back.families if f.name == "KidWatch").type is FamilyType.WATCHWARE
    assert b"com.spyapp.old" not in b"".join(files.values())


def test_an_empty_feed_still_makes_files_the_loader_reads() -> None:
    files, _ = export_echap(Feed((), ()))
    assert parse_echap(files, source="release").families == ()


def test_same_names_merge_and_what_echap_cannot_hold_is_left_out() -> None:
    other = FamilyId("stalkerware/spyapp-2")
    families = (
        Family(SPY, "SpyApp", FamilyType.STALKERWARE, aliases=("Spy",)),
        Family(other, "SPYAPP", FamilyType.STALKERWARE, aliases=("Spy", "SpyApp")),
    )
    indicators = (
        Indicator(K.PACKAGE, "com.spyapp.one", SPY),
        Indicator(K.PACKAGE, "com.spyapp.two", other),
        Indicator(K.PACKAGE, "not a package", other),
        Indicator(K.URL, "https://c2.spyapp.example/up", SPY, role=Role.C2),
        Indicator(K.CIDR, "192.0.2.0/24", SPY, role=Role.C2),
    )
    files, left_out = export_echap(Feed(families, indicators))
    assert [n for n in lint_echap(files) if n.level is NoteLevel.ERROR] == []
    back = parse_echap(files, source="release")
    assert [f.name for f in back.families] == ["SpyApp"]
    assert back.families[0].aliases == ("Spy",)
    assert {i.value for i in back.indicators} == {"com.spyapp.one", "com.spyapp.two"}
    assert left_out == ["not a package"]
