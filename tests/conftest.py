"""Suite-wide fixtures.

Every test runs with the network closed except loopback: unstalk must never
reach out during a check, and a test that tries fails loudly here.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest


class OutboundConnectionError(AssertionError):
    """A test tried to reach a host other than this machine."""


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False
    # AF_UNIX paths and the like never leave the machine.
    return isinstance(address, str | bytes)


@pytest.fixture(autouse=True)
def _no_outbound_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(sock: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise OutboundConnectionError(f"test tried to connect to {address!r}")
        real_connect(sock, address)  # type: ignore[arg-type]

    def guarded_connect_ex(sock: socket.socket, address: object) -> int:
        if not _is_loopback(address):
            raise OutboundConnectionError(f"test tried to connect to {address!r}")
        return real_connect_ex(sock, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


@pytest.fixture
def unstalk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the CLI's data and cache folders at a fresh temporary folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("UNSTALK_HOME", str(home))
    monkeypatch.setenv("UNSTALK_CACHE", str(tmp_path / "cache"))
    yield home
