"""Benchmark: indicator look-ups and the full export on the coalition hub, over HTTP.

Claim: a hub holding the Echap feed answers ``GET /api/v1/lookup`` at >= 1,000 requests/s
on 2 cores with a p99 latency <= 50 ms, and exports every visible indicator as JSON in <= 1 s.

Run: ``python bench/hub_lookup.py [--workers 2] [--seconds 10] [--concurrency 32]``.

It builds a hub on SQLite in a temporary folder, imports the bundled Echap feed, adds a
member organisation (clearance GREEN) with a read-only API key, starts uvicorn on loopback
with ``--workers`` processes, and drives it from this process with a small asyncio HTTP/1.1
client over keep-alive connections (the client shares the machine's cores with the server:
its own CPU time is reported). Values are a deterministic mix of feed values, parent-domain
and URL variants, and misses. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from _common import machine_info, print_machine, print_table
from unstalk.feed.model import IndicatorKind
from unstalk.feed.store import bundled_dir, load_folder

DB_ENV = "UNSTALK_BENCH_HUB_DATABASE_URL"
STORE_ENV = "UNSTALK_BENCH_HUB_SAMPLES"


def app_factory() -> object:
    """The hub app uvicorn's workers build (``--factory``), with the rate limit out of the way."""
    from unstalk.hub.app import create_hub_app
    from unstalk.hub.settings import HubSettings

    settings = HubSettings(
        database_url=os.environ[DB_ENV],
        sample_store=Path(os.environ[STORE_ENV]),
        api_rate_per_second=1e9,
        api_burst=10**9,
    )
    return create_hub_app(settings)


def prepare_hub(folder: Path) -> tuple[str, str, int]:
    """A hub with the Echap import and a GREEN member's read key: (database URL, key, count)."""
    from unstalk.hub.accounts import create_org
    from unstalk.hub.apikeys import create_key
    from unstalk.hub.bootstrap import init_hub
    from unstalk.hub.db import Database, utcnow
    from unstalk.hub.indicators.echap_import import import_echap
    from unstalk.hub.passwords import Passwords
    from unstalk.hub.principal import load_principal
    from unstalk.hub.roles import OrgKind, Scope
    from unstalk.hub.schemas import OrgIn, UserIn

    url = f"sqlite:///{folder / 'hub.db'}"
    db = Database(url)
    passwords = Passwords(time_cost=1, memory_kib=1024)
    secret = "bench password 1234"
    admin = init_hub(
        db,
        passwords,
        org_name="Coalition",
        country="ZZ",
        admin=UserIn(email="admin@coalition.example", password=secret),
    )
    with db.reader() as session:
        coordinator = load_principal(session, admin.id)
    assert coordinator is not None
    with db.writer() as session:
        result = import_echap(session, coordinator, load_folder(bundled_dir()), source="bundled")
        member = OrgIn(
            name="Bench NGO",
            kind=OrgKind.NGO,
            country="FR",
            admin=UserIn(email="admin@ngo.example", password=secret),
        )
        _, ngo_admin = create_org(session, coordinator, member, passwords)
    with db.reader() as session:
        owner = load_principal(session, ngo_admin.id)
    assert owner is not None
    with db.writer() as session:
        _, key = create_key(
            session, owner, "bench", frozenset({Scope.READ}), expires_at=None, now=utcnow()
        )
    db.dispose()
    return url, key, result.indicators_created


