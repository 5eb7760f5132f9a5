"""MISP events: Echap's published event and MISP exports in, an event MISP imports out."""

from __future__ import annotations

import contextlib
import importlib
import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.feed.sample_feeds import SPY, facts, representative_feed
from unstalk.errors import FeedFormatError
from unstalk.feed.formats.misp import ANDROID_APP_TEMPLATE, export_misp, parse_misp
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

ASSETS = Path(__file__).parent / "assets" / "misp"
ECHAP_EVENT = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "stalkerware-indicators"
    / "generated"
    / "misp_event.json"
)
Obj = dict[str, object]


def _event(data: bytes) -> Obj:
    return cast(Obj, json.loads(data)["Event"])


def _list(obj: Obj, key: str) -> list[Obj]:
    return cast(list[Obj], obj.get(key, []))


def _apps(event: Obj) -> dict[str, Obj]:
    """android-app objects by the value of their name relation."""
    return {
        str(a["value"]): obj
        for obj in _list(event, "Object")
        for a in _list(obj, "Attribute")
        if a.get("object_relation") == "name"
    }


def _tag_names(obj: Obj) -> list[str]:
    return [str(t["name"]) for t in _list(obj, "Tag")]


# --- Echap's published event -----------------------------------------------------------------


@pytest.fixture(scope="module")
def echap_event() -> Feed:
    if not ECHAP_EVENT.is_file():
        pytest.skip(f"Echap's generated MISP event is not at {ECHAP_EVENT}")
    return parse_misp(ECHAP_EVENT.read_bytes(), source="misp_event.json")


def test_echaps_event_loads_with_every_indicator(echap_event: Feed) -> None:
    # Counted by hand from the file: 1,692 android-app objects, repeated by Echap's appending
    # generator, name 173 apps; "SpyApp" and "spyapp" are one family, so 172.
    assert len(echap_event.families) == 172
    assert Counter(i.kind for i in echap_event.indicators) == {
        IndicatorKind.FILE_SHA256: 3258,
        IndicatorKind.DOMAIN: 1000,
        IndicatorKind.PACKAGE: 650,
        IndicatorKind.CERT_SHA1: 490,
    }
    assert {(i.tlp, i.status) for i in echap_event.indicators} == {(TLP.CLEAR, Status.ACTIVE)}
    assert {i.role for i in echap_event.indicators if i.kind is IndicatorKind.DOMAIN} == {Role.C2}
    by_family = Counter(str(i.family) for i in echap_event.indicators)
    assert by_family["stalkerware/thetruthspy"] == 772
    assert by_family["stalkerware/ownspy"] == 7


def test_echaps_source_link_is_kept_as_a_note(echap_event: Feed) -> None:
    (note,) = echap_event.notes
    assert (note.code, note.level) == ("unsupported-attribute", NoteLevel.WARNING)
    assert note.values == ("https://github.com/AssoEchap/stalkerware-indicators",)


def test_echaps_ownspy_object_reads_exactly(echap_event: Feed) -> None:
    ownspy = sorted(
        (i.kind.value, i.value) for i in echap_event.indicators if i.family == "stalkerware/ownspy"
    )
    assert ownspy == [
        ("cert_sha1", "14A071616D4BC37F08BE865D375101F4C963777A"),
        ("cert_sha1", "CA5304E94F4BC97DA9D147E76858DBF70AB8B4E6"),
        ("domain", "user.ownspy.es"),
        ("file_sha256", "1BC37D9BE07FFAD8B21F673F2B678B24AD0A53F51FE53598544DA549FE4D4E66"),
        ("file_sha256", "BCF96117B47FAC6666EEC22664C721546B45DCF42857F49277D1CB7E8F90B70A"),
        ("package", "com.ownspy.android"),
        ("package", "org.system.kernel"),
    ]


# --- a MISP export from elsewhere ------------------------------------------------------------


def test_reads_a_bare_event_with_plain_attributes_and_other_objects() -> None:
    feed = parse_misp((ASSETS / "bare_event.json").read_bytes(), source="bare_event.json")
    campaign = "stalkerware/campaign-x-stalkerware"
    spy = "stalkerware/examplespy"
    assert {(f.id, f.type, f.implied) for f in feed.families} == {
        (spy, FamilyType.STALKERWARE, False),
        (campaign, FamilyType.STALKERWARE, True),
        ("watchware/kidwatch", FamilyType.WATCHWARE, True),
    }
    amber, active = TLP.AMBER, Status.ACTIVE
    assert facts(feed) == {
        ("package", "com.examplespy.system", spy, None, amber, active),
        ("cert_sha1", "CA5304E94F4BC97DA9D147E76858DBF70AB8B4E6", spy, None, amber, active),
        ("cert_sha256", "5" * 64, spy, None, amber, active),
        ("file_sha256", "6" * 64, spy, None, amber, active),
        ("domain", "api.examplespy.com", spy, "c2", amber, active),
        ("file_sha256", "7" * 64, campaign, None, amber, active),
        ("domain", "c2.example.net", campaign, "c2", amber, active),
        ("domain", "www.vendor.example", campaign, "website", amber, active),
        ("ipv4", "203.0.113.5", campaign, "c2", amber, active),
        ("domain", "a.example", campaign, "c2", amber, active),
        ("ipv4", "198.51.100.7", campaign, "c2", amber, active),
        (
            "url",
            "https://dl.kidwatch.example/app.apk",
            "watchware/kidwatch",
            "distribution",
            amber,
            active,
        ),
        ("file_sha256", "2" * 64, campaign, None, amber, Status.REVOKED),
        ("cert_sha256", "3" * 64, campaign, None, TLP.GREEN, active),
        ("cert_sha1", "4" * 40, campaign, None, amber, active),
        ("ipv6", "2001:db8::5", campaign, "c2", TLP.CLEAR, active),
    }
    assert sorted(v for n in feed.notes for v in n.values) == [
        "seller@vendor.example",
        "update.apk",
    ]


