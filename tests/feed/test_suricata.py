"""Suricata rules: syntax, coverage, and SIDs that stay put across runs and feed edits.

Suricata cannot be installed here, so every rule goes through the grammar checker in
suricata_syntax.py, which is itself checked on Echap's rules and on rules Suricata refuses.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

import pytest

from tests.feed.export_fixtures import (
    KIDS,
    OTHER,
    SPY,
    asset,
    bundled_echap,
    hand_feed,
    ind,
    representative_feed,
)
from tests.feed.suricata_syntax import Rule, RuleSyntaxError, parse_rule, parse_rules
from unstalk.errors import FeedError, FeedFormatError
from unstalk.feed.formats.suricata import (
    SidEntry,
    SidMap,
    dump_sid_map,
    export_suricata,
    load_sid_map,
)
from unstalk.feed.model import Feed, IndicatorKind, Role, Status


def rules_of(feed: Feed, sid_map: SidMap | None = None) -> tuple[list[Rule], SidMap]:
    data, new_map = export_suricata(feed, sid_map or SidMap())
    return parse_rules(data.decode()), new_map


@cache
def bundled_rules() -> tuple[bytes, list[Rule], SidMap]:
    """The bundled feed's rules, exported once for the whole module (it takes a while)."""
    data, sid_map = export_suricata(bundled_echap(), SidMap())
    return data, parse_rules(data.decode()), sid_map


@cache
def upstream_rules() -> list[Rule]:
    return parse_rules(asset("echap-generated/suricata.rules").decode())


def by_key(rules: list[Rule]) -> dict[tuple[str, str], Rule]:
    """Rules by (protocol, value), the value read back from content or destination."""
    out: dict[tuple[str, str], Rule] = {}
    for rule in rules:
        if rule.protocol == "ip":
            out["ip", rule.destination.strip("[]")] = rule
        else:
            out[rule.protocol, rule.contents[0].pattern.decode().removeprefix(".")] = rule
    return out


# The bundled feed


def test_every_rule_of_the_bundled_feed_is_valid_suricata() -> None:
    _, rules, sid_map = bundled_rules()
    assert len(rules) == len(sid_map.rules)
    assert {r.sid for r in rules} == {e.sid for e in sid_map.rules.values()}
    assert min(r.sid for r in rules) == 1_000_000
    assert all(r.rev == 1 for r in rules)


def test_dns_rules_cover_exactly_the_active_domains() -> None:
    feed = bundled_echap()
    _, rules, _ = bundled_rules()
    dns = {value for (proto, value) in by_key(rules) if proto == "dns"}
    active = {i.value for i in feed.active() if i.kind is IndicatorKind.DOMAIN}
    assert dns == active
    for proto in ("tls", "http"):
        assert {v for (p, v) in by_key(rules) if p == proto} == active


def test_ip_rules_cover_the_active_addresses_and_ranges() -> None:
    feed = bundled_echap()
    _, rules, _ = bundled_rules()
    ips = {value for (proto, value) in by_key(rules) if proto == "ip"}
    kinds = {IndicatorKind.IPV4, IndicatorKind.IPV6, IndicatorKind.CIDR}
    assert ips == {i.value for i in feed.active() if i.kind in kinds}


def test_rules_cover_everything_echap_rules_cover() -> None:
    upstream = upstream_rules()
    _, ours, _ = bundled_rules()
    assert set(by_key([r for r in upstream if r.protocol == "dns"])) <= set(by_key(ours))
    assert set(by_key([r for r in upstream if r.protocol == "ip"])) <= set(by_key(ours))


def test_dns_rule_matches_subdomains_but_not_look_alikes() -> None:
    rules, _ = rules_of(hand_feed(ind(IndicatorKind.DOMAIN, "evil.example")))
    for rule in rules:
        assert rule.matches("evil.example")
        assert rule.matches("cdn.evil.example")
        assert not rule.matches("notevil.example")
        assert not rule.matches("evil.example.org")
    dns = by_key(rules)["dns", "evil.example"]
    assert dns.matches("EVIL.Example")  # DNS names are case-insensitive


def test_echap_rules_miss_subdomains_that_ours_catch() -> None:
    upstream = upstream_rules()
    copy9 = next(r for r in upstream if r.contents and r.contents[0].pattern == b"copy9.com")
    assert not copy9.matches("media.copy9.com")
    ours, _ = rules_of(hand_feed(ind(IndicatorKind.DOMAIN, "copy9.com")))
    assert by_key(ours)["dns", "copy9.com"].matches("media.copy9.com")


# What the rules say


def test_msg_metadata_and_classtype_name_family_role_and_type() -> None:
    rules = by_key(rules_of(representative_feed())[0])
    c2 = rules["dns", "c2.evil.example"]
    assert "Evil Spy" in c2.msg and "c2" in c2.msg and "c2[.]evil[.]example" in c2.msg
    assert c2.option("classtype") == "targeted-activity"
    assert c2.option("metadata") == (
        "unstalk_type stalkerware, unstalk_family evil-spy, unstalk_role c2, tlp clear"
    )
    assert c2.option("reference") == "url,example.org/feed"
    kid = rules["tls", "kidwatch.example"]
    assert "WATCHWARE" in kid.msg and "website" in kid.msg
    assert kid.option("classtype") == "policy-violation"


