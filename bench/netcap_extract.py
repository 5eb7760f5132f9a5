"""Claim: unstalk names a capture's connections >= 10x faster than tshark, in <= 300 MB.

Run: ``python bench/netcap_extract.py [--packets 1000000] [--format pcap|pcapng]
[--repeat 1] [--keep FILE] [--json out.json]``

In one run, on one file written by ``bench/pcapgen.py`` (a phone's traffic mix):

- **unstalk**: a fresh Python process runs ``scan_capture`` (what ``unstalk check pcap``
  runs: the capture reader and the extractor in one pass, with the short cut for flows
  no longer inspected, compiled when the package was built with a C compiler), then
  counts the DNS question names, TLS and QUIC SNIs and HTTP Hosts it found. As ``unstalk
  check pcap`` does by default, the process shares the capture's flows with helper
  processes, one per further CPU (at most 4 in all). Its peak memory is the process's
  own high-water mark (``VmHWM`` in /proc/self/status, the interpreter and imports
  included) plus the largest helper's.
- **tshark**: ``tshark -n -r FILE -o tcp.reassemble_out_of_order:TRUE -d
  udp.port==443,quic -d tcp.port==5228,tls -T fields -e dns.qry.name -e
  tls.handshake.extensions_server_name -e http.host``, its output written to a file
  and counted afterwards. The ``-o`` option makes tshark put out-of-order segments back
  in order, as unstalk does (it is off by default). The ``-d`` options say what the two
  service ports carry: tshark 4.0 binds no dissector to UDP 443 (QUIC is found by a
  heuristic) and none to TCP 5228, so when the phone's ephemeral port is one tshark
  binds to another protocol, that protocol wins and the SNI is lost (seed 7, 1M packets:
  frame 862163, a QUIC Initial from port 54328, decoded as Elasticsearch).
- **unstalk, 1 process**: the same in one process; and **1 process, Python walk only**:
  without the compiled record walk (``unstalk.netcap._fastwalk``), as an install
  without a C compiler runs. Both must find the same names.

All are timed as whole processes, start-up included (wall clock, and CPU from
``wait4``); the ratio is tshark's wall time over unstalk's. unstalk's time inside
its process, without start-up, is shown too.

How counts are compared. tshark prints one line per frame, the three fields
tab-separated; a field with several occurrences in a frame holds them joined by
commas (tshark's default aggregator), and each non-empty value counts once (the
generated names hold no commas). unstalk counts one DNS name per question of every
DNS message (queries and answers alike, as tshark does), the SNI of every ClientHello
that has one (over TCP or in QUIC Initials) and the Host of every HTTP request that has
one. tshark prints names as sent, unstalk lower-cases them, and unstalk reduces a Host to
its host name (``api.example:8080`` -> ``api.example``), so tshark's values are
normalised the same way before counting. Each field is then compared as a multiset
(every name with its count), and both against what the generator wrote. When they
differ, the frames where only one tool saw a name are printed (tshark's line number is
the frame number; unstalk reports the frame each observation completed in).

Nothing here asserts a timing. Exit status 1 when the counts differ.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from _common import Timing, machine_info, print_machine, print_table, write_json  # noqa: E402
from unstalk.netcap.parsers.http import host_from_authority  # noqa: E402

if TYPE_CHECKING:
    from pcapgen import Truth

FIELDS = ("dns", "sni", "hosts")
TSHARK_FIELDS = ("dns.qry.name", "tls.handshake.extensions_server_name", "http.host")
TSHARK_OPTIONS = (
    "-o",
    "tcp.reassemble_out_of_order:TRUE",
    "-d",
    "udp.port==443,quic",
    "-d",
    "tcp.port==5228,tls",
)
PEAK_TARGET_MB = 300
MAX_JOBS = 4
"""As ``unstalk check pcap`` does by default: the CPUs, at most 4."""
RATIO_TARGET = 10
SHOWN_FRAMES = 10

Frames = dict[str, list[int]]
"""Name -> frame numbers where it was seen (one entry per occurrence)."""


@dataclass
class Run:
    """One tool's runs: wall and CPU seconds, peak memory, and what it found."""

    label: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)
    """Seconds inside the process, start-up excluded (unstalk only)."""
    peak_bytes: int = 0
    found: dict[str, Frames] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def timing(self) -> Timing:
        return Timing(self.label, tuple(self.walls), tuple(self.cpus))

    def counts(self, name: str) -> Counter[str]:
        return Counter({key: len(frames) for key, frames in self.found[name].items()})


