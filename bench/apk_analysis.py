"""Claim: unstalk analyses an APK >= 10x faster than androguard reads it; ``scan apk`` throughput.

Run: ``python bench/apk_analysis.py [--repeat 5] [--large-repeat 3] [--scan-count 1000] [--jobs 2]
[--json out.json]``

Measured in one run, on the same files:

- **per APK**: every APK of the AOSP apksig corpus (../shared/data/apksig) and of the
  synthetic corpus (tests/apk/builder) that both tools open. androguard (a test and bench
  extra, never a runtime dependency) runs ``APK(path)`` and the getters a triage needs:
  package, version code and name, permissions, activities, services, receivers and the
  v1, v2 and v3 certificates. Those getters verify the v1 SignerInfo's signature over its
  .SF file (one public-key operation per JAR signer) and nothing else: no v2/v3
  signature, no content digest, no JAR digest. Its loguru logging is disabled, its
  fastest setting. unstalk is timed four ways against that one androguard run:

  - *like for like*: open the APK, read the manifest and the certificates of every
    scheme, signatures not verified (``read_manifest`` + ``read_signing(...,
    verify_signatures=False)``): the same outputs, one public-key operation less per
    JAR signer than androguard;
  - the same with every v1, v2, v3 and v3.1 signature verified, content digests not
    hashed (``verify_digests=False``): more checks than androguard;
  - the *full analysis*, ``Analyser(feed).analyse_bytes``: the above with every
    signature and digest verified, plus dex strings, endpoints, the feed's YARA rules,
    capabilities and the verdict, none of which androguard's getters do;
  - the full analysis with ``verify_signatures=False`` (``--no-verify`` on the CLI).

  Each APK is timed ``--repeat`` times per tool and step; tables give the median over
  APKs of the per-APK medians, and their sum. unstalk forgets the certificates it has
  read before each timed run, so every run reads its APK's signers anew.
- **real-world-sized APKs**: three synthetic apps of 4, 12 and 28 MB (2 to 8 dex files of
  20,000 to 50,000 strings, 5,000 to 30,000 resource strings, 600 to 3,000 resource
  files, a native library; :mod:`tests.apk.builder.large`), built once into
  ``bench/out/apk-large`` and timed the same ways (median of ``--large-repeat`` runs).
- **by stage**: the same APKs, each tool timed reading the manifest alone, then with the
  certificates.
- **scan throughput**: ``--scan-count`` variants of the synthetic apps (new package names and
  versions, each signed anew) built into a temporary folder, then ``unstalk scan apk
  --format jsonl -j JOBS`` timed as a subprocess, start-up included; for reference the
  same files analysed one after another in this process.

Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]

from tests.apk.builder.corpus import APPS, build_corpus  # noqa: E402
from tests.apk.builder.large import build_large_corpus  # noqa: E402

from _common import (  # noqa: E402
    machine_info,
    print_machine,
    print_table,
    write_json,
)
from unstalk.apk.analyse import Analyser  # noqa: E402
from unstalk.apk.manifest import read_manifest  # noqa: E402
from unstalk.apk.parsers.certs import clear_cache  # noqa: E402
from unstalk.apk.parsers.signing import read_signing  # noqa: E402
from unstalk.apk.parsers.zip import ApkZip  # noqa: E402
from unstalk.feed.store import bundled_dir, load_folder  # noqa: E402

APKSIG = ROOT.parent / "shared" / "data" / "apksig"
LARGE = ROOT / "bench" / "out" / "apk-large"
GC_EVERY = 50
"""APKs timed between two garbage collections (a collection is slow, so never inside a run)."""
CLAIMS = (
    ("triage", "like for like: manifest + certificates, not verified"),
    ("triage_verified", "manifest + certificates, every signature verified"),
    ("full", "full analysis, every signature and digest verified"),
    ("unverified", "full analysis, signatures not verified"),
)
"""unstalk's steps compared with androguard's APK + getters, and how tables name them."""
Analysers = tuple[Analyser, Analyser]


@dataclass(frozen=True, slots=True)
class Measured:
    """Per-APK medians, in seconds, of each step of each tool, in the order of ``names``."""

    names: tuple[str, ...]
    ours: dict[str, list[float]]
    theirs: dict[str, list[float]]
    skipped: tuple[str, ...]
    """APKs one of the tools cannot open (not timed)."""


class Androguard:
    """androguard's ``APK`` with the getters a triage needs, its logging switched off."""

    def __init__(self) -> None:
        from androguard.core.apk import APK  # type: ignore[import-untyped]
        from loguru import logger

        logger.disable("androguard")
        self.apk_class = APK

    def manifest(self, path: Path) -> list[object]:
        return self._identity(self.apk_class(str(path)))

    def full(self, path: Path) -> list[object]:
        apk = self.apk_class(str(path))
        getters = (
            apk.get_certificates_v1,
            apk.get_certificates_der_v2,
            apk.get_certificates_der_v3,
        )
        return [*self._identity(apk), *(_tolerant(getter) for getter in getters)]

    @staticmethod
    def _identity(apk: Any) -> list[object]:
        return [
            apk.get_package(),
            apk.get_androidversion_code(),
            apk.get_androidversion_name(),
            apk.get_permissions(),
            apk.get_activities(),
            apk.get_services(),
            apk.get_receivers(),
        ]


