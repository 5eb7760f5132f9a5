"""``unstalk report keygen|manifest|verify|timeline``: evidence for examiners.

The lead adds these commands to the ``report`` group
(``for c in EVIDENCE_COMMANDS: report.add_command(c)``). docs/evidence.md
explains the manifest, the keys and the timeline.

``verify`` exits 0 only when the signature is good and every file matches, 1 when
anything changed (or the manifest cannot be read), 2 on a usage error.
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import click

from unstalk import __version__
from unstalk.android.check import check_acquisition
from unstalk.android.importers import load_acquisition
from unstalk.errors import Error, ReportError, UsageError
from unstalk.feed.formats.echap import read_echap_dir
from unstalk.feed.index import FeedIndex
from unstalk.feed.io import load_feed_path
from unstalk.feed.model import InputFile, Provenance
from unstalk.feed.store import read_source_info
from unstalk.netcap.check import check_capture
from unstalk.report.manifest import CaseFields, read_limited, relative_name, sign
from unstalk.report.manifest_build import ManifestRequest, build_manifest
from unstalk.report.manifest_keys import (
    fingerprint,
    generate_key,
    is_encrypted,
    load_private_key,
    public_b64,
    public_raw,
    read_public_key,
    write_private_key,
    write_public_key,
)
from unstalk.report.manifest_verify import (
    MAX_MANIFEST,
    Verification,
    problems,
    verify_manifest,
)
from unstalk.report.timeline import (
    TimelineEvent,
    android_events,
    json_events,
    network_events,
    write_csv,
)

from . import settings

EXIT_OK = 0
EXIT_CHANGED = 1
EXIT_INCOMPLETE = 3
MAX_RESULT = 256 << 20


@click.command("keygen")
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The new private key file (PEM, readable by you only). The public key goes to "
    "the same name with .pub added.",
)
@click.option(
    "--passphrase/--no-passphrase",
    default=True,
    show_default=True,
    help="Protect the private key with a passphrase (asked twice, never shown).",
)
def keygen(out: Path, passphrase: bool) -> None:
    """Make the examiner's Ed25519 key pair for signing evidence manifests.

    Keep the private key off the case folder and off shared machines; hand out
    the public key (printed, and written to FILE.pub) to whoever verifies.
    """
    secret = None
    if passphrase:
        secret = click.prompt(
            "Passphrase for the new key", hide_input=True, confirmation_prompt=True
        ).encode()
    key = generate_key()
    write_private_key(out, key, secret)
    public = out.with_name(out.name + ".pub")
    write_public_key(public, key)
    click.echo(f"Private key: {out} (permissions 0600)")
    click.echo(f"Public key:  {public_b64(key)}  (also in {public})")
    click.echo(f"Fingerprint: {fingerprint(public_raw(key))}")


def _feed_in_use() -> Provenance | None:
    """The installed feed's files and their hashes, without parsing the feed."""
    location = settings.feed_store().location()
    try:
        files = read_echap_dir(location.path)
        source, version, retrieved = read_source_info(location.path)
    except Error:
        return None
    inputs = tuple(
        InputFile(name, hashlib.sha256(data).hexdigest(), len(data))
        for name, data in sorted(files.items())
    )
    origin = source or ("bundled" if location.bundled else str(location.path))
    return Provenance("echap", origin, version, retrieved, inputs)


@click.command("manifest")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--result",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The report or check result JSON the manifest covers (inside FOLDER).",
)
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The examiner's private key (from 'unstalk report keygen').",
)
@click.option("--case-id", help="The case or exhibit reference.")
@click.option("--examiner", help="Who made the manifest.")
@click.option("--organisation", help="The examiner's organisation.")
@click.option("--note", help="A free-text note kept in the manifest.")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the signed manifest (default: FOLDER/manifest.json). An existing "
    "file is never overwritten.",
)
def manifest(
    folder: Path,
    result: Path,
    key_path: Path,
    case_id: str | None,
    examiner: str | None,
    organisation: str | None,
    note: str | None,
    out: Path | None,
) -> None:
    """Hash every file in FOLDER and sign the list with the examiner's key.

    The manifest records the tool and feed versions, the acquisition and signing
    times (UTC), the case fields and the SHA-256 of every file, including the
    result it covers. 'unstalk report verify' later names anything that changed.
    """
    target = out or folder / "manifest.json"
    if target.exists():
        raise UsageError(f"{target} already exists.", advice="Give a new file name with -o.")
    passphrase = None
    if is_encrypted(key_path):
        passphrase = click.prompt("Passphrase of the key", hide_input=True).encode()
    key = load_private_key(key_path, passphrase)
    own_name = relative_name(target, folder)
    request = ManifestRequest(
        root=folder,
        result=result,
        tool_version=__version__,
        created=datetime.now(UTC),
        case=CaseFields(case_id=case_id, examiner=examiner, organisation=organisation, note=note),
        feed_in_use=_feed_in_use(),
        exclude=frozenset({own_name}) if own_name else frozenset(),
    )
    built = build_manifest(request)
    try:
        with target.open("xb") as f:
            f.write(sign(built, key))
    except OSError as e:
        raise ReportError(f"{target}: cannot write the manifest ({e.strerror or e}).") from e
    click.echo(f"Signed manifest of {len(built.files)} files written to {target}.")
    for skipped in built.skipped:
        click.echo(f"Not hashed: {skipped.path} ({skipped.reason})")
    for line in built.notes:
        click.echo(line)


