"""Tell what kind of file an advocate uploaded, from its content rather than its name.

People rename files, and phones and laptops add or drop extensions, so the
first bytes decide: a capture's magic number (plain or gzip-compressed), a zip
holding ``AndroidManifest.xml`` (an app), or a zip that is an Android
acquisition (AndroidQF, a bugreport, or one made by unstalk).
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from enum import StrEnum
from pathlib import Path

from unstalk.android.importers import NotAnAcquisitionError, detect_format
from unstalk.errors import Error
from unstalk.web.i18n import N_, AppError

_CAPTURE_MAGICS = (
    b"\xa1\xb2\xc3\xd4",
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x4d\x3c\xb2\xa1",
    b"\x0a\x0d\x0d\x0a",
)
_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"

WHAT_WE_READ = N_(
    "This page checks: an app file (.apk), an Android phone's data collected with AndroidQF or "
    "'unstalk android acquire' (.zip), an Android bugreport (.zip), or a network capture "
    "(.pcap, .pcapng, also gzip-compressed)."
)


class FileKind(StrEnum):
    APK = "apk"
    ANDROID = "android"
    """An acquisition: AndroidQF, a bugreport, or unstalk's own."""
    CAPTURE = "capture"


class UnknownFile(AppError):
    """The upload is none of the kinds the app checks."""


def identify(path: Path, *, name: str) -> FileKind:
    """The kind of the file at ``path``; ``name`` (the browser's) only words the errors."""
    try:
        with path.open("rb") as file:
            head = file.read(4)
    except OSError as e:
        raise AppError(
            N_('The file "{name}" could not be read back ({reason}).'), name=name, reason=e.strerror
        ) from e
    if head in _CAPTURE_MAGICS or (head[:2] == _GZIP and _gzip_capture(path)):
        return FileKind.CAPTURE
    if head == _ZIP:
        return _zip_kind(path, name)
    if not head:
        raise UnknownFile(N_('The file "{name}" is empty.'), advice=WHAT_WE_READ, name=name)
    raise UnknownFile(
        N_('unstalk cannot tell what kind of file "{name}" is.'), advice=WHAT_WE_READ, name=name
    )


def _gzip_capture(path: Path) -> bool:
    try:
        with gzip.open(path, "rb") as file:
            return file.read(4) in _CAPTURE_MAGICS
    except (OSError, EOFError, zlib.error):
        return False


def _zip_kind(path: Path, name: str) -> FileKind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise UnknownFile(
            N_('"{name}" looks like a zip file but it is damaged or incomplete.'),
            advice=N_("Copy the file again from where it came from, then upload the new copy."),
            name=name,
        ) from e
    if "AndroidManifest.xml" in names:
        return FileKind.APK
    try:
        detect_format(path)
    except NotAnAcquisitionError as e:
        raise UnknownFile(
            N_('"{name}" is a zip file, but neither an app nor an Android phone\'s data.'),
            advice=WHAT_WE_READ,
            name=name,
        ) from e
    except Error:
        # A recognised acquisition with its own problem: the check itself says what.
        return FileKind.ANDROID
    return FileKind.ANDROID