def test_revoked_urls_and_non_network_indicators_get_no_rule() -> None:
    values = {v for (_, v) in by_key(rules_of(representative_feed())[0])}
    assert "old.evil.example" not in values
    assert "192.0.2.99" not in values
    assert not any("files.example" in v or "com.evil.spy" in v for v in values)


def test_one_rule_per_value_names_every_family_pointing_at_it() -> None:
    feed = hand_feed(
        ind(IndicatorKind.DOMAIN, "shared.example", SPY),
        ind(IndicatorKind.DOMAIN, "shared.example", KIDS, Role.WEBSITE),
    )
    rules, _ = rules_of(feed)
    assert len(rules) == 3
    rule = by_key(rules)["http", "shared.example"]
    assert "Evil Spy, Kid Watch" in rule.msg and "c2/website" in rule.msg
    assert rule.option("classtype") == "targeted-activity"  # stalkerware wins


def test_values_that_need_escaping_are_escaped() -> None:
    weird = 'a;b"c\\d|e.example'
    feed = hand_feed(ind(IndicatorKind.DOMAIN, weird, OTHER))
    rules, _ = rules_of(feed)
    assert len(rules) == 3
    for rule in rules:
        assert rule.contents[0].pattern == b"." + weird.encode()
        assert "Spy, Inc." in rule.msg


def test_ipv6_and_cidr_rules_are_valid() -> None:
    rules = by_key(rules_of(representative_feed())[0])
    assert rules["ip", "2001:db8::10"].msg.endswith("(2001:db8::10)")
    assert "IP range" in rules["ip", "198.51.100.0/24"].msg


# SIDs across runs


def test_two_runs_give_the_same_rules_and_map() -> None:
    feed = bundled_echap()
    first, _, first_map = bundled_rules()
    second, second_map = export_suricata(feed, first_map)
    assert first == second
    assert dump_sid_map(first_map) == dump_sid_map(second_map)
    reloaded = load_sid_map(dump_sid_map(first_map))
    assert export_suricata(feed, reloaded) == (first, second_map)


def test_sids_survive_adding_removing_and_changing_indicators() -> None:
    before = hand_feed(
        ind(IndicatorKind.DOMAIN, "keep.example"),
        ind(IndicatorKind.DOMAIN, "gone.example"),
        ind(IndicatorKind.DOMAIN, "moves.example"),
        ind(IndicatorKind.IPV4, "192.0.2.1"),
    )
    old_rules, old_map = rules_of(before)
    old = {k: (r.sid, r.rev) for k, r in by_key(old_rules).items()}
    after = hand_feed(
        ind(IndicatorKind.DOMAIN, "new.example"),  # listed first on purpose
        ind(IndicatorKind.DOMAIN, "keep.example"),
        ind(IndicatorKind.DOMAIN, "moves.example", OTHER),  # now another family
        ind(IndicatorKind.IPV4, "192.0.2.1"),
        ind(IndicatorKind.DOMAIN, "gone.example", status=Status.REVOKED),
    )
    new_rules, new_map = rules_of(after, old_map)
    new = {k: (r.sid, r.rev) for k, r in by_key(new_rules).items()}
    for proto in ("dns", "tls", "http"):
        assert new[proto, "keep.example"] == old[proto, "keep.example"]
        assert new[proto, "moves.example"] == (old[proto, "moves.example"][0], 2)
        assert (proto, "gone.example") not in new
        assert new[proto, "new.example"][0] > max(sid for sid, _ in old.values())
    assert new["ip", "192.0.2.1"] == old["ip", "192.0.2.1"]
    assert set(old_map.rules) <= set(new_map.rules)  # retired keys stay in the map


def test_retired_sids_are_never_given_to_new_rules() -> None:
    _, first = rules_of(hand_feed(ind(IndicatorKind.DOMAIN, "a.example")))
    # a map whose retired entries were pruned by hand still remembers its high-water mark
    pruned = SidMap({}, first.high_water)
    rules, _ = rules_of(hand_feed(ind(IndicatorKind.DOMAIN, "b.example")), pruned)
    assert min(r.sid for r in rules) > first.high_water


def test_returning_indicator_gets_its_old_sid_back() -> None:
    feed = hand_feed(ind(IndicatorKind.DOMAIN, "back.example"))
    first_rules, first = rules_of(feed)
    _, gone = rules_of(hand_feed(ind(IndicatorKind.DOMAIN, "other.example")), first)
    again, _ = rules_of(feed, gone)
    assert {(r.sid, r.rev) for r in again} == {(r.sid, r.rev) for r in first_rules}


