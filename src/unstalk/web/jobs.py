"""Checks that run in the background while the browser shows their progress.

A check of an uploaded file can take from a second to a few minutes. It runs
in a worker thread; the page about it reloads itself every few seconds (a
``<meta http-equiv="refresh">``, so it works without JavaScript) until the
check is done. Jobs and their files belong to one session: quick exit or the
end of the app deletes them.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from threading import Lock
from typing import Generic, TypeVar

from unstalk.errors import Error
from unstalk.web.i18n import N_, AppError, Phrase

_R = TypeVar("_R")

_LOG = logging.getLogger(__name__)

UNEXPECTED = N_(
    "Something went wrong inside unstalk while checking this. Nothing was concluded from it, "
    "so this is not a result."
)
UNEXPECTED_ADVICE = N_(
    "Try again. If it happens again, the terminal window where unstalk runs shows the details "
    "for whoever maintains unstalk; do not share the file itself."
)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    """The check could not finish: never to be read as "nothing found"."""


@dataclass(slots=True)
class Job(Generic[_R]):
    """One check: what it is about, where it stands, and its result or error."""

    id: str
    session_id: str
    subject: Phrase
    """What is being checked, in words: ``the file "phone.zip"``."""
    state: JobState = JobState.QUEUED
    step: Phrase = Phrase(N_("Waiting for the check before this one to finish."))
    fraction: float | None = None
    """Share of the work done (0 to 1) when the check can tell."""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    result: _R | None = None
    error: Phrase | None = None
    advice: Phrase | None = None


class Progress:
    """What a running check reports about itself; the job page shows it."""

    def __init__(self, job: Job[_R], lock: Lock) -> None:
        self._job = job
        self._lock = lock

    def step(self, text: Phrase, fraction: float | None = None) -> None:
        with self._lock:
            self._job.step = text
            self._job.fraction = None if fraction is None else min(max(fraction, 0.0), 1.0)


Work = Callable[[Progress], _R]


class JobRunner(Generic[_R]):
    """Runs checks one (or ``workers``) at a time and keeps them per session.

    Each session gets a private folder (``folder_for``) for its uploads; it is
    removed with the session's jobs by :meth:`discard_session` and by
    :meth:`shutdown`.
    """

    def __init__(self, *, workers: int = 1, root: Path | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="unstalk-check")
        self._lock = Lock()
        self._jobs: dict[str, Job[_R]] = {}
        self._futures: dict[str, Future[None]] = {}
        self._folders: dict[str, Path] = {}
        self._root = root

    def folder_for(self, session_id: str) -> Path:
        """The session's private folder (created readable by this user only)."""
        with self._lock:
            folder = self._folders.get(session_id)
            if folder is None:
                folder = Path(tempfile.mkdtemp(prefix="unstalk-session-", dir=self._root))
                self._folders[session_id] = folder
            return folder

    def submit(self, session_id: str, subject: Phrase, work: Work[_R]) -> Job[_R]:
        job: Job[_R] = Job(id=secrets.token_urlsafe(16), session_id=session_id, subject=subject)
        with self._lock:
            self._jobs[job.id] = job
            self._futures[job.id] = self._pool.submit(self._run, job, work)
        return job

    def get(self, session_id: str, job_id: str) -> Job[_R] | None:
        """The job, only when it belongs to this session."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job if job is not None and job.session_id == session_id else None

    def of_session(self, session_id: str) -> list[Job[_R]]:
        with self._lock:
            return sorted(
                (j for j in self._jobs.values() if j.session_id == session_id),
                key=lambda j: j.created,
            )

    def discard_session(self, session_id: str) -> None:
        """Forget the session's jobs and delete its folder; running checks finish unseen."""
        with self._lock:
            for job_id in [i for i, j in self._jobs.items() if j.session_id == session_id]:
                del self._jobs[job_id]
                future = self._futures.pop(job_id, None)
                if future is not None:
                    future.cancel()
            folder = self._folders.pop(session_id, None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def shutdown(self) -> None:
        """Stop taking work and delete every session's files."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            folders = list(self._folders.values())
            self._folders.clear()
            self._jobs.clear()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)

    def _run(self, job: Job[_R], work: Work[_R]) -> None:
        progress = Progress(job, self._lock)
        with self._lock:
            job.state = JobState.RUNNING
            job.step = Phrase(N_("Starting the check."))
        try:
            result = work(progress)
        except AppError as e:
            self._finish(job, error=e.phrase, advice=e.advice_phrase)
        except Error as e:
            # Errors from deep inside the checks are worded in English only.
            message, _, advice = e.diagnostics().partition("\n")
            self._finish(job, error=Phrase(message), advice=Phrase(advice) if advice else None)
        except Exception:
            # The traceback goes to the terminal only; the page gets plain words.
            _LOG.exception("check %s failed", job.id)
            self._finish(job, error=Phrase(UNEXPECTED), advice=Phrase(UNEXPECTED_ADVICE))
        else:
            with self._lock:
                job.result = result
                job.state = JobState.DONE
                job.fraction = 1.0
                job.step = Phrase(N_("Finished."))
        finally:
            with self._lock:
                self._futures.pop(job.id, None)

    def _finish(self, job: Job[_R], *, error: Phrase, advice: Phrase | None) -> None:
        with self._lock:
            job.state = JobState.FAILED
            job.error = error
            job.advice = advice
            job.step = Phrase(N_("Could not finish."))