def run_measured(command: Sequence[str], stdout: int) -> tuple[float, float, int, int]:
    """Run ``command``; return wall seconds, CPU seconds, peak RSS bytes, exit status."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, process.returncode


# -- unstalk, in a process of its own ------------------------------------------------


def worker(path: Path, *, jobs: int, python_walk: bool) -> None:
    """Extract from ``path`` and print what was found, the time taken and the peak memory.

    ``python_walk``: leave the compiled record walk out, as an install without a C
    compiler does.
    """
    from unstalk.netcap import scanner as scan_module
    from unstalk.netcap.scan import scan_capture

    if python_walk:
        setattr(scan_module, "_fastwalk", None)  # noqa: B010 - a private module attribute
    walk = "Python" if getattr(scan_module, "_fastwalk") is None else "compiled"  # noqa: B009

    started = time.perf_counter()
    with path.open("rb") as stream:
        scan = scan_capture(stream, path=str(path), jobs=jobs, source=str(path))
    summary, result = scan.summary, scan.extraction
    found: dict[str, Frames] = {name: {} for name in FIELDS}
    _note(found["dns"], ((r.name, r.number) for r in result.dns))
    _note(found["sni"], ((h.sni, h.number) for h in result.tls if h.sni))
    _note(found["hosts"], ((r.host, r.number) for r in result.http if r.host))
    seconds = time.perf_counter() - started
    report = {
        "seconds": seconds,
        # The helper processes have ended: the largest one's peak, added to this one's.
        "vmhwm": _vmhwm() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "packets": summary.packets,
        "skipped": summary.skipped.total,
        "flows": len(result.flows),
        "malformed": result.malformed,
        "walk": walk,
        "found": found,
    }
    print(json.dumps(report))


def _note(frames: Frames, seen: Iterable[tuple[str, int]]) -> None:
    for name, number in seen:
        frames.setdefault(name, []).append(number)


def _vmhwm() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_unstalk(path: Path, run: Run, *, jobs: int, python_walk: bool = False) -> None:
    with tempfile.TemporaryFile() as out:
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path)]
        command += ["--jobs", str(jobs), *(["--python-walk"] if python_walk else [])]
        wall, cpu, peak, status = run_measured(command, out.fileno())
        out.seek(0)
        text = out.read().decode()
    if status != 0:
        raise SystemExit(f"unstalk extraction failed (exit {status}): {text[-2000:]}")
    report = json.loads(text)
    run.walls.append(wall)
    run.cpus.append(cpu)
    run.inner.append(report["seconds"])
    run.peak_bytes = max(run.peak_bytes, report["vmhwm"] or peak)
    run.found = report["found"]
    run.notes = {k: report[k] for k in ("packets", "skipped", "flows", "malformed", "walk")}


# -- tshark --------------------------------------------------------------------------


def tshark_command(path: Path) -> list[str]:
    command = ["tshark", "-n", "-r", str(path), *TSHARK_OPTIONS, "-T", "fields"]
    for name in TSHARK_FIELDS:
        command += ["-e", name]
    return command


def run_tshark(path: Path, run: Run) -> None:
    with tempfile.TemporaryFile() as out:
        wall, cpu, peak, status = run_measured(tshark_command(path), out.fileno())
        if status != 0:
            raise SystemExit(f"tshark failed on {path} (exit {status})")
        out.seek(0)
        run.found = read_tshark_fields(line.decode() for line in out)
    run.walls.append(wall)
    run.cpus.append(cpu)
    run.peak_bytes = max(run.peak_bytes, peak)


def read_tshark_fields(lines: Iterable[str]) -> dict[str, Frames]:
    """tshark's ``-T fields`` lines (one per frame) to name -> frame numbers, per field."""

    def host(value: str) -> str:
        return host_from_authority(value) or value

    normalise: tuple[Callable[[str], str], ...] = (str.lower, str.lower, host)
    found: dict[str, Frames] = {name: {} for name in FIELDS}
    columns = [found[name] for name in FIELDS]
    for number, line in enumerate(lines, 1):
        cells = line.rstrip("\r\n").split("\t")
        for frames, cell, clean in zip(columns, cells, normalise, strict=False):
            for value in cell.split(",") if cell else ():
                frames.setdefault(clean(value), []).append(number)
    return found