@click.command("verify")
@click.argument("manifest_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key",
    help="The expected public key (base64, or a .pub or PEM file): fail if another key signed.",
)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The case folder the manifest covers (default: the manifest's folder).",
)
def verify(manifest_path: Path, key: str | None, root: Path | None) -> None:
    """Check a manifest's signature and every file it lists; name what changed.

    Exit codes: 0 everything matches, 1 something changed (a file, the manifest
    itself, or the signing key), 2 usage error.
    """
    expected = None
    if key is not None:
        try:
            expected = read_public_key(key)
        except ReportError as e:
            raise UsageError(e.message, advice=e.advice) from e
    folder = root or manifest_path.parent
    try:
        data = read_limited(manifest_path, MAX_MANIFEST)
        outcome = verify_manifest(
            data, folder, expected_key=expected, manifest_name=relative_name(manifest_path, folder)
        )
    except (ReportError, OSError) as e:
        message = e.diagnostics() if isinstance(e, Error) else f"{manifest_path}: {e}"
        click.echo(f"Verification FAILED. {message}", err=True)
        sys.exit(EXIT_CHANGED)
    _print_outcome(outcome)
    sys.exit(EXIT_OK if outcome.ok else EXIT_CHANGED)


def _print_outcome(outcome: Verification) -> None:
    fingerprint_text = outcome.key_fingerprint or "unknown"
    if outcome.ok:
        click.echo(
            f"Verified: the signature is good (key fingerprint {fingerprint_text}) and all "
            f"{outcome.checked} files match the manifest."
        )
        return
    click.echo("Verification FAILED: something changed since the manifest was signed.")
    _echo_lines(problems(outcome))
    if outcome.signature_ok:
        click.echo(f"The signature itself is good (key fingerprint {fingerprint_text}).")


def _echo_lines(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(f"- {line}")


# Timeline ------------------------------------------------------------------------------------


def _looks_like_json(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(64).lstrip().startswith(b"{")


def _source_events(
    path: Path, index: Callable[[], FeedIndex], all_apps: bool
) -> list[TimelineEvent]:
    """Events from one source: a result JSON, an Android acquisition, or a capture."""
    if path.is_file() and _looks_like_json(path):
        if path.stat().st_size > MAX_RESULT:
            raise ReportError(f"{path} is too large to be a result file.")
        return json_events(path.read_bytes(), str(path))
    if path.is_dir() or zipfile.is_zipfile(path):
        result = check_acquisition(load_acquisition(path), index())
        return list(android_events(result, all_apps=all_apps))
    return list(network_events(check_capture(path, index())))


@click.command("timeline")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the CSV here (default: the terminal).",
)
@click.option("--all-apps", is_flag=True, help="List the installs of the phone's own apps too.")
@click.option(
    "--feed",
    "feed_path",
    type=click.Path(exists=True, path_type=Path),
    help="Use this feed instead of the one installed (for acquisitions and captures).",
)
def timeline(
    sources: tuple[Path, ...], out: Path | None, all_apps: bool, feed_path: Path | None
) -> None:
    """Write a CSV timeline (UTC) of installs, updates, last uses and findings.

    Each SOURCE is a result JSON ('unstalk check ... -o FILE' or a report's
    JSON), an Android acquisition (folder or zip) or a network capture. An
    acquisition gives the fullest timeline: the JSON keeps install times only.
    Cells that a spreadsheet would run as a formula start with an apostrophe.
    """
    indexes: list[FeedIndex] = []

    def index() -> FeedIndex:
        if not indexes:
            feed = load_feed_path(feed_path) if feed_path else settings.feed_store().load()
            indexes.append(FeedIndex.build(feed))
        return indexes[0]

    events: list[TimelineEvent] = []
    failed = 0
    for source in sources:
        try:
            events.extend(_source_events(source, index, all_apps))
        except (Error, OSError) as e:
            failed += 1
            why = e.diagnostics() if isinstance(e, Error) else str(e)
            click.echo(f"Could not read {source}: {why}", err=True)
    if out is None:
        count = write_csv(events, sys.stdout)
    else:
        with out.open("w", encoding="utf-8", newline="") as stream:
            count = write_csv(events, stream)
        click.echo(f"{count} events written to {out}.", err=True)
    sys.exit(EXIT_INCOMPLETE if failed else EXIT_OK)


EVIDENCE_COMMANDS = (keygen, manifest, verify, timeline)