def test_sid_base_sets_where_new_sids_start() -> None:
    data, sid_map = export_suricata(
        hand_feed(ind(IndicatorKind.IPV4, "192.0.2.7")), SidMap(), sid_base=3_000_000
    )
    assert parse_rules(data.decode())[0].sid == 3_000_000
    assert sid_map.high_water == 3_000_000
    with pytest.raises(FeedError):
        export_suricata(hand_feed(), SidMap(), sid_base=0)


def test_rules_are_ordered_by_sid_whatever_the_feed_order() -> None:
    feed = representative_feed()
    _, sid_map = export_suricata(feed, SidMap())
    reordered = replace(feed, indicators=tuple(reversed(feed.indicators)))
    assert export_suricata(reordered, sid_map)[0] == export_suricata(feed, sid_map)[0]
    sids = [r.sid for r in rules_of(feed, sid_map)[0]]
    assert sids == sorted(sids)


# The SID map file


def test_empty_map_input_starts_a_new_map() -> None:
    assert load_sid_map(None) == SidMap()
    assert load_sid_map(b"  \n") == SidMap()


def test_sid_map_round_trips() -> None:
    sid_map = SidMap({"ip|192.0.2.1": SidEntry(1_000_004, 3, "a" * 64)}, 1_000_009)
    assert load_sid_map(dump_sid_map(sid_map)) == sid_map


def good_map() -> dict[str, object]:
    doc: dict[str, object] = json.loads(
        dump_sid_map(SidMap({"ip|192.0.2.1": SidEntry(5, 1, "b" * 64)}, 5))
    )
    return doc


@pytest.mark.parametrize(
    "change",
    [
        {"format": "other"},
        {"version": 2},
        {"high_water": -1},
        {"high_water": True},
        {"rules": []},
        {"rules": {"k": {"sid": 0, "rev": 1, "digest": "b" * 64}}},
        {"rules": {"k": {"sid": 5, "rev": 0, "digest": "b" * 64}}},
        {"rules": {"k": {"sid": 5, "rev": 1, "digest": "zz"}}},
        {"rules": {"k": "nope"}},
        {
            "rules": {
                "a": {"sid": 5, "rev": 1, "digest": "b" * 64},
                "b": {"sid": 5, "rev": 1, "digest": "c" * 64},
            }
        },
    ],
)
def test_broken_sid_map_is_a_feed_format_error(change: dict[str, object]) -> None:
    with pytest.raises(FeedFormatError):
        load_sid_map(json.dumps(good_map() | change).encode())


def test_sid_map_that_is_not_json_is_a_feed_format_error() -> None:
    with pytest.raises(FeedFormatError, match="not valid JSON"):
        load_sid_map(b"{oops")


def test_map_high_water_is_at_least_its_highest_sid() -> None:
    doc = good_map() | {"high_water": 1}
    assert load_sid_map(json.dumps(doc).encode()).high_water == 5


# The checker itself


def test_checker_accepts_echap_rules() -> None:
    assert len(upstream_rules()) == 990


@pytest.mark.parametrize(
    "broken",
    [
        'alert dns any any -> any any (msg:"x"; dns.query; content:"a"b"; sid:1; rev:1;)',
        'alert dns any any -> any any (msg:"x"; dns.query; content:"a;b"; sid:1; rev:1;)',
        'alert dns any any -> any any (msg:"x"; dns.query; content:"a"; sid:1; rev:1)',
        'alert dns any any -> any any (msg:"x"; dns.query; content:"a"; rev:1;)',
        'alert dns any any -> any any (msg:"x"; dns.query; content:"a"; sid:1;)',
        'alert dns any any -> any any (dns.query; content:"a"; sid:1; rev:1;)',
        'alert dns any any -> any any (msg:"x"; dns.qery; content:"a"; sid:1; rev:1;)',
        'alert dns any any -> any any (msg:"x"; nocase; sid:1; rev:1;)',
        'alert dns any any -> any any (msg:"x"; dns.query; content:"|4|"; sid:1; rev:1;)',
        'alert tls any any -> any any (msg:"x"; dns.query; content:"a"; sid:1; rev:1;)',
        'alert http any any -> any any (msg:"x"; http.host; content:"a"; nocase; sid:1; rev:1;)',
        'alert http any any -> any any (msg:"x"; http.host; content:"A"; sid:1; rev:1;)',
        'alert dns any any -> any any (msg:"x"; content:"a"; dotprefix; sid:1; rev:1;)',
        'alert ip any any -> [300.1.1.1] any (msg:"x"; sid:1; rev:1;)',
        'alert ip any any -> any any (msg:"x"; classtype:made-up; sid:1; rev:1;)',
        'alert ip any any => any any (msg:"x"; sid:1; rev:1;)',
        'alert ip any any -> any any (msg:"x"; metadata:novalue; sid:1; rev:1;)',
    ],
)
def test_checker_rejects_rules_suricata_refuses(broken: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse_rule(broken)


def test_checker_rejects_duplicate_sids() -> None:
    rule = 'alert ip any any -> any any (msg:"x"; sid:1; rev:1;)'
    with pytest.raises(RuleSyntaxError, match="share a sid"):
        parse_rules(f"{rule}\n{rule}\n")
