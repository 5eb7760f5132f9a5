"""One capture read by several processes at once, with the result one process gives.

A big capture is mostly the bulk of a few connections, and reading it is CPU
work: walking the records, checking headers, looking flows up. Split by time, a
capture's connections would straddle the cut and their state would have to be
handed over. Split by flow, nothing is handed over: flows share no state (DNS
answers name connections only once the capture has been read, see
:mod:`unstalk.netcap.parts`). So each process walks every record, takes in only
the packets of its own flows (by their ports, :func:`~unstalk.netcap.scan.share_of`),
and sends back what it found; this process, reader 0, puts the parts together.

The result equals a single reader's in every case but one: the extractor keeps bytes
for at most ``MAX_OPEN_STREAMS`` flows at once and drops the oldest past that, and
which one is oldest depends on the packets seen. When the readers together may have
come near that bound, the capture is read again by one process. It is read again too
when a helper process fails or read a different number of frames (a file still being
written).
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import BinaryIO

from unstalk.netcap.extract import MAX_OPEN_STREAMS
from unstalk.netcap.parts import join
from unstalk.netcap.scan import Scan, Share, Walked, scan_capture, summary_of, walk_capture
from unstalk.netcap.transfer import Packed, pack, unpack

__all__ = ["scan_shared"]


def scan_shared(stream: BinaryIO, *, path: str, source: str, jobs: int) -> Scan:
    """Read the capture with ``jobs`` processes; this one reads ``stream``, helpers ``source``.

    ``source`` names the file ``stream`` reads (helpers open it themselves).
    """
    # A process forked while other threads run (the web app's) may inherit a lock held
    # for ever; a fresh interpreter is slower to start but safe.
    method = "fork" if threading.active_count() == 1 else "spawn"
    try:
        context = multiprocessing.get_context(method)
        pool = ProcessPoolExecutor(max_workers=jobs - 1, mp_context=context)
        futures = [pool.submit(_walk_file, source, path, Share(i, jobs)) for i in range(1, jobs)]
    except (OSError, ValueError, ImportError, NotImplementedError):
        # No helper processes here (a sandbox without semaphores, a process limit).
        return scan_capture(stream, path=path)
    with pool:
        records, mine = walk_capture(stream, path=path, share=Share(0, jobs))
        theirs = _results(futures)
    walks = [mine, *theirs] if theirs is not None else []
    if not _agree(mine, walks):
        with Path(source).open("rb") as again:
            return scan_capture(again, path=path)
    return Scan(summary_of(records, walks), join([walked.part for walked in walks]))


def _walk_file(source: str, path: str, share: Share) -> Packed:
    """A helper process's work: its share of the capture in the file ``source``."""
    with Path(source).open("rb") as stream:
        return pack(walk_capture(stream, path=path, share=share)[1])


def _results(futures: list[Future[Packed]]) -> list[Walked] | None:
    """The helpers' findings, or None when one of them could not finish."""
    try:
        return [unpack(future.result()) for future in futures]
    except Exception:  # noqa: BLE001 - whatever stopped a helper, one process reads it all
        return None


def _agree(mine: Walked, walks: list[Walked]) -> bool:
    """Whether the parts make the whole: same frames read, no stream dropped for room."""
    if not walks:
        return False
    if any(w.frames != mine.frames or w.last != mine.last for w in walks):
        return False
    return sum(w.part.peak_open for w in walks) <= MAX_OPEN_STREAMS
