"""The sample store: APKs encrypted at rest, each under a key of its own.

Every sample gets a random AES-256 data key. The file is cut into 1 MiB
chunks, each sealed with AES-256-GCM (the STREAM construction: a nonce prefix,
the chunk counter, and a flag on the last chunk, so chunks can be neither
reordered nor cut off). The data key is itself sealed by the store's master
key, kept in a file next to the store (``samples.key`` beside ``samples/``)
that is created with permissions 0600 on first use. Without the master key no
sample can be read: back it up apart from the store.

Blobs are named by their SHA-256, so an upload of a file the hub already holds
is never written twice, and no plaintext byte ever reaches the disk: uploads
are encrypted as they stream in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path
from types import TracebackType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from unstalk.hub.errors import HubError

MAGIC = b"unstalk-sample/1\n"
CHUNK = 1024 * 1024
_TAG = 16
_PREFIX = 7
_KEY_HEADER = "unstalk hub sample store key v1"


class SampleStoreError(HubError):
    """The sample store or its master key cannot be used; the advice says how to fix it."""

    status = 503


def key_path(store: Path) -> Path:
    """Where the master key of ``store`` lives: beside it, never inside it."""
    return store.with_name(store.name + ".key")


class SampleStore:
    """Encrypted blobs under ``root``, sealed by the master key at :func:`key_path`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._key: bytes | None = None

    def master_key(self) -> bytes:
        """The master key, created on first use when the store holds no sample yet."""
        if self._key is None:
            self._key = self._load_or_create_key()
        return self._key

    def _load_or_create_key(self) -> bytes:
        path = key_path(self.root)
        if not path.exists():
            if self.blob_count():
                raise SampleStoreError(
                    f"The sample store's key file {path} is missing, so no sample can be read.",
                    advice="Restore the key file from your backup; without it the stored "
                    "samples are lost for good.",
                )
            return _create_key(path)
        if path.stat().st_mode & 0o077:
            raise SampleStoreError(
                f"The sample store's key file {path} can be read by other users of the machine.",
                advice=f"Run: chmod 600 {path}",
            )
        return _read_key(path)

    def blob_count(self) -> int:
        if not self.root.is_dir():
            return 0
        return sum(1 for _ in self.root.glob("*/*.sample"))

    def blob_path(self, sha256: str) -> str:
        """The blob's path relative to the store (what the database keeps)."""
        return f"{sha256[:2]}/{sha256}.sample"

    def has(self, relative: str) -> bool:
        return (self.root / relative).is_file()

    def writer(self, limit: int) -> SampleWriter:
        """A writer that encrypts what it is given into a temporary file of the store."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return SampleWriter(self, limit)

    def read(self, relative: str) -> bytes:
        """Decrypt one blob; :class:`SampleStoreError` when it is missing or damaged."""
        path = self.root / relative
        try:
            sealed = path.read_bytes()
        except OSError as e:
            raise SampleStoreError(
                f"The sample file {relative} could not be read ({e.strerror}).",
                advice="Check that the sample store was restored completely from backup.",
            ) from e
        return open_blob(self.master_key(), sealed, name=relative)


class SampleTooLarge(HubError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The file is larger than {limit // (1024 * 1024)} MB, the most the hub accepts.",
            advice="APKs are much smaller than this: check that you chose the right file.",
        )


class SampleWriter:
    """Encrypts a stream chunk by chunk; :meth:`finish` names the blob by its SHA-256."""

    def __init__(self, store: SampleStore, limit: int) -> None:
        self.store = store
        self.limit = limit
        self.size = 0
        self.digest = hashlib.sha256()
        data_key = AESGCM.generate_key(bit_length=256)
        wrap_nonce = secrets.token_bytes(12)
        wrapped = AESGCM(store.master_key()).encrypt(wrap_nonce, data_key, MAGIC)
        self._prefix = secrets.token_bytes(_PREFIX)
        self._header = MAGIC + wrap_nonce + wrapped + self._prefix
        self._aead = AESGCM(data_key)
        self._buffer = bytearray()
        self._counter = 0
        self._temp = store.root / f".upload-{secrets.token_hex(8)}.partial"
        self._file = self._temp.open("xb")
        self._file.write(self._header)

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise SampleTooLarge(self.limit)
        self.digest.update(data)
        self._buffer.extend(data)
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = self._prefix + self._counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
        self._file.write(self._aead.encrypt(nonce, chunk, self._header))
        self._counter += 1

    def finish(self) -> str:
        """Seal what is left and return the file's SHA-256; :meth:`keep` or :meth:`discard` next."""
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._file.close()
        return self.digest.hexdigest()

    def keep(self) -> str:
        """Move the finished blob in place and return its path relative to the store.

        When the store already holds a blob of that SHA-256, the new one is dropped.
        """
        relative = self.store.blob_path(self.digest.hexdigest())
        target = self.store.root / relative
        if target.exists():
            self._temp.unlink(missing_ok=True)
        else:
            target.parent.mkdir(exist_ok=True, mode=0o700)
            self._temp.replace(target)
        return relative

    def discard(self) -> None:
        """Drop the temporary file (what a refused or broken upload leaves)."""
        self._file.close()
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> SampleWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # Whatever was not kept is dropped, whether the block failed or not.
        self.discard()


def open_blob(master_key: bytes, sealed: bytes, *, name: str) -> bytes:
    """The plaintext of a sealed blob; raises when it was altered or the key is not its own."""
    header_size = len(MAGIC) + 12 + 32 + _TAG + _PREFIX
    if not sealed.startswith(MAGIC) or len(sealed) < header_size + _TAG:
        raise _damaged(name)
    header = sealed[:header_size]
    wrap_nonce = header[len(MAGIC) : len(MAGIC) + 12]
    wrapped = header[len(MAGIC) + 12 : header_size - _PREFIX]
    prefix = header[header_size - _PREFIX :]
    try:
        aead = AESGCM(AESGCM(master_key).decrypt(wrap_nonce, wrapped, MAGIC))
    except InvalidTag as e:
        raise SampleStoreError(
            f"The sample file {name} was not sealed with this store's key.",
            advice="Restore the key file that belongs to this sample store from your backup.",
        ) from e
    body = memoryview(sealed)[header_size:]
    chunks: list[bytes] = []
    step = CHUNK + _TAG
    count = max(1, -(-len(body) // step))
    for counter in range(count):
        last = counter == count - 1
        nonce = prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
        try:
            chunks.append(
                aead.decrypt(nonce, bytes(body[counter * step : (counter + 1) * step]), header)
            )
        except InvalidTag as e:
            raise _damaged(name) from e
    return b"".join(chunks)


def _damaged(name: str) -> SampleStoreError:
    return SampleStoreError(
        f"The sample file {name} is damaged or was changed on disk.",
        advice="Restore it from your backup of the sample store.",
    )


def _create_key(path: Path) -> bytes:
    key = AESGCM.generate_key(bit_length=256)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"{_KEY_HEADER}\n{base64.b64encode(key).decode()}\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text)
    return key


def _read_key(path: Path) -> bytes:
    try:
        lines = path.read_text(encoding="ascii").split()
        key = base64.b64decode(lines[-1], validate=True) if lines else b""
    except (OSError, UnicodeDecodeError, binascii.Error) as e:
        raise _bad_key(path) from e
    if len(key) != 32:
        raise _bad_key(path)
    return key


def _bad_key(path: Path) -> SampleStoreError:
    return SampleStoreError(
        f"The sample store's key file {path} is not a key unstalk wrote.",
        advice="Restore the key file from your backup.",
    )
