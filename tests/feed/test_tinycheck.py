"""TinyCheck indicator JSON: TinyCheck's own iocs.json, Echap's file for it, our export."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from tests.feed.export_fixtures import (
    KIDS,
    OTHER,
    asset,
    bundled_echap,
    hand_feed,
    ind,
    representative_feed,
)
from unstalk.errors import FeedFormatError
from unstalk.feed.formats.tinycheck import TLS_CERTIFICATE, export_tinycheck, parse_tinycheck
from unstalk.feed.model import (
    TLP,
    FamilyType,
    Feed,
    IndicatorKind,
    NoteLevel,
    Role,
    Status,
)

TINYCHECK_KINDS = {
    IndicatorKind.DOMAIN,
    IndicatorKind.IPV4,
    IndicatorKind.IPV6,
    IndicatorKind.CIDR,
    IndicatorKind.CERT_SHA1,
}


def doc(*iocs: dict[str, str], to_delete: tuple[dict[str, str], ...] = ()) -> bytes:
    return json.dumps({"iocs": list(iocs), "to_delete": list(to_delete)}).encode()


def entry(type_: str, value: str, tag: str = "stalkerware", tlp: str = "white") -> dict[str, str]:
    return {"type": type_, "tag": tag, "tlp": tlp, "value": value}


def facts(feed: Feed) -> set[tuple[object, ...]]:
    """What a TinyCheck round trip must keep, indicator by indicator."""
    return {
        (
            i.kind,
            i.value,
            i.status,
            i.tlp,
            i.role,
            feed.family(i.family).name,
            feed.family(i.family).type,
        )
        for i in feed.indicators
    }


# TinyCheck's own file


def test_tinycheck_iocs_json_keeps_every_type_as_indicator_or_note() -> None:
    raw = json.loads(asset("tinycheck-iocs.json"))["iocs"]
    feed = parse_tinycheck(asset("tinycheck-iocs.json"), source="iocs.json")
    kinds = [i.kind for i in feed.indicators]
    assert kinds.count(IndicatorKind.DOMAIN) == sum(e["type"] == "domain" for e in raw)
    assert kinds.count(IndicatorKind.CERT_SHA1) == sum(e["type"] == "sha1cert" for e in raw)
    kept_in_notes = {
        n.message.split()[0]: len(n.values)
        for n in feed.notes
        if n.code == "tinycheck-unsupported-type"
    }
    assert kept_in_notes == {
        t: sum(e["type"] == t for e in raw) for t in ("freedns", "tld", "ns", "snort")
    }
    assert all(i.tlp is TLP.CLEAR and i.status is Status.ACTIVE for i in feed.indicators)


def test_sha1cert_is_a_tls_certificate_not_a_signing_one() -> None:
    feed = parse_tinycheck(asset("tinycheck-iocs.json"), source="iocs.json")
    certs = [i for i in feed.indicators if i.kind is IndicatorKind.CERT_SHA1]
    assert certs and all(i.name == TLS_CERTIFICATE for i in certs)
    assert all(i.value == i.value.upper() and len(i.value) == 40 for i in certs)


def test_bare_address_listed_as_cidr_is_read_as_that_address() -> None:
    feed = parse_tinycheck(doc(entry("cidr", "63.34.249.94")), source="t.json")
    assert [(i.kind, i.value) for i in feed.indicators] == [(IndicatorKind.IPV4, "63.34.249.94")]
    assert [n.code for n in feed.notes] == ["tinycheck-type-mismatch"]


def test_category_tags_become_families_with_a_warning() -> None:
    feed = parse_tinycheck(asset("tinycheck-iocs.json"), source="iocs.json")
    assert {f.name for f in feed.families} >= {"stalkerware", "tracker", "pegasus", "suspect"}
    assert all(f.implied and f.type is FamilyType.STALKERWARE for f in feed.families)
    warning = next(n for n in feed.notes if n.code == "tinycheck-category-tag")
    assert warning.level is NoteLevel.WARNING
    assert "tracker" in warning.values and "stalkerware" not in warning.values


def test_watchware_tag_makes_a_watchware_family() -> None:
    feed = parse_tinycheck(doc(entry("domain", "kid.example", tag="watchware")), source="t")
    assert [f.type for f in feed.families] == [FamilyType.WATCHWARE]
    assert not feed.notes


# Echap's file for TinyCheck


def test_echap_file_reads_its_urls_and_ip_under_their_real_kind() -> None:
    data = asset("echap-generated/indicators-for-tinycheck.json")
    feed = parse_tinycheck(data, source="indicators-for-tinycheck.json")
    by_value = {i.value: i.kind for i in feed.indicators}
    assert by_value["https://github.com/karma9874/AndroRAT"] is IndicatorKind.URL
    assert by_value["178.63.71.15"] is IndicatorKind.IPV4
    assert len(feed.indicators) == len({(e["type"], e["value"]) for e in json.loads(data)["iocs"]})


def test_export_of_bundled_feed_covers_everything_echap_exports() -> None:
    ours = json.loads(export_tinycheck(bundled_echap()))
    upstream = json.loads(asset("echap-generated/indicators-for-tinycheck.json"))["iocs"]
    our_pairs = {(e["type"], e["value"]) for e in ours["iocs"]}
    usable = {(e["type"], e["value"]) for e in upstream if "/" not in e["value"]}
    usable.discard(("domain", "178.63.71.15"))
    assert usable <= our_pairs
    assert ("ip4addr", "178.63.71.15") in our_pairs
    extra = [e for e in ours["iocs"] if (e["type"], e["value"]) not in usable]
    # beyond Echap's file: watchware apps, and the C2 IPs Echap misses under `c2: ip:`
    assert {e["tag"] for e in extra if e["type"] == "domain"} == {"watchware"}
    assert ours["to_delete"] == []


def test_export_keeps_the_layout_tinycheck_watchers_read() -> None:
    data = json.loads(export_tinycheck(representative_feed()))
    assert set(data) == {"iocs", "to_delete"}
    for item in data["iocs"] + data["to_delete"]:
        assert list(item)[:4] == ["type", "tag", "tlp", "value"]
        assert item["type"] in {"domain", "ip4addr", "ip6addr", "cidr", "sha1cert"}
        assert item["tag"] in {"stalkerware", "watchware"}
        assert item["tlp"] in {"white", "green", "amber", "red"}


# Round trip and to_delete


def test_round_trip_keeps_every_indicator_tinycheck_can_carry() -> None:
    feed = representative_feed()
    back = parse_tinycheck(export_tinycheck(feed), source="t.json")
    carried = replace(
        feed,
        indicators=tuple(
            i
            for i in feed.indicators
            if i.kind in TINYCHECK_KINDS
            and (i.kind is not IndicatorKind.CERT_SHA1 or i.name == TLS_CERTIFICATE)
        ),
    )
    assert facts(back) == facts(carried)
    assert not back.notes


def test_revoked_indicators_go_to_to_delete() -> None:
    data = json.loads(export_tinycheck(representative_feed()))
    deleted = {e["value"] for e in data["to_delete"]}
    assert deleted == {"old.evil.example", "192.0.2.99"}
    assert not deleted & {e["value"] for e in data["iocs"]}


def test_value_active_elsewhere_is_not_deleted() -> None:
    # TinyCheck deletes by value after adding: listing it would remove the active entry too
    feed = hand_feed(
        ind(IndicatorKind.DOMAIN, "shared.example", status=Status.REVOKED),
        ind(IndicatorKind.DOMAIN, "shared.example", OTHER),
    )
    data = json.loads(export_tinycheck(feed))
    assert [e["value"] for e in data["iocs"]] == ["shared.example"]
    assert data["to_delete"] == []


def test_to_delete_with_only_a_value_is_a_revoked_indicator() -> None:
    data = json.dumps({"to_delete": [{"value": "gone.example"}, {"value": "203.0.113.5"}]})
    feed = parse_tinycheck(data.encode(), source="t.json")
    assert {(i.kind, i.value, i.status) for i in feed.indicators} == {
        (IndicatorKind.DOMAIN, "gone.example", Status.REVOKED),
        (IndicatorKind.IPV4, "203.0.113.5", Status.REVOKED),
    }


def test_listed_and_deleted_value_ends_up_revoked() -> None:
    feed = parse_tinycheck(
        doc(entry("domain", "flip.example"), to_delete=({"value": "flip.example"},)), source="t"
    )
    assert [i.status for i in feed.indicators] == [Status.REVOKED]
    assert [f.name for f in feed.families] == ["stalkerware"]
    assert [n.code for n in feed.notes] == ["tinycheck-added-and-deleted"]


def test_signing_certificates_are_not_exported_to_tinycheck() -> None:
    data = json.loads(export_tinycheck(bundled_echap()))
    assert not any(e["type"] == "sha1cert" for e in data["iocs"])
    tls = hand_feed(ind(IndicatorKind.CERT_SHA1, "AB" * 20, role=None, name=TLS_CERTIFICATE))
    assert json.loads(export_tinycheck(tls))["iocs"][0]["value"] == "ab" * 20


def test_tlp_labels_are_written_as_tlp_1() -> None:
    data = json.loads(export_tinycheck(representative_feed()))
    by_value = {e["value"]: e for e in data["iocs"]}
    assert by_value["c2.evil.example"]["tlp"] == "white"
    assert by_value["192.0.2.10"]["tlp"] == "red"  # amber+strict: the stricter TLP 1.0 label
    assert by_value["192.0.2.10"]["tlp2"] == "amber+strict"
    assert "tlp2" not in by_value["c2.evil.example"]


def test_family_name_and_role_ride_in_extra_keys() -> None:
    data = json.loads(export_tinycheck(representative_feed()))
    kid = next(e for e in data["iocs"] if e["value"] == "kidwatch.example")
    assert (kid["tag"], kid["family"], kid["role"]) == ("watchware", KIDS.name, "website")


def test_export_is_deterministic_and_order_free() -> None:
    feed = representative_feed()
    shuffled = list(feed.indicators)
    random.Random(3).shuffle(shuffled)
    assert export_tinycheck(feed) == export_tinycheck(replace(feed, indicators=tuple(shuffled)))


def test_duplicate_entries_are_read_once() -> None:
    feed = parse_tinycheck(
        doc(entry("domain", "a.example"), entry("domain", "A.example.")), source="t"
    )
    assert [i.value for i in feed.indicators] == ["a.example"]


# Broken input


@pytest.mark.parametrize(
    ("data", "location"),
    [
        (b"{not json", ""),
        (b"[1, 2]", ""),
        (b'{"other": []}', ""),
        (b'{"iocs": {"a": 1}}', "iocs"),
        (b'{"iocs": ["domain"]}', "iocs[0]"),
        (b'{"iocs": [{"type": "domain", "tag": "x", "tlp": "white"}]}', "iocs[0]"),
        (b'{"iocs": [{"type": "domain", "tag": "x", "tlp": "white", "value": 5}]}', "iocs[0]"),
        (b'{"to_delete": [{"type": "domain"}]}', "to_delete[0]"),
        (b"[" * 100_000, ""),
        (b'{"iocs": []}\xff', ""),
    ],
)
def test_broken_file_is_a_feed_format_error(data: bytes, location: str) -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse_tinycheck(data, source="t.json")
    assert caught.value.source == "t.json"
    assert caught.value.location == location


def test_bad_entries_are_skipped_with_notes() -> None:
    feed = parse_tinycheck(
        doc(
            entry("jarm", "abc"),
            entry("domain", "ok.example", tlp="purple"),
            entry("ip4addr", "999.1.1.1"),
            entry("domain", "fine.example", tlp="TLP:AMBER"),
        ),
        source="t.json",
    )
    assert [(i.value, i.tlp) for i in feed.indicators] == [("fine.example", TLP.AMBER)]
    assert {n.code for n in feed.notes} == {
        "tinycheck-unknown-type",
        "tinycheck-bad-tlp",
        "tinycheck-invalid-value",
    }


def test_role_from_extra_key_is_read_back() -> None:
    item = entry("domain", "c2.example") | {"role": "c2", "family": "Evil Spy"}
    feed = parse_tinycheck(doc(item), source="t.json")
    assert [(i.role, feed.family(i.family).name) for i in feed.indicators] == [
        (Role.C2, "Evil Spy")
    ]
