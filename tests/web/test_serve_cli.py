"""``unstalk serve``: loopback by default, refusing other hosts without the risk flag."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import webbrowser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from click.testing import CliRunner

from unstalk.cli import serve as serve_module
from unstalk.cli.serve import allowed_hosts_for, browser_url, open_when_ready, serve
from unstalk.errors import UsageError

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, feed_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNSTALK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UNSTALK_CACHE", str(feed_cache))


Bound = list[tuple[str, ...]]


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> Bound:
    """Record the addresses uvicorn would serve on, instead of serving forever."""
    runs: Bound = []

    def fake_run(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        runs.append(tuple(str(sock.getsockname()[0]) for sock in sockets or []))
        for sock in sockets or []:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    return runs


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []

    def record(url: str) -> bool:
        urls.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", record)
    return urls


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "laptop.lan"])
def test_non_loopback_host_is_refused_without_the_risk_flag(
    host: str, no_server: Bound, opened: list[str]
) -> None:
    result = runner.invoke(serve, ["--host", host, "--port", "0"])
    assert isinstance(result.exception, UsageError)
    assert "--allow-remote-access" in result.exception.diagnostics()
    assert "reachable from other machines" in result.stderr
    assert no_server == [] and opened == []


def test_risk_flag_starts_it_with_the_warning(no_server: Bound, opened: list[str]) -> None:
    result = runner.invoke(
        serve, ["--host", "0.0.0.0", "--port", "0", "--allow-remote-access", "--no-browser"]
    )
    assert result.exit_code == 0, result.output
    assert "reachable from other machines" in result.stderr
    assert "unstalk is running at http://127.0.0.1:" in result.stdout
    assert no_server == [("0.0.0.0",)] and opened == []


def test_default_is_loopback_only(no_server: Bound) -> None:
    result = runner.invoke(serve, ["--port", "0", "--no-browser"])
    assert result.exit_code == 0, result.output
    assert "reachable from other machines" not in result.stderr
    assert no_server == [("127.0.0.1",)]
    assert result.stdout.startswith("unstalk is running at http://127.0.0.1:")


def test_port_in_use_is_explained(no_server: Bound) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(serve, ["--port", str(port), "--no-browser"])
    assert isinstance(result.exception, UsageError)
    assert f"Port {port} is already in use" in result.exception.diagnostics()
    assert no_server == []


def _get(url: str) -> tuple[int, str, str | None]:
    """Status, body and Server header of a GET (straight to the address: no proxy)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        return response.status, response.read().decode(), response.getheader("server")
    finally:
        connection.close()


def test_serves_the_app_and_opens_the_browser_when_ready(
    monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    pages: list[tuple[int, str, str | None]] = []

    def fetch_then_stop(server: uvicorn.Server, url: str) -> None:
        def run() -> None:
            open_when_ready(server, url)
            deadline = time.monotonic() + 10
            while not opened and time.monotonic() < deadline:
                time.sleep(0.02)
            pages.append(_get(url))
            server.should_exit = True

        threading.Thread(target=run, daemon=True).start()

    monkeypatch.setattr(serve_module, "open_when_ready", fetch_then_stop)
    result = runner.invoke(serve, ["--port", "0"])
    assert result.exit_code == 0, result.output
    assert opened and opened[0].startswith("http://127.0.0.1:")
    status, body, server_header = pages[0]
    assert status == 200
    assert "Before you start" in body
    assert server_header is None


def test_bind_address_decides_the_accepted_hosts_and_browser_address() -> None:
    assert allowed_hosts_for("127.0.0.1") == ()
    assert allowed_hosts_for("localhost") == ()
    assert allowed_hosts_for("::1") == ()
    assert allowed_hosts_for("0.0.0.0") == ("*",)
    assert allowed_hosts_for("Laptop.LAN") == ("laptop.lan",)
    assert browser_url("0.0.0.0", 8765) == "http://127.0.0.1:8765/"
    assert browser_url("::1", 8765) == "http://[::1]:8765/"
