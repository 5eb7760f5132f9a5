"""STIX 2.1: MVT's and Echap's bundles in, bundles that MVT and STIX tools read out."""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
from dataclasses import replace
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import cast

import pytest
import stix2
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.feed.sample_feeds import SPY, facts, representative_feed
from unstalk.errors import FeedFormatError
from unstalk.feed.formats.stix import (
    CUSTOM_INDICATOR_TYPE,
    TLP1_MARKING_IDS,
    TLP2_MARKING_IDS,
    export_stix,
    parse_stix,
)
from unstalk.feed.model import (
    TLP,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    NoteLevel,
    Role,
    Status,
)

ASSETS = Path(__file__).parent / "assets" / "stix"
Obj = dict[str, object]


def _objects(data: bytes) -> list[Obj]:
    return cast(list[Obj], json.loads(data)["objects"])


def _by_pattern(data: bytes) -> dict[str, Obj]:
    return {str(o["pattern"]): o for o in _objects(data) if "pattern" in o}


def _bundle(*objects: Obj) -> bytes:
    return json.dumps({"type": "bundle", "id": "bundle--1", "objects": list(objects)}).encode()


def _malware(name: str = "Sample", **extra: object) -> Obj:
    return {"type": "malware", "id": "malware--m", "name": name, "is_family": True, **extra}


def _indicator(pattern: str, oid: str = "indicator--i", **extra: object) -> Obj:
    return {"type": "indicator", "id": oid, "pattern": pattern, "pattern_type": "stix", **extra}


def _indicates(source: str = "indicator--i", target: str = "malware--m") -> Obj:
    return {
        "type": "relationship",
        "id": f"relationship--{source}",
        "relationship_type": "indicates",
        "source_ref": source,
        "target_ref": target,
    }


# --- export ----------------------------------------------------------------------------------


def test_every_exported_object_validates_with_stix2() -> None:
    data = export_stix(representative_feed())
    bundle = stix2.parse(data.decode(), allow_custom=True)
    checked = 0
    for obj in bundle.objects:
        if isinstance(obj, dict):
            # Our MVT-hidden indicators must be valid indicators in all but their type name.
            assert obj["type"] == CUSTOM_INDICATOR_TYPE
            twin = {
                **obj,
                "type": "indicator",
                "id": obj["id"].replace(CUSTOM_INDICATOR_TYPE, "indicator"),
            }
            stix2.v21.Indicator(**twin, allow_custom=True)
        checked += 1
    assert checked == len(_objects(data))
    assert {type(o).__name__ for o in bundle.objects} >= {
        "Identity",
        "MarkingDefinition",
        "Malware",
        "Indicator",
        "Relationship",
    }


def test_export_is_byte_identical_across_runs() -> None:
    assert export_stix(representative_feed()) == export_stix(representative_feed())


def test_ids_do_not_change_with_time_or_unrelated_edits() -> None:
    feed = representative_feed()
    before = {str(o["id"]) for o in _objects(export_stix(feed))}
    extra = Indicator(IndicatorKind.DOMAIN, "new.examplespy.com", SPY.id, Role.C2)
    edited = replace(feed, indicators=(*feed.indicators[1:], extra))
    after = {str(o["id"]) for o in _objects(export_stix(edited, created=datetime(2030, 1, 1)))}
    lost = before - after
    # Only the dropped indicator and its relationship are gone; every other id is unchanged.
    assert sorted(i.split("--")[0] for i in lost) == ["indicator", "relationship"]
    assert len(after - before) == 2


def test_timestamps_come_from_the_argument_or_the_feed_never_the_clock() -> None:
    feed = representative_feed()
    by_feed = _objects(export_stix(feed))[0]
    assert by_feed["created"] == "2026-06-21T08:30:00.000Z"
    given_time = _objects(export_stix(feed, created=datetime(2025, 1, 2, 3, 4, 5, 678000)))[0]
    assert given_time["modified"] == "2025-01-02T03:04:05.678Z"
    unknown = _objects(export_stix(replace(feed, provenance=None)))[0]
    assert unknown["created"] == "1970-01-01T00:00:00.000Z"


def test_a_local_path_does_not_leak_into_the_export() -> None:
    feed = representative_feed()
    assert feed.provenance is not None
    local = replace(feed.provenance, source="/home/alice/feeds/echap")
    assert b"alice" not in export_stix(replace(feed, provenance=local))