def test_a_comment_naming_a_family_finds_its_app_wherever_the_app_comes() -> None:
    sha = {"type": "sha256", "value": "8" * 64, "comment": "family=stalkerware/examplespy"}
    app = {
        "name": "android-app",
        "Attribute": [{"object_relation": "name", "type": "text", "value": "ExampleSpy"}],
    }
    event = {"info": "x", "Object": [{"name": "file", "Attribute": [sha]}, app]}
    feed = parse_misp(json.dumps({"Event": event}).encode(), source="t")
    assert [(f.id, f.name, f.implied) for f in feed.families] == [
        ("stalkerware/examplespy", "ExampleSpy", False)
    ]
    assert [i.family for i in feed.indicators] == ["stalkerware/examplespy"]


# --- export ----------------------------------------------------------------------------------


def test_round_trip_keeps_families_and_every_indicator_fact() -> None:
    feed = representative_feed()
    back = parse_misp(export_misp(feed), source="round-trip.json")
    assert facts(back) == facts(feed)
    assert {(f.id, f.name, f.type, f.aliases, f.implied) for f in back.families} == {
        (f.id, f.name, f.type, f.aliases, f.implied) for f in feed.families
    }
    assert [i.name for i in back.indicators if i.kind is IndicatorKind.YARA] == ["examplespy"]
    assert back.notes == ()


def test_android_app_objects_use_the_real_template() -> None:
    event = _event(export_misp(representative_feed()))
    apps = _apps(event)
    assert set(apps) == {"ExampleSpy", "KidWatch", "Ghost"}
    spy = apps["ExampleSpy"]
    assert (spy["template_uuid"], spy["template_version"], spy["meta-category"]) == (
        ANDROID_APP_TEMPLATE,
        "2",
        "file",
    )
    relations = Counter(str(a["object_relation"]) for a in _list(spy, "Attribute"))
    # c2 domains belong to the app; its web site and download sites are plain attributes.
    assert relations == {
        "name": 1,
        "appid": 1,
        "certificate": 1,
        "certificate-sha256": 1,
        "sha256": 2,
        "domain": 3,
    }
    name = next(a for a in _list(spy, "Attribute") if a["object_relation"] == "name")
    assert _tag_names(name) == ['misp-galaxy:stalkerware="ExampleSpy"']
    ghost_name = _list(apps["Ghost"], "Attribute")[0]
    assert "Tag" not in ghost_name  # an implied family is in no galaxy


def test_what_the_template_cannot_carry_goes_in_plain_attributes() -> None:
    event = _event(export_misp(representative_feed()))
    plain = {(str(a["type"]), str(a["value"])): a for a in _list(event, "Attribute")}
    assert Counter(t for t, _ in plain) == {
        "domain": 3,  # two web sites and one download site
        "ip-dst": 4,
        "url": 2,
        "yara": 1,
        "text": 3,  # iOS bundle id, certificate organisation and name regex: no MISP type
    }
    site = plain[("domain", "examplespy.com")]
    assert site["comment"] == "family=stalkerware/examplespy; role=website"
    cname = plain[("text", r"^Kids\WSafety\W[0-9]{2}$")]
    assert (cname["to_ids"], cname["category"]) == (False, "Other")


def test_event_tlp_is_the_strictest_and_looser_attributes_carry_their_own() -> None:
    event = _event(export_misp(representative_feed()))
    assert _tag_names(event) == [
        "tlp:red",
        'malware_classification:malware-category="Spyware"',
    ]
    assert event["distribution"] == "0"
    plain = {str(a["value"]): a for a in _list(event, "Attribute")}
    assert "Tag" not in plain["192.0.2.1"]  # red, like the event
    assert _tag_names(plain["2001:db8::1"]) == ["tlp:amber+strict"]
    assert _tag_names(plain["examplespy.com"]) == ["tlp:clear"]


