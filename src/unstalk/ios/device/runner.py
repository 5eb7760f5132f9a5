"""How the libimobiledevice programs are run: a small interface, so tests can replay recordings.

Every run has a time-out and never goes through a shell. ``stream`` hands the
program's output over as it arrives, which ``idevicebackup2`` needs to show
progress during a backup that can take an hour.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Protocol

OnOutput = Callable[[bytes], None]
"""Receives each piece of standard output as the program writes it."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run of a program gave back."""

    exit_code: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    """The program was stopped after its time-out; the output is what came before."""


class Runner(Protocol):
    """Runs a program; raises ``FileNotFoundError`` when the program is not installed."""

    def run(self, argv: Sequence[str], timeout: float) -> RunResult: ...

    def stream(self, argv: Sequence[str], timeout: float, on_output: OnOutput) -> RunResult: ...


class SubprocessRunner:
    """Runs programs with :mod:`subprocess`; standard input is closed so no tool waits on it."""

    def run(self, argv: Sequence[str], timeout: float) -> RunResult:
        try:
            done = subprocess.run(
                list(argv),
                capture_output=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as e:
            return RunResult(-1, _as_bytes(e.stdout), _as_bytes(e.stderr), timed_out=True)
        return RunResult(done.returncode, done.stdout, done.stderr)

    def stream(self, argv: Sequence[str], timeout: float, on_output: OnOutput) -> RunResult:
        with subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as process:
            assert process.stdout is not None and process.stderr is not None
            out: list[bytes] = []
            err: list[bytes] = []
            # stderr is drained on its own thread so a chatty tool never blocks on a full pipe.
            drain = threading.Thread(target=_collect, args=(process.stderr, err.append))
            drain.start()

            def keep(chunk: bytes) -> None:
                out.append(chunk)
                on_output(chunk)

            reader = threading.Thread(target=_collect, args=(process.stdout, keep))
            reader.start()
            try:
                code = process.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
                timed_out = True
            reader.join()
            drain.join()
        return RunResult(code if not timed_out else -1, b"".join(out), b"".join(err), timed_out)


def _collect(pipe: IO[bytes], sink: Callable[[bytes], object]) -> None:
    # os.read returns what is there now, so progress shows as the tool prints it.
    while chunk := os.read(pipe.fileno(), 4096):
        sink(chunk)


def _as_bytes(value: bytes | str | None) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else value
