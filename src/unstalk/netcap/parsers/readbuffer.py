"""The bytes of a capture stream, read in chunks into buffers that views can point into.

:class:`ReadBuffer` holds the stream's bytes from an absolute offset; :class:`Replay`
gives back the few bytes already read to identify the stream before the rest.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable
from typing import BinaryIO

from unstalk.errors import CaptureError

__all__ = ["CHUNK", "Chunk", "ReadBuffer", "Replay"]

CHUNK = 1 << 20
"""Bytes read from the stream at a time."""
Chunk = bytes | bytearray
"""What the read buffer holds."""


class Replay:
    """A readable stream that first returns bytes already read from another stream."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def seek(self, offset: int, /) -> int:
        # gzip only seeks to rewind, which reading straight through never does.
        raise io.UnsupportedOperation("the capture stream is read once, front to back")

    def read(self, size: int = -1, /) -> bytes:
        if self._head:
            if size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._stream.read(size)

    def readinto(self, view: memoryview, /) -> int:
        if self._head:
            size = min(len(view), len(self._head))
            view[:size], self._head = self._head[:size], self._head[size:]
            return size
        readinto = getattr(self._stream, "readinto", None)
        if readinto is None:
            data = self._stream.read(len(view))
            view[: len(data)] = data
            return len(data)
        count: int | None = readinto(view)
        return count or 0


class ReadBuffer:
    """Bytes of the stream from an absolute offset, refilled in chunks.

    Each refill reads into a new ``bytearray`` that is never resized afterwards, so
    views into an older one stay valid (reading into place, rather than joining
    what was read, halves the copying: it took a third of the time on a big file).
    """

    __slots__ = ("data", "eof", "error", "pos", "readinto", "start")

    def __init__(self, readinto: Callable[[memoryview], int]) -> None:
        self.readinto = readinto
        self.data: Chunk = b""
        self.pos = 0
        self.start = 0
        """Absolute stream offset of ``data[0]``."""
        self.eof = False
        self.error = ""

    def fill(self, need: int) -> bool:
        """Make ``need`` bytes available from ``pos``; False when the stream ends first."""
        have = len(self.data) - self.pos
        if have >= need:
            return True
        target = max(need, CHUNK)
        data = bytearray(target)
        data[:have] = memoryview(self.data)[self.pos :]
        # Let go of the old chunk before reading the next, so at most two are held.
        self.data = b""
        while have < target and not self.eof:
            count = self._read(memoryview(data)[have:])
            if not count:
                self.eof = True
                break
            have += count
        if have < target:
            data = data[:have]  # the stream ended: a copy, once
        self.start += self.pos
        self.data = data
        self.pos = 0
        return have >= need

    def _read(self, view: memoryview) -> int:
        try:
            return self.readinto(view)
        except (EOFError, zlib.error, gzip.BadGzipFile) as e:
            self.error = f"the compressed data is damaged or cut short ({e})"
            return 0
        except OSError as e:
            raise CaptureError(f"Reading the capture failed: {e.strerror or e}") from e

    @property
    def offset(self) -> int:
        return self.start + self.pos
