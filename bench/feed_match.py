"""Benchmark: matching host names and file hashes against the bundled Echap feed.

Claim: the compiled index (unstalk.feed.index) checks at least 500,000 mixed
host names per second on one core, and 34,000 file hashes in at most 50 ms,
where MVT's Indicators class needs minutes for the same hashes.

Run: ``python bench/feed_match.py [--n 1000000] [--json out.json]``. MVT is
timed in the same run when it is importable (``pip install mvt``, best in a
virtual environment made with ``--system-site-packages``: it pins its own
cryptography); because it is much slower, it runs on a subset and its totals
are extrapolated (and labelled so). Nothing here asserts a timing.

The mixed list repeats names, as real traffic does, and ``hostnames()``
remembers the hits it has seen within a call; the "distinct" row times the
same names without repeats, so that effect is visible.
"""

from __future__ import annotations

import argparse
import importlib.resources
import logging
import os
import random
import string
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _common import (
    Timing,
    human_rate,
    machine_info,
    max_rss_bytes,
    print_machine,
    print_table,
    time_runs,
    timing_json,
    traced_peak,
    write_json,
)
from unstalk.feed.detect import parse_ip
from unstalk.feed.formats.echap import load_echap_dir
from unstalk.feed.formats.stix import export_stix
from unstalk.feed.index import FeedIndex
from unstalk.feed.model import Feed, IndicatorKind, normalise_domain

_TLDS = ("com", "net", "org", "de", "fr", "io", "co.uk", "ru", "cn", "info", "app", "com.br")
_POPULAR = ("google.com", "googleapis.com", "facebook.com", "whatsapp.net", "apple.com")
_IDN_STEMS = ("bücher", "münchen", "пример", "例え", "café", "straße", "δοκιμή")


def _random_label(rng: random.Random) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(rng.choices(alphabet, k=rng.randint(3, 12)))