def _tolerant(getter: Callable[[], object]) -> object:
    """A getter's answer; androguard raises on some damaged signing blocks, which still counts."""
    try:
        return getter()
    except Exception as e:  # noqa: BLE001 - any androguard failure ends that getter's work
        return e


def corpus(folder: Path) -> list[Path]:
    apksig = sorted(APKSIG.glob("*.apk")) if APKSIG.is_dir() else []
    return [*apksig, *build_corpus(folder).values()]


def _median_of_runs(step: Callable[[], object], repeat: int) -> float:
    step()
    runs = []
    for _ in range(repeat):
        clear_cache()
        start = time.perf_counter()
        step()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def _opened(data: bytes, stage: Callable[[ApkZip], object]) -> object:
    """Open the archive anew each run: it counts what it has read against its budget."""
    return stage(ApkZip.from_bytes(data))


def _triage(data: bytes, *, verify: bool) -> object:
    """What androguard's getters give: the manifest and every scheme's certificates."""
    archive = ApkZip.from_bytes(data)
    signing = read_signing(archive, verify_digests=False, verify_signatures=verify)
    return read_manifest(archive), signing


def _our_steps(data: bytes, name: str, analysers: Analysers) -> dict[str, Callable[[], object]]:
    analyser, unverified = analysers
    return {
        "manifest": partial(_opened, data, read_manifest),
        "signatures": partial(_opened, data, read_signing),
        "signers": partial(_opened, data, partial(read_signing, verify_signatures=False)),
        "triage": partial(_triage, data, verify=False),
        "triage_verified": partial(_triage, data, verify=True),
        "full": partial(analyser.analyse_bytes, data, path=name),
        "unverified": partial(unverified.analyse_bytes, data, path=name),
    }


def measure(paths: Sequence[Path], analysers: Analysers, peer: Androguard, repeat: int) -> Measured:
    """Time every step of both tools on every APK both can open.

    ``analysers``: one verifying signatures, one not.
    """
    names: list[str] = []
    skipped: list[str] = []
    ours: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {"manifest": [], "full": []}
    gc.collect()
    gc.disable()
    try:
        for path in paths:
            data = path.read_bytes()
            try:
                peer.full(path)
                analysers[0].analyse_bytes(data, path=path.name)
            except Exception:  # noqa: BLE001 - a file either tool refuses is not timed
                skipped.append(path.name)
                continue
            names.append(path.name)
            for step, run in _our_steps(data, path.name, analysers).items():
                ours.setdefault(step, []).append(_median_of_runs(run, repeat))
            theirs["manifest"].append(_median_of_runs(partial(peer.manifest, path), repeat))
            theirs["full"].append(_median_of_runs(partial(peer.full, path), repeat))
            if len(names) % GC_EVERY == 0:
                gc.collect()
    finally:
        gc.enable()
    return Measured(tuple(names), ours, theirs, tuple(skipped))


