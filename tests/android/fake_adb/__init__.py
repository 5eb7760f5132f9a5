"""The fake ``adb`` for tests: an executable on PATH, or the same replay run in-process.

``install(bin_dir, scenario, state)`` writes ``bin_dir/adb``, a Python script whose
shebang is the interpreter running the tests; prepend ``bin_dir`` to ``PATH`` and
unstalk's real subprocess runner talks to it. :class:`ReplayRunner` answers the
same way without starting a process, for the many tests where speed matters.
"""

from __future__ import annotations

import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.android.fake_adb.replay import RECORDED, replay
from unstalk.android.acquire.adb import RunResult

_REPO = Path(__file__).resolve().parents[3]

# replay.py is imported as a top-level module, not as tests.android.fake_adb.replay, so each
# call skips importing the test package: the fake answers a few dozen times per acquisition.
_WRAPPER = """#!{python} -S
import sys
from pathlib import Path
sys.path[:0] = [{src!r}, {here!r}]
from replay import replay
reply = replay(sys.argv[1:], Path({scenario!r}), Path({state!r}))
sys.stdout.buffer.write(reply.stdout)
sys.stderr.buffer.write(reply.stderr)
sys.exit(reply.exit_code)
"""


def scenario_dir(scenario: str | Path) -> Path:
    return scenario if isinstance(scenario, Path) else RECORDED / scenario


def install(bin_dir: Path, scenario: str | Path, state: Path) -> Path:
    """Write an executable fake ``adb`` into ``bin_dir`` replaying ``scenario``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "adb"
    script.write_text(
        _WRAPPER.format(
            python=sys.executable,
            here=str(Path(__file__).parent),
            src=str(_REPO / "src"),
            scenario=str(scenario_dir(scenario)),
            state=str(state),
        ),
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


class ReplayRunner:
    """A :class:`unstalk.android.acquire.adb.Runner` answering from a scenario, in-process.

    A scenario's ``sleep`` longer than the time-out reads as a time-out, as the
    subprocess runner would report it, without waiting.
    """

    def __init__(self, scenario: str | Path, state: Path) -> None:
        self.folder = scenario_dir(scenario)
        self.state = state
        state.mkdir(parents=True, exist_ok=True)
        self.calls: list[list[str]] = []

    def run(self, argv: Sequence[str], timeout: float) -> RunResult:
        self.calls.append(list(argv))
        slept: list[float] = []
        reply = replay(list(argv[1:]), self.folder, self.state, sleep=slept.append)
        if sum(slept) > timeout:
            return RunResult(-1, b"", b"", timed_out=True)
        return RunResult(reply.exit_code, reply.stdout, reply.stderr)
