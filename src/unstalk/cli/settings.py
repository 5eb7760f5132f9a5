"""Where the CLI keeps its files; the only place that reads the environment for paths."""

from __future__ import annotations

import os
from pathlib import Path

from unstalk.feed.store import FeedStore


def data_home() -> Path:
    """``$UNSTALK_HOME``, else ``$XDG_DATA_HOME/unstalk``, else ``~/.local/share/unstalk``."""
    explicit = os.environ.get("UNSTALK_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "unstalk"


def cache_home() -> Path:
    """``$UNSTALK_CACHE``, else ``$XDG_CACHE_HOME/unstalk``, else ``~/.cache/unstalk``."""
    explicit = os.environ.get("UNSTALK_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "unstalk"


def feed_store() -> FeedStore:
    return FeedStore(data_home(), cache_home())
