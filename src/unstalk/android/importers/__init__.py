"""Turn an Android acquisition made by unstalk, AndroidQF or ``adb bugreport`` into an
:class:`~unstalk.android.model.Acquisition`.

:func:`load_acquisition` recognises the format by its files:

- ``unstalk``: a folder (or a zip of it) with unstalk's ``acquisition.json``, one file per
  command and ``SHA256SUMS`` (see :mod:`.unstalk_folder`);
- ``androidqf``: an AndroidQF folder or zip (``packages.json``, ``dumpsys.txt``,
  ``getprop.txt``, ``settings_*.txt``, ``hashes.csv``; see :mod:`.androidqf`);
- ``bugreport``: a bugreport zip (``main_entry.txt`` and a ``bugreport-*.txt`` dumpstate
  text; see :mod:`.bugreport`), or the folder it was unzipped to.

Hashes recorded by the acquisition are checked: a file that does not match raises
:class:`IntegrityError` unless ``verify=False``, which reads it anyway and lists the
mismatches in :attr:`Acquisition.integrity`. Every part the acquisition lacks is a
``MISSING`` result saying why; nothing absent reads as "nothing found".

Zips are read in memory, member by member, within size limits, and never extracted.
The paths in :attr:`Acquisition.apk_files` and :attr:`Acquisition.file_hashes` are
relative to the acquisition's top folder (a zip's single top folder left out), so
``open_archive(Path(acquisition.source)).read(path, limit)`` reads a pulled APK.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from unstalk.android.importers._archive import (
    AcquisitionFileError,
    Archive,
    IntegrityError,
    NotAnAcquisitionError,
    UnsafeArchiveError,
    open_archive,
)
from unstalk.android.importers.androidqf import is_androidqf, load_androidqf
from unstalk.android.importers.bugreport import is_bugreport, load_bugreport
from unstalk.android.importers.unstalk_folder import is_unstalk, load_unstalk
from unstalk.android.model import Acquisition

__all__ = [
    "FORMATS",
    "AcquisitionFileError",
    "Archive",
    "IntegrityError",
    "NotAnAcquisitionError",
    "UnsafeArchiveError",
    "detect_format",
    "load_acquisition",
    "open_archive",
]

FORMATS = ("unstalk", "androidqf", "bugreport")

_EXPECTED = (
    "unstalk reads: a folder made by 'unstalk android acquire' (with acquisition.json and "
    "SHA256SUMS), an AndroidQF folder or .zip (with packages.json and dumpsys.txt), or an "
    "Android bugreport .zip (with main_entry.txt and a bugreport-*.txt file)."
)


class Loader(Protocol):
    def __call__(self, archive: Archive, *, verify: bool = True) -> Acquisition: ...


_DETECTORS: tuple[tuple[str, Callable[[Archive], bool], Loader], ...] = (
    ("unstalk", is_unstalk, load_unstalk),
    ("bugreport", is_bugreport, load_bugreport),
    ("androidqf", is_androidqf, load_androidqf),
)


def load_acquisition(path: Path, *, verify: bool = True) -> Acquisition:
    """Read the acquisition folder or zip at ``path``; see the module docstring.

    Raises :class:`NotAnAcquisitionError` when ``path`` is none of the formats,
    :class:`UnsafeArchiveError` for a zip unstalk refuses to read, and
    :class:`IntegrityError` when ``verify`` and a file does not match its recorded hash.
    """
    archive = _open(path)
    try:
        _name, loader = _detect(archive)
        return loader(archive, verify=verify)
    finally:
        archive.close()


def detect_format(path: Path) -> str:
    """``unstalk``, ``androidqf`` or ``bugreport``; raises :class:`NotAnAcquisitionError`."""
    archive = _open(path)
    try:
        return _detect(archive)[0]
    finally:
        archive.close()


def _open(path: Path) -> Archive:
    if not path.exists():
        raise NotAnAcquisitionError(f"{path} does not exist.", advice=_EXPECTED)
    if path.is_file() and path.name.endswith(".age"):
        raise NotAnAcquisitionError(
            f"{path} is an encrypted AndroidQF acquisition.",
            advice="Decrypt it first with the private key it was encrypted to "
            "(age --decrypt -i KEY -o OUT.zip FILE.age), then import OUT.zip.",
        )
    if path.is_file() and not zipfile.is_zipfile(path):
        raise NotAnAcquisitionError(f"{path} is neither a folder nor a zip file.", advice=_EXPECTED)
    return open_archive(path)


def _detect(archive: Archive) -> tuple[str, Loader]:
    for name, detector, loader in _DETECTORS:
        if detector(archive):
            return name, loader
    raise NotAnAcquisitionError(
        f"{archive.label} is not an Android acquisition unstalk knows.",
        advice=_hint(archive) + _EXPECTED,
    )


def _hint(archive: Archive) -> str:
    tops = {name.split("/", 1)[0] for name in archive.names()}
    if len(tops) == 1 and all("/" in name for name in archive.names()):
        return f"It holds one folder, {tops.pop()}: give that folder instead. "
    if not archive.names():
        return "It is empty. "
    return ""
