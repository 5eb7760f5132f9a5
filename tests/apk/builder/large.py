"""Real-world-sized APKs for benchmarks: several dex files, a big resources.arsc, many entries.

The synthetic corpus (:mod:`tests.apk.builder.corpus`) holds tiny apps, where fixed costs per
APK dominate. Apps from a store weigh megabytes: tens of thousands of dex strings in several
dex files, a resource table of thousands of strings, a thousand or more resource files and
native libraries. :func:`build_large_corpus` builds such apps (a dual-use tracker's manifest,
signed v1 + v2) with deterministic pseudo-random content, so a rebuilt file hashes the same.

Build them with ``python -m tests.apk.builder.large OUTDIR``.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tests.apk.builder.apk import SyntheticApp, manifest_element
from tests.apk.builder.arsc_writer import ResourceTable
from tests.apk.builder.axml_writer import encode_xml
from tests.apk.builder.benign_apps import DUAL_USE
from tests.apk.builder.dex_writer import encode_dex
from tests.apk.builder.signer import add_signing_block, jar_signature_files
from tests.apk.builder.zip_writer import ZipEntry, write_zip

FORMAT = 2
"""Part of every file name: a change to what is built here must change it, so caches rebuild."""


@dataclass(frozen=True, slots=True)
class Size:
    """How big one app is."""

    name: str
    dex_files: int
    strings_per_dex: int
    resource_strings: int
    resource_files: int
    native_kib: int


SIZES = (
    Size("medium", 2, 20_000, 5_000, 600, 2_048),
    Size("large", 4, 30_000, 15_000, 1_500, 6_144),
    Size("huge", 8, 50_000, 30_000, 3_000, 16_384),
)
_WORDS = (
    "account", "location", "sync", "upload", "report", "device", "contact", "message", "photo",
    "call", "record", "service", "manager", "helper", "client", "request", "response", "config",
    "token", "session", "cache", "event", "network", "tracker", "backup", "monitor", "notify",
    "screen", "keyboard", "camera", "audio", "storage", "media",
)  # fmt: skip
_HOSTS = ("api", "cdn", "upload", "panel", "sync", "www")
_TLDS = ("com", "net", "org", "io", "info")


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_WORDS).capitalize() for _ in range(parts))


def dex_strings(rng: random.Random, count: int, prefix: str) -> list[str]:
    """A string table with the mix a compiled app has: types, members, literals, URLs."""
    out: list[str] = []
    while len(out) < count:
        kind = rng.random()
        package = "/".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 4)))
        if kind < 0.45:
            out.append(f"L{prefix}/{package}/{_name(rng, 2)}{len(out)};")
        elif kind < 0.75:
            out.append(f"{rng.choice(_WORDS)}{_name(rng, rng.randint(1, 3))}{len(out) % 97}")
        elif kind < 0.97:
            words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 9)))
            out.append(f"{words.capitalize()} {len(out)}")
        else:
            host = f"{rng.choice(_HOSTS)}.{rng.choice(_WORDS)}{len(out) % 50}.{rng.choice(_TLDS)}"
            out.append(f"https://{host}/{rng.choice(_WORDS)}/{len(out)}")
    return out


def _binary(rng: random.Random, size: int) -> bytes:
    """Bytes that compress about as well as native code does (about 2:1)."""
    out = bytearray(size)
    out[::2] = rng.randbytes(len(out[::2]))
    return bytes(out)


def large_entries(app: SyntheticApp, size: Size) -> list[ZipEntry]:
    """Every entry of the unsigned APK, in the order aapt writes them."""
    rng = random.Random(f"{FORMAT}-{size.name}")
    resources = ResourceTable(app.package)
    label = resources.add_string("app_name", app.label)
    for number in range(size.resource_strings):
        resources.add_string(f"s{number}", f"{_name(rng, 2)} {rng.choice(_WORDS)} {number}")
    entries = [ZipEntry("AndroidManifest.xml", encode_xml(manifest_element(app, label, {})))]
    prefix = app.package.replace(".", "/")
    for number in range(1, size.dex_files + 1):
        strings = dex_strings(rng, size.strings_per_dex, prefix)
        if number == 1:
            strings += app.dex_strings
        name = "classes.dex" if number == 1 else f"classes{number}.dex"
        entries.append(ZipEntry(name, encode_dex(strings)))
    for number in range(size.resource_files):
        data = rng.randbytes(rng.randint(300, 6_000))
        # Images are stored as they are, as aapt does; XML layouts are deflated.
        png = number % 3 != 0
        path = f"res/drawable-xxhdpi/i{number}.png" if png else f"res/layout/l{number}.xml"
        entries.append(ZipEntry(path, data, compress=not png))
    entries.append(ZipEntry("resources.arsc", resources.encode(), compress=False))
    native = _binary(rng, size.native_kib * 1024)
    entries.append(ZipEntry("lib/arm64-v8a/libapp.so", native))
    return entries


def build_large_apk(size: Size) -> bytes:
    """A signed (v1 + v2) app of ``size``: the first dual-use app of the corpus, grown."""
    app = replace(DUAL_USE[0], package=f"{DUAL_USE[0].package}.{size.name}", schemes=("v1", "v2"))
    key = app.signing_key
    entries = large_entries(app, size)
    signature = jar_signature_files([(e.name, e.data) for e in entries], key, apk_schemes=[2])
    entries += [ZipEntry(name, data) for name, data in signature]
    return add_signing_block(write_zip(entries), key, v2=True, v3=False)


def build_large_corpus(folder: Path, sizes: Sequence[Size] = SIZES) -> list[Path]:
    """Build each size into ``folder`` unless a file of this format is there already."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for size in sizes:
        path = folder / f"large-{size.name}-f{FORMAT}.apk"
        if not path.is_file():
            path.write_bytes(build_large_apk(size))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.apk.builder.large",
        description="Build real-world-sized synthetic APKs (for benchmarks).",
    )
    parser.add_argument("outdir", type=Path, help="folder to write the APKs into")
    args = parser.parse_args(argv)
    for path in build_large_corpus(args.outdir):
        print(f"{path}\t{path.stat().st_size:,} bytes")  # noqa: T201 - a command-line tool
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
