"""Run the APK analyser on a sample's bytes, by default in a child process.

A hostile APK must never take the hub down. The analyser has limits of its own
(zip bombs, huge string pools), and on top of that it runs in a separate
process with a memory cap and a time limit: if it runs out of memory, crashes
or takes too long, that one sample fails with a reason and the child is
started again for the next one.
"""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Protocol

from unstalk.apk.analyse import Analyser, error_reason
from unstalk.apk.result_json import JsonValue, analysis_dict
from unstalk.errors import ApkError
from unstalk.feed.store import bundled_dir, load_folder

MEMORY_LIMIT = 4 * 1024 * 1024 * 1024
"""Address space of the analysis process: far above any real APK's needs."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The analysis JSON, or why there is none (never both)."""

    result: dict[str, JsonValue] | None
    error: str = ""


class Runner(Protocol):
    def analyse(self, data: bytes, name: str) -> Outcome: ...

    def close(self) -> None: ...


def analyse_safely(analyser: Analyser, data: bytes, name: str) -> Outcome:
    """One analysis; every failure becomes an :class:`Outcome` with a plain reason."""
    try:
        return Outcome(analysis_dict(analyser.analyse_bytes(data, path=name)))
    except ApkError as e:
        return Outcome(None, error_reason(e))
    except MemoryError:
        return Outcome(None, "the analysis ran out of memory on this file")
    except RecursionError:
        return Outcome(None, "the file nests structures too deeply to analyse")
    except Exception as e:  # one hostile file that trips a bug must not stop the queue
        return Outcome(None, f"the analyser failed on this file ({type(e).__name__})")


class InlineRunner:
    """Analyses in the calling thread: for tests and tools, not for a hub facing the world."""

    def __init__(self, analyser: Analyser) -> None:
        self.analyser = analyser

    def analyse(self, data: bytes, name: str) -> Outcome:
        return analyse_safely(self.analyser, data, name)

    def close(self) -> None:
        return None


def bundled_analyser() -> Analyser:
    """An analyser over the feed shipped with unstalk (what the hub's child process builds)."""
    return Analyser(load_folder(bundled_dir()))


def _child_main(connection: Connection, make_analyser: Callable[[], Analyser]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    analyser = make_analyser()
    connection.send("ready")
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        data, name = job
        connection.send(analyse_safely(analyser, data, name))


class ProcessRunner:
    """Analyses in one long-lived child process, restarted after a crash or a time-out."""

    def __init__(
        self,
        make_analyser: Callable[[], Analyser] = bundled_analyser,
        *,
        timeout: float = 300.0,
        startup_timeout: float = 120.0,
    ) -> None:
        self.make_analyser = make_analyser
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self._context = multiprocessing.get_context("spawn")
        self._child: tuple[BaseProcess, Connection] | None = None

    def _start(self) -> tuple[BaseProcess, Connection] | None:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_child_main, args=(child, self.make_analyser), daemon=True
        )
        process.start()
        child.close()
        if parent.poll(self.startup_timeout) and parent.recv() == "ready":
            return process, parent
        self._kill(process, parent)
        return None

    def analyse(self, data: bytes, name: str) -> Outcome:
        if self._child is None:
            try:
                self._child = self._start()
            except (OSError, EOFError):
                self._child = None
        if self._child is None:
            return Outcome(None, "the analyser could not be started on the hub")
        process, connection = self._child
        try:
            connection.send((data, name))
            if connection.poll(self.timeout):
                outcome = connection.recv()
                if isinstance(outcome, Outcome):
                    return outcome
        except (OSError, EOFError):
            self.close()
            return Outcome(None, "the analyser stopped on this file (it may be built to crash it)")
        self.close()
        return Outcome(None, f"the analysis took longer than {self.timeout:g} seconds")

    def close(self) -> None:
        if self._child is not None:
            self._kill(*self._child)
            self._child = None

    @staticmethod
    def _kill(process: BaseProcess, connection: Connection) -> None:
        connection.close()
        if process.is_alive():
            process.kill()
        process.join(5)
