"""The Echap loader on the bundled feed and on small crafted feeds.

Counts on the bundled feed are computed here straight from the raw files with PyYAML and
the csv module, independently of the loader, so a loader that drops or invents values fails.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.resources import files as resource_files
from pathlib import Path
from typing import Any

import pytest
import yaml
import yara

from unstalk.errors import FeedFormatError
from unstalk.feed.formats import _common
from unstalk.feed.formats.echap import ECHAP_FILES, load_echap_dir, parse_echap
from unstalk.feed.model import (
    FamilyId,
    FamilyType,
    Feed,
    IndicatorKind,
    Note,
    NoteLevel,
    Platform,
    Role,
)

BUNDLED = resource_files("unstalk.feed") / "data" / "echap"
IP_KINDS = (IndicatorKind.IPV4, IndicatorKind.IPV6, IndicatorKind.CIDR)


@pytest.fixture(scope="module")
def raw() -> dict[str, bytes]:
    return {name: (BUNDLED / name).read_bytes() for name in ECHAP_FILES}


@pytest.fixture(scope="module")
def feed(raw: dict[str, bytes]) -> Feed:
    return parse_echap(raw, source="bundled", version="a04c5c1")


@pytest.fixture(scope="module")
def apps(raw: dict[str, bytes]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in ("ioc.yaml", "watchware.yaml"):
        out += yaml.load(raw[name], Loader=yaml.BaseLoader)
    return out


def raw_list(apps: list[dict[str, Any]], key: str) -> set[str]:
    return {value for app in apps for value in app.get(key, [])}


def raw_c2(apps: list[dict[str, Any]], *keys: str) -> set[str]:
    return {value for app in apps for key in keys for value in app.get("c2", {}).get(key, [])}


def indicator_values(feed: Feed, kinds: tuple[IndicatorKind, ...], role: Role | None) -> set[str]:
    return {i.value for i in feed.indicators if i.kind in kinds and i.role is role}


def notes(feed: Feed, code: str) -> list[Note]:
    return [n for n in feed.notes if n.code == code]


def parse(**files: str | bytes) -> Feed:
    data = {k.replace("_", "."): v.encode() if isinstance(v, str) else v for k, v in files.items()}
    return parse_echap(data, source="test")


def family_of(feed: Feed, kind: IndicatorKind, value: str) -> list[FamilyId]:
    return [i.family for i in feed.indicators if i.kind is kind and i.value == value]


# The bundled feed ---------------------------------------------------------------------------


def test_bundled_feed_lists_147_stalkerware_and_27_watchware_apps(feed: Feed) -> None:
    listed = list(feed.listed_families())
    assert sum(f.type is FamilyType.STALKERWARE for f in listed) == 147
    assert sum(f.type is FamilyType.WATCHWARE for f in listed) == 27


def test_every_package_and_certificate_of_the_yaml_files_is_an_indicator(
    feed: Feed, apps: list[dict[str, Any]]
) -> None:
    packages = indicator_values(feed, (IndicatorKind.PACKAGE,), None)
    assert packages == raw_list(apps, "packages")
    certs = indicator_values(feed, (IndicatorKind.CERT_SHA1, IndicatorKind.CERT_SHA256), None)
    assert certs == raw_list(apps, "certificates")
    assert indicator_values(feed, (IndicatorKind.IOS_BUNDLE,), None) == raw_list(
        apps, "ios_bundles"
    )


def test_every_website_c2_domain_and_c2_ip_is_an_indicator(
    feed: Feed, apps: list[dict[str, Any]]
) -> None:
    websites = indicator_values(feed, (IndicatorKind.DOMAIN, IndicatorKind.URL), Role.WEBSITE)
    assert websites == raw_list(apps, "websites")
    assert indicator_values(feed, (IndicatorKind.DOMAIN,), Role.C2) == raw_c2(apps, "domains")
    c2_ips = raw_c2(apps, "ips", "ip")
    assert indicator_values(feed, IP_KINDS, Role.C2) == c2_ips
    assert {"72.167.46.196", "5.79.71.114", "85.10.199.40"} <= c2_ips  # the `c2: ip` ones


def test_distribution_urls_stay_urls(feed: Feed) -> None:
    urls = indicator_values(feed, (IndicatorKind.URL,), Role.DISTRIBUTION)
    assert "https://github.com/karma9874/AndroRAT" in urls
    assert "github.com" not in indicator_values(feed, (IndicatorKind.DOMAIN,), Role.DISTRIBUTION)


def test_all_3228_samples_come_through_with_their_hashes(feed: Feed, raw: dict[str, bytes]) -> None:
    rows = list(csv.reader(io.StringIO(raw["samples.csv"].decode())))[1:]
    assert len(rows) == len(feed.samples) == 3228
    assert len({s.sha256 for s in feed.samples}) == 3228
    hashes = indicator_values(feed, (IndicatorKind.FILE_SHA256,), None)
    assert hashes == {row[0].upper() for row in rows}
    assert all(s.family is not None for s in feed.samples)
    assert sum(s.cert_sha1 is None for s in feed.samples) == sum(not r[2] for r in rows)
    assert sum(s.version is None for s in feed.samples) == sum(not r[3] for r in rows)


def test_samples_attach_to_the_family_that_lists_their_app_name_or_alias(feed: Feed) -> None:
    by_app = {s.app: s.family for s in feed.samples}
    assert by_app["mSpy"] == "stalkerware/mspy"
    assert by_app["1TopSpy"] == "stalkerware/hellospy"  # an alias of HelloSpy
    assert by_app["Spy2Mobile"] == "stalkerware/trackplus"
    assert not [f for f in feed.families if f.implied and f.name in by_app]


def test_the_12_yara_rules_compile_and_attach_to_families(
    feed: Feed, raw: dict[str, bytes]
) -> None:
    names = re.findall(r"^rule (\w+)", raw["rules.yar"].decode(), re.M)
    rules = [i for i in feed.indicators if i.kind is IndicatorKind.YARA]
    assert [r.name for r in rules] == names and len(rules) == 12
    for rule in rules:
        yara.compile(source=rule.value)
        assert rule.value.startswith(f"rule {rule.name}") and rule.value.endswith("}")
    family = {r.name: r.family for r in rules}
    assert family["mspy"] == "stalkerware/mspy"
    assert family["onetopspy"] == "stalkerware/hellospy"  # "one" read as 1: alias 1TopSpy
    assert family["android_police"] == "stalkerware/androidpolice"
    assert family["viptelefonprogrami_jkl"] == family["viptelefonprogrami"]
    assert feed.family(family["italianstalkerware"]).implied
    assert [n.values for n in notes(feed, "implied-family")] == [("italianstalkerware",)]


def test_wisemo_and_findmykids_keep_both_families_with_a_warning(feed: Feed) -> None:
    for slug in ("wisemo", "findmykids"):
        stalker = feed.family(FamilyId(f"stalkerware/{slug}"))
        watch = feed.family(FamilyId(f"watchware/{slug}"))
        assert stalker.type is FamilyType.STALKERWARE and watch.type is FamilyType.WATCHWARE
    found = notes(feed, "family-in-two-files")
    assert [n.values for n in found] == [("WiseMo",), ("FindMyKids",)]
    assert all(n.level is NoteLevel.WARNING for n in found)
    assert set(family_of(feed, IndicatorKind.PACKAGE, "com.wisemo.host.v10")) == {
        "stalkerware/wisemo",
        "watchware/wisemo",
    }


def test_shared_certificate_stays_under_every_family_with_a_note(feed: Feed) -> None:
    cert = "9B48840CBF93379410172B4B85989624D2B33D59"
    assert set(family_of(feed, IndicatorKind.CERT_SHA1, cert)) == {
        "stalkerware/wisemo",
        "stalkerware/findmykids",
        "watchware/wisemo",
    }
    assert (cert,) in [n.values for n in notes(feed, "value-in-two-families")]


def test_c2_ip_key_is_read_and_noted(feed: Feed) -> None:
    found = {n.source: n.values for n in notes(feed, "c2-ip-key")}
    assert found == {
        "ioc.yaml:MobiStealth": ("72.167.46.196", "5.79.71.114"),
        "ioc.yaml:Ahmyth": ("85.10.199.40",),
    }
    assert family_of(feed, IndicatorKind.IPV4, "85.10.199.40") == ["stalkerware/ahmyth"]


def test_provenance_names_every_file_with_its_hash(feed: Feed, raw: dict[str, bytes]) -> None:
    prov = feed.provenance
    assert prov is not None and (prov.format, prov.source, prov.version) == (
        "echap",
        "bundled",
        "a04c5c1",
    )
    assert [f.name for f in prov.files] == sorted(ECHAP_FILES)
    for f in prov.files:
        assert (f.sha256, f.size) == (hashlib.sha256(raw[f.name]).hexdigest(), len(raw[f.name]))


def test_families_carry_platforms_aliases_and_websites(feed: Feed) -> None:
    truth = feed.family(FamilyId("stalkerware/thetruthspy"))
    assert truth.platforms == (Platform.ANDROID,)
    assert "Copy9" in truth.aliases and "TheTruthSpy" not in truth.aliases
    assert "thetruthspy.com" in truth.websites
    assert feed.family(FamilyId("watchware/findmykids")).platforms == (
        Platform.ANDROID,
        Platform.IOS,
    )


def test_load_echap_dir_reads_the_same_feed(tmp_path: Path, raw: dict[str, bytes]) -> None:
    for name, data in raw.items():
        (tmp_path / name).write_bytes(data)
    when = datetime(2026, 6, 21, tzinfo=UTC)
    loaded = load_echap_dir(tmp_path, retrieved=when)
    assert loaded.provenance is not None
    assert (loaded.provenance.source, loaded.provenance.retrieved) == (str(tmp_path), when)
    assert len(loaded.indicators) == len(parse_echap(raw, source="x").indicators)


# Quirks on crafted feeds --------------------------------------------------------------------

APP = "- name: {name}\n  type: {type}\n"


def app(name: str, kind: str = "stalkerware", body: str = "") -> str:
    return APP.format(name=name, type=kind) + body


def test_c2_ip_key_on_a_small_feed_reads_ipv4_ipv6_and_cidr() -> None:
    body = "  c2:\n    ip:\n    - 192.0.2.1\n    - 2001:DB8::0001\n    - 198.51.100.0/24\n"
    feed = parse(ioc_yaml=app("Spy", body=body))
    kinds = {(i.kind, i.value, i.role) for i in feed.indicators}
    assert kinds == {
        (IndicatorKind.IPV4, "192.0.2.1", Role.C2),
        (IndicatorKind.IPV6, "2001:db8::1", Role.C2),
        (IndicatorKind.CIDR, "198.51.100.0/24", Role.C2),
    }
    assert notes(feed, "c2-ip-key")[0].level is NoteLevel.INFO


def test_a_single_string_where_a_list_belongs_is_one_item() -> None:
    feed = parse(ioc_yaml=app("Spy", body="  packages: com.spy.one\n  names: SpyOne\n"))
    assert family_of(feed, IndicatorKind.PACKAGE, "com.spy.one") == ["stalkerware/spy"]
    assert feed.family(FamilyId("stalkerware/spy")).aliases == ("SpyOne",)
    assert [n.values for n in notes(feed, "string-not-list")] == [("com.spy.one",), ("SpyOne",)]


def test_type_key_wins_over_the_file_with_a_note() -> None:
    feed = parse(ioc_yaml=app("Parent", "watchware", "  packages:\n  - com.parent\n"))
    assert feed.family(FamilyId("watchware/parent")).type is FamilyType.WATCHWARE
    assert notes(feed, "type-file-mismatch")[0].values == ("watchware", "ioc.yaml")


def test_unknown_type_falls_back_to_the_file_type() -> None:
    feed = parse(watchware_yaml=app("Kid", "parental"), ioc_yaml=app("Spy"))
    assert feed.family(FamilyId("watchware/kid")).type is FamilyType.WATCHWARE
    assert notes(feed, "unknown-type")[0].values == ("parental",)


def test_same_app_in_both_files_gives_two_families() -> None:
    body = "  packages:\n  - com.both\n"
    feed = parse(ioc_yaml=app("Both", body=body), watchware_yaml=app("Both", "watchware", body))
    assert sorted(family_of(feed, IndicatorKind.PACKAGE, "com.both")) == [
        "stalkerware/both",
        "watchware/both",
    ]
    assert notes(feed, "family-in-two-files")[0].values == ("Both",)


def test_package_under_two_families_is_kept_under_both() -> None:
    body = "  packages:\n  - com.shared\n"
    feed = parse(ioc_yaml=app("One", body=body) + app("Two", body=body))
    assert family_of(feed, IndicatorKind.PACKAGE, "com.shared") == [
        "stalkerware/one",
        "stalkerware/two",
    ]
    assert notes(feed, "value-in-two-families")[0].values == ("com.shared",)


def test_nothing_is_skipped_without_a_note() -> None:
    body = (
        "  comment: seen on a forum\n  certificates:\n  - NOT-A-HASH\n  - [nested]\n"
        "  c2:\n    urls:\n    - http://x.example/\n    domains:\n    - not a host\n"
    )
    feed = parse(ioc_yaml=app("Spy", body=body))
    assert feed.indicators == ()
    assert {(n.code, n.values) for n in feed.notes} == {
        ("unknown-key", ("comment",)),
        ("unknown-key", ("c2.urls",)),
        ("invalid-value", ("NOT-A-HASH",)),
        ("invalid-value", ("['nested']",)),
        ("invalid-value", ("not a host",)),
    }


def test_names_become_aliases_without_the_name_itself_or_repeats() -> None:
    body = "  names:\n  - Spy\n  - SpyPro\n  - spypro\n  - Other\n"
    feed = parse(ioc_yaml=app("Spy", body=body))
    assert feed.family(FamilyId("stalkerware/spy")).aliases == ("SpyPro", "Other")


def test_network_values_are_classified_by_value() -> None:
    body = (
        "  websites:\n  - Spy.Example.COM.\n  - https://spy.example/login\n"
        "  distribution:\n  - 203.0.113.9\n  ios_bundles:\n  - com.spy.ios\n"
        "  certificates:\n  - " + "ab" * 32 + "\n"
    )
    feed = parse(ioc_yaml=app("Spy", body=body))
    found = {(i.kind, i.value, i.role) for i in feed.indicators}
    assert found == {
        (IndicatorKind.DOMAIN, "spy.example.com", Role.WEBSITE),
        (IndicatorKind.URL, "https://spy.example/login", Role.WEBSITE),
        (IndicatorKind.IPV4, "203.0.113.9", Role.DISTRIBUTION),
        (IndicatorKind.IOS_BUNDLE, "com.spy.ios", None),
        (IndicatorKind.CERT_SHA256, "AB" * 32, None),
    }
    assert feed.family(FamilyId("stalkerware/spy")).platforms == (Platform.ANDROID, Platform.IOS)


def test_a_key_given_twice_is_noted() -> None:
    feed = parse(ioc_yaml=app("Spy", body="  packages:\n  - com.a\n  packages:\n  - com.b\n"))
    assert notes(feed, "duplicate-key")[0].values == ("packages",)


SAMPLES = "SHA256,Package Name,Certificate,Version,App\n"
SHA = "{:064x}"
CERT = "A" * 40


def test_samples_resolve_by_name_package_then_certificate() -> None:
    body = f"  packages:\n  - com.spy\n  certificates:\n  - {CERT}\n  names:\n  - SpyAlias\n"
    rows = [
        f"{SHA.format(1)},,,,spyalias",
        f"{SHA.format(2)},com.spy,,,Renamed",
        f"{SHA.format(3)},com.other,{CERT},7,Renamed again",
        f"{SHA.format(4)},com.other,61ED377E85D386A8DFEE6B864BD85B0BFAA5AF81,,Ghost",
    ]
    ioc = app("Spy", body=body) + app(
        "Test", body="  certificates:\n  - 61ED377E85D386A8DFEE6B864BD85B0BFAA5AF81\n"
    )
    feed = parse(ioc_yaml=ioc, samples_csv=SAMPLES + "\n".join(rows) + "\n")
    assert [s.family for s in feed.samples] == ["stalkerware/spy"] * 3 + ["stalkerware/ghost"]
    assert feed.family(FamilyId("stalkerware/ghost")).implied  # a test key names no maker
    assert feed.samples[0].cert_sha1 is None and feed.samples[0].version is None
    assert feed.samples[2].version == "7"
    assert notes(feed, "implied-family")[0].values == ("Ghost",)


def test_rules_resolve_through_aliases_and_digit_words() -> None:
    rules = (
        'rule twospy : stalkerware { strings: $a = "x" condition: $a }\n'
        "rule unknown_thing { condition: true }\n"
        "rule kid : watchware { condition: false }\n"
    )
    ioc = app("Spy", body="  names:\n  - 2Spy\n  packages:\n  - com.spy\n")
    feed = parse(ioc_yaml=ioc, rules_yar=rules)
    found = {i.name: i.family for i in feed.indicators if i.kind is IndicatorKind.YARA}
    assert found == {
        "twospy": "stalkerware/spy",
        "unknown_thing": "stalkerware/unknown-thing",
        "kid": "watchware/kid",
    }


def test_rule_splitting_ignores_braces_in_strings_regexes_hex_and_comments() -> None:
    rules = r"""