def build_variants(folder: Path, count: int) -> float:
    """Build ``count`` variants of the synthetic apps into ``folder``; return the seconds taken."""
    start = time.perf_counter()
    variants = [
        replace(app, package=f"{app.package}.v{i}", version_code=1000 + i)
        for i, app in ((i, APPS[i % len(APPS)]) for i in range(count))
    ]
    build_corpus(folder, variants)
    return time.perf_counter() - start


def scan_cli(folder: Path, jobs: int, home: Path) -> tuple[float, float, int, int]:
    """``unstalk scan apk --format jsonl -j JOBS``: seconds, CPU seconds, results, exit code."""
    env = {**os.environ, "UNSTALK_HOME": str(home / "data"), "UNSTALK_CACHE": str(home / "cache")}
    command = [sys.executable, "-c", "from unstalk.cli.main import main; main()", "scan", "apk"]
    warm = next(folder.glob("*.apk"))
    # One file first, so the feed cache exists and the timed run measures scanning, not set-up.
    subprocess.run([*command, str(warm)], env=env, capture_output=True, check=False)
    out = home / "results.jsonl"
    cpu_before = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [*command, str(folder), "--format", "jsonl", "-j", str(jobs), "-o", str(out)],
        env=env,
        capture_output=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    lines = out.read_text(encoding="utf-8").splitlines() if out.is_file() else []
    return seconds, cpu, len(lines), done.returncode


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def in_process(folder: Path, analyser: Analyser) -> tuple[float, float]:
    """Seconds and CPU seconds to analyse every APK of ``folder`` one after another."""
    start, start_cpu = time.perf_counter(), time.process_time()
    for path in sorted(folder.glob("*.apk")):
        analyser.analyse_path(path)
    return time.perf_counter() - start, time.process_time() - start_cpu


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _ratio(theirs: float, ours: float) -> str:
    return f"{theirs / ours:.1f}x" if ours > 0 else "n/a"


def _claim_rows(m: Measured) -> list[list[str]]:
    theirs = m.theirs["full"]
    med_theirs = statistics.median(theirs)
    rows = []
    for step, label in CLAIMS:
        ours = m.ours[step]
        ratios = statistics.median(t / o for o, t in zip(ours, theirs, strict=True))
        med_ours = statistics.median(ours)
        rows += [
            [f"{label}: median per APK", _ms(med_ours), _ms(med_theirs),
             _ratio(med_theirs, med_ours)],
            [f"{label}: total", f"{sum(ours):.3f} s", f"{sum(theirs):.3f} s",
             _ratio(sum(theirs), sum(ours))],
            [f"{label}: median of per-APK ratios", "", "", f"{ratios:.1f}x"],
        ]  # fmt: skip
    return rows


def _large_rows(m: Measured) -> list[list[str]]:
    rows = []
    for k, name in enumerate(m.names):
        theirs = m.theirs["full"][k]
        cells = [
            f"{_ms(m.ours[step][k])} ({_ratio(theirs, m.ours[step][k])})" for step, _ in CLAIMS
        ]
        size = (LARGE / name).stat().st_size / 1e6
        rows.append([f"{name} ({size:.1f} MB)", _ms(theirs), *cells])
    return rows


def _stage_rows(m: Measured) -> list[list[str]]:
    ours = {step: sum(times) for step, times in m.ours.items()}
    theirs = {step: sum(times) for step, times in m.theirs.items()}
    rest = ours["full"] - ours["manifest"] - ours["signatures"]
    certificates = theirs["full"] - theirs["manifest"]
    return [
        ["open the APK, read the manifest", f"{ours['manifest']:.3f} s",
         f"{theirs['manifest']:.3f} s", _ratio(theirs["manifest"], ours["manifest"])],
        ["signing certificates", f"{ours['signatures']:.3f} s", f"{certificates:.3f} s",
         _ratio(certificates, ours["signatures"])],
        ["signing certificates, not verified", f"{ours['signers']:.3f} s",
         f"{certificates:.3f} s", _ratio(certificates, ours["signers"])],
        ["dex strings, endpoints, YARA, capabilities, verdict", f"{rest:.3f} s", "not done", ""],
    ]  # fmt: skip


