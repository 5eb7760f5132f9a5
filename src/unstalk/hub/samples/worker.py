"""The background worker: analyse each new sample and record the result or the reason.

One thread takes sample ids from a queue, decrypts the sample and hands it to
a :class:`~unstalk.hub.samples.runner.Runner`. A sample moves from ``pending``
(queued) to ``running`` to ``done`` or ``failed``; samples left ``pending`` or
``running`` when the hub stopped are queued again when it starts.
"""

from __future__ import annotations

import queue
import threading

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from unstalk.hub.audit import SYSTEM, record
from unstalk.hub.db import Database, Sample
from unstalk.hub.db.intel import AnalysisStatus
from unstalk.hub.samples.proposals import propose
from unstalk.hub.samples.runner import Outcome, Runner
from unstalk.hub.samples.store import SampleStore, SampleStoreError

ACTOR = f"{SYSTEM}:analyser"


class AnalysisWorker:
    def __init__(self, db: Database, store: SampleStore, runner: Runner) -> None:
        self.db = db
        self.store = store
        self.runner = runner
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._open = 0

    def start(self) -> None:
        """Start the thread (once) and queue the samples an earlier run left unfinished."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name="sample-analysis", daemon=True)
            self._thread.start()
        unfinished = (AnalysisStatus.PENDING, AnalysisStatus.RUNNING)
        with self.db.reader() as session:
            ids = session.scalars(
                select(Sample.id).where(Sample.analysis_status.in_(unfinished)).order_by(Sample.id)
            ).all()
        for sample_id in ids:
            self.submit(sample_id)

    def submit(self, sample_id: int) -> None:
        with self._lock:
            self._open += 1
        self._queue.put(sample_id)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued sample is analysed; False when ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._open == 0, timeout)

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(30)
        self.runner.close()

    def _loop(self) -> None:
        while (sample_id := self._queue.get()) is not None:
            try:
                self.analyse(sample_id)
            except SQLAlchemyError:
                # The database is away: the sample stays queued and is taken up at next start.
                pass
            finally:
                with self._idle:
                    self._open -= 1
                    self._idle.notify_all()

    def analyse(self, sample_id: int) -> None:
        """Analyse one sample now and store the outcome."""
        with self.db.writer() as session:
            sample = session.get(Sample, sample_id)
            if sample is None or sample.analysis_status is AnalysisStatus.DONE:
                return
            sample.analysis_status = AnalysisStatus.RUNNING
            relative, name = sample.blob_path, sample.filename or f"{sample.sha256}.apk"
        try:
            outcome = self.runner.analyse(self.store.read(relative), name)
        except SampleStoreError as e:
            outcome = Outcome(None, e.message)
        self._record(sample_id, outcome)

    def _record(self, sample_id: int, outcome: Outcome) -> None:
        with self.db.writer() as session:
            sample = session.get(Sample, sample_id)
            if sample is None:
                return
            if outcome.result is not None:
                proposals = [p.model_dump(mode="json") for p in propose(outcome.result)]
                sample.analysis = {"result": outcome.result, "proposals": proposals}
                sample.analysis_status = AnalysisStatus.DONE
                record(session, ACTOR, "sample.analysed", sample, {"proposals": len(proposals)})
            else:
                sample.analysis = {"error": outcome.error}
                sample.analysis_status = AnalysisStatus.FAILED
                record(session, ACTOR, "sample.analysis_failed", sample, {"reason": outcome.error})
