"""Helpers shared by the benchmark scripts: machine facts, timing, memory, result tables.

Every script times our code and the peer tool on the same input in the same
run, reports medians over repeated runs, and prints the machine it ran on, so
numbers in docs/benchmarks.md can be reproduced and compared.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall-clock seconds of each run of one measured step."""

    label: str
    runs: tuple[float, ...]
    cpu: tuple[float, ...] = ()
    """CPU seconds this process used in each run: far below ``runs`` means a busy machine."""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def busy(self) -> bool:
        """True when other work on the machine visibly stretched the wall-clock times."""
        return bool(self.cpu) and self.median > 1.2 * statistics.median(self.cpu)

    @property
    def best(self) -> float:
        return min(self.runs)


def machine_info() -> dict[str, str]:
    """What the numbers were measured on."""
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": str(os.cpu_count() or "unknown"),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def time_runs(
    label: str, step: Callable[[], object], *, repeat: int = 5, warmup: int = 1
) -> Timing:
    """Run ``step`` ``warmup`` times untimed, then ``repeat`` times timed.

    The garbage collector is paused while timing: a collection landing inside
    one run but not another would make the spread meaningless.
    """
    for _ in range(warmup):
        step()
    runs: list[float] = []
    cpu: list[float] = []
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            step()
            runs.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    finally:
        if enabled:
            gc.enable()
    return Timing(label, tuple(runs), tuple(cpu))


def traced_peak(step: Callable[[], _T]) -> tuple[_T, int]:
    """Run ``step`` once and return its result and the peak bytes Python allocated meanwhile."""
    tracemalloc.start()
    try:
        result = step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def max_rss_bytes() -> int:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows as a Markdown table, ready to paste into docs/benchmarks.md."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(line(headers))
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in rows:
        print(line(row))


def print_machine(info: dict[str, str]) -> None:
    for key, value in info.items():
        print(f"{key:>9}: {value}")


def write_json(path: Path, payload: dict[str, object]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def timing_json(timing: Timing) -> dict[str, object]:
    return {**asdict(timing), "median": timing.median, "best": timing.best, "busy": timing.busy}


def human_rate(count: float, seconds: float, unit: str) -> str:
    return f"{count / seconds:,.0f} {unit}/s" if seconds > 0 else "n/a"
