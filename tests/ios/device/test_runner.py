"""The subprocess runner: output, streaming, time-outs and missing programs."""

from __future__ import annotations

import sys

import pytest

from unstalk.ios.device.runner import SubprocessRunner

PY = sys.executable


def test_run_returns_output_and_exit_code() -> None:
    result = SubprocessRunner().run([PY, "-c", "import sys; print('hi'); sys.exit(3)"], 30)
    assert result.exit_code == 3 and result.stdout.strip() == b"hi" and not result.timed_out


def test_stream_hands_output_over_and_keeps_it() -> None:
    pieces: list[bytes] = []
    code = "import sys\nfor i in range(3): print(f'\\r[==] {i}%', end='', flush=True)\n"
    code += "print('done', file=sys.stderr)"
    result = SubprocessRunner().stream([PY, "-c", code], 30, pieces.append)
    assert b"".join(pieces) == result.stdout and b"2%" in result.stdout
    assert result.stderr.strip() == b"done" and result.exit_code == 0


def test_a_program_that_hangs_is_stopped() -> None:
    hang = [PY, "-c", "import time; print('started', flush=True); time.sleep(60)"]
    assert SubprocessRunner().run(hang, 0.5).timed_out
    streamed = SubprocessRunner().stream(hang, 0.5, lambda _b: None)
    assert streamed.timed_out and streamed.stdout.startswith(b"started")


def test_a_missing_program_raises_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        SubprocessRunner().run(["unstalk-no-such-tool"], 5)
    with pytest.raises(FileNotFoundError):
        SubprocessRunner().stream(["unstalk-no-such-tool"], 5, lambda _b: None)
