"""Claim: the bundled feed loads in <= 50 ms (cached parse), side by side with MVT's STIX loading.

Run: ``python bench/feed_load.py [--json out.json] [--repeat 7]``

Measured in one run, on the same data:
- ``unstalk cold``: parse the four Echap files (no cache);
- ``unstalk cached``: what every command pays: hash the files, load the cached parse;
- ``unstalk index``: build the match index from a loaded feed;
- ``MVT``: MVT's ``Indicators.parse_stix2`` loading the same feed as a STIX 2.1 file (our
  export, which MVT reads), in MVT's own virtualenv (``--setup-peers`` creates it).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Timing,
    machine_info,
    print_machine,
    print_table,
    time_runs,
    timing_json,
    write_json,
)
from _peers import mvt_python, run_in  # noqa: E402
from unstalk.feed.formats.stix import export_stix  # noqa: E402
from unstalk.feed.index import FeedIndex  # noqa: E402
from unstalk.feed.store import bundled_dir, load_cached, load_folder  # noqa: E402

_MVT_LOAD = """
import json, logging, sys, time
from mvt.common.indicators import Indicators
logging.disable(logging.CRITICAL)
runs = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    indicators = Indicators(log=logging.getLogger("bench"))
    indicators.parse_stix2(sys.argv[1])
    runs.append(time.perf_counter() - start)
count = sum(len(c["domains"]) + len(c["app_ids"]) + len(c["files_sha256"])
            for c in indicators.ioc_collections)
print(json.dumps({"runs": runs, "indicators": count}))
"""


def _mvt_timing(stix_path: Path, *, setup: bool, repeat: int) -> tuple[Timing, int] | None:
    python = mvt_python(setup=setup)
    if python is None:
        return None
    result = run_in(python, _MVT_LOAD, str(stix_path), str(repeat))
    runs = result["runs"]
    count = result["indicators"]
    assert isinstance(runs, list) and isinstance(count, int)
    return Timing("MVT parse_stix2", tuple(float(r) for r in runs)), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--setup-peers", action="store_true", help="create MVT's virtualenv if it is missing"
    )
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)

    folder = bundled_dir()
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        load_cached(folder, cache)  # fill the cache once, as the first command would
        feed = load_folder(folder)
        stix_path = Path(tmp) / "echap.stix2"
        stix_path.write_bytes(export_stix(feed))

        timings: list[Timing] = [
            time_runs("unstalk cold parse", lambda: load_folder(folder), repeat=args.repeat),
            time_runs(
                "unstalk cached load", lambda: load_cached(folder, cache), repeat=args.repeat
            ),
            time_runs("unstalk index build", lambda: FeedIndex.build(feed), repeat=args.repeat),
        ]
        mvt = _mvt_timing(stix_path, setup=args.setup_peers, repeat=3)
        if mvt is not None:
            timings.append(mvt[0])

    print_machine(machine_info())
    print(f"indicators: {len(feed.indicators)}, samples: {len(feed.samples)}")
    rows = [[t.label, f"{t.median * 1000:.1f} ms", f"{t.best * 1000:.1f} ms"] for t in timings]
    print_table(["step", "median", "best"], rows)
    if mvt is None:
        print("MVT is not available: run with --setup-peers (or set MVT_PYTHON) to compare.")
    else:
        ratio = mvt[0].median / timings[1].median
        print(f"MVT loaded {mvt[1]} indicators; unstalk cached load is {ratio:.0f}x faster")
    if args.json:
        write_json(
            args.json, {"machine": machine_info(), "timings": [timing_json(t) for t in timings]}
        )


if __name__ == "__main__":
    main()