def test_round_trip_keeps_families_and_indicator_facts() -> None:
    feed = representative_feed()
    back = parse_stix(export_stix(feed), source="round-trip.stix2")
    assert facts(back) == facts(feed)
    assert {(f.id, f.name, f.type, f.aliases, f.implied) for f in back.families} == {
        (f.id, f.name, f.type, f.aliases, f.implied) for f in feed.families
    }
    spy = back.family(SPY.id)
    assert (spy.platforms, spy.websites, spy.vendor_ref) == (
        SPY.platforms,
        SPY.websites,
        SPY.vendor_ref,
    )
    assert [i.name for i in back.indicators if i.kind is IndicatorKind.YARA] == ["examplespy"]
    assert back.notes == ()


def test_mvt_sees_only_what_it_can_read_and_should_alert_on() -> None:
    objects = _by_pattern(export_stix(representative_feed()))
    standard = {p for p, o in objects.items() if o["type"] == "indicator"}
    assert {
        "[app:id='com.examplespy.system']",
        "[app:cert.sha1='CA5304E94F4BC97DA9D147E76858DBF70AB8B4E6']",
        f"[app:cert.sha256='{'AB' * 32}']",
        f"[file:hashes.sha256='{'EF' * 32}']",
        "[domain-name:value='protocol-a1.examplespy.com']",
        "[ipv4-addr:value='192.0.2.1']",
        "[ipv6-addr:value='2001:db8::1']",
        "[ipv4-addr:value='198.51.100.0/24']",
        "[app:x_unstalk_ios_bundle_id='com.examplespy.ios']",
        "[app:cert.x_unstalk_organization='Example Service SRL']",
    } <= standard
    # MVT splits every indicator pattern at '=' and gives up on the file otherwise.
    assert all(p.count("=") == 1 for p in standard)
    hidden = {p for p, o in objects.items() if o["type"] == CUSTOM_INDICATOR_TYPE}
    assert f"[file:hashes.sha256='{'CD' * 32}']" in hidden  # revoked
    assert "[app:id='com.kidwatch.parent']" in hidden  # watchware is never stalkerware
    assert "[url:value='https://examplespy.com/download?id=1']" in hidden  # '=' in the value
    assert "[url:value='https://examplespy.com/it\\'s-here']" in hidden  # MVT keeps the escape
    assert any(o["pattern_type"] == "yara" for o in objects.values() if o["type"] != "indicator")


def test_an_indicator_of_an_unlisted_family_gets_an_implied_malware_object() -> None:
    feed = representative_feed()
    lost = Indicator(IndicatorKind.PACKAGE, "com.lost", FamilyId("watchware/lost-app"))
    data = export_stix(replace(feed, indicators=(*feed.indicators, lost)))
    malware = [o for o in _objects(data) if o.get("x_unstalk_family_id") == "watchware/lost-app"]
    assert [(m["name"], m["x_unstalk_implied"], m["labels"]) for m in malware] == [
        ("lost-app", True, ["watchware"])
    ]


def test_tlp_markings_use_the_official_tlp2_definitions() -> None:
    data = export_stix(representative_feed())
    objects = _by_pattern(data)
    assert objects["[ipv4-addr:value='192.0.2.1']"]["object_marking_refs"] == [
        TLP2_MARKING_IDS[TLP.RED]
    ]
    definitions = {str(o["id"]): o for o in _objects(data) if o["type"] == "marking-definition"}
    assert set(definitions) == set(TLP2_MARKING_IDS.values())
    red = definitions[TLP2_MARKING_IDS[TLP.RED]]
    assert red["name"] == "TLP:RED"
    assert red["created"] == "2022-10-01T00:00:00.000Z"


def test_revoked_and_roles_are_written_as_properties() -> None:
    objects = _by_pattern(export_stix(representative_feed()))
    revoked = objects["[domain-name:value='old.examplespy.com']"]
    assert revoked["revoked"] is True
    assert objects["[domain-name:value='xn--tlcharger-b4ab.example']"]["x_unstalk_role"] == (
        "distribution"
    )


