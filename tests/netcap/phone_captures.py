"""Captures of a phone on a laptop hotspot, for the end-to-end check and CLI tests.

Built with the committed generator (tests/netcap/gen). Servers named here are
real indicators of the bundled Echap feed, so the tests follow a real hit from
the packet to the family: TheTruthSpy's C2 media-sync-a.copy9.com at
69.64.74.239, and KidsShield's C2 bucket spytrac-app1.s3.amazonaws.com, which
sits under TinyCheck's allow-listed amazonaws.com.
"""

from __future__ import annotations

from pathlib import Path

from tests.netcap.gen.app_payloads import (
    TYPE_A,
    Rr,
    client_hello,
    dns_answer,
    dns_query,
    http_request,
    tls_records,
)
from tests.netcap.gen.scenarios import START_NS, Scenario

PHONE = "10.42.0.23"
HOTSPOT = "10.42.0.1"
C2_NAME = "media-sync-a.copy9.com"
C2_ADDRESS = "69.64.74.239"
BUCKET = "spytrac-app1.s3.amazonaws.com"
BUCKET_ADDRESS = "52.216.8.10"
BEACON_NAME = "sync.hopto.org"
BEACON_ADDRESS = "93.184.216.40"
BEACON_PERIOD_S = 60
BEACONS = 7
SECOND = 1_000_000_000


class _Phone:
    def __init__(self, name: str) -> None:
        self.scenario = Scenario(name, start_ns=START_NS)
        self.port = 40000

    def lookup(self, name: str, address: str, at_s: float) -> int:
        """DNS question and answer at ``at_s`` seconds; returns the DNS query's frame number."""
        self.port += 1
        at = START_NS + int(at_s * SECOND)
        self.scenario.udp(PHONE, HOTSPOT, self.port, 53, dns_query(name), ts_ns=at)
        answer = dns_answer(name, [Rr(name, TYPE_A, address)])
        self.scenario.udp(HOTSPOT, PHONE, 53, self.port, answer)
        return len(self.scenario.frames) - 1

    def tls(self, sni: str, address: str, *, segments: int = 2) -> None:
        self.port += 1
        session = self.scenario.tcp_session(PHONE, self.port, address, 443)
        session.handshake()
        hello = tls_records(client_hello(sni))
        session.client_send(hello, segment_size=len(hello) // segments + 1)
        session.server_send(b"\x16\x03\x03" + bytes(1200))
        session.close()

    def http(self, host: str, address: str, path: str) -> None:
        self.port += 1
        session = self.scenario.tcp_session(PHONE, self.port, address, 80)
        session.handshake()
        session.client_send(http_request(host, path, method="POST", body=b"x" * 400))
        session.close()


def stalkerware_capture(path: Path) -> Path:
    """A phone reporting to a TheTruthSpy C2 and a KidsShield bucket, and checking in on a timer."""
    phone = _Phone("stalkerware")
    phone.lookup(C2_NAME, C2_ADDRESS, 0)
    phone.tls(C2_NAME, C2_ADDRESS, segments=3)
    phone.lookup(BUCKET, BUCKET_ADDRESS, 5)
    phone.tls(BUCKET, BUCKET_ADDRESS)
    for beat in range(BEACONS):
        phone.lookup(BEACON_NAME, BEACON_ADDRESS, 10 + beat * BEACON_PERIOD_S)
        phone.tls(BEACON_NAME, BEACON_ADDRESS)
    phone.lookup("www.example.com", "93.184.216.34", 500)
    phone.http("www.example.com", "93.184.216.34", "/upload")
    return phone.scenario.write(path)


def ordinary_capture(path: Path) -> Path:
    """Ten minutes of a phone visiting one web site: nothing the feed knows."""
    phone = _Phone("ordinary")
    phone.lookup("www.example.com", "93.184.216.34", 0)
    phone.tls("www.example.com", "93.184.216.34")
    phone.lookup("www.example.org", "93.184.216.35", 600)
    phone.tls("www.example.org", "93.184.216.35")
    return phone.scenario.write(path)


def short_capture(path: Path) -> Path:
    """Two seconds of traffic: too short to see an app that reports every few minutes."""
    phone = _Phone("short")
    phone.lookup("www.example.com", "93.184.216.34", 0)
    phone.lookup("www.example.org", "93.184.216.35", 2)
    return phone.scenario.write(path)


def checkin_capture(path: Path) -> Path:
    """Timer check-ins to a dynamic-DNS name: heuristic findings only, no feed match."""
    phone = _Phone("checkin")
    for beat in range(BEACONS):
        phone.lookup(BEACON_NAME, BEACON_ADDRESS, beat * BEACON_PERIOD_S)
        phone.tls(BEACON_NAME, BEACON_ADDRESS)
    return phone.scenario.write(path)
