"""Many writers at once: nothing is lost and nobody gets "database is locked"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from unstalk.hub.accounts import create_user
from unstalk.hub.audit import record
from unstalk.hub.db import AuditEntry, User
from unstalk.hub.schemas import UserIn

from .conftest import Hub
from .helpers import PASSWORD

THREADS = 8
WRITES_EACH = 12


def _writer(hub: Hub, worker: int) -> int:
    done = 0
    for n in range(WRITES_EACH):
        with hub.db.writer() as session:
            if n % 2:
                record(session, hub.admin, "test.concurrent", details={"worker": worker, "n": n})
            else:
                # Reads (is the address taken?) before it writes: the case SQLite cannot retry.
                data = UserIn(email=f"w{worker}-{n}@example.org", password=PASSWORD)
                create_user(session, hub.admin, hub.admin.org_id, data, hub.passwords)
        done += 1
    return done


def test_concurrent_writers_lose_nothing(any_hub: Hub) -> None:
    with any_hub.db.reader() as session:
        audit_before = session.scalar(select(func.count()).select_from(AuditEntry))
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda w: _writer(any_hub, w), range(THREADS)))
    assert results == [WRITES_EACH] * THREADS
    with any_hub.db.reader() as session:
        users = session.scalar(select(func.count()).select_from(User))
        audit_after = session.scalar(select(func.count()).select_from(AuditEntry))
    assert users == 1 + THREADS * WRITES_EACH // 2
    # Each user creation is audited too, so every write shows up once in the log.
    assert audit_after == (audit_before or 0) + THREADS * WRITES_EACH