@pytest.mark.oracle
def test_stix2_validator_finds_only_mvts_app_id_path() -> None:
    validator = pytest.importorskip(
        "stix2validator", reason="pip package stix2-validator is not installed"
    )
    results = validator.validate_string(export_stix(representative_feed()).decode())
    errors = [str(e) for e in results.errors]
    # MVT's [app:id=...] breaks the 3-character minimum of STIX property names; MVT needs it.
    assert errors
    assert all("'id' is not a valid observable property name" in e for e in errors)
    assert len(errors) == 1


@pytest.mark.oracle
def test_mvt_loads_the_export_and_alerts_only_on_active_stalkerware(tmp_path: Path) -> None:
    mvt_indicators = pytest.importorskip(
        "mvt.common.indicators", reason="MVT (the bench extra) is not installed"
    )
    path = tmp_path / "unstalk.stix2"
    path.write_bytes(export_stix(representative_feed()))
    mvt = mvt_indicators.Indicators(log=logging.getLogger("mvt"))
    mvt.parse_stix2(str(path))
    assert mvt.check_app_id("com.examplespy.system") is not None
    assert mvt.check_domain("https://protocol-a1.examplespy.com/upload") is not None
    assert mvt.check_app_id("com.kidwatch.parent") is None
    loaded = {
        str(value)
        for collection in mvt.ioc_collections
        for values in collection.values()
        if isinstance(values, list)
        for value in values
    }
    assert "CA5304E94F4BC97DA9D147E76858DBF70AB8B4E6" in loaded
    assert "CD" * 32 not in loaded  # revoked


# --- reading peers' bundles ------------------------------------------------------------------


def test_reads_a_bundle_in_mvts_layout() -> None:
    feed = parse_stix((ASSETS / "mvt_layout.stix2").read_bytes(), source="mvt_layout.stix2")
    assert {(f.name, f.implied) for f in feed.families} == {
        ("ExampleSpy", False),
        ("LooseSpy", True),
    }
    assert facts(feed) == {
        ("domain", "example.org", "stalkerware/examplespy", "c2", TLP.CLEAR, Status.ACTIVE),
        ("ipv4", "198.51.100.1", "stalkerware/examplespy", "c2", TLP.CLEAR, Status.ACTIVE),
        (
            "url",
            "http://example.com/thisisbad",
            "stalkerware/examplespy",
            "c2",
            TLP.CLEAR,
            Status.ACTIVE,
        ),
        (
            "file_sha256",
            "5F0B2A7E3C1D9E8F7A6B5C4D3E2F1A0B9C8D7E6F5A4B3C2D1E0F9A8B7C6D5E4F",
            "stalkerware/examplespy",
            None,
            TLP.CLEAR,
            Status.ACTIVE,
        ),
        ("package", "com.example.spy", "stalkerware/examplespy", None, TLP.CLEAR, Status.ACTIVE),
        (
            "cert_sha1",
            "AB12CD34EF56AB12CD34EF56AB12CD34EF56AB12",
            "stalkerware/examplespy",
            None,
            TLP.CLEAR,
            Status.ACTIVE,
        ),
        ("domain", "loose.example.net", "stalkerware/loosespy", "c2", TLP.CLEAR, Status.ACTIVE),
    }
    unsupported = [v for n in feed.notes if n.code == "unsupported-pattern" for v in n.values]
    assert sorted(unsupported) == [
        "[android-property:name='sys.examplespy']",
        "[email-addr:value='spy@example.org']",
        "[file:hashes.sha1='0a1b2c3d4e5f60718293a4b5c6d7e8f901234567']",
        "[process:name='Launch']",
    ]
    assert [n.values for n in feed.notes if n.code == "no-family"] == [
        ("indicator--1a1e0a6e-0011-4a2b-9c3d-000000000011",)
    ]


def test_reads_echaps_generated_bundle_despite_its_duplicates() -> None:
    feed = parse_stix((ASSETS / "echap_layout.stix2").read_bytes(), source="echap.stix2")
    assert [(f.id, f.type) for f in feed.families] == [
        ("stalkerware/examplespy", FamilyType.STALKERWARE)
    ]
    assert sorted((i.kind.value, i.value) for i in feed.indicators) == [
        ("cert_sha1", "3A1F0B2C4D5E6F708192A3B4C5D6E7F809102030"),
        ("domain", "examplespy.com"),
        ("domain", "webservice.examplespy.com"),
        ("file_sha256", "B1ADD35A54B77CE30742D18398D9F79B8FFB49E3D39F846381EEA3624DB598D8"),
        ("package", "com.examplespy.system"),
    ]
    assert feed.notes == ()
    assert feed.provenance is not None and feed.provenance.format == "stix2"


