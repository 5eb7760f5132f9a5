"""A capture read by several processes gives what one process gives, even when they fail.

``tests/netcap/test_scan.py`` reads every capture shape in shares inside one
process; here real helper processes are started (forked, or spawned when other
threads run), and each way of falling back to one process is taken.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.netcap.gen import app_scenarios as scenarios
from unstalk.feed.index import FeedIndex
from unstalk.feed.store import bundled_dir, load_folder
from unstalk.netcap import check as check_module
from unstalk.netcap import shards
from unstalk.netcap.check import check_capture
from unstalk.netcap.scan import Scan, Share, scan_capture
from unstalk.netcap.transfer import Packed


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = scenarios.combined_capture(ipv6=True, vlans=(3,)).scenario
    for frame in list(scenario.frames):
        scenario.add(frame.data)
    return scenario.write(tmp_path_factory.mktemp("shards") / "phone.pcapng")


def _alone(path: Path) -> Scan:
    with path.open("rb") as stream:
        return scan_capture(stream, path="phone")


def _shared(path: Path, jobs: int = 2) -> Scan:
    with path.open("rb") as stream:
        return scan_capture(stream, path="phone", jobs=jobs, source=str(path))


@pytest.fixture
def read_again(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records each time the capture is read again by one process."""
    calls: list[str] = []
    real = scan_capture

    def spy(stream: io.BufferedReader, *, path: str) -> Scan:
        calls.append(path)
        return real(stream, path=path)

    monkeypatch.setattr(shards, "scan_capture", spy)
    yield calls


@pytest.mark.parametrize("jobs", [2, 3])
def test_helper_processes_give_what_one_process_gives(
    capture: Path, jobs: int, read_again: list[str]
) -> None:
    assert _shared(capture, jobs) == _alone(capture)
    assert read_again == []


def test_with_other_threads_running_helpers_are_spawned_and_agree(
    capture: Path, read_again: list[str]
) -> None:
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)
    waiting.start()
    try:
        assert _shared(capture) == _alone(capture)
    finally:
        stop.set()
        waiting.join()
    assert read_again == []


def _broken(source: str, path: str, share: Share) -> Packed:
    raise MemoryError("a helper ran out of memory")


def test_a_helper_that_fails_leaves_the_capture_to_one_process(
    capture: Path, monkeypatch: pytest.MonkeyPatch, read_again: list[str]
) -> None:
    monkeypatch.setattr(shards, "_walk_file", _broken)
    assert _shared(capture) == _alone(capture)
    assert read_again == ["phone"]


def test_no_helper_processes_at_all_leaves_the_capture_to_one_process(
    capture: Path, monkeypatch: pytest.MonkeyPatch, read_again: list[str]
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OSError("no semaphores here")

    monkeypatch.setattr(shards, "ProcessPoolExecutor", refused)
    assert _shared(capture) == _alone(capture)
    assert read_again == ["phone"]


def test_readers_that_may_have_dropped_streams_for_room_read_again(
    capture: Path, monkeypatch: pytest.MonkeyPatch, read_again: list[str]
) -> None:
    # Together they kept more streams than one reader may: which one it would have
    # dropped depends on all the packets, so one process reads the capture again.
    monkeypatch.setattr(shards, "MAX_OPEN_STREAMS", 0)
    assert _shared(capture) == _alone(capture)
    assert read_again == ["phone"]


def test_a_check_of_a_big_capture_shares_it_and_reports_the_same(
    capture: Path, monkeypatch: pytest.MonkeyPatch, read_again: list[str]
) -> None:
    index = FeedIndex.build(load_folder(bundled_dir()))
    alone = check_capture(capture, index)
    monkeypatch.setattr(check_module, "SHARE_FROM_BYTES", 0)
    assert check_capture(capture, index, jobs=2) == alone
    assert read_again == []