import "math"
// a comment with a { brace
rule tricky : stalkerware {
    meta:
        note = "a } brace and \" quote"
    strings:
        $re = /ab{2,3}\/}/
        $hex = { 6E [2-4] ( 01 | 02 ) ?? }
    /* a block comment with } */
    condition:
        $re or $hex or math.entropy(0, filesize) > 7
}
private rule helper { condition: true }
"""
    feed = parse(ioc_yaml=app("Tricky"), rules_yar=rules)
    found = {i.name: i.value for i in feed.indicators if i.kind is IndicatorKind.YARA}
    assert list(found) == ["tricky", "helper"]
    assert found["tricky"].startswith('import "math"\nrule tricky')
    assert found["tricky"].endswith("> 7\n}")
    assert found["helper"].endswith("private rule helper { condition: true }")


# Malformed input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "where"),
    [
        ({"ioc.yaml": "- name: Spy\n  packages: [com.a\n"}, "ioc.yaml, line 3"),
        ({"ioc.yaml": "- name: Spy\n  type: stalkerware\n- just text\n"}, "entry 2 (line 3)"),
        ({"ioc.yaml": "- type: stalkerware\n  packages: []\n"}, "no 'name'"),
        ({"ioc.yaml": "- name: Spy\n  packages: []\n"}, "app 'Spy' has no 'type'"),
        ({"ioc.yaml": "name: Spy\n"}, "expected a list of apps"),
        ({"ioc.yaml": ""}, "ioc.yaml: the file is empty"),
        ({"ioc.yaml": "- name: A\n  type: stalkerware\n", "samples.csv": "sha,app\n"}, "line 1"),
        (
            {"ioc.yaml": "- name: A\n  type: stalkerware\n", "samples.csv": SAMPLES + "ab,c\n"},
            "samples.csv, line 2: expected 5 columns",
        ),
        (
            {"ioc.yaml": "- name: A\n  type: stalkerware\n", "rules.yar": "rule a {\n"},
            "rule 'a' (line 1)",
        ),
        (
            {"ioc.yaml": "- name: A\n  type: stalkerware\n", "rules.yar": "rule a { oops }"},
            "rules.yar, rule 'a' (line 1): the rule does not compile",
        ),
        ({"ioc.yaml": "- name: A\n  type: stalkerware\n", "rules.yar": "junk"}, "line 1"),
        ({"watchware.yaml": "- name: A\n  type: watchware\n"}, "no ioc.yaml"),
    ],
)
def test_malformed_input_names_file_and_place(files: Mapping[str, str], where: str) -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse_echap({k: v.encode() for k, v in files.items()}, source="test")
    assert where in str(caught.value)


def test_undecodable_files_are_format_errors() -> None:
    ioc = b"- name: A\n  type: stalkerware\n"
    for name in ("samples.csv", "rules.yar"):
        with pytest.raises(FeedFormatError, match=name):
            parse_echap({"ioc.yaml": ioc, name: b"\xff\xfe\xfa bad"}, source="test")
    with pytest.raises(FeedFormatError, match="ioc.yaml"):
        parse_echap({"ioc.yaml": b"- name: \xff\n"}, source="test")


def test_oversized_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "MAX_INPUT_BYTES", 10)
    with pytest.raises(FeedFormatError, match="too large"):
        parse(ioc_yaml=app("Spy"))


def test_folder_without_ioc_yaml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "samples.csv").write_text(SAMPLES)
    with pytest.raises(FeedFormatError, match="no ioc.yaml"):
        load_echap_dir(tmp_path)