@pytest.mark.parametrize(
    ("pattern", "kind", "value"),
    [
        ("[file:hashes.'SHA-256' = 'ab" + "0" * 62 + "']", "file_sha256", "AB" + "0" * 62),
        ("[file:hashes.SHA256='ab" + "0" * 62 + "']", "file_sha256", "AB" + "0" * 62),
        ("[app:cert.'SHA-1' = 'aa:bb" + "0" * 36 + "']", "cert_sha1", "AABB" + "0" * 36),
        ("[app:cert.'SHA-256' = '" + "1" * 64 + "']", "cert_sha256", "1" * 64),
        ("  [ domain-name:value  =  'WWW.Example.COM.' ]  ", "domain", "www.example.com"),
        ("[domain-name:value = 'bücher.example']", "domain", "xn--bcher-kva.example"),
        ("[ipv6-addr:value = '2001:DB8::1']", "ipv6", "2001:db8::1"),
        ("[ipv4-addr:value = '203.0.113.0/24']", "cidr", "203.0.113.0/24"),
        ("[ipv6-addr:value = '2001:db8::/32']", "cidr", "2001:db8::/32"),
        ("[url:value = 'https://example.com/a\\'b']", "url", "https://example.com/a'b"),
        ("[app:x_unstalk_ios_bundle_id = 'com.example.ios']", "ios_bundle", "com.example.ios"),
        ("[app:cert.x_unstalk_subject_cn MATCHES '^a\\\\Wb$']", "cert_cname_re", "^a\\Wb$"),
    ],
)
def test_reads_spec_spellings_and_whitespace(pattern: str, kind: str, value: str) -> None:
    feed = parse_stix(_bundle(_malware(), _indicator(pattern), _indicates()), source="t")
    assert [(i.kind.value, i.value) for i in feed.indicators] == [(kind, value)]
    assert feed.notes == ()


@pytest.mark.parametrize(
    "pattern",
    [
        "[domain-name:value = 'a.example' OR domain-name:value = 'b.example']",
        "[domain-name:value = 'a.example' AND url:value = 'http://a.example/']",
        "[domain-name:value = 'a.example'] AND [url:value = 'http://b.example/']",
        "[domain-name:value = 'a.example'] WITHIN 300 SECONDS",
        "[domain-name:value MATCHES '^evil']",
        "[domain-name:value LIKE '%.example']",
        "[domain-name:value != 'a.example']",
        "[x509-certificate:subject = 'CN=a']",
        "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
        "[domain-name:value = '']",
        "not a pattern at all",
    ],
)
def test_patterns_we_cannot_read_become_notes(pattern: str) -> None:
    feed = parse_stix(_bundle(_malware(), _indicator(pattern), _indicates()), source="t")
    assert feed.indicators == ()
    assert [(n.code, n.level, n.values) for n in feed.notes] == [
        ("unsupported-pattern", NoteLevel.WARNING, (pattern,))
    ]


def test_reads_yara_and_skips_other_pattern_languages_with_a_note() -> None:
    rule = "rule found_it { condition: true }"
    yara = _indicator(rule, "indicator--y", pattern_type="yara")
    sigma = _indicator("title: x", "indicator--s", pattern_type="sigma")
    feed = parse_stix(
        _bundle(_malware(), yara, sigma, _indicates("indicator--y"), _indicates("indicator--s")),
        source="t",
    )
    assert [(i.kind, i.value, i.name) for i in feed.indicators] == [
        (IndicatorKind.YARA, rule, "found_it")
    ]
    assert [n.values for n in feed.notes] == [("title: x",)]


