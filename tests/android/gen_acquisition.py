"""Synthetic acquisitions in unstalk's folder format, built from the indicator feed.

The recorded Pixel 7 (``recorded/android-14``) is the base phone: every file is
copied, then the planted apps are written into each output in that Android
version's true format (the same shapes the recorded files follow, see
``recorded/README.md``): ``pm list packages`` lines, one ``Package [...]`` block
each in ``dumpsys package``, launcher entries, enabled accessibility services and
notification listeners (dump and secure setting), device-admin blocks, app-op
``Uid`` blocks with times consistent with the dump time. ``acquisition.json``
and ``SHA256SUMS`` are written as ``unstalk android acquire`` writes them.

Use from tests: ``write_acquisition(tmp_path / "phone", planted_from_feed(feed))``
for one phone holding every stalkerware package of the feed, or one phone per
family with :func:`family_phones`. From the command line::

    python -m tests.android.gen_acquisition OUT [--filler N]

writes one phone with every stalkerware package plus ``N`` apps from the Play store.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.android.gen_outputs import (
    DUMP_TIME,
    STORE_INSTALL,
    PlantedApp,
    plant,
    token,
)
from unstalk.android.acquire.acquisition import (
    FORMAT,
    FORMAT_VERSION,
    METADATA_FILE,
    write_manifest,
)
from unstalk.android.acquire.plan import PLAN
from unstalk.feed.model import Family, FamilyType, Feed, IndicatorKind

BASE = Path(__file__).parent / "recorded" / "android-14"
SERIAL = "28131FDH2000AB"
FIRST_UID = 10300
DEVICE = {
    "serial": SERIAL,
    "adb_model": "Pixel_7",
    "adb_product": "panther",
    "model": "Pixel 7",
    "manufacturer": "Google",
    "android_version": "14",
    "sdk": "34",
    "security_patch": "2024-02-05",
    "build_fingerprint": "google/panther/panther:14/UQ1A.240205.004/11269751:user/release-keys",
}
"""What acquisition.json says of the base phone (from its getprop.txt and devices.txt)."""
_EXIT_CODES = {"root_which_su.txt": 1, "root_indicators.txt": 1}


def stalkerware_packages(feed: Feed) -> dict[str, Family]:
    """Every package name the feed lists under a stalkerware family (first family wins)."""
    found: dict[str, Family] = {}
    for indicator in feed.active():
        if indicator.kind is IndicatorKind.PACKAGE:
            family = feed.family(indicator.family)
            if family.type is FamilyType.STALKERWARE:
                found.setdefault(indicator.value, family)
    return found


def planted_from_feed(feed: Feed, *, first_uid: int = FIRST_UID) -> list[PlantedApp]:
    """One sideloaded monitoring app per stalkerware package of the feed."""
    names = sorted(stalkerware_packages(feed), key=str.lower)
    return [PlantedApp(name, first_uid + i) for i, name in enumerate(names)]


def family_phones(feed: Feed) -> Iterator[tuple[Family, list[PlantedApp]]]:
    """Per stalkerware family, the apps of one phone holding that family's packages."""
    by_family: dict[str, tuple[Family, list[str]]] = {}
    for name, family in stalkerware_packages(feed).items():
        by_family.setdefault(family.id, (family, []))[1].append(name)
    for family, names in by_family.values():
        yield family, [PlantedApp(n, FIRST_UID + i) for i, n in enumerate(sorted(names))]


def store_apps(count: int, *, first_uid: int) -> list[PlantedApp]:
    """Ordinary apps from Google Play: an icon, no privileges, a few recent app-ops."""
    return [
        PlantedApp(
            f"com.example.store{n:04d}.app",
            first_uid + n,
            label=f"Store App {n}",
            installer="com.android.vending",
            launcher=True,
            accessibility=False,
            admin=False,
            listener=False,
            version_code=1000 + n,
            version_name=f"2.{n}.0",
            runtime=("android.permission.POST_NOTIFICATIONS",),
            install_permissions=STORE_INSTALL,
            ops=(("WAKE_LOCK", timedelta(hours=2)),),
        )
        for n in range(count)
    ]


def _write_apks(folder: Path, apks: Mapping[str, bytes]) -> list[dict[str, object]]:
    """Pulled APKs as ``--pull-apks`` stores them, with their acquisition.json entries."""
    entries: list[dict[str, object]] = []
    for package, data in apks.items():
        name = f"apks/{package}/base.apk"
        (folder / name).parent.mkdir(parents=True)
        (folder / name).write_bytes(data)
        entries.append(
            {
                "package": package,
                "remote_path": f"/data/app/~~{token(package, 'a')}/{package}-x==/base.apk",
                "file": name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
            }
        )
    return entries


def _metadata(folder: Path, started: datetime) -> dict[str, object]:
    commands: list[dict[str, object]] = []
    for step in PLAN:
        path = folder / step.output
        if not path.is_file():
            continue
        data = path.read_bytes()
        entry: dict[str, object] = {
            "argv": ["adb", "-s", SERIAL, "shell", *step.command],
            "output": step.output,
            "exit_code": _EXIT_CODES.get(step.output, 0),
            "normal_exit": True,
            "duration_s": 0.25,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
        stderr = folder / step.stderr_output
        if stderr.is_file():
            entry["stderr_output"] = step.stderr_output
            entry["stderr_sha256"] = hashlib.sha256(stderr.read_bytes()).hexdigest()
        commands.append(entry)
    utc = started.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool": {
            "name": "unstalk",
            "version": "test",
            "adb": "Android Debug Bridge version 1.0.41",
        },
        "feed": None,
        "options": {"pull_apks": False},
        "complete": True,
        "stopped_because": None,
        "device": DEVICE,
        "started_utc": utc,
        "finished_utc": utc,
        "commands": commands,
        "apks": [],
    }


def write_acquisition(
    out: Path,
    apps: Sequence[PlantedApp],
    *,
    base: Path = BASE,
    apks: Mapping[str, bytes] | None = None,
) -> Path:
    """Write the base phone with ``apps`` planted into the new folder ``out``.

    ``apks`` maps package names to the bytes of their pulled APK (as with ``--pull-apks``).
    """
    files = {
        name: (base / name).read_text(encoding="utf-8")
        for step in PLAN
        for name in (step.output, step.stderr_output)
        if (base / name).is_file()
    }
    outputs = plant(files, apps)
    out.mkdir(parents=True)
    for name, text in outputs.items():
        (out / name).write_text(text, encoding="utf-8")
    metadata = _metadata(out, DUMP_TIME)
    if apks:
        metadata["apks"] = _write_apks(out, apks)
        metadata["options"] = {"pull_apks": True}
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    write_manifest(out)
    return out


def main() -> None:
    from unstalk.feed.store import bundled_dir, load_folder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path)
    parser.add_argument("--filler", type=int, default=0, help="Play-store apps to add.")
    args = parser.parse_args()
    planted = planted_from_feed(load_folder(bundled_dir()))
    filler = store_apps(args.filler, first_uid=FIRST_UID + len(planted))
    if args.out.exists():
        parser.error(f"{args.out} exists; give a new folder")
    write_acquisition(args.out, [*planted, *filler])
    sys.stdout.write(f"wrote {args.out}: {len(planted)} stalkerware, {len(filler)} store apps\n")


if __name__ == "__main__":
    main()
