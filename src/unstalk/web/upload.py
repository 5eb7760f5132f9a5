"""Receive an uploaded file as it streams in: hash it, and keep it only when asked.

The form sends the CSRF token before the file (its hidden field comes first),
so the token is checked before a single byte of the file is read. For a
look-up the file only ever passes through a SHA-256 digest and nothing is
written to disk; for a check (:func:`save_upload`) it is written to the
session's private folder, which quick exit and shutdown delete. Either way an
upload past the size limit is cut off as soon as it crosses it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from unstalk.web.i18n import N_, AppError
from unstalk.web.results import CheckedFile
from unstalk.web.security import Refused
from unstalk.web.sessions import CSRF_FIELD

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
"""Largest file accepted: bigger than any phone app, small enough to hash in seconds."""

FILE_FIELD = "file"

_FORM_OVERHEAD = 64 * 1024
"""Room for the token, the part headers and the boundaries around the file."""

_MAX_TOKEN = 256
_MAX_NAME = 255


class UploadTooLarge(AppError):
    """The uploaded file is over the size limit."""


def too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        N_("The file is larger than {mb} MB, the most this page accepts."),
        advice=N_("Phone apps are much smaller than this. Check that you chose the right file."),
        mb=limit // (1024 * 1024),
    )


class _Parts:
    """Callbacks for the streaming parser: collect the token, hash the file."""

    def __init__(
        self, limit: int, token_ok: Callable[[str], bool], sink: BinaryIO | None = None
    ) -> None:
        self.limit = limit
        self.token_ok = token_ok
        self.sink = sink
        self.token = bytearray()
        self.token_checked = False
        self.digest = hashlib.sha256()
        self.size = 0
        self.filename: str | None = None
        self.complete = False
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._part: str | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._headers.clear,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._part = params.get(b"name", b"").decode("utf-8", "replace")
        if self._part == FILE_FIELD:
            self.check_token()
            raw = params.get(b"filename", b"").decode("utf-8", "replace")
            # Some browsers send a full Windows path; only the name means anything here.
            self.filename = raw.replace("\\", "/").rsplit("/", 1)[-1][:_MAX_NAME]

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part == CSRF_FIELD:
            self.token.extend(data[start:end])
            if len(self.token) > _MAX_TOKEN:
                raise Refused.csrf()
        elif self._part == FILE_FIELD:
            self.size += end - start
            if self.size > self.limit:
                raise too_large(self.limit)
            self.digest.update(data[start:end])
            if self.sink is not None:
                self.sink.write(data[start:end])

    def _part_end(self) -> None:
        self._part = None

    def _end(self) -> None:
        self.complete = True

    def check_token(self) -> None:
        if not self.token_checked:
            if not self.token_ok(self.token.decode("ascii", "replace")):
                raise Refused.csrf()
            self.token_checked = True


async def hash_upload(
    request: Request, *, limit: int, token_ok: Callable[[str], bool]
) -> CheckedFile:
    """Read a ``multipart/form-data`` upload and return the file's name, size and SHA-256.

    Raises :class:`~unstalk.web.security.Refused` when the CSRF token is
    missing or wrong, :class:`UploadTooLarge` past ``limit`` bytes, and
    :class:`~unstalk.errors.UsageError` when no file was chosen or the upload
    is broken.
    """
    parts = _Parts(limit, token_ok)
    await _receive(request, parts, advice=_RETRY)
    return CheckedFile(name=parts.filename or "", size=parts.size, sha256=parts.digest.hexdigest())


@dataclass(frozen=True, slots=True)
class SavedFile:
    """An upload written to disk: what the browser called it, and where it is now."""

    name: str
    size: int
    sha256: str
    path: Path


async def save_upload(
    request: Request, *, limit: int, token_ok: Callable[[str], bool], destination: Path
) -> SavedFile:
    """Like :func:`hash_upload`, but also write the file to ``destination``.

    ``destination`` is a path chosen by the app, never the browser's file name.
    A refused or broken upload leaves nothing behind.
    """
    parts: _Parts | None = None
    try:
        with destination.open("xb") as sink:
            parts = _Parts(limit, token_ok, sink)
            await _receive(request, parts, advice=_RETRY_CHECK)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    name = parts.filename or destination.name
    return SavedFile(name=name, size=parts.size, sha256=parts.digest.hexdigest(), path=destination)


async def _receive(request: Request, parts: _Parts, *, advice: str) -> None:
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise AppError(N_("The file did not arrive as a form upload."), advice=advice)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > parts.limit + _FORM_OVERHEAD:
        raise too_large(parts.limit)
    parser = MultipartParser(boundary, parts.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (MultipartParseError, ClientDisconnect) as e:
        raise AppError(N_("The file did not arrive complete."), advice=advice) from e
    parts.check_token()
    if not parts.complete:
        raise AppError(N_("The file did not arrive complete."), advice=advice)
    if not parts.filename:
        raise AppError(
            N_("No file was chosen."),
            advice=N_("Press 'Choose file', pick the file, then press the button below it."),
        )


_RETRY = N_("Go back to the look-up page and choose the file again.")
_RETRY_CHECK = N_("Go back to the check page and choose the file again.")
