"""Feed matches on what a capture showed: evidence, families, severities, the allow-list rule."""

from __future__ import annotations

from importlib import resources

import pytest

from unstalk.feed.allowlist import AllowList
from unstalk.feed.index import FeedIndex
from unstalk.feed.model import FamilyType, IndicatorKind, Role
from unstalk.feed.store import bundled_dir, load_folder
from unstalk.models import Severity
from unstalk.netcap.detect import ALWAYS_LIMITS, detect, temper
from unstalk.netcap.findings import Check, NetworkFinding, Seen
from unstalk.netcap.model import NameSource

from .detect_fixtures import (
    T0,
    dns,
    flow,
    hello,
    http,
    observed,
    small_index,
)


@pytest.fixture(scope="module")
def index() -> FeedIndex:
    return small_index()


@pytest.fixture(scope="module")
def tinycheck() -> AllowList:
    data = (resources.files("unstalk.netcap") / "data" / "tinycheck_whitelist.json").read_bytes()
    return AllowList.from_tinycheck(data)


def _feed(findings: tuple[NetworkFinding, ...]) -> list[NetworkFinding]:
    return [f for f in findings if f.check is Check.FEED_MATCH]


def test_dns_question_for_c2_is_critical_with_full_evidence(index: FeedIndex) -> None:
    found = _feed(detect(observed(dns=(dns("API.ExampleSpy.com.", number=7),)), index).findings)
    assert len(found) == 1
    hit = found[0]
    assert hit.severity is Severity.CRITICAL
    assert hit.indicator is not None
    assert (hit.indicator.family, hit.indicator.family_type) == (
        "ExampleSpy",
        FamilyType.STALKERWARE,
    )
    assert (hit.indicator.kind, hit.indicator.role) == (IndicatorKind.DOMAIN, Role.C2)
    assert hit.indicator.source == "ioc.yaml"
    first = hit.evidence.first
    assert (first.seen, first.value, first.number, first.timestamp) == (
        Seen.DNS_QUERY,
        "api.examplespy.com",
        7,
        T0,
    )
    assert first.name_source is NameSource.DNS
    assert "ExampleSpy" in hit.summary and "reports to" in hit.summary


def test_sni_under_listed_domain_names_the_listed_parent(index: FeedIndex) -> None:
    tls = (hello("eu1.api.examplespy.com", "93.184.216.34", number=12),)
    (hit,) = _feed(detect(observed(tls=tls), index).findings)
    assert hit.evidence.first.seen is Seen.TLS_SNI
    assert hit.evidence.first.flow is not None
    assert hit.evidence.first.flow.server == "93.184.216.34"
    assert "under the listed api.examplespy.com" in hit.summary
    # The website indicator on the parent domain is kept as further evidence, not a second row.
    assert [a.role for a in hit.also] == [Role.WEBSITE]


def test_one_name_seen_many_ways_is_one_finding_with_a_count(index: FeedIndex) -> None:
    obs = observed(
        dns=(dns("api.examplespy.com", "93.184.216.34", number=3, at=T0 + 1),),
        tls=(
            hello("api.examplespy.com", "93.184.216.34", number=5, at=T0 + 2),
            hello("api.examplespy.com", "93.184.216.34", number=9, at=T0 + 62),
        ),
    )
    (hit,) = _feed(detect(obs, index).findings)
    assert hit.evidence.count == 3
    assert hit.evidence.seen_as == (Seen.DNS_QUERY, Seen.TLS_SNI)
    assert hit.evidence.first.number == 3
    assert hit.evidence.last_timestamp == T0 + 62


def test_dns_answer_address_matches_ip_indicator_and_keeps_the_name(index: FeedIndex) -> None:
    obs = observed(dns=(dns("cdn.innocent.example", "203.0.113.66", number=4),))
    (hit,) = _feed(detect(obs, index).findings)
    assert hit.indicator is not None and hit.indicator.kind is IndicatorKind.IPV4
    assert hit.evidence.first.seen is Seen.DNS_ANSWER
    assert hit.evidence.first.name == "cdn.innocent.example"


def test_connection_to_address_inside_listed_cidr(index: FeedIndex) -> None:
    obs = observed(flows=(flow("198.51.100.7", 443, name="x.example", source=NameSource.SNI),))
    (hit,) = _feed(detect(obs, index).findings)
    assert hit.indicator is not None and hit.indicator.value == "198.51.100.0/24"
    first = hit.evidence.first
    assert first.seen is Seen.CONNECTION and first.flow is not None
    assert (first.flow.server_port, first.name, first.name_source) == (
        443,
        "x.example",
        NameSource.SNI,
    )


