"""A runner that replays recorded libimobiledevice outputs instead of running the tools.

A scenario is a folder under ``recorded/``: ``<stem>.stdout`` and ``<stem>.stderr``
per command, and an optional ``scenario.json`` (``base``: the folder it borrows
files from; ``exit_codes``: per stem; ``missing``: programs that are not
installed; ``timeouts``: stems that never answer). See recorded/README.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from unstalk.ios.device.runner import OnOutput, RunResult
from unstalk.ios.device.tools import WIFI_DOMAIN, WIFI_KEY

RECORDED = Path(__file__).resolve().parent / "recorded"

_STEMS: tuple[tuple[str, str], ...] = (
    ("idevice_id -l", "idevice_id"),
    ("idevicepair validate", "idevicepair_validate"),
    ("idevicepair pair", "idevicepair_pair"),
    ("ideviceinfo -x", "ideviceinfo_x"),
    (f"ideviceinfo -q {WIFI_DOMAIN} -k {WIFI_KEY}", "ideviceinfo_wifi"),
    ("ideviceinstaller -l -o xml", "ideviceinstaller_l"),
    ("ideviceinstaller list --xml", "ideviceinstaller_list"),
    ("idevicebackup2 backup --full", "idevicebackup2_backup"),
)


def stem_of(argv: Sequence[str]) -> str:
    """The recording a command answers from; the UDID and backup folder are left out."""
    words = [a for i, a in enumerate(argv) if a != "-u" and (i == 0 or argv[i - 1] != "-u")]
    command = " ".join(words)
    for prefix, stem in _STEMS:
        if command == prefix or command.startswith(prefix + " "):
            return stem
    raise AssertionError(f"unstalk ran a command that has no recording: {list(argv)}")


class ReplayRunner:
    """Answers every command from a recorded scenario; remembers what was run."""

    def __init__(self, scenario: str, *, on_backup: Callable[[Path], None] | None = None) -> None:
        self.folders = _chain(RECORDED / scenario)
        self.config: dict[str, object] = {}
        for folder in reversed(self.folders):
            config = folder / "scenario.json"
            if config.is_file():
                self.config.update(json.loads(config.read_text(encoding="utf-8")))
        self.on_backup = on_backup
        self.calls: list[list[str]] = []

    def _read(self, name: str) -> bytes | None:
        for folder in self.folders:
            if (folder / name).is_file():
                return (folder / name).read_bytes()
        return None

    def _reply(self, argv: Sequence[str]) -> RunResult:
        self.calls.append(list(argv))
        missing = self.config.get("missing", [])
        if isinstance(missing, list) and argv[0] in missing:
            raise FileNotFoundError(2, "No such file or directory", argv[0])
        stem = stem_of(argv)
        timeouts = self.config.get("timeouts", [])
        if isinstance(timeouts, list) and stem in timeouts:
            return RunResult(-1, b"", b"", timed_out=True)
        stdout = self._read(f"{stem}.stdout")
        stderr = self._read(f"{stem}.stderr") or b""
        if stdout is None and not stderr:
            raise AssertionError(f"scenario has no recording for {stem}")
        codes = self.config.get("exit_codes", {})
        code = codes.get(stem, 0) if isinstance(codes, dict) else 0
        return RunResult(int(code), stdout or b"", stderr)

    def run(self, argv: Sequence[str], timeout: float) -> RunResult:
        return self._reply(argv)

    def stream(self, argv: Sequence[str], timeout: float, on_output: OnOutput) -> RunResult:
        result = self._reply(argv)
        folder = Path(argv[-1])
        stdout = result.stdout.replace(b"{folder}", str(folder).encode())
        # Handed over in pieces cut mid-line, as a pipe does.
        for piece in re.split(rb"(?<=%)", stdout):
            on_output(piece)
        if result.exit_code == 0 and self.on_backup is not None:
            self.on_backup(folder / argv[argv.index("-u") + 1])
        return RunResult(result.exit_code, stdout, result.stderr, result.timed_out)


def _chain(folder: Path) -> list[Path]:
    folders = [folder]
    config = folder / "scenario.json"
    if config.is_file():
        base = json.loads(config.read_text(encoding="utf-8")).get("base")
        if base:
            folders.extend(_chain(folder.parent / str(base)))
    return folders
