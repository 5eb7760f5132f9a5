"""A fake ``adb`` that replays recorded phone output: the behaviour behind the executable.

A scenario is a folder under ``tests/android/recorded/``. ``adb -s SERIAL shell CMD``
answers with the plan output file that CMD produces (mapped through
:data:`unstalk.android.acquire.plan.PLAN`, so the names cannot drift), its
``<stem>.stderr.txt`` and an exit code. ``scenario.json`` (optional) tunes the
behaviour; see README.md beside this file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from unstalk.android.acquire.plan import step_for

RECORDED = Path(__file__).resolve().parents[1] / "recorded"

ADB_VERSION = (
    b"Android Debug Bridge version 1.0.41\n"
    b"Version 29.0.6-debian\n"
    b"Installed as /usr/lib/android-sdk/platform-tools/adb\n"
)
UNAUTHORIZED = (
    b"error: device unauthorized.\n"
    b"This adb server's $ADB_VENDOR_KEYS is not set\n"
    b"Try 'adb kill-server' if that seems wrong.\n"
    b"Otherwise check for a confirmation dialog on your device.\n"
)


@dataclass(frozen=True, slots=True)
class Reply:
    exit_code: int
    stdout: bytes = b""
    stderr: bytes = b""


class Scenario:
    """A recorded scenario folder, and the folders it borrows files from (``base``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        config = folder / "scenario.json"
        self.config: dict[str, object] = (
            json.loads(config.read_text(encoding="utf-8")) if config.is_file() else {}
        )
        base = self.config.get("base")
        self.base = Scenario(folder.parent / str(base)) if base else None

    def read(self, name: str) -> bytes | None:
        path = self.folder / name
        if path.is_file():
            return path.read_bytes()
        return self.base.read(name) if self.base else None

    def setting(self, key: str) -> object:
        if key in self.config:
            return self.config[key]
        return self.base.setting(key) if self.base else None


def _device_states(listing: bytes) -> dict[str, str]:
    # Kept apart from unstalk's own parser so the fake does not share its bugs.
    states = {}
    for line in listing.decode().splitlines()[1:]:
        words = line.split()
        if len(words) >= 2:
            states[words[0]] = words[1]
    return states


def _count_call(state: Path) -> int:
    state.mkdir(parents=True, exist_ok=True)
    counter = state / "device-calls"
    calls = int(counter.read_text()) + 1 if counter.is_file() else 1
    counter.write_text(str(calls))
    return calls


Sleep = Callable[[float], None]


def _shell(scenario: Scenario, command: tuple[str, ...], sleep: Sleep) -> Reply:
    if command[:2] == ("pm", "path") and len(command) == 3:
        recorded = scenario.read(f"pm_path/{command[2]}.txt")
        package = command[2]
        made_up = f"package:/data/app/~~Rm9vQmFy==/{package}-QmF6==/base.apk\n".encode()
        return Reply(0, recorded if recorded is not None else made_up)
    step = step_for(command)
    if step is None:
        return Reply(
            127, stderr=f"/system/bin/sh: {command[0]}: inaccessible or not found\n".encode()
        )
    delays = scenario.setting("sleep")
    if isinstance(delays, dict) and step.output in delays:
        sleep(float(delays[step.output]))
    codes = scenario.setting("exit_codes")
    code = int(codes.get(step.output, 0)) if isinstance(codes, dict) else 0
    stdout = scenario.read(step.output) or b""
    return Reply(code, stdout, scenario.read(step.stderr_output) or b"")


def _pull(scenario: Scenario, remote: str, local: str) -> Reply:
    content = b"PK\x03\x04fake apk pulled from " + remote.encode() + b"\n"
    Path(local).write_bytes(content)
    line = f"{remote}: 1 file pulled, 0 skipped. 1.2 MB/s ({len(content)} bytes in 0.001s)\n"
    return Reply(0, line.encode())


def _device_reply(
    scenario: Scenario, state: Path, serial: str, args: Sequence[str], sleep: Sleep
) -> Reply:
    devices = _device_states(scenario.read("devices.txt") or b"")
    calls = _count_call(state)
    fail_after = scenario.setting("fail_after")
    gone = isinstance(fail_after, int) and calls > fail_after
    if serial not in devices or gone:
        return Reply(1, stderr=f"error: device '{serial}' not found\n".encode())
    if devices[serial] == "offline":
        return Reply(1, stderr=b"error: device offline\n")
    if devices[serial] == "unauthorized":
        return Reply(1, stderr=UNAUTHORIZED)
    if args[0] == "shell":
        return _shell(scenario, tuple(args[1:]), sleep)
    if args[0] == "pull" and len(args) == 3:
        return _pull(scenario, args[1], args[2])
    return Reply(1, stderr=f"adb: unknown command {args[0]}\n".encode())


def replay(
    argv: Sequence[str], scenario_dir: Path, state: Path, sleep: Sleep = time.sleep
) -> Reply:
    """Answer ``adb argv`` (without the program name) as the scenario's phone would."""
    scenario = Scenario(scenario_dir)
    args = list(argv)
    if args[:1] == ["version"]:
        return Reply(0, ADB_VERSION)
    if args[:1] == ["devices"]:
        listing = scenario.read("devices.txt") or b"List of devices attached\n\n"
        return Reply(0, listing)
    if args[:1] == ["-s"] and len(args) > 3:
        return _device_reply(scenario, state, args[1], args[2:], sleep)
    if args[:1] in (["shell"], ["pull"]):
        return Reply(1, stderr=b"error: no devices/emulators found\n")
    return Reply(1, stderr=f"adb: unknown command {' '.join(args)}\n".encode())
