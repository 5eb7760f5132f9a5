"""Run peer tools that cannot share our environment, each in a virtualenv of its own.

MVT pins versions of cryptography and rich that differ from ours, so it lives in
``bench/.venv-mvt`` (made on first use with ``--setup-peers``, or point
``MVT_PYTHON`` at any Python that imports ``mvt``). Timings are taken inside
that interpreter and handed back as JSON, so process start-up is not counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MVT_VENV = Path(__file__).resolve().parent / ".venv-mvt"


def mvt_python(*, setup: bool) -> Path | None:
    """A Python interpreter that can import mvt, or None when there is none (and no setup)."""
    explicit = os.environ.get("MVT_PYTHON")
    candidates = [Path(explicit)] if explicit else []
    candidates.append(MVT_VENV / "bin" / "python")
    for python in candidates:
        if python.is_file() and _imports_mvt(python):
            return python
    if not setup:
        return None
    # System site packages keep unstalk importable there too, so one interpreter can run both.
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(MVT_VENV)], check=True
    )
    python = MVT_VENV / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "mvt"], check=True)
    return python if _imports_mvt(python) else None


def _imports_mvt(python: Path) -> bool:
    done = subprocess.run([str(python), "-c", "import mvt"], capture_output=True, check=False)
    return done.returncode == 0


def run_in(python: Path, script: str, *args: str) -> dict[str, object]:
    """Run ``script`` (Python source printing one JSON object last) and return that object."""
    done = subprocess.run(
        [str(python), "-c", script, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
