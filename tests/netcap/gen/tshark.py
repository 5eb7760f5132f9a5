"""tshark as an oracle: run ``tshark -T fields`` on a generated capture and read the rows.

tshark always runs with ``-n`` (no name resolution, so no network) and with IP
reassembly off, so each frame is dissected on its own as unstalk reads it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TIMEOUT_S = 120
NO_REASSEMBLY = ("-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE")


def have_tshark() -> bool:
    return shutil.which("tshark") is not None


def tshark_fields(
    path: Path, fields: Sequence[str], *, options: Sequence[str] = NO_REASSEMBLY
) -> list[dict[str, str]]:
    """One dict per frame, field name to tshark's text ("" when the field is absent)."""
    command = ["tshark", "-n", *options, "-r", str(path), "-T", "fields", "-E", "separator=|"]
    for name in fields:
        command += ["-e", name]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if result.returncode != 0:
        raise AssertionError(f"tshark failed on {path}: {result.stderr}")
    return [dict(zip(fields, line.split("|"), strict=True)) for line in result.stdout.splitlines()]


def tshark_fields_many(
    paths: Sequence[Path], fields: Sequence[str], *, options: Sequence[str] = NO_REASSEMBLY
) -> list[list[dict[str, str]]]:
    """:func:`tshark_fields` on several captures, one tshark per CPU at a time."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(lambda path: tshark_fields(path, fields, options=options), paths))