def lookup_values(count: int, seed: int = 7) -> list[str]:
    """Feed values, sub-domains, URLs under listed hosts, colon fingerprints and misses."""
    feed = load_folder(bundled_dir())
    rng = random.Random(seed)
    pool = [i for i in feed.indicators if i.kind is not IndicatorKind.YARA]
    values = []
    for n in range(count):
        item = rng.choice(pool)
        roll = n % 5
        if roll == 0 and item.kind is IndicatorKind.DOMAIN:
            values.append(f"cdn{n}.{item.value}")
        elif roll == 1 and item.kind is IndicatorKind.DOMAIN:
            values.append(f"https://{item.value}/download/app{n}.apk")
        elif roll == 2 and item.kind is IndicatorKind.CERT_SHA1:
            values.append(":".join(item.value[i : i + 2] for i in range(0, 40, 2)))
        elif roll == 3:
            values.append(f"not-listed-{n}.example.org")
        else:
            values.append(item.value)
    return values


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(url: str, samples: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, DB_ENV: url, STORE_ENV: str(samples)}
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "hub_lookup:app_factory",
        "--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the hub did not start within 60 s")


@dataclass
class Load:
    latencies: list[float]
    errors: int
    seconds: float
    cpu: float


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


def _get(path: str, key: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\r\n".encode()


async def _drive(port: int, key: str, values: list[str], seconds: float, concurrency: int) -> Load:
    requests = [_get(f"/api/v1/lookup?value={quote(v, safe='')}", key) for v in values]
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = offset
        while time.perf_counter() < stop:
            start = time.perf_counter()
            status, _ = await _request(reader, writer, requests[n % len(requests)])
            latencies.append(time.perf_counter() - start)
            errors += status != 200
            n += concurrency
        writer.close()

    start, start_cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return Load(latencies, errors, time.perf_counter() - start, time.process_time() - start_cpu)


async def _export_times(port: int, key: str, repeat: int) -> tuple[list[float], int, int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    times, size, status = [], 0, 0
    for _ in range(repeat):
        start = time.perf_counter()
        status, body = await _request(reader, writer, _get("/api/v1/indicators/export", key))
        times.append(time.perf_counter() - start)
        size = len(body)
    writer.close()
    return times, size, status


def server_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) used so far by the server and its worker processes."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if root in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    print_machine(machine_info())
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="unstalk-hub-bench-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        url, key, imported = prepare_hub(folder)
        print(
            f"hub prepared with {imported} Echap indicators in {time.perf_counter() - start:.1f} s"
        )
        port = _free_port()
        server = start_server(url, folder / "samples", port, args.workers)
        try:
            _report(port, key, args, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _report(port: int, key: str, args: argparse.Namespace, server_pid: int) -> None:
    cold, size, status = asyncio.run(_export_times(port, key, 1))
    values = lookup_values(5000)
    asyncio.run(_drive(port, key, values, 2.0, args.concurrency))  # warm every worker's index
    before = server_cpu_seconds(server_pid)
    load = asyncio.run(_drive(port, key, values, args.seconds, args.concurrency))
    server_cpu = server_cpu_seconds(server_pid) - before
    warm, size, status = asyncio.run(_export_times(port, key, 10))
    count = len(load.latencies)
    rows = [
        [
            "look-ups",
            f"{count:,} in {load.seconds:.1f} s",
            f"**{count / load.seconds:,.0f} req/s**",
        ],
        ["latency p50", f"{_quantile(load.latencies, 0.50) * 1000:.1f} ms", ""],
        ["latency p99", f"**{_quantile(load.latencies, 0.99) * 1000:.1f} ms**", ""],
        ["errors (not 200)", str(load.errors), ""],
        ["load generator CPU", f"{load.cpu:.1f} s of {load.seconds:.1f} s", ""],
        [
            "server CPU per look-up",
            f"{server_cpu / count * 1000:.2f} ms",
            f"capacity on 2 idle cores ~{2 * count / server_cpu:,.0f} req/s",
        ],
        [
            "full export, first request",
            f"{cold[0] * 1000:.0f} ms",
            f"{size:,} bytes, HTTP {status}",
        ],
        ["full export, warm (median of 10)", f"**{statistics.median(warm) * 1000:.0f} ms**", ""],
    ]
    print(f"workers={args.workers} concurrency={args.concurrency}")
    print_table(["step", "measured", "rate / note"], rows)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
