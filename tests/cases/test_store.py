"""The encrypted case store: what is kept, who can open it, and when it goes away."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.report.fixtures import report_of
from unstalk.cases import CaseContent, CaseError, CaseStore, WrongPassphrase
from unstalk.cases.store import SUFFIX

PASSPHRASE = "correct horse battery staple"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore(tmp_path / "cases")


def _content() -> CaseContent:
    return CaseContent(notes="Safety plan: talk again on Friday.", reports=(report_of("network"),))


def test_a_case_opens_with_its_passphrase_only(store: CaseStore) -> None:
    case_id = store.save(_content(), PASSPHRASE, keep_days=30, now=NOW)
    assert store.open(case_id, PASSPHRASE) == _content()
    with pytest.raises(WrongPassphrase):
        store.open(case_id, PASSPHRASE.upper())


def test_nothing_readable_is_written_to_disk(store: CaseStore) -> None:
    case_id = store.save(_content(), PASSPHRASE, keep_days=30, now=NOW)
    data = (store.folder / f"{case_id}{SUFFIX}").read_bytes()
    assert b"Safety plan" not in data
    assert _content().reports[0].subject.encode() not in data
    mode = stat.S_IMODE((store.folder / f"{case_id}{SUFFIX}").stat().st_mode)
    assert mode == 0o600
    if os.name == "posix":
        assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700


def _flip_hex(data: bytearray, at: int) -> None:
    data[at] = ord("0") if data[at] != ord("0") else ord("1")


@pytest.mark.parametrize("where", ["keep_until", "nonce", "ciphertext", "tag"])
def test_any_changed_byte_is_detected(store: CaseStore, where: str) -> None:
    case_id = store.save(_content(), PASSPHRASE, keep_days=30, now=NOW)
    path = store.folder / f"{case_id}{SUFFIX}"
    data = bytearray(path.read_bytes())
    body = data.index(b"\n") + 1
    if where == "keep_until":
        # A longer retention written into the clear header must not go unnoticed.
        at = data.index(b'"keep_until":"') + len(b'"keep_until":"') + 3
        _flip_hex(data, at)
    elif where == "nonce":
        _flip_hex(data, data.index(b'"nonce":"') + len(b'"nonce":"'))
    else:
        data[body + 20 if where == "ciphertext" else len(data) - 1] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CaseError):
        store.open(case_id, PASSPHRASE)


def test_case_ids_say_nothing_about_the_person(store: CaseStore) -> None:
    ids = {store.save(_content(), PASSPHRASE, keep_days=7, now=NOW) for _ in range(5)}
    assert len(ids) == 5
    for case_id in ids:
        assert case_id.startswith("case-") and len(case_id) == 14
        assert not any(ch in case_id[5:] for ch in "01OI")


def test_short_passphrases_are_refused(store: CaseStore) -> None:
    with pytest.raises(CaseError, match="at least"):
        store.save(_content(), "short", keep_days=30)
    assert not store.folder.exists() or not list(store.folder.iterdir())


def test_cases_past_their_retention_are_deleted(store: CaseStore) -> None:
    old = store.save(_content(), PASSPHRASE, keep_days=7, now=NOW - timedelta(days=8))
    kept = store.save(_content(), PASSPHRASE, keep_days=30, now=NOW)
    assert [c.case_id for c in store.cases(now=NOW)] == [kept]
    assert store.delete_expired(now=NOW) == [old]
    assert not (store.folder / f"{old}{SUFFIX}").exists()
    assert (store.folder / f"{kept}{SUFFIX}").exists()


def test_deleting_needs_no_passphrase(store: CaseStore) -> None:
    case_id = store.save(_content(), PASSPHRASE, keep_days=30)
    store.delete(case_id)
    assert store.cases() == []
    with pytest.raises(CaseError, match="no case"):
        store.delete(case_id)


@pytest.mark.parametrize("bad", ["../etc/passwd", "case-AAAA/BBBB", "nothing", ""])
def test_ids_that_are_not_case_ids_are_refused(store: CaseStore, bad: str) -> None:
    with pytest.raises(CaseError, match="not a case id"):
        store.open(bad, PASSPHRASE)


def test_a_foreign_or_damaged_file_is_not_listed_and_says_so(store: CaseStore) -> None:
    store.folder.mkdir(parents=True)
    (store.folder / f"case-AAAA-BBBB{SUFFIX}").write_bytes(b"not a case at all")
    assert store.cases() == []
    with pytest.raises(CaseError, match="not an unstalk case"):
        store.open("case-AAAA-BBBB", PASSPHRASE)
