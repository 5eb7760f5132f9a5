"""Each heuristic fires on the traffic it describes, and stays quiet on ordinary traffic."""

from __future__ import annotations

import pytest

from unstalk.feed.index import FeedIndex
from unstalk.feed.model import Feed
from unstalk.models import Severity
from unstalk.netcap.detect import detect
from unstalk.netcap.findings import Check, NetworkFinding, Observations
from unstalk.netcap.heuristics import (
    BEACON_MIN_BURSTS,
    bursts,
    dynamic_dns_suffixes,
    is_public,
    suspicious_tlds,
)
from unstalk.netcap.model import NameSource, Transport

from .detect_fixtures import T0, dns, flow, hello, http, observed

_EMPTY = FeedIndex.build(Feed(families=(), indicators=()))


def _run(obs: Observations, check: Check) -> list[NetworkFinding]:
    return [f for f in detect(obs, _EMPTY).findings if f.check is check]


def _severities(obs: Observations, check: Check) -> list[Severity]:
    return [f.severity for f in _run(obs, check)]


# cleartext HTTP


def test_cleartext_http_to_an_internet_host_is_low() -> None:
    obs = observed(
        http=(
            http("upload.example.org", "93.184.216.34", "/up", method="POST", number=4),
            http("upload.example.org", "93.184.216.34", "/up", method="POST", number=9),
        )
    )
    (finding,) = _run(obs, Check.CLEARTEXT_HTTP)
    assert finding.severity is Severity.LOW
    assert "upload.example.org" in finding.summary
    assert finding.evidence.count == 2 and finding.evidence.first.number == 4


@pytest.mark.parametrize(
    "host",
    ["connectivitycheck.gstatic.com", "captive.apple.com", "ocsp.example.com", "r3.o.lencr.org"],
)
def test_cleartext_connectivity_and_certificate_checks_are_info(host: str) -> None:
    obs = observed(http=(http(host, "93.184.216.34", "/generate_204"),))
    assert _severities(obs, Check.CLEARTEXT_HTTP) == [Severity.INFO]


def test_cleartext_http_to_the_hotspot_itself_is_not_reported() -> None:
    obs = observed(http=(http("router.lan", "192.168.43.1", "/"),))
    assert _run(obs, Check.CLEARTEXT_HTTP) == []


# TLS on unusual ports


def test_tls_on_unusual_port_is_low() -> None:
    (finding,) = _run(
        observed(tls=(hello("c2.example.org", "93.184.216.34", 4444),)), Check.TLS_UNUSUAL_PORT
    )
    assert finding.severity is Severity.LOW
    assert "port 4444" in finding.summary and "c2.example.org" in finding.summary


@pytest.mark.parametrize("port", [443, 8443, 853, 993, 5223, 5228])
def test_tls_on_usual_ports_is_not_reported(port: int) -> None:
    assert (
        _run(observed(tls=(hello("x.example.org", "93.184.216.34", port),)), Check.TLS_UNUSUAL_PORT)
        == []
    )


def test_quic_is_not_tls_on_an_unusual_port() -> None:
    obs = observed(tls=(hello("x.example.org", "93.184.216.34", 4444, quic=1),))
    assert _run(obs, Check.TLS_UNUSUAL_PORT) == []


# unusual destination ports


def test_unusual_port_above_threshold_is_low() -> None:
    obs = observed(flows=(flow("93.184.216.34", 6000, size=3000),))
    (finding,) = _run(obs, Check.UNUSUAL_PORT)
    assert finding.severity is Severity.LOW
    assert "TCP port 6000" in finding.summary and "3000 bytes" in finding.detail


def test_unusual_port_adds_up_connections_to_one_server() -> None:
    small = [flow("93.184.216.34", 6000, size=800, client_port=40000 + n) for n in range(3)]
    (finding,) = _run(observed(flows=tuple(small)), Check.UNUSUAL_PORT)
    assert finding.evidence.count == 3


@pytest.mark.parametrize(
    ("server", "port", "transport", "size"),
    [
        ("93.184.216.34", 6000, Transport.TCP, 500),  # a failed attempt, a few packets
        ("93.184.216.34", 443, Transport.TCP, 90000),
        ("93.184.216.34", 443, Transport.UDP, 90000),  # QUIC
        ("93.184.216.34", 19305, Transport.UDP, 90000),  # Google STUN
        ("239.255.255.250", 1900, Transport.UDP, 90000),  # SSDP multicast
        ("192.168.43.1", 7000, Transport.TCP, 90000),  # the hotspot
    ],
)
def test_ordinary_ports_are_not_reported(
    server: str, port: int, transport: Transport, size: int
) -> None:
    obs = observed(flows=(flow(server, port, transport=transport, size=size),))
    assert _run(obs, Check.UNUSUAL_PORT) == []


def test_tls_port_is_reported_once_not_twice() -> None:
    obs = observed(
        flows=(flow("93.184.216.34", 4444, size=9000),),
        tls=(hello("c2.example.org", "93.184.216.34", 4444),),
    )
    checks = [f.check for f in detect(obs, _EMPTY).findings]
    assert Check.TLS_UNUSUAL_PORT in checks and Check.UNUSUAL_PORT not in checks


# encrypted DNS


def test_doh_by_sni_is_low_and_says_names_are_hidden() -> None:
    (finding,) = _run(observed(tls=(hello("dns.google", "8.8.8.8", 443),)), Check.ENCRYPTED_DNS)
    assert finding.severity is Severity.LOW
    assert "DNS over HTTPS" in finding.summary and "hidden" in finding.summary


