"""The samples area's share of the running hub: its store, its analysis worker, its limits.

The worker starts with the app (the samples router's lifespan) and queues
whatever an earlier run left unanalysed; tests may put a context of their own
on ``app.state.samples`` before the app starts.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from unstalk.hub.principal import Principal
from unstalk.hub.samples.runner import ProcessRunner
from unstalk.hub.samples.schemas import SampleMeta, SampleOut
from unstalk.hub.samples.service import invisible_duplicate, register, sample_out
from unstalk.hub.samples.store import SampleStore, SampleWriter
from unstalk.hub.samples.worker import AnalysisWorker
from unstalk.hub.web import HubContext

MAX_SAMPLE_BYTES = 200 * 1024 * 1024
"""Largest APK accepted: above any real app, and what the reverse proxy example allows."""

_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class SamplesContext:
    store: SampleStore
    worker: AnalysisWorker
    max_bytes: int = MAX_SAMPLE_BYTES


def samples_of(app: FastAPI) -> SamplesContext:
    """The app's samples context, made on first use."""
    with _LOCK:
        context: SamplesContext | None = getattr(app.state, "samples", None)
        if context is None:
            hub: HubContext = app.state.hub
            store = SampleStore(hub.settings.sample_store)
            context = SamplesContext(store, AnalysisWorker(hub.db, store, ProcessRunner()))
            app.state.samples = context
        return context


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    context = samples_of(app)
    await run_in_threadpool(context.worker.start)
    try:
        yield
    finally:
        await run_in_threadpool(context.worker.stop)


def open_writer(app: FastAPI) -> SampleWriter:
    context = samples_of(app)
    return context.store.writer(context.max_bytes)


def finish_upload(
    app: FastAPI, user: Principal, writer: SampleWriter, meta: SampleMeta
) -> SampleOut:
    """Record the streamed upload, keep its blob and queue a new sample for analysis."""
    context = samples_of(app)
    hub: HubContext = app.state.hub
    sha256 = writer.finish()
    try:
        answer = _register(hub, user, writer, sha256, meta)
    except IntegrityError:
        # Someone uploaded the same file at the same moment: this upload is now a duplicate.
        answer = _register(hub, user, writer, sha256, meta)
    if answer is None:
        raise invisible_duplicate()
    if not answer.duplicate:
        context.worker.start()
        context.worker.submit(answer.id)
    return answer


def _register(
    hub: HubContext, user: Principal, writer: SampleWriter, sha256: str, meta: SampleMeta
) -> SampleOut | None:
    with hub.db.writer() as session:
        sample, duplicate = register(
            session, user, sha256, writer.size, writer.store.blob_path(sha256), meta
        )
        writer.keep()
        return sample_out(sample, duplicate=duplicate) if sample is not None else None