def _scan_rows(scan: dict[str, float]) -> list[list[str]]:
    count = scan["count"]
    return [
        [f"unstalk scan apk --format jsonl -j {scan['jobs']:.0f} (subprocess, start-up included)",
         f"{scan['cli']:.2f} s", f"{scan['cli_cpu']:.2f} s", f"{count / scan['cli']:.0f}"],
        ["Analyser.analyse_path, one after another in this process",
         f"{scan['serial']:.2f} s", f"{scan['serial_cpu']:.2f} s",
         f"{count / scan['serial']:.0f}"],
    ]  # fmt: skip


def report(m: Measured, large: Measured | None, scan: dict[str, float]) -> None:
    print_machine(machine_info())
    left_out = ", ".join(m.skipped) or "none"
    print(f"\nper APK: {len(m.names)} APKs timed; left out (a tool cannot open them): {left_out}")
    print_table(["unstalk step", "unstalk", "androguard (APK + getters)", "ratio"], _claim_rows(m))
    if large is not None:
        print("\nreal-world-sized APKs (median per step; ratio to androguard in brackets):")
        headers = ["APK", "androguard", *(label for _, label in CLAIMS)]
        print_table(headers, _large_rows(large))
    print(
        "\nby stage (sums of per-APK medians; unstalk opens the ZIP again for its signature step):"
    )
    print_table(["stage", "unstalk", "androguard", "ratio"], _stage_rows(m))
    print(f"\nscan throughput: {scan['count']:.0f} synthetic APKs (built in {scan['build']:.1f} s)")
    print_table(["run", "time", "CPU time", "APKs/s"], _scan_rows(scan))
    if scan["results"] != scan["count"] or scan["exit_code"] not in (0, 1):
        print(f"warning: {scan['results']:.0f} results, exit code {scan['exit_code']:.0f}")


def _as_json(m: Measured) -> dict[str, object]:
    return {"apks": list(m.names), "unstalk": m.ours, "androguard": m.theirs,
            "skipped": list(m.skipped)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per APK and step")
    parser.add_argument("--scan-count", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--large-repeat", type=int, default=3, help="0: skip the large APKs")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()

    try:
        peer = Androguard()
    except ImportError:
        sys.exit("androguard is not installed (pip install androguard): nothing to compare with.")
    feed = load_folder(bundled_dir())
    analyser = Analyser(feed)
    unverified = Analyser(feed, index=analyser.index, verify_signatures=False)
    with tempfile.TemporaryDirectory(prefix="unstalk-bench-") as tmp:
        work = Path(tmp)
        analysers = (analyser, unverified)
        measured = measure(corpus(work / "synthetic"), analysers, peer, args.repeat)
        large = None
        if args.large_repeat > 0:
            paths = build_large_corpus(LARGE)
            large = measure(paths, analysers, peer, args.large_repeat)
        build = build_variants(work / "variants", args.scan_count)
        cli, cli_cpu, results, code = scan_cli(work / "variants", args.jobs, work / "home")
        serial, serial_cpu = in_process(work / "variants", analyser)
    scan = {"count": args.scan_count, "jobs": args.jobs, "build": build, "cli": cli,
            "cli_cpu": cli_cpu, "serial": serial, "serial_cpu": serial_cpu, "results": results,
            "exit_code": code}  # fmt: skip
    report(measured, large, scan)
    if args.json:
        write_json(args.json, {
            "machine": machine_info(),
            **_as_json(measured),
            "large": _as_json(large) if large is not None else None,
            "scan": scan,
        })  # fmt: skip


if __name__ == "__main__":
    main()