def test_dot_on_port_853_is_info_once_per_server() -> None:
    obs = observed(
        flows=(
            flow("8.8.8.8", 853, client_port=41000),
            flow("8.8.8.8", 853, client_port=41001, first=T0 + 60),
        ),
        tls=(hello("dns.google", "8.8.8.8", 853),),
    )
    (finding,) = _run(obs, Check.ENCRYPTED_DNS)
    assert finding.severity is Severity.INFO and "DNS over TLS" in finding.summary
    assert finding.evidence.count == 2


def test_doh_provider_only_looked_up_is_info() -> None:
    obs = observed(dns=(dns("cloudflare-dns.com", "104.16.248.249"),))
    assert _severities(obs, Check.ENCRYPTED_DNS) == [Severity.INFO]


def test_encrypted_dns_adds_a_limit() -> None:
    limits = detect(observed(tls=(hello("dns.google", "8.8.8.8"),)), _EMPTY).limits
    assert any("encrypted DNS" in line for line in limits)


# dynamic DNS and TLDs


@pytest.mark.parametrize(
    "name", ["myphone.duckdns.org", "abc.ddns.net", "x.no-ip.org", "a.b.ngrok-free.app"]
)
def test_dynamic_dns_names_are_medium(name: str) -> None:
    (finding,) = _run(observed(dns=(dns(name),)), Check.DYNAMIC_DNS)
    assert finding.severity is Severity.MEDIUM and name in finding.summary


def test_dynamic_dns_service_site_itself_is_not_reported() -> None:
    assert _run(observed(dns=(dns("www.example.com"), dns("duckdns.org"))), Check.DYNAMIC_DNS) == []


def test_suspicious_tld_is_low_and_ordinary_tld_is_not() -> None:
    obs = observed(
        tls=(hello("panel.cheap.xyz", "93.184.216.34"), hello("www.example.com", "93.184.216.35"))
    )
    (finding,) = _run(obs, Check.SUSPICIOUS_TLD)
    assert finding.severity is Severity.LOW and ".xyz" in finding.summary


def test_data_lists_hold_tinycheck_and_added_entries() -> None:
    suffixes = dynamic_dns_suffixes()
    assert {"ddns.net", "hopto.org", "zapto.org", "000webhostapp.com"} <= suffixes  # TinyCheck
    assert {"duckdns.org", "dynu.net", "ngrok.io", "freedns.afraid.org"} <= suffixes  # added
    assert not any(line.startswith("#") for line in suffixes)
    assert len(suspicious_tlds()) == 23 and "xyz" in suspicious_tlds()


# addresses without a name


def test_address_without_any_name_is_low() -> None:
    (finding,) = _run(
        observed(flows=(flow("93.184.216.34", 443, size=8000, first_number=17),)),
        Check.ADDRESS_WITHOUT_NAME,
    )
    assert finding.severity is Severity.LOW and "93.184.216.34" in finding.summary
    # The evidence points at the connection's first packet, so it can be found in Wireshark.
    assert finding.evidence.first.number == 17


def test_address_named_by_a_dns_answer_or_sni_is_not_reported() -> None:
    obs = observed(
        dns=(dns("api.example.org", "93.184.216.34"),),
        flows=(
            flow("93.184.216.34", 443, size=8000),
            flow("93.184.216.35", 443, size=8000, name="www.example.org", source=NameSource.SNI),
            flow("8.8.8.8", 53, transport=Transport.UDP, size=8000),
        ),
    )
    assert _run(obs, Check.ADDRESS_WITHOUT_NAME) == []


# beaconing


def _every(period: float, count: int, jitter: tuple[float, ...] = (0.0,)) -> tuple[float, ...]:
    return tuple(T0 + n * period + jitter[n % len(jitter)] for n in range(count))


def test_regular_check_ins_are_medium() -> None:
    times = _every(60.0, 8, (0.0, 1.5, -1.0, 0.5))
    flows = tuple(
        flow(
            "93.184.216.34",
            name="t.example.org",
            source=NameSource.SNI,
            first=t,
            client_port=40000 + n,
        )
        for n, t in enumerate(times)
    )
    (finding,) = _run(observed(flows=flows), Check.BEACONING)
    assert finding.severity is Severity.MEDIUM
    assert "t.example.org" in finding.summary and "every 60 seconds" in finding.summary
    assert finding.evidence.count == 8


def test_beaconing_reads_burst_times_inside_one_long_connection() -> None:
    long_lived = flow("93.184.216.34", first=T0, duration=600, timestamps=_every(90.0, 7))
    assert len(_run(observed(flows=(long_lived,)), Check.BEACONING)) == 1


@pytest.mark.parametrize(
    "times",
    [
        _every(60.0, BEACON_MIN_BURSTS - 1),  # too few
        _every(3.0, 20),  # chatty, not a timer
        (T0, T0 + 10, T0 + 100, T0 + 130, T0 + 400, T0 + 410, T0 + 900),  # irregular
    ],
    ids=["too-few", "too-fast", "irregular"],
)
def test_traffic_without_a_rhythm_is_not_beaconing(times: tuple[float, ...]) -> None:
    flows = tuple(
        flow("93.184.216.34", first=t, client_port=40000 + n) for n, t in enumerate(times)
    )
    assert _run(observed(flows=flows), Check.BEACONING) == []


def test_bursts_merge_traffic_close_together() -> None:
    assert bursts([T0, T0 + 0.5, T0 + 1.8, T0 + 30, T0 + 31]) == [T0, T0 + 30]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("192.168.43.1", False),
        ("10.1.2.3", False),
        ("100.64.0.1", False),
        ("224.0.0.251", False),
        ("255.255.255.255", False),
        ("fe80::1", False),
        ("ff02::fb", False),
        ("not-an-address", False),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(address) is public