def _random_host(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"{_random_label(rng)}.{rng.choice(_POPULAR)}"
    labels = [_random_label(rng) for _ in range(rng.randint(1, 3))]
    return ".".join([*labels, rng.choice(_TLDS)])


def _idn_host(rng: random.Random, punycode: bool) -> str:
    host = f"{rng.choice(_IDN_STEMS)}{rng.randint(0, 99999)}.{rng.choice(('de', 'com', 'рф'))}"
    return normalise_domain(host) if punycode else host


def make_hostnames(domains: list[str], n: int, seed: int) -> tuple[list[str], dict[str, int]]:
    """A deterministic mix of hits, near misses, odd spellings and random names.

    IDN names come mostly as punycode, as DNS queries, TLS SNI and HTTP Host
    headers carry them; Unicode spellings (typed by a person) are rare, and
    cost far more each (Python's IDNA codec), so they are timed apart too.
    Random names (the remainder, about 38%) include subdomains of popular hosts.
    """
    rng = random.Random(seed)
    makers: dict[str, tuple[float, Callable[[], str]]] = {
        "exact hit": (0.15, lambda: rng.choice(domains)),
        "subdomain hit": (0.15, lambda: f"{_random_label(rng)}.{rng.choice(domains)}"),
        "near miss notX": (0.10, lambda: f"not{rng.choice(domains)}"),
        "near miss X.evil.org": (0.10, lambda: f"{rng.choice(domains)}.evil.org"),
        "trailing dot": (0.05, lambda: f"{rng.choice(domains)}."),
        "upper case": (0.05, lambda: rng.choice(domains).upper()),
        "IDN punycode": (0.009, lambda: _idn_host(rng, punycode=True)),
        "IDN unicode": (0.001, lambda: _idn_host(rng, punycode=False)),
        "IP literal": (0.01, lambda: f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.0.1"),
    }
    names: list[str] = []
    counts: dict[str, int] = {}
    for label, (share, make) in makers.items():
        counts[label] = round(n * share)
        names.extend(make() for _ in range(counts[label]))
    counts["random"] = n - len(names)
    names.extend(_random_host(rng) for _ in range(counts["random"]))
    rng.shuffle(names)
    return names, counts


def make_hashes(feed: Feed, total: int, seed: int) -> list[str]:
    """The feed's real sample hashes plus random ones, lower case as sha256sum prints them."""
    rng = random.Random(seed)
    real = [sample.sha256.lower() for sample in feed.samples]
    fake = [rng.randbytes(32).hex() for _ in range(max(0, total - len(real)))]
    hashes = real + fake
    rng.shuffle(hashes)
    return hashes[:total]


def _network_domains(feed: Feed) -> list[str]:
    values = {normalise_domain(i.value) for i in feed.indicators if i.kind is IndicatorKind.DOMAIN}
    return sorted(v for v in values if parse_ip(v) is None)


def _bundled_echap() -> Path:
    return Path(str(importlib.resources.files("unstalk.feed") / "data" / "echap"))


class Results:
    """Rows of the printed table and the JSON payload, filled as steps are measured."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.payload: dict[str, object] = {"machine": machine_info()}
        self.timings: dict[str, dict[str, object]] = {}
        self.busy = False

    def add(self, tool: str, step: str, timing: Timing, rate: str, key: str) -> None:
        mark = " *" if timing.busy else ""
        self.busy = self.busy or timing.busy
        self.rows.append([tool, step, f"{timing.median * 1000:,.1f} ms{mark}", rate])
        self.payload[key] = timing.median
        self.timings[key] = timing_json(timing)

    def ratio(self, ours: str, theirs: str) -> str:
        mine, peer = self.payload.get(ours), self.payload.get(theirs)
        if isinstance(mine, float) and isinstance(peer, float) and mine > 0:
            return f"{peer / mine:,.0f}x"
        return "n/a"


def bench_unstalk(results: Results) -> tuple[Feed, FeedIndex]:
    echap = _bundled_echap()
    load = time_runs("load_echap_dir", lambda: load_echap_dir(echap), repeat=3)
    feed = load_echap_dir(echap)
    build = time_runs("FeedIndex.build", lambda: FeedIndex.build(feed), repeat=3)
    index, index_peak = traced_peak(lambda: FeedIndex.build(feed))
    results.add("unstalk", "load bundled Echap feed (cold parse)", load, "", "unstalk_load_s")
    results.add("unstalk", "build index", build, "", "unstalk_build_s")
    results.payload["unstalk_index_peak_bytes"] = index_peak
    results.payload["indicators"] = len(feed.indicators)
    results.payload["samples"] = len(feed.samples)
    return feed, index


def _hostname_run(index: FeedIndex, names: list[str]) -> Callable[[], int]:
    return lambda: sum(1 for _ in index.hostnames(names))


def bench_hostnames(
    index: FeedIndex, names: list[str], args: argparse.Namespace, results: Results
) -> None:
    """The mixed list as generated, its distinct names only, and Unicode IDN names apart."""
    distinct = list(dict.fromkeys(names))
    unicode_names = [_idn_host(random.Random(args.seed + i), punycode=False) for i in range(10_000)]
    for label, batch, key in (
        ("mixed", names, "unstalk_hostnames_s"),
        ("distinct", distinct, "unstalk_hostnames_distinct_s"),
        ("Unicode IDN", unicode_names, "unstalk_hostnames_unicode_s"),
    ):
        run = _hostname_run(index, batch)
        timing = time_runs(f"hostnames {label}", run, repeat=args.repeat)
        step = f"hostnames() {label} x {len(batch):,} ({run():,} hits)"
        results.add("unstalk", step, timing, human_rate(len(batch), timing.median, "names"), key)


def bench_hashes(
    index: FeedIndex, hashes: list[str], args: argparse.Namespace, results: Results
) -> None:
    def run() -> int:
        file_hash = index.file_hash
        return sum(1 for h in hashes if file_hash(h))

    timing = time_runs("file_hash", run, repeat=args.repeat)
    rate = human_rate(len(hashes), timing.median, "hashes")
    step = f"file_hash() x {len(hashes):,} ({run():,} hits)"
    results.add("unstalk", step, timing, rate, "unstalk_hashes_s")


def _time_once(label: str, step: Callable[[], int]) -> tuple[Timing, int]:
    counted: list[int] = []
    timing = time_runs(label, lambda: counted.append(step()), repeat=1, warmup=0)
    return timing, counted[0]


def _counter(batch: list[str], check: Callable[[str], object]) -> Callable[[], int]:
    return lambda: sum(1 for value in batch if check(value))


def _scaled(timing: Timing, factor: float) -> Timing:
    runs = tuple(r * factor for r in timing.runs)
    return Timing(f"{timing.label} (extrapolated)", runs, tuple(c * factor for c in timing.cpu))


def _import_mvt(folder: Path) -> type | None:
    # MVT reads its settings and downloaded indicators from these folders at import, and
    # would expand URL shorteners over the network unless told not to.
    os.environ["MVT_CONFIG_FOLDER"] = str(folder / "config")
    os.environ["MVT_DATA_FOLDER"] = str(folder / "data")
    os.environ["MVT_NETWORK_ACCESS_ALLOWED"] = "False"
    try:
        from mvt.common.indicators import Indicators
    except ImportError:
        return None
    logging.getLogger("mvt").setLevel(logging.ERROR)
    return Indicators  # type: ignore[no-any-return]


def bench_mvt(
    args: argparse.Namespace,
    feed: Feed,
    index: FeedIndex,
    names: list[str],
    hashes: list[str],
    results: Results,
) -> None:
    """Time MVT on subsets of the same inputs and extrapolate to the full counts."""
    with tempfile.TemporaryDirectory(prefix="unstalk-bench-mvt-") as tmp:
        folder = Path(tmp)
        indicators_class = _import_mvt(folder)
        if indicators_class is None:
            print("\nMVT is not importable here (pip install mvt): comparison skipped.\n")
            return
        stix = folder / "echap.stix2"
        stix.write_bytes(export_stix(feed))
        mvt = indicators_class()
        load, _ = _time_once("MVT parse_stix2", lambda: mvt.parse_stix2(str(stix)) or 0)
    results.add("MVT", "load the same feed as STIX 2.1 (our export)", load, "", "mvt_load_s")
    for what, batch, count, check, ours, key in (
        (
            "names",
            names[: args.mvt_names],
            len(names),
            mvt.check_domain,
            index.domain,
            "mvt_hostnames_s",
        ),
        (
            "hashes",
            hashes[: args.mvt_hashes],
            len(hashes),
            mvt.check_file_hash,
            index.file_hash,
            "mvt_hashes_s",
        ),
    ):
        timing, hits = _time_once(f"MVT {check.__name__}", _counter(batch, check))
        our_hits = _counter(batch, ours)()
        step = (
            f"{check.__name__} x {count:,} (extrapolated from {len(batch):,}; "
            f"hits there: MVT {hits:,}, unstalk {our_hits:,})"
        )
        rate = human_rate(len(batch), timing.median, what)
        results.add("MVT", step, _scaled(timing, count / len(batch)), rate, key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="host names to check")
    parser.add_argument("--hashes", type=int, default=34_000, help="file hashes to check")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per step")
    parser.add_argument("--seed", type=int, default=20190000)
    parser.add_argument("--mvt-names", type=int, default=20_000, help="MVT host-name subset")
    parser.add_argument("--mvt-hashes", type=int, default=1_000, help="MVT file-hash subset")
    parser.add_argument("--no-mvt", action="store_true", help="skip the MVT comparison")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    results = Results()
    feed, index = bench_unstalk(results)
    names, mix = make_hostnames(_network_domains(feed), args.n, args.seed)
    hashes = make_hashes(feed, args.hashes, args.seed)
    bench_hostnames(index, names, args, results)
    bench_hashes(index, hashes, args, results)
    if not args.no_mvt:
        bench_mvt(args, feed, index, names, hashes, results)
    report(args, feed, mix, results)
    return 0


def report(args: argparse.Namespace, feed: Feed, mix: dict[str, int], results: Results) -> None:
    print_machine(results.payload["machine"])  # type: ignore[arg-type]
    print(f"     feed: {len(feed.indicators):,} indicators, {len(feed.samples):,} samples")
    print("      mix: " + ", ".join(f"{label} {count:,}" for label, count in mix.items()))
    print(f"\nmedian of {args.repeat} runs on one core; MVT: one run on a subset, extrapolated\n")
    print_table(["tool", "step", "time", "rate"], results.rows)
    if results.busy:
        print("* wall-clock time above 1.2x CPU time: the machine was busy with other work")
    names_ratio = results.ratio("unstalk_hostnames_s", "mvt_hostnames_s")
    hashes_ratio = results.ratio("unstalk_hashes_s", "mvt_hashes_s")
    print(f"\nMVT time / unstalk time: host names {names_ratio}, file hashes {hashes_ratio}")
    if args.json:
        payload = {**results.payload, "hostname_mix": mix, "timings": results.timings}
        write_json(args.json, {**payload, "max_rss_bytes": max_rss_bytes()})


if __name__ == "__main__":
    sys.exit(main())