# -- comparison and report -------------------------------------------------------------


def compare(truth: Truth, ours: Run, tshark: Run) -> bool:
    """Print the counts of each field by each tool; True when all three agree exactly."""
    rows, same = [], True
    for name in FIELDS:
        expected: Counter[str] = getattr(truth, name)
        mine, theirs = ours.counts(name), tshark.counts(name)
        agree = mine == theirs == expected
        same = same and agree
        rows.append(
            [
                name,
                f"{expected.total():,} ({len(expected):,})",
                f"{mine.total():,} ({len(mine):,})",
                f"{theirs.total():,} ({len(theirs):,})",
                "yes" if agree else "NO",
            ]
        )
    print_table(["field", "generator", "unstalk", "tshark", "identical"], rows)
    print("(values counted, distinct names in brackets)")
    if not same:
        for name in FIELDS:
            explain_difference(name, ours.found[name], tshark.found[name], getattr(truth, name))
    return same


def explain_difference(name: str, ours: Frames, theirs: Frames, expected: Counter[str]) -> None:
    """For each name counted differently, the frames where only one tool saw it."""
    for key in sorted(set(ours) | set(theirs) | set(expected)):
        mine, other = ours.get(key, []), theirs.get(key, [])
        if len(mine) == len(other) == expected[key]:
            continue
        only_ours = sorted(Counter(mine) - Counter(other))[:SHOWN_FRAMES]
        only_theirs = sorted(Counter(other) - Counter(mine))[:SHOWN_FRAMES]
        print(
            f"  {name} {key!r}: generator {expected[key]}, unstalk {len(mine)}, "
            f"tshark {len(other)}; frames only unstalk: {only_ours}, only tshark: {only_theirs}"
        )


