"""Where the feed in use lives, and how it is loaded quickly.

The bundled Echap snapshot inside the package is always there. ``unstalk feed
update`` installs a newer copy under the user's data folder; from then on that
copy is the feed in use. Each installed copy is a folder under ``versions/``;
``current`` is a symbolic link to one of them, replaced atomically so a reader
never sees half a feed.

Parsing YAML for every command costs more than the 50 ms budget, so the parsed
:class:`Feed` is cached (pickle) under a key made of the SHA-256 of each input
file and the unstalk version: any change to a file, or a new unstalk, parses
afresh. The cache folder is the user's own, as trusted as the code itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from unstalk import __version__
from unstalk.errors import FeedError
from unstalk.feed.formats.echap import ECHAP_FILES, load_echap_dir
from unstalk.feed.model import Feed

SOURCE_FILE = "SOURCE.json"
"""Provenance written beside the feed files: source, version, retrieval time."""

_CACHE_SCHEMA = 1


def bundled_dir() -> Path:
    """Folder of the Echap snapshot shipped inside the package."""
    return Path(str(resources.files("unstalk.feed") / "data" / "echap"))


@dataclass(frozen=True, slots=True)
class FeedLocation:
    """A feed folder on disk and whether it is the bundled snapshot."""

    path: Path
    bundled: bool


class FeedStore:
    """The user's feed folder (``home``) and a parse cache (``cache_dir``)."""

    def __init__(self, home: Path, cache_dir: Path | None = None) -> None:
        self.home = home
        self.cache_dir = cache_dir

    @property
    def feeds_dir(self) -> Path:
        return self.home / "feeds"

    @property
    def current_link(self) -> Path:
        return self.feeds_dir / "current"

    def location(self) -> FeedLocation:
        """The feed in use: the installed update if there is a valid one, else the bundled one."""
        current = self.current_link
        if current.is_dir() and (current / "ioc.yaml").is_file():
            return FeedLocation(current.resolve(), bundled=False)
        return FeedLocation(bundled_dir(), bundled=True)

    def load(self) -> Feed:
        """Load the feed in use, from the cache when its files have not changed."""
        return load_cached(self.location().path, self.cache_dir)


def read_source_info(folder: Path) -> tuple[str | None, str | None, datetime | None]:
    """Read (source, version, retrieved) from a feed folder's SOURCE.json, if any."""
    path = folder / SOURCE_FILE
    if not path.is_file():
        return None, None, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        retrieved = data.get("retrieved")
        return (
            data.get("source"),
            data.get("version"),
            datetime.fromisoformat(retrieved) if retrieved else None,
        )
    except (OSError, ValueError, AttributeError) as e:
        raise FeedError(
            f"The feed's provenance file {path} cannot be read: {e}",
            advice="Run 'unstalk feed update' to reinstall the feed.",
        ) from e


def _cache_key(folder: Path) -> str:
    digest = hashlib.sha256(f"{__version__}/{_CACHE_SCHEMA}".encode())
    for name in (*ECHAP_FILES, SOURCE_FILE):
        path = folder / name
        if path.is_file():
            digest.update(name.encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_folder(folder: Path) -> Feed:
    """Parse an Echap feed folder, with its provenance, without the cache."""
    source, version, retrieved = read_source_info(folder)
    return load_echap_dir(folder, source=source, version=version, retrieved=retrieved)


def load_cached(folder: Path, cache_dir: Path | None) -> Feed:
    """Parse an Echap feed folder, reusing a cached parse made from identical files."""
    if cache_dir is None:
        return load_folder(folder)
    cache_file = cache_dir / f"feed-{_cache_key(folder)}.pickle"
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError):
        feed = pickle.loads(cache_file.read_bytes())
        if isinstance(feed, Feed):
            return feed
    feed = load_folder(folder)
    _write_cache(cache_dir, cache_file, feed)
    return feed


def _write_cache(cache_dir: Path, cache_file: Path, feed: Feed) -> None:
    # A cache that cannot be written only costs speed: never fail the command for it.
    with contextlib.suppress(OSError):
        cache_dir.mkdir(parents=True, exist_ok=True)
        for stale in cache_dir.glob("feed-*.pickle"):
            stale.unlink(missing_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(feed, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(cache_file)
