"""``unstalk feed update``: fetch, verify, validate and atomically install a feed.

The order matters for safety. Every file is fetched into a private staging
folder first; then checked against the SHA-256 pins and the signature when
they are configured; then parsed and linted as a whole feed; only then is the
``current`` link switched, in one ``rename``. A failure at any step leaves the
previous feed in use and says why.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from unstalk.errors import Error, FeedUpdateError
from unstalk.feed.formats.echap import parse_echap
from unstalk.feed.lint import lint_echap
from unstalk.feed.model import Feed, NoteLevel
from unstalk.feed.store import SOURCE_FILE, FeedStore

DEFAULT_SOURCE = "https://raw.githubusercontent.com/AssoEchap/stalkerware-indicators/master"
REQUIRED_FILES = ("ioc.yaml", "watchware.yaml", "samples.csv")
OPTIONAL_FILES = ("rules.yar",)
SUMS_FILE = "SHA256SUMS"
SIG_FILE = "SHA256SUMS.sig"
MAX_FILE_BYTES = 64 * 1024 * 1024
"""No real feed file comes near this; a larger answer is refused, not stored."""
TIMEOUT_S = 30.0
KEEP_VERSIONS = 2
MIN_KEPT_FRACTION = 0.5
"""An update that loses more than half the families is refused unless forced."""


@dataclass(frozen=True)
class UpdateOptions:
    source: str = DEFAULT_SOURCE
    pins: Mapping[str, str] = field(default_factory=dict)
    """File name -> expected SHA-256 (hex)."""
    public_key: bytes | None = None
    """Ed25519 public key (PEM, or raw 32 bytes base64) that must have signed SHA256SUMS."""
    force: bool = False
    """Install even when the new feed is much smaller, or has lint errors (it must still parse)."""
    signed_release: bool = False
    """The source is a signed release (a coalition hub's) whose SHA256SUMS also lists files
    in other formats: only the files fetched must be listed, and match."""


@dataclass(frozen=True)
class UpdateResult:
    feed: Feed
    path: Path
    previous_families: int
    changed: bool


def _is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in {"http", "https"}


def _fetch(source: str, name: str, *, required: bool) -> bytes | None:
    if not _is_url(source):
        path = Path(source).expanduser() / name
        if not path.is_file():
            if required:
                raise FeedUpdateError(f"The feed source has no {name} (looked for {path}).")
            return None
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FeedUpdateError(f"{path} is larger than any real feed file; refused.")
        return path.read_bytes()
    url = source.rstrip("/") + "/" + name
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310
            data: bytes = response.read(MAX_FILE_BYTES + 1)
    except urllib.error.HTTPError as e:
        if e.code == 404 and not required:
            return None
        raise FeedUpdateError(f"The feed server answered {e.code} {e.reason} for {url}.") from e
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise FeedUpdateError(
            f"Could not reach {url}: {reason}.",
            advice="Check the internet connection, or give a local folder with --source.",
        ) from e
    if len(data) > MAX_FILE_BYTES:
        raise FeedUpdateError(f"{url} is larger than any real feed file; refused.")
    return data


HUB_INDEX = "feed/releases.json"


def hub_release_source(hub_url: str) -> str:
    """The URL of the newest release's folder on a coalition hub.

    The index only names the release; the release's signed SHA256SUMS is what
    vouches for its files, so a forged index can at worst point to an older
    genuine release.
    """
    if not _is_url(hub_url):
        raise FeedUpdateError(f"--hub {hub_url!r} is not an http:// or https:// address.")
    base = hub_url.rstrip("/")
    data = _fetch(base, HUB_INDEX, required=True)
    assert data is not None  # required=True never returns None
    try:
        latest = json.loads(data)["latest"]
    except (ValueError, KeyError, TypeError) as e:
        raise FeedUpdateError(f"{base}/{HUB_INDEX} is not a hub's list of releases.") from e
    if not isinstance(latest, str) or not latest.replace(".", "").isdigit():
        raise FeedUpdateError(
            f"The hub at {base} has published no feed release yet.",
            advice="Ask the hub's coordinator to publish one.",
        )
    return f"{base}/feed/{latest}"


def fetch_files(source: str) -> dict[str, bytes]:
    """Fetch every feed file from a URL base or a local folder."""
    files: dict[str, bytes] = {}
    for name in REQUIRED_FILES + OPTIONAL_FILES:
        data = _fetch(source, name, required=name in REQUIRED_FILES)
        if data is not None:
            files[name] = data
    return files


def _load_public_key(key: bytes) -> Ed25519PublicKey:
    try:
        if key.lstrip().startswith(b"-----BEGIN"):
            loaded = load_pem_public_key(key)
            if not isinstance(loaded, Ed25519PublicKey):
                raise FeedUpdateError("The public key given is not an Ed25519 key.")
            return loaded
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(key.strip(), validate=True))
    except (ValueError, TypeError) as e:
        raise FeedUpdateError(
            "The public key given cannot be read.",
            advice="Give the Ed25519 public key as PEM or as 32 bytes in base64.",
        ) from e


def parse_sums(text: str) -> dict[str, str]:
    """Read ``sha256sum`` output (``HEX  name`` per line) into name -> hex."""
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) != 64 or not name:
            raise FeedUpdateError(f"{SUMS_FILE} line {number} is not 'SHA-256  file name'.")
        sums[name] = digest.lower()
    return sums


def verify_signature(
    source: str, public_key: bytes, files: Mapping[str, bytes], *, more_listed: bool = False
) -> None:
    """Check that SHA256SUMS is signed by the key and lists the right hash of every file.

    With ``more_listed``, SHA256SUMS may also list files that were not fetched.
    """
    sums = _fetch(source, SUMS_FILE, required=True)
    signature = _fetch(source, SIG_FILE, required=True)
    assert sums is not None and signature is not None  # required=True never returns None
    key = _load_public_key(public_key)
    try:
        key.verify(_decode_signature(signature), sums)
    except InvalidSignature as e:
        raise FeedUpdateError(
            f"The signature on {SUMS_FILE} does not match the key given.",
            advice="The files may have been tampered with. Do not use them; ask the publisher.",
        ) from e
    listed = parse_sums(sums.decode("utf-8", "replace"))
    if more_listed:
        listed = {name: digest for name, digest in listed.items() if name in files}
    verify_pins(files, listed, what="the signed SHA256SUMS", require_all=True)


def _decode_signature(raw: bytes) -> bytes:
    if len(raw) == 64:
        return raw
    try:
        return base64.b64decode(raw.strip(), validate=True)
    except ValueError as e:
        raise FeedUpdateError(f"{SIG_FILE} is neither a raw nor a base64 signature.") from e


def verify_pins(
    files: Mapping[str, bytes], pins: Mapping[str, str], *, what: str, require_all: bool = False
) -> None:
    """Compare each fetched file with its expected SHA-256."""
    for name, expected in pins.items():
        if name not in files:
            raise FeedUpdateError(f"{what} names {name}, which the source does not have.")
        actual = hashlib.sha256(files[name]).hexdigest()
        if actual != expected.lower():
            raise FeedUpdateError(
                f"{name} does not match {what}: expected SHA-256 {expected.lower()}, got {actual}.",
                advice="The file changed or was tampered with; the feed in use was kept.",
            )
    if require_all:
        unlisted = sorted(set(files) - set(pins))
        if unlisted:
            raise FeedUpdateError(f"{what} does not cover {', '.join(unlisted)}.")


def parse(files: Mapping[str, bytes], source: str, retrieved: datetime) -> Feed:
    """Parse the fetched files as a whole feed."""
    try:
        return parse_echap(files, source=source, retrieved=retrieved)
    except Error as e:
        raise FeedUpdateError(f"The new feed is not valid: {e.message}") from e


def check_lint(files: Mapping[str, bytes]) -> None:
    """Refuse a feed with lint errors, except those upstream data is known to carry."""
    errors = [n for n in lint_echap(files) if n.level is NoteLevel.ERROR]
    blocking = [n for n in errors if n.code not in TOLERATED_LINT_ERRORS]
    if blocking:
        first = blocking[0]
        raise FeedUpdateError(
            f"The new feed has {len(blocking)} error(s); first: {first.message} ({first.source})",
            advice="Run 'unstalk feed lint' on the source to see them all.",
        )


TOLERATED_LINT_ERRORS = frozenset({"value-in-two-families", "family-in-two-files"})
"""Lint errors upstream data is known to carry; the loader keeps both facts and notes them."""


def update_feed(store: FeedStore, options: UpdateOptions) -> UpdateResult:
    """Fetch, verify, validate and install a feed; on any failure the previous one stays."""
    previous = store.load()
    retrieved = datetime.now(UTC).replace(microsecond=0)
    files = fetch_files(options.source)
    if options.pins:
        verify_pins(files, options.pins, what="the configured pin")
    if options.public_key is not None:
        verify_signature(
            options.source, options.public_key, files, more_listed=options.signed_release
        )
    feed = parse(files, options.source, retrieved)
    before = sum(1 for _ in previous.listed_families())
    after = sum(1 for _ in feed.listed_families())
    # Checked before lint: a source that lost most of its families is the clearer message.
    if not options.force and after < before * MIN_KEPT_FRACTION:
        raise FeedUpdateError(
            f"The new feed has {after} families where the one in use has {before}.",
            advice="This looks like a broken source. Use --force if the drop is intended.",
        )
    if not options.force:
        check_lint(files)
    path, changed = install(store, files, options.source, retrieved)
    return UpdateResult(feed=feed, path=path, previous_families=before, changed=changed)


def install(
    store: FeedStore, files: Mapping[str, bytes], source: str, retrieved: datetime
) -> tuple[Path, bool]:
    """Write the files to a new version folder and switch ``current`` to it atomically."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    version_id = digest.hexdigest()[:16]
    versions = store.feeds_dir / "versions"
    target = versions / version_id
    current = store.current_link
    if current.is_symlink() and current.resolve() == target.resolve() and target.is_dir():
        return target, False
    versions.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=versions))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        info = {"format": "echap", "source": source, "retrieved": retrieved.isoformat()}
        (staging / SOURCE_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise FeedUpdateError(f"Could not write the new feed under {versions}: {e}") from e
    _switch_link(current, target)
    _prune(versions, keep=target.name)
    return target, True


def _switch_link(current: Path, target: Path) -> None:
    tmp_link = current.with_name(f".current-{os.getpid()}")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(Path("versions") / target.name)
    # rename() over an existing link is atomic: readers see the old or the new feed, never none.
    tmp_link.replace(current)


def _prune(versions: Path, keep: str) -> None:
    # The newest folders are the one just installed and the one it replaced, kept for rollback.
    folders = sorted(
        (p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in folders[KEEP_VERSIONS:]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
