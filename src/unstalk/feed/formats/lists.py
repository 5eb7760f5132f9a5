"""Block lists and CSV files: hosts, plain domain lists, Quad9's list, network.csv, samples.csv.

What goes into each file follows Echap's own exports (``generated/`` in
AssoEchap/stalkerware-indicators), checked against the snapshot bundled with unstalk:

- ``hosts`` upstream is a plain list of the C2 domains of stalkerware apps, and ``hosts_full``
  adds the C2 domains of watchware apps. Both hold C2 domains only: the split is by family
  type, not by role, so ``full=True`` here adds watchware. :func:`export_domains` writes the
  same plain lists; :func:`export_hosts` writes the same names as a real hosts file
  (``0.0.0.0 name``) under a comment header that keeps the attribution.
- ``quad9_blocklist.txt`` holds the C2 and distribution domains of stalkerware apps: no
  vendor websites, no watchware, as Echap's README promises Quad9.
- ``network.csv`` is ``type,indicator,app`` with the same C2 and distribution domains as
  ``domain`` and the C2 IPv4 addresses as ``ipv4``, stalkerware only.

Where upstream's files are wrong we do not copy them: upstream writes its lists in file order
with duplicates (ours are sorted and unique), writes distribution entries that are URLs or IP
addresses as if they were domains (ours keep host names to the ``domain`` type and give URLs,
IPv6 addresses and CIDR ranges their own ``url``, ``ipv6`` and ``cidr`` types, which upstream
never had), and misses the IP addresses of the entries spelled ``c2: ip:`` (ours include them).

Indicators whose role is unknown (``None``: sources such as network.csv or TinyCheck's JSON do
not say) count as C2, since those sources list what they consider malicious.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import re
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

from unstalk import __version__
from unstalk.errors import FeedFormatError
from unstalk.feed.model import (
    Family,
    FamilyId,
    FamilyType,
    Feed,
    Indicator,
    IndicatorKind,
    InputFile,
    Note,
    NoteLevel,
    Provenance,
    Role,
    family_id,
    normalise_value,
)

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Largest feed file the parsers accept; real feeds are well under a megabyte."""

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")

_C2_ROLES: frozenset[Role | None] = frozenset({Role.C2, None})
_BLOCK_ROLES: frozenset[Role | None] = frozenset({Role.C2, Role.DISTRIBUTION, None})
_STALKERWARE = frozenset({FamilyType.STALKERWARE})
_ALL_TYPES = frozenset(FamilyType)

_CSV_TYPES = {
    IndicatorKind.DOMAIN: "domain",
    IndicatorKind.IPV4: "ipv4",
    IndicatorKind.IPV6: "ipv6",
    IndicatorKind.CIDR: "cidr",
    IndicatorKind.URL: "url",
}
_CSV_KINDS = {name: kind for kind, name in _CSV_TYPES.items()}
_NETWORK_HEADER = ["type", "indicator", "app"]
_SAMPLES_HEADER = ["SHA256", "Package Name", "Certificate", "Version", "App"]


def is_hostname(value: str) -> bool:
    """True for a normalised host name: lower-case ASCII labels, not an IP address."""
    if not 0 < len(value) <= 253 or not _HOSTNAME.fullmatch(value):
        return False
    return not value.rsplit(".", 1)[-1].isdigit()