def test_a_clear_feed_is_shared_with_all_communities() -> None:
    feed = representative_feed()
    clear = replace(feed, indicators=tuple(replace(i, tlp=TLP.CLEAR) for i in feed.indicators))
    event = _event(export_misp(clear))
    assert (event["distribution"], _tag_names(event)[0]) == ("3", "tlp:clear")
    assert all("Tag" not in a for a in _list(event, "Attribute"))


def test_revoked_indicators_are_deleted_attributes_not_for_detection() -> None:
    event = _event(export_misp(representative_feed()))
    spy = _apps(event)["ExampleSpy"]
    by_value = {str(a["value"]): a for a in _list(spy, "Attribute")}
    revoked = by_value["CD" * 32]
    assert (revoked["deleted"], revoked["to_ids"]) == (True, False)
    active = by_value["EF" * 32]
    assert (active["deleted"], active["to_ids"]) == (False, True)


def test_watchware_raises_no_detection() -> None:
    event = _event(export_misp(representative_feed()))
    plain = {str(a["value"]): a for a in _list(event, "Attribute")}
    assert plain["kidwatch.example"]["to_ids"] is False
    assert plain["examplespy.com"]["to_ids"] is True
    assert "type=watchware" in str(_apps(event)["KidWatch"]["comment"])


def test_export_is_byte_identical_and_rebuilt_from_scratch() -> None:
    feed = representative_feed()
    first = export_misp(feed)
    assert export_misp(feed) == first
    event = _event(first)
    assert (event["date"], event["published"]) == ("2026-06-21", False)
    dated = _event(export_misp(feed, date=datetime(2027, 3, 4, 23, 30, tzinfo=UTC)))
    assert (dated["date"], dated["timestamp"]) == ("2027-03-04", "1804203000")
    assert dated["uuid"] == event["uuid"]


def test_a_local_path_neither_leaks_nor_changes_the_event_uuid() -> None:
    feed = representative_feed()
    assert feed.provenance is not None
    paths = ("/home/alice/feeds/echap", "/srv/unstalk/echap", "https://example.org/feed")
    alice, server, remote = (
        export_misp(replace(feed, provenance=replace(feed.provenance, source=p))) for p in paths
    )
    assert b"alice" not in alice
    assert _event(alice)["uuid"] == _event(server)["uuid"]
    assert _event(remote)["uuid"] != _event(alice)["uuid"]


def test_uuids_survive_unrelated_edits() -> None:
    feed = representative_feed()
    extra = Indicator(IndicatorKind.DOMAIN, "new.examplespy.com", SPY.id, Role.C2)
    edited = replace(feed, indicators=(*feed.indicators[1:], extra))

    def uuids(f: Feed) -> set[str]:
        event = _event(export_misp(f))
        objects = _list(event, "Object")
        attrs = [*_list(event, "Attribute"), *(a for o in objects for a in _list(o, "Attribute"))]
        return {str(x["uuid"]) for x in [event, *objects, *attrs]}

    before, after = uuids(feed), uuids(edited)
    assert len(before - after) == 1  # the dropped package
    assert len(after - before) == 1  # the new domain


def test_a_family_missing_from_the_family_list_still_gets_an_object() -> None:
    feed = representative_feed()
    orphan = Indicator(IndicatorKind.PACKAGE, "com.orphan", FamilyId("watchware/lost"))
    event = _event(export_misp(replace(feed, indicators=(*feed.indicators, orphan))))
    assert "lost" in _apps(event)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b'"Event"',
        b'{"Event": []}',
        b'{"something": "else"}',
        b'{"Event": {"info": "x", "Attribute": {"a": 1}}}',
        b'{"Event": {"info": "x", "Object": [{"name": "android-app", "Attribute": 5}]}}',
        pytest.param(b"{" * 100_000, id="deeply-nested"),
    ],
)
def test_malformed_input_is_a_feed_format_error(data: bytes) -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse_misp(data, source="broken.json")
    assert "broken.json" in caught.value.diagnostics()


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["type", "value", "name", "Attribute", "Tag", "comment", "x"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_any_json_gives_a_feed_or_a_feed_format_error(doc: object) -> None:
    event = {"Event": {"info": "fuzz", "Attribute": [doc], "Object": [doc]}}
    for data in (json.dumps(doc).encode(), json.dumps(event).encode()):
        with contextlib.suppress(FeedFormatError):
            parse_misp(data, source="fuzz")


def test_bundled_echap_feed_survives_export_and_parse() -> None:
    echap = importlib.import_module("unstalk.feed.formats.echap")
    load = getattr(echap, "load_echap_dir", None)
    if load is None:
        pytest.skip("the Echap loader (load_echap_dir) is not available yet")
    feed = cast(Feed, load(files("unstalk.feed") / "data" / "echap"))
    back = parse_misp(export_misp(feed), source="echap.json")
    assert facts(back) == facts(feed)
    assert {(f.id, f.name, f.type, f.aliases) for f in back.families} == {
        (f.id, f.name, f.type, f.aliases) for f in feed.families
    }