@pytest.mark.parametrize(
    ("markings", "tlp"),
    [
        ([TLP1_MARKING_IDS[TLP.CLEAR]], TLP.CLEAR),
        ([TLP1_MARKING_IDS[TLP.AMBER]], TLP.AMBER),
        ([TLP2_MARKING_IDS[TLP.AMBER_STRICT]], TLP.AMBER_STRICT),
        ([TLP1_MARKING_IDS[TLP.GREEN], TLP2_MARKING_IDS[TLP.RED]], TLP.RED),
        (["marking-definition--local-green"], TLP.GREEN),
        (["marking-definition--local-amber2"], TLP.AMBER),
        (["marking-definition--unknown"], TLP.CLEAR),
        ([], TLP.CLEAR),
    ],
)
def test_tlp_from_tlp1_and_tlp2_markings(markings: list[str], tlp: TLP) -> None:
    local: list[Obj] = [
        {
            "type": "marking-definition",
            "id": "marking-definition--local-green",
            "definition_type": "tlp",
            "definition": {"tlp": "green"},
        },
        {
            "type": "marking-definition",
            "id": "marking-definition--local-amber2",
            "name": "TLP:AMBER",
            "extensions": {
                "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                    "extension_type": "property-extension",
                    "tlp_2_0": "amber",
                }
            },
        },
    ]
    pattern = _indicator("[domain-name:value='a.example']", object_marking_refs=markings)
    feed = parse_stix(_bundle(*local, _malware(), pattern, _indicates()), source="t")
    assert [i.tlp for i in feed.indicators] == [tlp]


def test_reads_revocation_family_type_aliases_and_our_role() -> None:
    malware = _malware("KidWatch", labels=["watchware"], aliases=["KidWatch", "KW"])
    indicator = _indicator(
        "[domain-name:value='kw.example']", revoked=True, x_unstalk_role="website"
    )
    feed = parse_stix(_bundle(malware, indicator, _indicates()), source="t")
    (family,) = feed.families
    assert (family.id, family.type, family.aliases) == (
        "watchware/kidwatch",
        FamilyType.WATCHWARE,
        ("KW",),
    )
    (found,) = feed.indicators
    assert (found.status, found.role) == (Status.REVOKED, Role.WEBSITE)


def test_one_indicator_indicating_two_families_belongs_to_both() -> None:
    second = {**_malware("Other"), "id": "malware--n"}
    feed = parse_stix(
        _bundle(
            _malware(),
            second,
            _indicator("[app:id='com.shared']"),
            _indicates(),
            {**_indicates(target="malware--n"), "id": "relationship--2"},
        ),
        source="t",
    )
    assert sorted(i.family for i in feed.indicators) == ["stalkerware/other", "stalkerware/sample"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{not json",
        b'{"type": "bundle", "objects": [',
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"type": "indicator", "pattern": "[a:b=\'c\']"}',
        b'{"type": "bundle", "objects": {"a": 1}}',
        pytest.param(b"[" * 100_000, id="deeply-nested"),
    ],
)
def test_malformed_input_is_a_feed_format_error(data: bytes) -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse_stix(data, source="broken.stix2")
    assert "broken.stix2" in caught.value.diagnostics()


def test_junk_objects_inside_a_bundle_are_skipped() -> None:
    junk: list[object] = [
        1,
        "x",
        None,
        {"type": "indicator"},
        {"type": "indicator", "id": "indicator--p", "pattern": 5},
        {"type": "malware", "id": "malware--x", "name": ["not", "text"]},
        {"type": "relationship", "id": "relationship--x", "relationship_type": "indicates"},
    ]
    data = json.dumps({"type": "bundle", "objects": junk}).encode()
    feed = parse_stix(data, source="t")
    assert feed.indicators == ()
    assert [(n.code, n.values) for n in feed.notes] == [
        ("unsupported-pattern", ("objects[0]", "indicator--p"))
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_json_gives_a_feed_or_a_feed_format_error(doc: object) -> None:
    bundle = {
        "type": "bundle",
        "objects": [doc, {"type": "indicator", "id": "indicator--z", "pattern": doc}],
    }
    for data in (json.dumps(doc).encode(), json.dumps(bundle).encode()):
        with contextlib.suppress(FeedFormatError):
            parse_stix(data, source="fuzz")


def test_bundled_echap_feed_survives_export_and_parse() -> None:
    echap = importlib.import_module("unstalk.feed.formats.echap")
    load = getattr(echap, "load_echap_dir", None)
    if load is None:
        pytest.skip("the Echap loader (load_echap_dir) is not available yet")
    feed = cast(Feed, load(files("unstalk.feed") / "data" / "echap"))
    data = export_stix(feed)
    back = parse_stix(data, source="echap.stix2")
    assert facts(back) == facts(feed)
    assert {(f.id, f.name, f.type, f.aliases) for f in back.families} == {
        (f.id, f.name, f.type, f.aliases) for f in feed.families
    }
    assert export_stix(feed) == data
