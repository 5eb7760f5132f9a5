"""Claim: unstalk reads a dex string table >= 20x faster than androguard, with the same strings.

Run: ``python bench/dex_strings.py [--json out.json] [--repeat 7]``

Measured in one run, on the same bytes, each string list checked equal to androguard's:
- ``apksig corpus``: every distinct classes*.dex of the AOSP apksig test APKs
  (../shared/data/apksig), read one after another (small files: per-call overhead counts);
- ``synthetic, typical``: 200,000 strings as in an app's dex: class descriptors, member
  names, 5% URLs, 3% non-ASCII text, 1% strings of 128+ UTF-16 units, a few with emoji
  (surrogate pairs) or U+0000;
- ``synthetic, non-ASCII heavy``: 200,000 strings, 30% non-ASCII, 5% long, 1% emoji;
- ``smali-built app dex``: 6,000 classes with fields, methods and code holding strings and
  URLs, assembled by Debian's ``smali`` (skipped when it is not installed): what a real
  app's dex looks like, where androguard also parses the classes and code it does not need.

The peer is androguard's ``DEX(data).get_strings()``, a test and bench extra
(``pip install androguard``), never a runtime dependency. For the string-only synthetic
files it parses the string table and little else, so those rows measure string decoding
alone; the smali row measures what answering "which strings?" costs on a whole dex.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Timing,
    machine_info,
    print_machine,
    print_table,
    time_runs,
    timing_json,
    write_json,
)
from unstalk.apk.parsers.dex import dex_names, read_dex_strings  # noqa: E402

APKSIG = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "apksig"
SYNTHETIC_COUNT = 200_000


# A dex writer: header, string_ids, string data (MUTF-8) and a map list, nothing else. -------


def _uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _mutf8(text: str) -> tuple[bytes, int]:
    """Java's modified UTF-8 of ``text`` and its length in UTF-16 units."""
    raw = text.encode("utf-16-le", "surrogatepass")
    units = struct.unpack(f"<{len(raw) // 2}H", raw)
    out = bytearray()
    for unit in units:
        if 0 < unit < 0x80:
            out.append(unit)
        elif unit < 0x800:
            out += bytes((0xC0 | unit >> 6, 0x80 | unit & 0x3F))
        else:
            out += bytes((0xE0 | unit >> 12, 0x80 | (unit >> 6) & 0x3F, 0x80 | unit & 0x3F))
    return bytes(out), len(units)


def write_dex(strings: Sequence[str]) -> bytes:
    """A valid dex holding ``strings`` (sorted and deduplicated as the format requires)."""
    ordered = sorted(set(strings), key=lambda s: s.encode("utf-16-be", "surrogatepass"))
    count, data_off = len(ordered), 0x70 + 4 * len(ordered)
    offsets, data = [], bytearray()
    for text in ordered:
        raw, units = _mutf8(text)
        offsets.append(data_off + len(data))
        data += _uleb128(units) + raw + b"\0"
    data += bytes(-len(data) % 4)
    map_off = data_off + len(data)
    items = [(0, 1, 0), (1, count, 0x70), (0x2002, count, data_off), (0x1000, 1, map_off)]
    map_list = struct.pack("<I", len(items)) + b"".join(
        struct.pack("<HHII", kind, 0, size, off) for kind, size, off in items
    )
    body = struct.pack(f"<{count}I", *offsets) + bytes(data) + map_list
    fields = [0x70 + len(body), 0x70, 0x12345678, 0, 0, map_off, count, 0x70, *[0] * 10]
    fields += [len(data) + len(map_list), data_off]
    dex = bytearray(b"dex\n035\0" + bytes(24) + struct.pack("<20I", *fields) + body)
    dex[12:32] = hashlib.sha1(dex[32:]).digest()
    struct.pack_into("<I", dex, 8, zlib.adler32(dex[12:]))
    return bytes(dex)


# Inputs -------------------------------------------------------------------------------------

_DESCRIPTORS = ("Lcom/example/app/ui/Main", "Landroidx/core/view/View", "Lokhttp3/internal/Ht")
_MEMBERS = ("onCreate", "getDeviceId", "mFieldName", "access$", "lambda$run$")
_TEXT = ("Привет мир ", "日本語のテキスト ", "ünïcödé ", "عربي ", "Ελληνικά ")


def synthetic_strings(non_ascii: float, long: float, emoji: float, seed: int = 7) -> list[str]:
    """``SYNTHETIC_COUNT`` distinct strings in the proportions given (the rest ASCII names)."""
    rnd = random.Random(seed)
    picks: list[tuple[float, Callable[[int], str]]] = [
        (0.05, lambda n: f"https://api{n % 997}.example.com/v{n % 9}/upload?id={n}"),
        (non_ascii, lambda n: rnd.choice(_TEXT) + str(n)),
        (long, lambda n: "a long log message, " * 8 + str(n)),
        (emoji, lambda n: f"sent \U0001f600 {n}"),
        (0.0005, lambda n: f"nul\0separated{n}"),
    ]
    out: list[str] = []
    for n in range(SYNTHETIC_COUNT):
        roll, chosen = rnd.random(), None
        for share, make in picks:
            if roll < share:
                chosen = make(n)
                break
            roll -= share
        out.append(chosen or f"{rnd.choice(_DESCRIPTORS)}{n};{rnd.choice(_MEMBERS)}")
    return out


def smali_dex(classes: int = 6000) -> bytes | None:
    """A dex of ``classes`` classes with code, assembled by smali; None without smali."""
    smali = shutil.which("smali")
    if smali is None:
        return None
    rnd = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for c in range(classes):
            (source / f"C{c}.smali").write_text(_smali_class(c, rnd), encoding="utf-8")
        out = Path(tmp) / "classes.dex"
        subprocess.run([smali, "a", "-o", str(out), str(source)], check=True)
        return out.read_bytes()