def test_http_download_url_matches_url_indicator(index: FeedIndex) -> None:
    obs = observed(http=(http("dl.example.net", "93.184.216.34", "/files/spy.apk?x=1"),))
    (hit,) = _feed(detect(obs, index).findings)
    assert hit.severity is Severity.HIGH
    assert hit.indicator is not None and hit.indicator.kind is IndicatorKind.URL
    assert hit.evidence.first.value == "http://dl.example.net/files/spy.apk?x=1"
    assert "downloaded from" in hit.summary


def test_watchware_is_reported_low_and_never_as_stalkerware(index: FeedIndex) -> None:
    (hit,) = _feed(detect(observed(dns=(dns("sync.kidwatch.example"),)), index).findings)
    assert hit.severity is Severity.LOW
    assert hit.indicator is not None and hit.indicator.family_type is FamilyType.WATCHWARE
    assert "stalkerware" not in hit.summary and "watchware" in hit.summary


def test_allow_list_never_hides_a_feed_match(index: FeedIndex, tinycheck: AllowList) -> None:
    # TinyCheck allows all of amazonaws.com; a stalkerware bucket under it must still show.
    assert tinycheck.contains_domain("spy-bucket.s3.amazonaws.com")
    obs = observed(tls=(hello("spy-bucket.s3.amazonaws.com", "52.216.1.1"),))
    (hit,) = _feed(detect(obs, index, allowlist=tinycheck).findings)
    assert hit.severity is Severity.CRITICAL and not hit.allowlisted
    assert temper(hit, tinycheck) is hit


def test_allow_list_lowers_heuristics_to_info(index: FeedIndex, tinycheck: AllowList) -> None:
    obs = observed(http=(http("www.google.com", "142.250.1.1", "/search?q=x"),))
    without = detect(obs, index).findings
    allowed = detect(obs, index, allowlist=tinycheck).findings
    assert [(f.check, f.severity) for f in without] == [(Check.CLEARTEXT_HTTP, Severity.LOW)]
    assert [(f.check, f.severity, f.allowlisted) for f in allowed] == [
        (Check.CLEARTEXT_HTTP, Severity.INFO, True)
    ]


def test_findings_most_severe_first_feed_before_heuristics(index: FeedIndex) -> None:
    obs = observed(
        dns=(dns("sync.kidwatch.example", at=T0), dns("home.duckdns.org", at=T0 + 1)),
        tls=(hello("api.examplespy.com", "93.184.216.34", at=T0 + 5),),
        http=(http("examplespy.com", "93.184.216.34", at=T0 + 2),),
    )
    findings = detect(obs, index).findings
    order = [(f.severity, f.check) for f in findings]
    assert order[0] == (Severity.CRITICAL, Check.FEED_MATCH)
    assert order.index((Severity.MEDIUM, Check.FEED_MATCH)) < order.index(
        (Severity.MEDIUM, Check.DYNAMIC_DNS)
    )
    ranks = [f.severity.rank for f in findings]
    assert ranks == sorted(ranks)


def test_real_echap_c2_name_gives_one_finding_per_family() -> None:
    index = FeedIndex.build(load_folder(bundled_dir()))
    obs = observed(
        tls=(hello("media-sync-a.copy9.com", "69.64.74.239", number=31),),
        flows=(flow("69.64.74.239", name="media-sync-a.copy9.com", source=NameSource.SNI),),
    )
    hits = _feed(detect(obs, index).findings)
    families = {(h.indicator.family, h.evidence.first.seen) for h in hits if h.indicator}
    assert families == {("TheTruthSpy", Seen.TLS_SNI), ("TheTruthSpy", Seen.CONNECTION)}
    sni = next(h for h in hits if h.evidence.first.seen is Seen.TLS_SNI)
    assert sni.severity is Severity.CRITICAL
    assert sni.indicator is not None and sni.indicator.value == "media-sync-a.copy9.com"
    assert {a.value for a in sni.also} == {"copy9.com"}


def test_nothing_seen_still_states_the_limits(index: FeedIndex) -> None:
    result = detect(observed(), index)
    assert result.findings == ()
    assert result.limits[: len(ALWAYS_LIMITS)] == ALWAYS_LIMITS
    assert "No connections were seen in this capture." in result.limits


def test_limits_name_missing_dns_and_unnamed_connections(index: FeedIndex) -> None:
    obs = observed(flows=(flow("93.184.216.34", 443), flow("93.184.216.35", 443)))
    limits = " ".join(detect(obs, index).limits)
    assert "No DNS lookups were seen" in limits
    assert "2 connection(s) to internet addresses had no name" in limits
