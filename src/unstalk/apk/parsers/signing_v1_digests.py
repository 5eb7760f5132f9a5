"""The digests of JAR signing (v1): MANIFEST.MF over the entries, each .SF over MANIFEST.MF.

A JAR manifest is a list of sections (lines of ``Name: value`` attributes, long values
continued on lines that start with a space, sections separated by an empty line). The
first section holds the main attributes; every other section names an entry of the APK.

What is checked, as apksig's V1SchemeVerifier checks it, except that *every* digest
algorithm a section lists is checked (apksigner checks the ones the platform versions the
APK supports would check: SHA-1 for Android before 4.3, the strongest one from 4.3 on, so
over an app's whole range that is usually every one listed):

- each .SF file: ``<ALG>-Digest-Manifest`` over the whole of MANIFEST.MF; when every one
  listed matches, MANIFEST.MF is covered as a whole. Otherwise each ``<ALG>-Digest`` of a
  .SF section must match the bytes of the MANIFEST.MF section of the same name.
  ``<ALG>-Digest-Manifest-Main-Attributes`` must match the main section in any case.
- MANIFEST.MF: each ``<ALG>-Digest`` of an entry's section must match the entry's bytes
  (inflated). This reads the whole APK, so it runs only when content digests are checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError

MANIFEST_NAME = "META-INF/MANIFEST.MF"
MAX_SECTIONS = 200_000
"""More sections than an APK may hold entries (twice over) is no genuine manifest."""
MAX_SHOWN = 3
"""Entry names quoted in one problem sentence."""

JAR_DIGESTS = {
    "MD5": "md5",
    "SHA": "sha1",
    "SHA1": "sha1",
    "SHA-1": "sha1",
    "SHA-224": "sha224",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}
"""Digest names JAR manifests use (upper case) -> hashlib names."""
_LABELS = {"md5": "MD5", "sha1": "SHA-1", "sha224": "SHA-224", "sha256": "SHA-256"}
_LABELS |= {"sha384": "SHA-384", "sha512": "SHA-512"}


@dataclass(frozen=True, slots=True)
class Section:
    """One manifest section: its attributes (names upper case) and where its bytes lie."""

    name: str | None
    """The ``Name`` attribute; None for the main section."""
    attributes: dict[str, str]
    start: int
    end: int
    """Past the empty line that ends the section (its bytes are what digests cover)."""


def parse_manifest(data: bytes) -> list[Section]:
    """The sections of a JAR manifest or signature file, main section first.

    Lines end with CR LF, LF or CR; a line starting with a space continues the one
    before. :class:`ApkError` when there are more than :data:`MAX_SECTIONS` sections.
    """
    sections: list[Section] = []
    attributes: dict[str, str] = {}
    last: str | None = None
    start = pos = 0
    size = len(data)
    while pos < size:
        line, pos = _line(data, pos)
        if not line:
            if attributes or not sections:
                sections.append(_section(attributes, start, pos))
                if len(sections) > MAX_SECTIONS:
                    raise ApkError(f"it has more than {MAX_SECTIONS:,} sections")
            attributes, last, start = {}, None, pos
        elif line[:1] == b" " and last is not None:
            attributes[last] += line[1:].decode("utf-8", "replace")
        else:
            key, _, value = line.decode("utf-8", "replace").partition(":")
            last = key.strip().upper()
            attributes.setdefault(last, value.removeprefix(" "))
    if attributes or not sections:
        sections.append(_section(attributes, start, size))
    return sections


def _line(data: bytes, pos: int) -> tuple[bytes, int]:
    """The line at ``pos`` without its ending, and where the next one starts."""
    lf, cr = data.find(b"\n", pos), data.find(b"\r", pos)
    if cr >= 0 and (lf < 0 or cr < lf):
        return data[pos:cr], cr + (2 if data[cr + 1 : cr + 2] == b"\n" else 1)
    if lf >= 0:
        return data[pos:lf], lf + 1
    return data[pos:], len(data)


def _section(attributes: dict[str, str], start: int, end: int) -> Section:
    return Section(attributes.get("NAME"), attributes, start, end)


def listed_digests(section: Section, suffix: str) -> list[tuple[str, bytes | None]]:
    """Each ``<ALG><suffix>`` attribute of a known algorithm: hashlib name and the digest.

    The digest is None when it is not valid base64 (it then matches nothing).
    """
    found: list[tuple[str, bytes | None]] = []
    for key, value in section.attributes.items():
        algorithm = JAR_DIGESTS.get(key.removesuffix(suffix)) if key.endswith(suffix) else None
        if algorithm is None:
            continue
        try:
            found.append((algorithm, base64.b64decode(value.strip(), validate=True)))
        except binascii.Error:
            found.append((algorithm, None))
    return found


class JarDigests:
    """The digest checks of one APK's JAR signature; MANIFEST.MF is read once, when needed."""

    def __init__(self, zip: ApkZip, *, entry_limit: int) -> None:
        self.zip = zip
        self.entry_limit = entry_limit
        self._manifest: tuple[bytes, list[Section]] | None = None
        self._problem: str | None = None
        self._read = False

    def signature_file(self, name: str, content: bytes) -> list[str]:
        """Why the .SF file ``name`` does not cover MANIFEST.MF (sentences); [] when it does."""
        manifest = self._load()
        if manifest is None:
            return [self._problem] if self._problem else []
        try:
            phrases = _signature_file_phrases(parse_manifest(content), *manifest)
        except ApkError as e:
            phrases = [f"it cannot be read ({e.message})"]
        return [f"The JAR signature file {name}: {p}." for p in phrases]

    def entries(self) -> list[str]:
        """Entries whose bytes do not match a digest MANIFEST.MF lists (sentences)."""
        manifest = self._load()
        return [] if manifest is None else _entry_problems(self.zip, manifest[1], self.entry_limit)

    def _load(self) -> tuple[bytes, list[Section]] | None:
        if self._read:
            return self._manifest
        self._read = True
        if MANIFEST_NAME not in self.zip:
            self._problem = (
                f"The APK has a JAR signature but no {MANIFEST_NAME}, so that signature covers "
                "none of its files (Android refuses such APKs)."
            )
            return None
        try:
            data = self.zip.read(MANIFEST_NAME, limit=self.entry_limit)
            self._manifest = data, parse_manifest(data)
        except ApkError as e:
            self._problem = (
                f"{MANIFEST_NAME} cannot be read, so no JAR digest was checked: {e.message}"
            )
        return self._manifest


