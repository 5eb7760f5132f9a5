"""The extractor on generated capture files, checked against expectations and tshark.

Captures come from ``tests/netcap/gen/app_scenarios.py`` and are written fresh
in a temporary folder (pcap and pcapng; IPv4, IPv6 and 802.1Q). The oracle
tests run tshark with ``-T fields -e dns.qry.name -e
tls.handshake.extensions_server_name -e http.host`` and need the same names,
as many times each, as the extractor finds. tshark is told to reassemble
out-of-order TCP segments, which it does not do by default.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.netcap.gen import app_scenarios as scenarios
from tests.netcap.gen.app_scenarios import AppCapture
from unstalk.netcap.extract import Extraction, Extractor
from unstalk.netcap.parsers.http import host_from_authority
from unstalk.netcap.reader import read_capture

Builder = Callable[..., AppCapture]
VARIANTS: dict[str, tuple[bool, tuple[int, ...]]] = {
    "ipv4": (False, ()),
    "ipv6": (True, ()),
    "vlan": (False, (100,)),
}
BUILDERS: dict[str, Builder] = {build.__name__: build for build in scenarios.ALL}
BUILDERS["quic_rfc9369"] = lambda **kw: scenarios.quic_capture(rfc_version=2, **kw)


def _extract(path: Path) -> Extraction:
    extractor = Extractor()
    with read_capture(path) as capture:
        for packet in capture:
            extractor.add(packet)
    return extractor.finish()


def _found(result: Extraction) -> tuple[Counter[str], Counter[str], Counter[str]]:
    return (
        Counter(r.name for r in result.dns),
        Counter(h.sni for h in result.tls if h.sni),
        Counter(r.host for r in result.http if r.host),
    )


def _expected(capture: AppCapture) -> tuple[Counter[str], Counter[str], Counter[str]]:
    return Counter(capture.dns), Counter(capture.sni), Counter(capture.hosts)


@pytest.mark.parametrize("suffix", [".pcap", ".pcapng.gz"])
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("builder", list(BUILDERS))
def test_generated_capture_gives_the_expected_names(
    builder: str, variant: str, suffix: str, tmp_path: Path
) -> None:
    ipv6, vlans = VARIANTS[variant]
    capture = BUILDERS[builder](ipv6=ipv6, vlans=vlans)
    result = _extract(capture.scenario.write(tmp_path / f"{builder}{suffix}"))
    assert _found(result) == _expected(capture)
    assert result.malformed == {}
    named = {
        (f.key.client, f.key.client_port, f.key.server, f.key.server_port): (f.name, f.name_source)
        for f in result.flows
    }
    assert {flow: named.get(flow) for flow in capture.names} == capture.names


def _tshark_fields(path: Path) -> tuple[Counter[str], Counter[str], Counter[str]]:
    command = ["tshark", "-n", "-r", str(path), "-o", "tcp.reassemble_out_of_order:TRUE"]
    command += ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"]
    command += ["-e", "dns.qry.name", "-e", "tls.handshake.extensions_server_name"]
    command += ["-e", "http.host"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    columns: tuple[Counter[str], Counter[str], Counter[str]] = (Counter(), Counter(), Counter())
    for line in run.stdout.splitlines():
        for column, field in zip(columns, line.split("\t"), strict=False):
            column.update(value for value in field.split("|") if value)
    dns, sni, hosts = columns
    # tshark prints names as sent and Host with its port; the extractor normalises both.
    return (
        Counter({name.lower(): n for name, n in dns.items()}),
        Counter({name.lower(): n for name, n in sni.items()}),
        Counter({host_from_authority(h) or "": n for h, n in hosts.items()}),
    )


ORACLE_CAPTURES: dict[str, Callable[[], AppCapture]] = {
    "combined-ipv4.pcap": scenarios.combined_capture,
    "combined-ipv6-vlan.pcapng": lambda: scenarios.combined_capture(ipv6=True, vlans=(7,)),
    "quic-rfc9369.pcapng": BUILDERS["quic_rfc9369"],
}


@pytest.mark.oracle
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize("name", list(ORACLE_CAPTURES))
def test_names_equal_tsharks(name: str, tmp_path: Path) -> None:
    capture = ORACLE_CAPTURES[name]()
    path = capture.scenario.write(tmp_path / name)
    oracle = _tshark_fields(path)
    assert oracle == _expected(capture)
    assert _found(_extract(path)) == oracle
