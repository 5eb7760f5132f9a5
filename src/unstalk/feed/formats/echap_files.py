"""Echap's feed files as they are written: names, keys, and the readers the loader and lint share.

YAML is read the way Echap's own linter reads it, every scalar as a string, so ``1.0`` stays
``"1.0"`` and ``no`` stays ``"no"``; keys given twice are recorded, since YAML keeps the last.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from unstalk.errors import FeedFormatError
from unstalk.feed.formats._common import check_size
from unstalk.feed.model import IndicatorKind, normalise_value
from unstalk.feed.values import Found, classify_network, compiles, is_hex

try:
    from yaml import CBaseLoader as _YamlLoader
except ImportError:  # PyYAML built without libyaml: same results, slower
    from yaml import BaseLoader as _YamlLoader  # type: ignore[assignment]

ECHAP_FILES = ("ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar")
SAMPLES_HEADER = ("SHA256", "Package Name", "Certificate", "Version", "App")
TEST_CERTIFICATES: Mapping[str, str] = {
    # Fingerprints of AOSP build/target/product/security/*.x509.pem. Their private keys are
    # public, so anyone can sign with them and they say nothing about who made an app.
    "61ED377E85D386A8DFEE6B864BD85B0BFAA5AF81": "AOSP testkey",
    "A40DA80A59D170CAA950CF15C18C454D47A39B26989D8B640ECD745BA71BF5DC": "AOSP testkey",
    "27196E386B875E76ADF700E7EA84E4C6EEE33DFA": "AOSP platform key",
    "C8A2E9BCCF597C2FB6DC66BEE293FC13F2FC47EC77BC6B2B0D52C11F51192AB8": "AOSP platform key",
    "5B368CFF2DA2686996BC95EAC190EAA4F5630FE5": "AOSP shared key",
    "28BBFE4A7B97E74681DC55C2FBB6CCB8D6C74963733F6AF6AE74D8C3A6E879FD": "AOSP shared key",
    "B79DF4A82E90B57EA76525AB7037AB238A42F5D3": "AOSP media key",
}
LIST_KEYS = (
    "packages",
    "ios_bundles",
    "certificates",
    "certificate_organizations",
    "certificate_cname_re",
    "websites",
    "distribution",
)
C2_KEYS = {"domains": "c2.domains", "ips": "c2.ips", "ip": "c2.ip"}
KNOWN_KEYS = frozenset({"name", "names", "type", "c2", *LIST_KEYS})


def _certificate(value: str) -> Found | None:
    text = normalise_value(IndicatorKind.CERT_SHA1, value)
    if is_hex(text, 40):
        return IndicatorKind.CERT_SHA1, text
    return (IndicatorKind.CERT_SHA256, text) if is_hex(text, 64) else None


def _regex(value: str) -> Found | None:
    return (IndicatorKind.CERT_CNAME_RE, value) if compiles(value) else None


def _plain(kind: IndicatorKind) -> Callable[[str], Found | None]:
    return lambda value: (kind, value) if value.isprintable() and " " not in value else None


CLASSIFY: dict[str, Callable[[str], Found | None]] = dict.fromkeys(
    ("websites", "distribution", *C2_KEYS.values()), classify_network
) | {
    "packages": _plain(IndicatorKind.PACKAGE),
    "ios_bundles": _plain(IndicatorKind.IOS_BUNDLE),
    "certificates": _certificate,
    "certificate_organizations": lambda value: (IndicatorKind.CERT_ORG, value),
    "certificate_cname_re": _regex,
}
"""How the values under each key are read: kind and normalised spelling, or None if invalid."""


@dataclass(frozen=True, slots=True)
class YamlEntry:
    """One item of a YAML family list, with where it starts in the file."""

    index: int
    line: int
    value: object

    @property
    def location(self) -> str:
        return f"entry {self.index} (line {self.line})"


class _Loader(_YamlLoader):
    """Base loader that also records mapping keys given twice (YAML keeps only the last)."""

    def __init__(self, stream: bytes) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[str] = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    self.duplicate_keys.append((key.start_mark.line + 1, str(key.value)))
                seen.add(key.value)
        return dict(super().construct_mapping(node, deep))


def load_yaml_entries(name: str, data: bytes) -> tuple[list[YamlEntry], list[tuple[int, str]]]:
    """Read a family list; return its entries and the ``(line, key)`` of keys given twice."""
    check_size(data, name)
    loader = _Loader(data)
    try:
        node = loader.get_single_node()
        value = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FeedFormatError(f"not valid YAML: {e.problem}", source=name, location=where) from e
    except yaml.YAMLError as e:
        raise FeedFormatError(f"not valid YAML: {e}", source=name) from e
    finally:
        loader.dispose()
    if node is None:
        raise FeedFormatError("the file is empty", source=name)
    if not isinstance(node, yaml.SequenceNode) or not isinstance(value, list):
        raise FeedFormatError("expected a list of apps at the top of the file", source=name)
    lines = (child.start_mark.line + 1 for child in node.value)
    return [
        YamlEntry(i, n, v) for i, (n, v) in enumerate(zip(lines, value, strict=True), 1)
    ], loader.duplicate_keys


def sample_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """Rows of samples.csv after a checked header, each with its line number, cells stripped."""
    check_size(data, "samples.csv")
    try:
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        if tuple(cell.strip() for cell in next(reader, [])) != SAMPLES_HEADER:
            why = f"the first line must be {','.join(SAMPLES_HEADER)}"
            raise FeedFormatError(why, source="samples.csv", location="line 1")
        return [(reader.line_num, [c.strip() for c in row]) for row in reader if row]
    except UnicodeDecodeError as e:
        raise FeedFormatError(f"not UTF-8 text: {e}", source="samples.csv") from e
    except csv.Error as e:
        raise FeedFormatError(f"not readable as CSV: {e}", source="samples.csv") from e


def read_feed_files(path: Path) -> dict[str, bytes]:
    """The Echap files present in the folder ``path``, by name."""
    try:
        return {name: (path / name).read_bytes() for name in ECHAP_FILES if (path / name).is_file()}
    except OSError as e:
        raise FeedFormatError(f"could not read the feed files: {e}", source=str(path)) from e