def report(ours: Run, tshark: Run, packets: int, others: tuple[Run, Run]) -> dict[str, object]:
    """Print the table and ratios; ``others``: one process, and one with the Python walk."""
    alone, python = others
    mine, theirs = ours.timing, tshark.timing
    ratio = theirs.median / mine.median
    inner = sorted(ours.inner)[len(ours.inner) // 2]
    rows = [
        _row(mine, ours.peak_bytes, packets),
        _row(theirs, tshark.peak_bytes, packets),
        ["unstalk, start-up excluded", f"{inner:.2f} s", "", "", f"{packets / inner:,.0f}/s"],
        _row(alone.timing, alone.peak_bytes, packets),
        _row(python.timing, python.peak_bytes, packets),
    ]
    print_table(["tool", "wall (median)", "CPU", "peak RSS", "packets"], rows)
    marks = " (* busy machine: wall > 1.2x CPU)" if mine.busy or theirs.busy else ""
    print(f"ratio tshark / unstalk: {ratio:.1f}x (target >= {RATIO_TARGET}x){marks}")
    print(f"ratio with start-up excluded for unstalk: {theirs.median / inner:.1f}x")
    print(f"ratio with one process: {theirs.median / alone.timing.median:.1f}x")
    python_ratio = theirs.median / python.timing.median
    print(f"ratio with one process and the Python walk only (no C compiler): {python_ratio:.1f}x")
    peak_mb = ours.peak_bytes / 2**20
    print(f"unstalk peak memory: {peak_mb:.0f} MiB (target <= {PEAK_TARGET_MB} MB)")
    return {
        "ratio": ratio,
        "ratio_start_up_excluded": theirs.median / inner,
        "unstalk": {"walls": ours.walls, "cpus": ours.cpus, "inner": ours.inner},
        "unstalk_one_process": {"walls": alone.walls, "cpus": alone.cpus},
        "unstalk_python_walk": {"walls": python.walls, "cpus": python.cpus},
        "tshark": {"walls": tshark.walls, "cpus": tshark.cpus},
        "unstalk_peak_bytes": ours.peak_bytes,
        "tshark_peak_bytes": tshark.peak_bytes,
        "unstalk_notes": ours.notes,
    }


def _row(timing: Timing, peak: int, packets: int) -> list[str]:
    star = "*" if timing.busy else ""
    spread = f" ({timing.best:.2f}-{max(timing.runs):.2f})" if len(timing.runs) > 1 else ""
    cpu = sorted(timing.cpu)[len(timing.cpu) // 2]
    rate = f"{packets / timing.median:,.0f}/s"
    return [
        timing.label,
        f"{timing.median:.2f} s{star}{spread}",
        f"{cpu:.2f} s",
        f"{peak / 2**20:.0f} MiB",
        rate,
    ]


def tshark_version() -> str:
    done = subprocess.run(["tshark", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.splitlines()[0] if done.stdout else "unknown"


def bench(path: Path, args: argparse.Namespace) -> int:
    from pcapgen import generate  # not at the top: the extraction process must not load it

    started = time.perf_counter()
    with path.open("wb") as out:
        truth = generate(out, args.packets, seed=args.seed, pcapng=args.format == "pcapng")
    size = path.stat().st_size
    print(
        f"capture: {path} ({args.format}, {truth.packets:,} packets, {size / 1e6:,.0f} MB, "
        f"written in {time.perf_counter() - started:.1f} s)"
    )
    mix = ", ".join(f"{k} {100 * n / truth.packets:.1f}%" for k, n in truth.kinds.most_common())
    print(f"mix by packets: {mix}")
    print(f"command: {' '.join(tshark_command(path))}\n")
    jobs = min(os.cpu_count() or 1, MAX_JOBS)
    ours, theirs = Run(f"unstalk, {jobs} processes"), Run("tshark")
    alone, python = Run("unstalk, 1 process"), Run("unstalk, 1 process, Python walk only")
    for _ in range(args.repeat):
        run_unstalk(path, ours, jobs=jobs)
        run_tshark(path, theirs)
        run_unstalk(path, alone, jobs=1)
        run_unstalk(path, python, jobs=1, python_walk=True)
    same = compare(truth, ours, theirs)
    for other in (alone, python):
        if other.found != ours.found:
            same = False
            print(f"{other.label} found other names than {ours.label}")
    print(f"unstalk: {ours.notes}")
    results = report(ours, theirs, truth.packets, (alone, python))
    if args.json:
        payload = {
            "machine": machine_info(),
            "tshark_version": tshark_version(),
            "packets": truth.packets,
            "capture_bytes": size,
            "format": args.format,
            "seed": args.seed,
            "mix": dict(truth.kinds),
            "identical": same,
            **results,
        }
        write_json(args.json, payload)
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0] if __doc__ else None)
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("pcap", "pcapng"), default="pcap")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tool (median shown)")
    parser.add_argument("--keep", type=Path, help="write the capture here and keep it")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--python-walk", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, jobs=args.jobs, python_walk=args.python_walk)
        return 0
    print_machine(machine_info())
    print(f"     peer: {tshark_version()}\n")
    if args.keep:
        return bench(args.keep, args)
    with tempfile.TemporaryDirectory() as folder:
        return bench(Path(folder) / f"phone.{args.format}", args)


if __name__ == "__main__":
    sys.exit(main())