def _smali_class(c: int, rnd: random.Random) -> str:
    lines = [f".class public Lcom/example/app/f{c % 50}/C{c};", ".super Ljava/lang/Object;"]
    lines += [f".field private mField{f}:Ljava/lang/String;" for f in range(4)]
    for m in range(6):
        lines += [
            f".method public m{m}(Ljava/lang/String;I)Ljava/lang/String;",
            "    .registers 4",
            f'    const-string v0, "message {c} {m} {rnd.randrange(10**9)}"',
            f'    const-string v1, "https://api{c % 97}.example.com/v{m}/p{c}"',
            "    invoke-virtual {v0, v1}, Ljava/lang/String;->concat(Ljava/lang/String;)"
            "Ljava/lang/String;",
            "    move-result-object v0",
            "    return-object v0",
            ".end method",
        ]
    return "\n".join(lines) + "\n"


def apksig_dex_files() -> list[bytes]:
    """Every distinct classes*.dex in the apksig corpus (broken APKs are skipped)."""
    found: dict[str, bytes] = {}
    for apk in sorted(APKSIG.glob("*.apk")):
        try:
            with zipfile.ZipFile(apk) as archive:
                for name in dex_names(archive.namelist()):
                    data = archive.read(name)
                    found.setdefault(hashlib.sha256(data).hexdigest(), data)
        except (zipfile.BadZipFile, OSError, NotImplementedError, KeyError):
            continue
    return list(found.values())


# Measuring ----------------------------------------------------------------------------------


def _androguard() -> Callable[[bytes], list[str]] | None:
    try:
        dex_module = importlib.import_module("androguard.core.dex")
        importlib.import_module("loguru").logger.disable("androguard")
    except ImportError:
        return None

    def strings(data: bytes) -> list[str]:
        result: list[str] = dex_module.DEX(data).get_strings()
        return result

    return strings


def _mismatches(files: Sequence[bytes], peer: Callable[[bytes], list[str]]) -> int:
    """Strings that differ between unstalk and the peer, over all files (0 expected)."""
    differ = 0
    for data in files:
        ours, theirs = list(read_dex_strings(data).strings), peer(data)
        differ += abs(len(ours) - len(theirs)) + sum(
            a != b for a, b in zip(ours, theirs, strict=False)
        )
    return differ


@dataclass(frozen=True, slots=True)
class Result:
    label: str
    files: int
    strings: int
    ours: Timing
    peer: Timing | None = None
    mismatches: int | None = None

    def row(self) -> list[str]:
        cells = [self.label, str(self.files), f"{self.strings:,}", _ms(self.ours)]
        if self.peer is None:
            return [*cells, "n/a", "n/a", "n/a", "n/a"]
        cpu_ratio = statistics.median(self.peer.cpu) / statistics.median(self.ours.cpu)
        ratio = self.peer.median / self.ours.median
        return [*cells, _ms(self.peer), f"{ratio:.1f}x", f"{cpu_ratio:.1f}x", str(self.mismatches)]

    def json(self) -> dict[str, object]:
        peer = timing_json(self.peer) if self.peer else None
        return {
            "input": self.label,
            "files": self.files,
            "strings": self.strings,
            "unstalk": timing_json(self.ours),
            "androguard": peer,
            "mismatches": self.mismatches,
        }


def _ms(timing: Timing) -> str:
    return f"{timing.median * 1000:.1f} ms"


def measure(
    label: str, files: Sequence[bytes], peer: Callable[[bytes], list[str]] | None, repeat: int
) -> Result:
    count = sum(read_dex_strings(d).string_count for d in files)
    ours = time_runs(
        f"{label}: unstalk", lambda: [read_dex_strings(d) for d in files], repeat=repeat
    )
    if peer is None:
        return Result(label, len(files), count, ours)
    theirs = time_runs(
        f"{label}: androguard", lambda: [peer(d) for d in files], repeat=max(3, repeat // 2)
    )
    return Result(label, len(files), count, ours, theirs, _mismatches(files, peer))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    peer = _androguard()
    inputs = [
        ("apksig corpus", apksig_dex_files()),
        ("synthetic, typical", [write_dex(synthetic_strings(0.03, 0.01, 0.001))]),
        ("synthetic, non-ASCII heavy", [write_dex(synthetic_strings(0.30, 0.05, 0.01))]),
        ("smali-built app dex", [d for d in (smali_dex(),) if d is not None]),
    ]
    results = [measure(label, files, peer, args.repeat) for label, files in inputs if files]

    print_machine(machine_info())
    if not APKSIG.is_dir():
        print(f"the apksig corpus is not at {APKSIG}: only synthetic files were read")
    if shutil.which("smali") is None:
        print("smali is not installed (apt-get install smali): no smali-built dex was read")
    headers = ["input", "files", "strings", "unstalk", "androguard", "ratio", "CPU ratio"]
    print_table([*headers, "mismatches"], [r.row() for r in results])
    if peer is None:
        print("androguard is not installed (pip install androguard): nothing to compare with.")
    if any(r.ours.busy or (r.peer and r.peer.busy) for r in results):
        print("note: the machine was busy (wall time well above CPU time): see the CPU ratio.")
    if args.json:
        write_json(args.json, {"machine": machine_info(), "results": [r.json() for r in results]})
    mismatched = sum(r.mismatches or 0 for r in results)
    assert mismatched == 0, f"{mismatched} strings differ from androguard's"


if __name__ == "__main__":
    main()
