"""Record what ``apksigner verify --print-certs -v`` says about every APK of the apksig corpus.

The oracle test in ``test_signing.py`` compares unstalk's signing report with
this recording; running apksigner (a JVM start per APK) on 300+ files takes
minutes, so it is recorded once and a fast test re-checks a sample live.

Regenerate (needs Debian's ``apksigner`` and ../shared/data/apksig)::

    python tests/apk/record_apksigner.py

Each APK is verified twice: as apksigner decides by default (minSdkVersion from
the manifest, which makes v1 signatures mandatory on most of these APKs), and
with ``--min-sdk-version 28`` so the v2 and v3 signatures are judged on their own.
A third run, ``apksigner lineage --print-certs``, lists the v3 key rotation
lineage (its "signers" are the lineage certificates, oldest first).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypedDict

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "apksig"
RECORDING = Path(__file__).resolve().parent / "assets" / "signing" / "apksigner-output.json"
CONFIGS: dict[str, tuple[str, ...]] = {
    "default": ("verify", "--print-certs", "-v"),
    "min-sdk-28": ("verify", "--print-certs", "-v", "--min-sdk-version", "28"),
    "lineage": ("lineage", "--print-certs", "--in"),
}
TIMEOUT_S = 120
_MAX_ERRORS = 3
_MAX_ERROR_LEN = 240

_SCHEME = re.compile(r"^Verified using (v[0-9.]+) scheme .*: (true|false)$")
_SIGNER = re.compile(
    r"^Signer #(\d+)(?: in lineage)? certificate (DN|SHA-256 digest|SHA-1 digest): (.*)$"
)
_ERROR_PREFIXES = ("ERROR", "Exception in thread")


class SignerRecord(TypedDict):
    dn: str
    sha256: str
    sha1: str


class RunRecord(TypedDict):
    verifies: bool
    schemes: dict[str, bool]
    signers: list[SignerRecord]
    errors: list[str]


def parse_output(text: str) -> RunRecord:
    """Turn apksigner's verbose text into a comparable record (digests upper-case)."""
    schemes: dict[str, bool] = {}
    signers: dict[int, dict[str, str]] = {}
    errors: list[str] = []
    keys = {"DN": "dn", "SHA-256 digest": "sha256", "SHA-1 digest": "sha1"}
    for line in text.splitlines():
        if m := _SCHEME.match(line):
            schemes[m.group(1)] = m.group(2) == "true"
        elif m := _SIGNER.match(line):
            value = m.group(3) if m.group(2) == "DN" else m.group(3).upper()
            signers.setdefault(int(m.group(1)), {})[keys[m.group(2)]] = value
        elif line.startswith(_ERROR_PREFIXES) and len(errors) < _MAX_ERRORS:
            errors.append(line[:_MAX_ERROR_LEN])
    return {
        "verifies": text.lstrip().startswith("Verifies"),
        "schemes": schemes,
        "signers": [
            {"dn": s.get("dn", ""), "sha256": s.get("sha256", ""), "sha1": s.get("sha1", "")}
            for _, s in sorted(signers.items())
        ],
        "errors": errors,
    }


def run_apksigner(apk: Path, config: str) -> RunRecord:
    """Run apksigner on one APK with one of :data:`CONFIGS`."""
    args = ["apksigner", *CONFIGS[config], str(apk)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    return parse_output(done.stdout + "\n" + done.stderr)


def record(corpus: Path = CORPUS, workers: int = 4) -> dict[str, dict[str, RunRecord]]:
    """Run every configuration on every APK of ``corpus``, in parallel."""
    apks = sorted(corpus.glob("*.apk"))
    jobs = [(apk, config) for apk in apks for config in CONFIGS]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        runs = list(pool.map(lambda job: run_apksigner(*job), jobs))
    out: dict[str, dict[str, RunRecord]] = {}
    for (apk, config), run in zip(jobs, runs, strict=True):
        out.setdefault(apk.name, {})[config] = run
    return out


def main() -> int:
    if not CORPUS.is_dir():
        sys.stderr.write(f"missing corpus: {CORPUS}\n")
        return 2
    data = record()
    RECORDING.parent.mkdir(parents=True, exist_ok=True)
    # One APK per line: small, and a re-recording diffs by APK.
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in sorted(data.items())]
    RECORDING.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