def _signature_file_phrases(
    sf: list[Section], manifest: bytes, sections: list[Section]
) -> list[str]:
    main = sf[0]
    signtool = "signtool" in main.attributes.get("CREATED-BY", "")
    whole = listed_digests(main, "-DIGEST" if signtool else "-DIGEST-MANIFEST")
    problems: list[str] = []
    if not signtool:
        body = manifest[sections[0].start : sections[0].end]
        problems += [
            f"the {_LABELS[a]} digest of the main section of {MANIFEST_NAME} does not match"
            for a, stated in listed_digests(main, "-DIGEST-MANIFEST-MAIN-ATTRIBUTES")
            if hashlib.new(a, body).digest() != stated
        ]
    if whole and all(hashlib.new(a, manifest).digest() == stated for a, stated in whole):
        return problems
    by_name = {s.name: s for s in sections[1:] if s.name is not None}
    wrong: dict[str, list[str]] = {}
    for section in sf[1:]:
        target = by_name.get(section.name) if section.name is not None else None
        if target is None:
            problems.append(
                f"it lists {section.name!r}, which {MANIFEST_NAME} does not"
                if section.name is not None
                else "one of its sections has no name"
            )
            continue
        body = manifest[target.start : target.end]
        for algorithm, stated in listed_digests(section, "-DIGEST"):
            if hashlib.new(algorithm, body).digest() != stated:
                wrong.setdefault(algorithm, []).append(target.name or "")
    problems += [
        f"the {_LABELS[a]} digests it states of the {MANIFEST_NAME} sections for "
        f"{_names(names)} do not match them ({MANIFEST_NAME} was changed after signing)"
        for a, names in wrong.items()
    ]
    return problems


def _entry_problems(zip: ApkZip, sections: list[Section], limit: int) -> list[str]:
    wrong: dict[str, list[str]] = {}
    problems: list[str] = []
    for section in sections[1:]:
        digests = listed_digests(section, "-DIGEST")
        if section.name is None or not digests or section.name not in zip:
            continue
        try:
            data = zip.read(section.name, limit=limit)
        except ApkError as e:
            problems.append(f"The entry {section.name!r} could not be checked: {e.message}")
            continue
        for algorithm, stated in digests:
            if hashlib.new(algorithm, data).digest() != stated:
                wrong.setdefault(algorithm, []).append(section.name)
    problems += [
        f"The {_LABELS[a]} digests of {_names(names)} do not match those in {MANIFEST_NAME}: "
        f"{'it was' if len(names) == 1 else 'they were'} changed after JAR signing."
        for a, names in wrong.items()
    ]
    return problems


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_SHOWN])
    more = len(names) - MAX_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")
