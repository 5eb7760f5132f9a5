"""``unstalk feed``: inspect, update, lint, match and export indicator feeds."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.table import Table

from unstalk.errors import UsageError
from unstalk.feed.detect import lookup
from unstalk.feed.formats.suricata import dump_sid_map, export_suricata, load_sid_map
from unstalk.feed.index import FeedIndex, Match
from unstalk.feed.io import EXPORT_FORMATS, load_feed_path
from unstalk.feed.lint import lint_echap_dir
from unstalk.feed.model import Feed, Note, NoteLevel
from unstalk.feed.summary import summarise
from unstalk.feed.update import DEFAULT_SOURCE, UpdateOptions, hub_release_source, update_feed

from . import settings

_FEED_OPTION = click.option(
    "--feed",
    "feed_path",
    type=click.Path(exists=True, path_type=Path),
    help="Use this feed (Echap folder, STIX 2.1, MISP, TinyCheck or network.csv) "
    "instead of the one installed.",
)


def _load(feed_path: Path | None) -> Feed:
    if feed_path is not None:
        return load_feed_path(feed_path)
    return settings.feed_store().load()


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


@click.group()
def feed() -> None:
    """Indicator feeds: what is known about stalkerware apps and their servers.

    The Echap stalkerware indicators (CC BY 4.0) ship with unstalk, so every
    check works offline. 'unstalk feed update' fetches a newer copy.
    """


@feed.command()
@_FEED_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def info(feed_path: Path | None, as_json: bool) -> None:
    """Show what the feed in use contains and where it came from."""
    data = _load(feed_path)
    summary = summarise(data)
    if feed_path is None:
        location = settings.feed_store().location()
        summary["location"] = "bundled snapshot" if location.bundled else str(location.path)
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
        return
    _print_info(summary)


def _print_info(summary: dict[str, object]) -> None:
    console = _console()
    prov = summary["provenance"]
    assert isinstance(prov, dict)
    console.print(f"[bold]Feed[/] {prov.get('source') or 'unknown source'}")
    for key in ("format", "version", "retrieved"):
        if prov.get(key):
            console.print(f"  {key}: {prov[key]}")
    if "location" in summary:
        console.print(f"  in use from: {summary['location']}")
    families = Table("family type", "families", title="Families")
    fam = summary["families"]
    assert isinstance(fam, dict)
    for name, count in sorted(fam.items()):
        families.add_row(name, str(count))
    console.print(families)
    kinds = Table("kind", "role", "indicators", "distinct values", title="Indicators")
    rows = summary["indicators"]
    assert isinstance(rows, list)
    for row in rows:
        kinds.add_row(row["kind"], row["role"] or "-", str(row["count"]), str(row["distinct"]))
    console.print(kinds)
    console.print(f"Samples: {summary['samples']}")
    files = prov.get("files") or []
    for f in files:
        console.print(f"  {f['name']}  sha256 {f['sha256']}  ({f['size']} bytes)")
    notes = summary["notes"]
    assert isinstance(notes, dict)
    if notes:
        console.print("Notes: " + ", ".join(f"{code} x{n}" for code, n in sorted(notes.items())))


@feed.command()
@click.option(
    "--source",
    default=DEFAULT_SOURCE,
    show_default=True,
    help="URL of the folder holding ioc.yaml, watchware.yaml, samples.csv and rules.yar, "
    "or a local folder with those files.",
)
@click.option(
    "--sha256",
    "pins",
    multiple=True,
    metavar="FILE=HEX",
    help="Refuse the update unless FILE has this SHA-256. Repeat for each file.",
)
@click.option(
    "--hub",
    metavar="URL",
    help="Update from the newest signed release of a coalition hub (needs --key).",
)
@click.option(
    "--key",
    metavar="FILE|KEY",
    help="Ed25519 public key (a PEM file, or the key itself in base64); the source must then "
    "hold SHA256SUMS and its signature SHA256SUMS.sig made with the matching private key.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Install even if the new feed is much smaller or has lint errors (it must still parse).",
)
def update(
    source: str, pins: tuple[str, ...], hub: str | None, key: str | None, force: bool
) -> None:
    """Fetch, verify and install a newer feed.

    This is the only feed command that uses the network. If anything goes
    wrong, the feed in use stays as it was. With --hub, the release's
    signature is checked against --key before anything in it is read.
    """
    if hub is not None:
        if key is None:
            raise UsageError("--hub needs --key: the hub's public key, to check its signature.")
        if source != DEFAULT_SOURCE:
            raise UsageError("Give either --hub or --source, not both.")
        source = hub_release_source(hub)
    options = UpdateOptions(
        source=source,
        pins=_parse_pins(pins),
        public_key=_read_key(key) if key is not None else None,
        force=force,
        signed_release=hub is not None,
    )
    result = update_feed(settings.feed_store(), options)
    listed = sum(1 for _ in result.feed.listed_families())
    state = "installed" if result.changed else "already up to date"
    _console().print(
        f"Feed {state}: {listed} families (before: {result.previous_families}), "
        f"{len(result.feed.indicators)} indicators, from {source}\n  stored in {result.path}"
    )


def _read_key(key: str) -> bytes:
    path = Path(key).expanduser()
    if path.is_file():
        return path.read_bytes()
    if key.strip().startswith("-----BEGIN") or len(key.strip()) == 44:
        return key.encode()
    raise UsageError(f"--key {key!r} is neither a key file nor an Ed25519 key in base64.")


def _parse_pins(pins: tuple[str, ...]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for pin in pins:
        name, sep, digest = pin.partition("=")
        if not sep or len(digest) != 64:
            raise UsageError(f"--sha256 {pin!r} is not FILE=HEX with a 64-character SHA-256.")
        parsed[name] = digest
    return parsed


@feed.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON lines.")
def lint(path: Path, as_json: bool) -> None:
    """Check an Echap-format feed folder for mistakes before publishing it.

    Exit code 1 when an error is found; warnings alone exit 0.
    """
    notes = lint_echap_dir(path)
    if as_json:
        for note in notes:
            click.echo(json.dumps(_note_dict(note), sort_keys=True))
    else:
        _print_notes(notes)
    if any(n.level is NoteLevel.ERROR for n in notes):
        sys.exit(1)


def _note_dict(note: Note) -> dict[str, object]:
    return {
        "level": note.level.value,
        "code": note.code,
        "message": note.message,
        "source": note.source,
        "values": list(note.values),
    }


def _print_notes(notes: list[Note]) -> None:
    console = _console()
    if not notes:
        console.print("No problems found by these checks.")
        return
    table = Table("level", "code", "where", "message")
    for note in sorted(notes, key=lambda n: (n.level is not NoteLevel.ERROR, n.code, n.source)):
        table.add_row(note.level.value, note.code, note.source, note.message)
    console.print(table)
    errors = sum(1 for n in notes if n.level is NoteLevel.ERROR)
    console.print(f"{errors} error(s), {len(notes) - errors} warning(s) or note(s).")


@feed.command()
@click.argument("values", nargs=-1)
@click.option(
    "--file",
    "values_file",
    type=click.File("r", encoding="utf-8"),
    help="Read values from this file, one per line ('-' for standard input).",
)
@_FEED_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per match.")
def match(
    values: tuple[str, ...],
    values_file: TextIO | None,
    feed_path: Path | None,
    as_json: bool,
) -> None:
    """Look values up in the feed: package names, certificate or file hashes,
    domains, IPs, URLs. The kind of each value is detected automatically.

    Exit code 1 when at least one value matches. No match does not mean a value
    is safe: the feed only knows what has been reported.
    """
    candidates = list(values)
    if values_file is not None:
        candidates.extend(line.strip() for line in values_file if line.strip())
    if not candidates:
        raise UsageError("Give at least one value, or --file with one value per line.")
    index = FeedIndex.build(_load(feed_path))
    hits = [(value, m) for value in candidates for m in lookup(index, value)]
    if as_json:
        for value, m in hits:
            click.echo(json.dumps(_match_dict(value, m), sort_keys=True))
    else:
        _print_matches(candidates, hits)
    if hits:
        sys.exit(1)


def _match_dict(value: str, m: Match) -> dict[str, object]:
    return {
        "value": value,
        "family": m.family.name,
        "family_id": m.family.id,
        "family_type": m.family.type.value,
        "kind": m.indicator.kind.value,
        "role": m.indicator.role.value if m.indicator.role else None,
        "indicator": m.indicator.value,
        "severity": m.severity.value,
        "source": m.indicator.source,
    }


def _print_matches(values: list[str], hits: list[tuple[str, Match]]) -> None:
    console = _console()
    if not hits:
        console.print(
            f"None of the {len(values)} value(s) is in the feed. This does not mean they are "
            "safe: the feed only lists what has been reported."
        )
        return
    table = Table("value", "severity", "family", "type", "kind", "role", "indicator")
    for value, m in sorted(hits, key=lambda h: (h[1].severity.rank, h[0])):
        role = m.indicator.role.value if m.indicator.role else "-"
        table.add_row(
            value,
            m.severity.value,
            m.family.name,
            m.family.type.value,
            m.indicator.kind.value,
            role,
            m.indicator.value,
        )
    console.print(table)
    matched = len({v for v, _ in hits})
    console.print(f"{matched} of {len(values)} value(s) matched.")


@feed.command()
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(sorted([*EXPORT_FORMATS, "suricata"])),
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--sid-map",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Suricata only: the file keeping rule SIDs stable between exports "
    "(default: one in the unstalk data folder).",
)
@_FEED_OPTION
def export(fmt: str, output: Path | None, sid_map: Path | None, feed_path: Path | None) -> None:
    """Write the feed in a format other tools read: MVT, MISP, Suricata, TinyCheck, DNS blockers."""
    data = _load(feed_path)
    if fmt == "suricata":
        content = _export_suricata(data, sid_map or settings.data_home() / "suricata-sids.json")
    else:
        content = EXPORT_FORMATS[fmt].write(data)
    if output is None:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_bytes(content)
    tmp.replace(output)
    click.echo(f"Wrote {len(content)} bytes to {output}", err=True)


def _export_suricata(data: Feed, sid_path: Path) -> bytes:
    previous = sid_path.read_bytes() if sid_path.is_file() else None
    rules, sids = export_suricata(data, load_sid_map(previous))
    sid_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = sid_path.with_name(sid_path.name + ".tmp")
    tmp.write_bytes(dump_sid_map(sids))
    tmp.replace(sid_path)
    return rules
