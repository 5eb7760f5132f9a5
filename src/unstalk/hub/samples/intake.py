"""Receive an uploaded APK as it streams in, encrypting it on the way to the store.

The API takes the file as the request body (``Content-Type:
application/vnd.android.package-archive``) with the provenance in the query;
the page takes a ``multipart/form-data`` form whose hidden CSRF field comes
first, so the token is checked before a single byte of the file is stored.
Either way an upload past the size limit is cut off as soon as it crosses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from unstalk.hub.errors import CsrfRefused, InvalidInput
from unstalk.hub.samples.store import SampleTooLarge, SampleWriter
from unstalk.hub.web import CSRF_FIELD

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "file"
MAX_FIELDS = 64
MAX_FIELD_BYTES = 1024
_FORM_OVERHEAD = 64 * 1024
_MAX_NAME = 255


class _Form:
    """Callbacks of the streaming parser: small fields are kept, the file goes to the writer."""

    def __init__(self, writer: SampleWriter, token_ok: Callable[[str], bool]) -> None:
        self.writer = writer
        self.token_ok = token_ok
        self.fields: dict[str, list[str]] = {}
        self.filename: str | None = None
        self.complete = False
        self._value = bytearray()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._part: str | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._header_field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _begin(self) -> None:
        self._headers.clear()
        self._value.clear()

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._part = params.get(b"name", b"").decode("utf-8", "replace")
        if self._part == FILE_FIELD:
            tokens = self.fields.get(CSRF_FIELD, [""])
            if not self.token_ok(tokens[0]):
                raise CsrfRefused()
            raw = params.get(b"filename", b"").decode("utf-8", "replace")
            # Some browsers send a full Windows path; only the name means anything here.
            self.filename = raw.replace("\\", "/").rsplit("/", 1)[-1][:_MAX_NAME]

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part == FILE_FIELD:
            self.writer.write(data[start:end])
            return
        self._value.extend(data[start:end])
        if len(self._value) > MAX_FIELD_BYTES:
            raise InvalidInput(f"The form field '{self._part}' is too long.")

    def _part_end(self) -> None:
        if self._part is not None and self._part != FILE_FIELD:
            if sum(len(v) for v in self.fields.values()) >= MAX_FIELDS:
                raise InvalidInput("The form has too many fields.")
            value = self._value.decode("utf-8", "replace")
            self.fields.setdefault(self._part, []).append(value)
        self._part = None

    def _end(self) -> None:
        self.complete = True


def _check_declared_size(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _FORM_OVERHEAD:
        raise SampleTooLarge(limit)


async def receive_form(
    request: Request, writer: SampleWriter, token_ok: Callable[[str], bool]
) -> tuple[str, dict[str, list[str]]]:
    """Stream a form upload into ``writer``: the file's name and the form's other fields."""
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidInput("The file did not arrive as a form upload.", advice=_RETRY)
    _check_declared_size(request, writer.limit)
    form = _Form(writer, token_ok)
    parser = MultipartParser(boundary, form.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (MultipartParseError, ClientDisconnect) as e:
        raise InvalidInput("The file did not arrive complete.", advice=_RETRY) from e
    if not token_ok(form.fields.get(CSRF_FIELD, [""])[0]):
        raise CsrfRefused()
    if not form.complete or form.filename is None:
        raise InvalidInput("No file was chosen, or it did not arrive complete.", advice=_RETRY)
    if writer.size == 0:
        raise InvalidInput("The chosen file is empty.", advice=_RETRY)
    return form.filename, form.fields


async def receive_body(request: Request, writer: SampleWriter) -> None:
    """Stream a request body (the API's upload) into ``writer``."""
    _check_declared_size(request, writer.limit)
    try:
        async for chunk in request.stream():
            writer.write(chunk)
    except ClientDisconnect as e:
        raise InvalidInput("The file did not arrive complete.", advice="Send it again.") from e
    if writer.size == 0:
        raise InvalidInput(
            "The request has no file in its body.", advice="Send the APK as the body."
        )


_RETRY = "Go back to the samples page and choose the file again."
