"""Cases kept on this computer, encrypted with a passphrase only the advocate knows.

Nothing is kept unless the advocate asks for it at the end of a session. A case
is one file, ``<case id>.case``, in the case folder:

- a JSON header line (format, version, the case id, when it was made, until when it
  is kept, the scrypt parameters and salt, the AES-GCM nonce), in clear so expired
  cases can be deleted without the passphrase;
- then the AES-256-GCM ciphertext of the case (notes and reports) under a key
  derived from the passphrase with scrypt; the header is the associated data, so
  changing any byte of either is detected.

Case ids are pseudonymous (``case-7F3K-Q9M2``): they say nothing about the person.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import BaseModel, ConfigDict, ValidationError

from unstalk.errors import Error
from unstalk.report.model import Report

FORMAT = "unstalk-case"
VERSION = 1
SUFFIX = ".case"
MIN_PASSPHRASE = 10
"""Characters; a case holds what a survivor's phone showed, so a short word is not enough."""
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
"""About 32 MiB and a tenth of a second per try: slow for guessing, quick for the advocate."""
MAX_CASE_BYTES = 256 * 1024 * 1024
RETENTION_DAYS = (7, 30, 90, 365)
"""The choices offered; a case is deleted at the first start of the app after its date."""

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: ids are read aloud and copied by hand."""


class CaseError(Error):
    """A case could not be saved, opened or deleted."""


class WrongPassphrase(CaseError):
    """The passphrase does not open this case (or the file was changed)."""


class _Header(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str
    version: int
    case_id: str
    created: datetime
    keep_until: datetime
    salt: str
    n: int
    r: int
    p: int
    nonce: str


class CaseContent(BaseModel):
    """What a case holds once opened."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notes: str = ""
    reports: tuple[Report, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """What can be known about a case without its passphrase."""

    case_id: str
    created: datetime
    keep_until: datetime
    size: int


def new_case_id() -> str:
    """A random, pseudonymous id such as ``case-7F3K-Q9M2``."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"case-{chars[:4]}-{chars[4:]}"


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


class CaseStore:
    """The case files in ``folder`` (created readable by this user only)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(
        self, content: CaseContent, passphrase: str, *, keep_days: int, now: datetime | None = None
    ) -> str:
        """Encrypt ``content`` into a new case; return its id."""
        if len(passphrase) < MIN_PASSPHRASE:
            raise CaseError(
                f"The passphrase must have at least {MIN_PASSPHRASE} characters.",
                advice="Use a few words only you know, and write them down somewhere safe.",
            )
        if keep_days not in RETENTION_DAYS:
            raise CaseError(f"Cases are kept for {', '.join(map(str, RETENTION_DAYS))} days.")
        moment = now or datetime.now(UTC)
        salt, nonce = os.urandom(16), os.urandom(12)
        header = _Header(
            format=FORMAT,
            version=VERSION,
            case_id=new_case_id(),
            created=moment,
            keep_until=moment + timedelta(days=keep_days),
            salt=salt.hex(),
            n=SCRYPT_N,
            r=SCRYPT_R,
            p=SCRYPT_P,
            nonce=nonce.hex(),
        )
        line = header.model_dump_json().encode() + b"\n"
        key = _key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        sealed = AESGCM(key).encrypt(nonce, content.model_dump_json().encode(), line)
        self._write(header.case_id, line + sealed)
        return header.case_id

    def open(self, case_id: str, passphrase: str) -> CaseContent:
        header, line, sealed = self._read(case_id)
        key = _key(passphrase, bytes.fromhex(header.salt), header.n, header.r, header.p)
        try:
            plain = AESGCM(key).decrypt(bytes.fromhex(header.nonce), sealed, line)
        except InvalidTag as e:
            raise WrongPassphrase(
                "This passphrase does not open the case.",
                advice="Check the spelling and capital letters. Without the passphrase the case "
                "cannot be opened by anyone, including unstalk.",
            ) from e
        try:
            return CaseContent.model_validate_json(plain)
        except ValidationError as e:
            raise CaseError("The case opened, but its content is not readable.") from e

    def cases(self, now: datetime | None = None) -> list[CaseInfo]:
        """Every case still within its retention, newest first."""
        moment = now or datetime.now(UTC)
        cases = [c for c in self._infos() if c.keep_until > moment]
        return sorted(cases, key=lambda c: c.created, reverse=True)

    def delete(self, case_id: str) -> None:
        path = self._path(case_id)
        try:
            path.unlink()
        except FileNotFoundError as e:
            raise CaseError(f"There is no case {case_id}.") from e

    def delete_expired(self, now: datetime | None = None) -> list[str]:
        """Delete every case past its retention date; return their ids."""
        moment = now or datetime.now(UTC)
        gone = [c.case_id for c in self._infos() if c.keep_until <= moment]
        for case_id in gone:
            self._path(case_id).unlink(missing_ok=True)
        return gone

    def _infos(self) -> Iterator[CaseInfo]:
        if not self.folder.is_dir():
            return
        for path in self.folder.glob(f"case-*{SUFFIX}"):
            try:
                header, _, _ = self._read(path.name.removesuffix(SUFFIX))
            except CaseError:
                continue
            yield CaseInfo(header.case_id, header.created, header.keep_until, path.stat().st_size)

    def _path(self, case_id: str) -> Path:
        if len(case_id) != 14 or not case_id.startswith("case-") or "/" in case_id:
            raise CaseError(f"{case_id!r} is not a case id (they look like case-7F3K-Q9M2).")
        return self.folder / f"{case_id}{SUFFIX}"

    def _read(self, case_id: str) -> tuple[_Header, bytes, bytes]:
        path = self._path(case_id)
        try:
            if path.stat().st_size > MAX_CASE_BYTES:
                raise CaseError(f"The case file {path.name} is too large to be a case.")
            data = path.read_bytes()
        except FileNotFoundError as e:
            raise CaseError(f"There is no case {case_id}.") from e
        except OSError as e:
            raise CaseError(f"The case {case_id} cannot be read ({e.strerror}).") from e
        line, newline, sealed = data.partition(b"\n")
        try:
            header = _Header.model_validate_json(line)
        except ValidationError as e:
            raise CaseError(f"The file {path.name} is not an unstalk case.") from e
        if not newline or header.format != FORMAT or header.case_id != case_id:
            raise CaseError(f"The file {path.name} is not an unstalk case.")
        if header.version != VERSION:
            raise CaseError(f"The case {case_id} was made by another version of unstalk.")
        return header, line + newline, sealed

    def _write(self, case_id: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(case_id)
        partial = path.with_suffix(".partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            partial.replace(path)
        except OSError as e:
            partial.unlink(missing_ok=True)
            raise CaseError(
                f"The case could not be saved in {self.folder} ({e.strerror}).",
                advice="Check that the disk is not full and that this folder can be written.",
            ) from e
