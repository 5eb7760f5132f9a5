"""Block lists and CSV exports, checked against Echap's own generated files.

The reference files are in assets/lists (see its README for where they come from).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import replace

import pytest

from tests.feed.export_fixtures import (
    KIDS,
    OTHER,
    SPY,
    bundled_echap,
    bundled_file,
    hand_feed,
    ind,
    representative_feed,
    upstream_lines,
)
from unstalk.errors import FeedFormatError
from unstalk.feed.formats._common import MAX_INPUT_BYTES
from unstalk.feed.formats.lists import (
    export_domains,
    export_hosts,
    export_network_csv,
    export_quad9,
    export_samples_csv,
    parse_network_csv,
)
from unstalk.feed.model import IndicatorKind, NoteLevel, Role, Status
from unstalk.feed.values import is_hostname


def lines(data: bytes) -> list[str]:
    return [line for line in data.decode().splitlines() if line and not line.startswith("#")]


def csv_rows(data: bytes) -> list[tuple[str, ...]]:
    return [tuple(row) for row in csv.reader(io.StringIO(data.decode(), newline=""))]


# Echap's own files


def test_domains_equal_upstream_hosts_and_hosts_full() -> None:
    feed = bundled_echap()
    assert lines(export_domains(feed)) == sorted(set(upstream_lines("hosts")))
    assert lines(export_domains(feed, full=True)) == sorted(set(upstream_lines("hosts_full")))


def test_hosts_file_blocks_the_same_names_as_upstream_hosts() -> None:
    data = export_hosts(bundled_echap())
    entries = lines(data)
    assert all(line.startswith("0.0.0.0 ") for line in entries)
    assert [line.split(" ", 1)[1] for line in entries] == sorted(set(upstream_lines("hosts")))


def test_hosts_header_keeps_attribution_and_source() -> None:
    header = [
        line for line in export_hosts(bundled_echap()).decode().splitlines() if line[:1] == "#"
    ]
    text = "\n".join(header)
    assert "github.com/AssoEchap/stalkerware-indicators" in text
    assert "CC BY 4.0" in text
    assert "unstalk" in text


def test_quad9_list_is_upstream_without_its_urls_and_ips() -> None:
    upstream = set(upstream_lines("quad9_blocklist.txt"))
    ours = lines(export_quad9(bundled_echap()))
    assert ours == sorted({name for name in upstream if is_hostname(name)})
    # upstream wrote a distribution IP and two URLs as domains; a DNS block list cannot use them
    assert {name for name in upstream if not is_hostname(name)} == {
        "178.63.71.15",
        "https://github.com/karma9874/AndroRAT",
        "https://github.com/earthshakira/android_hack",
    }


def test_network_csv_has_every_upstream_row_under_its_real_type() -> None:
    upstream = csv_rows("\r\n".join(upstream_lines("network.csv")).encode())
    ours = csv_rows(export_network_csv(bundled_echap()))
    assert ours[0] == upstream[0] == ("type", "indicator", "app")
    retyped = {
        "178.63.71.15": "ipv4",
        "https://github.com/karma9874/AndroRAT": "url",
        "https://github.com/earthshakira/android_hack": "url",
    }
    expected = {(retyped.get(value, kind), value, app) for kind, value, app in upstream[1:]}
    assert expected <= set(ours[1:])
    # the only rows upstream lacks are C2 IPs of the entries spelled `c2: ip:`
    extra = set(ours[1:]) - expected
    assert {kind for kind, _, _ in extra} == {"ipv4"}
    assert len(extra) == 3


def test_samples_csv_equals_the_bundled_samples_csv() -> None:
    ours = export_samples_csv(bundled_echap())
    bundled = bundled_file("samples.csv")
    assert (
        ours.splitlines()[0]
        == bundled.splitlines()[0]
        == b"SHA256,Package Name,Certificate,Version,App"
    )
    assert set(csv_rows(ours)) == set(csv_rows(bundled))
    assert len(csv_rows(ours)) == len(csv_rows(bundled))


# What goes in, what stays out


def test_block_lists_leave_out_revoked_indicators() -> None:
    feed = representative_feed()
    for data in (
        export_hosts(feed, full=True),
        export_domains(feed, full=True),
        export_quad9(feed),
        export_network_csv(feed),
    ):
        assert b"old.evil.example" not in data
        assert b"192.0.2.99" not in data


def test_hosts_and_domains_hold_c2_of_stalkerware_and_full_adds_watchware() -> None:
    feed = representative_feed()
    assert lines(export_domains(feed)) == ["api.spy-inc.example", "c2.evil.example"]
    assert lines(export_domains(feed, full=True)) == [
        "api.spy-inc.example",
        "c2.evil.example",
        "sync.kidwatch.example",
    ]
    assert lines(export_hosts(feed, full=True)) == [
        "0.0.0.0 api.spy-inc.example",
        "0.0.0.0 c2.evil.example",
        "0.0.0.0 sync.kidwatch.example",
    ]


def test_quad9_adds_distribution_but_no_websites_or_watchware() -> None:
    assert lines(export_quad9(representative_feed())) == [
        "api.spy-inc.example",
        "c2.evil.example",
        "dl.evil.example",
    ]


def test_unknown_role_counts_as_c2() -> None:
    feed = hand_feed(ind(IndicatorKind.DOMAIN, "norole.example", role=None))
    assert lines(export_domains(feed)) == ["norole.example"]


def test_a_value_that_is_no_host_name_cannot_inject_lines() -> None:
    feed = hand_feed(
        ind(IndicatorKind.DOMAIN, "evil.example\n0.0.0.0 google.com"),
        ind(IndicatorKind.DOMAIN, "ok.example"),
    )
    assert lines(export_hosts(feed)) == ["0.0.0.0 ok.example"]
    assert lines(export_domains(feed)) == ["ok.example"]


def test_exports_do_not_depend_on_indicator_order() -> None:
    feed = representative_feed()
    shuffled = list(feed.indicators)
    random.Random(7).shuffle(shuffled)
    other = replace(feed, indicators=tuple(shuffled))
    for export in (export_hosts, export_domains, export_quad9, export_network_csv):
        assert export(feed) == export(other)


def test_empty_feed_gives_empty_lists() -> None:
    feed = hand_feed()
    assert export_domains(feed) == b""
    assert export_quad9(feed) == b""
    assert csv_rows(export_network_csv(feed)) == [("type", "indicator", "app")]


# network.csv round trip and reading


def test_network_csv_round_trip_keeps_kind_value_and_app() -> None:
    feed = representative_feed()
    data = export_network_csv(feed)
    back = parse_network_csv(data, source="network.csv")
    assert export_network_csv(back) == data
    assert {(i.kind, i.value, back.family(i.family).name) for i in back.indicators} == {
        (IndicatorKind.DOMAIN, "c2.evil.example", "Evil Spy"),
        (IndicatorKind.DOMAIN, "dl.evil.example", "Evil Spy"),
        (IndicatorKind.IPV4, "192.0.2.10", "Evil Spy"),
        (IndicatorKind.URL, "https://files.example/evil.apk", "Evil Spy"),
        (IndicatorKind.DOMAIN, "api.spy-inc.example", "Spy, Inc."),
        (IndicatorKind.IPV6, "2001:db8::10", "Spy, Inc."),
        (IndicatorKind.CIDR, "198.51.100.0/24", "Spy, Inc."),
    }
    assert all(f.implied for f in back.families)
    assert all(i.role is None and i.status is Status.ACTIVE for i in back.indicators)


def test_network_csv_quotes_app_names_with_commas() -> None:
    data = export_network_csv(hand_feed(ind(IndicatorKind.DOMAIN, "x.example", OTHER)))
    assert b'domain,x.example,"Spy, Inc."' in data


def test_reading_upstream_network_csv_retypes_its_mislabelled_rows() -> None:
    data = "\r\n".join(upstream_lines("network.csv")).encode()
    feed = parse_network_csv(data, source="network.csv")
    by_value = {i.value: i.kind for i in feed.indicators}
    assert by_value["178.63.71.15"] is IndicatorKind.IPV4
    assert by_value["https://github.com/karma9874/AndroRAT"] is IndicatorKind.URL
    mismatch = [n for n in feed.notes if n.code == "network-csv-type-mismatch"]
    assert len(mismatch) == 2
    assert all(n.level is NoteLevel.INFO for n in mismatch)
    assert feed.provenance is not None and feed.provenance.files[0].size == len(data)


def test_network_csv_skips_unknown_types_with_a_note() -> None:
    data = b"Type,Indicator,App\nemail,a@b.example,X\ndomain,ok.example,X\ndomain,not a host,X\n"
    feed = parse_network_csv(data, source="n.csv")
    assert [i.value for i in feed.indicators] == ["ok.example"]
    codes = {n.code: n.values for n in feed.notes}
    assert codes["network-csv-unknown-type"] == ("a@b.example",)
    assert codes["network-csv-invalid-value"] == ("not a host",)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"", "line 1"),
        (b"kind,value\nx,y\n", "line 1"),
        (b"type,indicator,app\ndomain,evil.example\n", "line 2"),
        (b"type,indicator,app\n\xff\xfe\n", "byte"),
        (b'type,indicator,app\ndomain,"evil.example,X\n', "line"),
    ],
)
def test_broken_network_csv_is_a_feed_format_error(data: bytes, where: str) -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse_network_csv(data, source="n.csv")
    assert caught.value.source == "n.csv"
    assert where in caught.value.location


def test_huge_network_csv_is_refused_before_parsing() -> None:
    with pytest.raises(FeedFormatError, match="more than"):
        parse_network_csv(b"x" * (MAX_INPUT_BYTES + 1), source="big.csv")


def test_samples_csv_leaves_unknown_fields_empty() -> None:
    rows = csv_rows(export_samples_csv(hand_feed()))
    assert rows == [
        ("SHA256", "Package Name", "Certificate", "Version", "App"),
        ("ab" * 32, "com.evil.spy", "CD" * 20, "1.0", "Evil Spy"),
        ("ef" * 32, "", "", "", "Spy, Inc."),
    ]


def test_watchware_families_stay_out_of_network_csv() -> None:
    rows = csv_rows(export_network_csv(representative_feed()))
    assert all(app != KIDS.name for _, _, app in rows)
    assert SPY.name in {app for _, _, app in rows}
    assert not any(value == "evil.example" for _, value, _ in rows)  # a website


def test_is_hostname() -> None:
    assert is_hostname("media-sync-a.copy9.com")
    assert is_hostname("_dmarc.example.com")
    for bad in ("", "178.63.71.15", "https://x.example", "a..b", "-a.example", "A.example"):
        assert not is_hostname(bad)
    assert not is_hostname(("a" * 63 + ".") * 4 + "com")


def test_revoked_and_role_filters_apply_to_ipv4_rows_too() -> None:
    feed = hand_feed(
        ind(IndicatorKind.IPV4, "192.0.2.1"),
        ind(IndicatorKind.IPV4, "192.0.2.2", role=Role.WEBSITE),
        ind(IndicatorKind.IPV4, "192.0.2.3", status=Status.REVOKED),
    )
    assert csv_rows(export_network_csv(feed))[1:] == [("ipv4", "192.0.2.1", "Evil Spy")]


def test_unclosed_ipv6_url_in_network_csv_is_a_note_not_a_crash() -> None:
    from unstalk.feed.formats.lists import parse_network_csv

    data = b"type,indicator,app\nurl,http://[abc/x,Foo\ndomain,example.com,Foo\n"
    feed = parse_network_csv(data, source="network.csv")
    assert [i.value for i in feed.indicators] == ["example.com"]
