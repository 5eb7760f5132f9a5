"""The hub's configuration, as the CLI (or a test) builds it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from unstalk.hub.auth import LoginPolicy
from unstalk.hub.passwords import Passwords


class HubSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str
    sample_store: Path
    """Folder of the encrypted samples; back it up together with the database."""
    release_store: Path | None = None
    """Folder of the published feed releases; by default ``releases`` beside the sample store."""
    release_key: Path | None = None
    """Ed25519 private key (PEM) signing releases; by default made beside the sample store
    (never inside the release store, whose files are public)."""
    secure_cookies: bool = False
    """Mark cookies Secure even when the request looks like plain HTTP (behind a TLS proxy)."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names the hub answers to; empty accepts any (the reverse proxy decides)."""
    session_hours: float = Field(default=12.0, gt=0)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: float = Field(default=15.0, ge=0)
    api_rate_per_second: float = Field(default=20.0, gt=0)
    api_burst: int = Field(default=100, ge=1)
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65536, ge=32)

    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            max_failures=self.login_max_failures,
            lockout=timedelta(minutes=self.login_lockout_minutes),
            session_lifetime=timedelta(hours=self.session_hours),
        )

    def releases_dir(self) -> Path:
        return self.release_store or self.sample_store.parent / "releases"

    def release_key_path(self) -> Path:
        return self.release_key or self.sample_store.parent / "release-signing-key.pem"

    def passwords(self) -> Passwords:
        return Passwords(time_cost=self.password_time_cost, memory_kib=self.password_memory_kib)