def is_valid_value(kind: IndicatorKind, value: str) -> bool:
    """True when a normalised network value is well formed for its kind."""
    try:
        if kind is IndicatorKind.DOMAIN:
            return is_hostname(value)
        if kind is IndicatorKind.IPV4:
            return isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address)
        if kind is IndicatorKind.IPV6:
            return isinstance(ipaddress.ip_address(value), ipaddress.IPv6Address)
        if kind is IndicatorKind.CIDR:
            return "/" in value and bool(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return False
    if kind is IndicatorKind.URL:
        parts = urlsplit(value)
        return parts.scheme in {"http", "https"} and bool(parts.hostname)
    return False


def guess_kind(value: str) -> IndicatorKind | None:
    """Tell which network kind a value is (URL, IPv4, IPv6, CIDR or domain), or None."""
    for kind in (
        IndicatorKind.URL,
        IndicatorKind.IPV4,
        IndicatorKind.IPV6,
        IndicatorKind.CIDR,
        IndicatorKind.DOMAIN,
    ):
        if is_valid_value(kind, normalise_value(kind, value)):
            return kind
    return None


def family_of(feed: Feed, fid: FamilyId) -> Family:
    """Return the family an indicator points to, or one made up from its id if the feed lacks it."""
    try:
        return feed.family(fid)
    except KeyError:
        prefix, _, slug = fid.partition("/")
        kind = FamilyType.WATCHWARE if prefix == FamilyType.WATCHWARE else FamilyType.STALKERWARE
        return Family(id=fid, name=slug or fid, type=kind, implied=True)


def check_size(data: bytes, source: str) -> None:
    """Refuse input too large to be a feed file before spending memory on it."""
    if len(data) > MAX_INPUT_BYTES:
        raise FeedFormatError(
            f"the file is {len(data)} bytes, more than the {MAX_INPUT_BYTES} a feed file may be",
            source=source,
            advice="Check that this is the feed file you meant to load.",
        )


def input_file(data: bytes, source: str) -> InputFile:
    return InputFile(name=source, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def _domains(
    feed: Feed, roles: Collection[Role | None], types: Collection[FamilyType]
) -> list[str]:
    return sorted(
        {
            i.value
            for i in feed.active()
            if i.kind is IndicatorKind.DOMAIN
            and i.role in roles
            and family_of(feed, i.family).type in types
            and is_hostname(i.value)
        }
    )


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())


def header_lines(feed: Feed, title: str, count: int, noun: str = "entries") -> list[str]:
    """Comment lines naming what a file holds, where the indicators came from and who made it."""
    lines = [_comment(title)]
    prov = feed.provenance
    if prov is not None:
        details = [f"version {prov.version}"] if prov.version else []
        if prov.retrieved is not None:
            details.append(f"retrieved {prov.retrieved.isoformat()}")
        suffix = f" ({', '.join(details)})" if details else ""
        lines.append(_comment(f"Indicators from: {prov.source}{suffix}"))
    lines.append(
        _comment(
            "Keep this header when you share this file: the source's licence may require "
            "attribution (Echap's stalkerware indicators are CC BY 4.0)."
        )
    )
    lines.append(_comment(f"Generated by unstalk {__version__}: {count} {noun}."))
    return lines


def _text(lines: Iterable[str]) -> bytes:
    body = "\n".join(lines)
    return (body + "\n").encode("utf-8") if body else b""


def export_hosts(feed: Feed, *, full: bool = False) -> bytes:
    """Write a hosts file sending stalkerware C2 domains to 0.0.0.0 (``full``: watchware too)."""
    names = _domains(feed, _C2_ROLES, _ALL_TYPES if full else _STALKERWARE)
    what = "stalkerware and watchware" if full else "stalkerware"
    title = f"unstalk hosts file: command-and-control domains of {what} apps"
    return _text([*header_lines(feed, title, len(names)), *(f"0.0.0.0 {n}" for n in names)])


def export_domains(feed: Feed, *, full: bool = False) -> bytes:
    """Write stalkerware C2 domains one per line, like Echap's hosts (``full``: hosts_full)."""
    return _text(_domains(feed, _C2_ROLES, _ALL_TYPES if full else _STALKERWARE))


def export_quad9(feed: Feed) -> bytes:
    """Write the list Echap sends Quad9: C2 and distribution domains of stalkerware apps."""
    return _text(_domains(feed, _BLOCK_ROLES, _STALKERWARE))


def _csv_bytes(header: list[str], rows: Iterable[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def export_network_csv(feed: Feed) -> bytes:
    """Write Echap's network.csv: ``type,indicator,app`` for stalkerware C2 and distribution."""
    rows = {
        (_CSV_TYPES[i.kind], i.value, family_of(feed, i.family).name)
        for i in feed.active()
        if i.kind in _CSV_TYPES
        and i.role in _BLOCK_ROLES
        and family_of(feed, i.family).type is FamilyType.STALKERWARE
        and is_valid_value(i.kind, i.value)
    }
    return _csv_bytes(_NETWORK_HEADER, sorted(rows))


def export_samples_csv(feed: Feed) -> bytes:
    """Write Echap's samples.csv from the feed's samples, empty fields where a value is unknown."""
    rows = {
        (
            s.sha256.lower(),
            s.package or "",
            (s.cert_sha1 or "").upper(),
            s.version or "",
            s.app,
        )
        for s in feed.samples
    }
    return _csv_bytes(_SAMPLES_HEADER, sorted(rows))


def _read_csv(data: bytes, source: str) -> list[list[str]]:
    check_size(data, source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FeedFormatError(
            "the file is not UTF-8 text", source=source, location=f"byte {e.start}"
        ) from e
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return list(reader)
    except csv.Error as e:
        raise FeedFormatError(
            f"the file is not valid CSV ({e})", source=source, location=f"line {reader.line_num}"
        ) from e


def _network_row(row: list[str], line: int, source: str) -> tuple[str, str, str]:
    if len(row) != len(_NETWORK_HEADER):
        raise FeedFormatError(
            f"expected 3 columns (type, indicator, app), found {len(row)}",
            source=source,
            location=f"line {line}",
        )
    kind, value, app = (cell.strip() for cell in row)
    return kind.lower(), value, app


class NoteBook:
    """Gathers the values a parser had to skip or fix, one note per reason."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._values: dict[tuple[NoteLevel, str, str], list[str]] = {}

    def add(self, level: NoteLevel, code: str, message: str, value: str) -> None:
        self._values.setdefault((level, code, message), []).append(value)

    def notes(self) -> tuple[Note, ...]:
        return tuple(
            Note(level, code, message, source=self.source, values=tuple(values))
            for (level, code, message), values in self._values.items()
        )


def _network_kind(declared: str, value: str, book: NoteBook) -> IndicatorKind | None:
    kind = _CSV_KINDS.get(declared)
    if kind is None:
        book.add(
            NoteLevel.WARNING,
            "network-csv-unknown-type",
            f"rows of unknown type {declared!r} were skipped",
            value,
        )
        return None
    if is_valid_value(kind, normalise_value(kind, value)):
        return kind
    actual = guess_kind(value)
    if actual is None:
        book.add(
            NoteLevel.WARNING,
            "network-csv-invalid-value",
            f"values that are not a valid {declared} were skipped",
            value,
        )
    else:
        book.add(
            NoteLevel.INFO,
            "network-csv-type-mismatch",
            f"values listed as {declared} were read as {_CSV_TYPES[actual]}",
            value,
        )
    return actual


def parse_network_csv(data: bytes, *, source: str) -> Feed:
    """Read Echap's network.csv (``type,indicator,app``) into a feed with implied families.

    network.csv does not say which role an indicator plays, so roles are left unknown.
    """
    rows = _read_csv(data, source)
    if not rows or [c.strip().lower() for c in rows[0]] != _NETWORK_HEADER:
        raise FeedFormatError(
            "the first line must be the header 'type,indicator,app'",
            source=source,
            location="line 1",
        )
    book = NoteBook(source)
    families: dict[FamilyId, Family] = {}
    indicators: dict[Indicator, None] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        declared, value, app = _network_row(row, line, source)
        if not app:
            book.add(NoteLevel.WARNING, "network-csv-no-app", "rows without an app", value)
            continue
        kind = _network_kind(declared, value, book)
        if kind is None:
            continue
        fid = family_id(FamilyType.STALKERWARE, app)
        families.setdefault(fid, Family(fid, app, FamilyType.STALKERWARE, implied=True))
        indicators[Indicator(kind, normalise_value(kind, value), fid, source=source)] = None
    return Feed(
        families=tuple(sorted(families.values(), key=lambda f: f.id)),
        indicators=tuple(indicators),
        provenance=Provenance("network-csv", source, files=(input_file(data, source),)),
        notes=book.notes(),
    )
