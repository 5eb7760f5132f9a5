"""The examiner's key: private file readable by its owner only, passphrase, public key forms."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from unstalk.errors import UsageError
from unstalk.report.manifest_keys import (
    KeyFileError,
    fingerprint,
    generate_key,
    load_private_key,
    parse_public_key,
    public_b64,
    public_raw,
    read_public_key,
    write_private_key,
)


def test_the_private_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "examiner.pem"
    key = generate_key()
    write_private_key(path, key, None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_raw(load_private_key(path, None)) == public_raw(key)


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "examiner.pem"
    path.write_text("keep me")
    with pytest.raises(UsageError, match="already exists"):
        write_private_key(path, generate_key(), None)
    assert path.read_text() == "keep me"


def test_a_passphrase_protects_the_key(tmp_path: Path) -> None:
    path = tmp_path / "examiner.pem"
    key = generate_key()
    write_private_key(path, key, b"correct horse")
    assert b"ENCRYPTED" in path.read_bytes()
    assert public_raw(load_private_key(path, b"correct horse")) == public_raw(key)
    with pytest.raises(KeyFileError, match="passphrase is wrong"):
        load_private_key(path, b"wrong")
    with pytest.raises(KeyFileError, match="protected by a passphrase"):
        load_private_key(path, None)


def test_a_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a key")
    with pytest.raises(KeyFileError, match="not a PEM private key"):
        load_private_key(path, None)


def test_the_public_key_is_read_as_base64_file_or_pem(tmp_path: Path) -> None:
    key = generate_key()
    raw = public_raw(key)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pub = tmp_path / "examiner.pem.pub"
    pub.write_text(public_b64(key) + "\n")
    assert parse_public_key(public_b64(key)) == raw
    assert parse_public_key(pem.decode()) == raw
    assert read_public_key(str(pub)) == raw
    assert len(fingerprint(raw)) == 64


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not base64!", "neither base64 nor PEM"),
        (base64.b64encode(b"x" * 31).decode(), "has 31 bytes"),
        ("-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----", "not a readable PEM"),
    ],
)
def test_a_damaged_public_key_is_a_clear_error(text: str, says: str) -> None:
    with pytest.raises(KeyFileError, match=says):
        parse_public_key(text)
