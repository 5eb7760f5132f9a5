"""Build import fixtures from the recorded phone outputs, in each tool's true layout.

Run ``python -m tests.android.make_imports OUT`` to write them all into OUT; the
tests call the functions below into a temporary folder. Every fixture is made of
``tests/android/recorded/<version>/`` files, so the three formats stay consistent
with one another and with the parser fixtures:

- unstalk folders: written by unstalk's own ``acquire`` through the fake adb;
- AndroidQF (mvt-project/androidqf): ``acquisition.json`` (the ``Acquisition``
  struct), ``getprop.txt``, ``settings_<ns>.txt``, ``dumpsys.txt`` (plain
  ``dumpsys``: ``Currently running services:``, then one section per service
  between a 79-dash line + ``DUMP OF SERVICE x:`` and ``--------- Ns was the
  duration of dumpsys x, ending at: ...``), ``packages.json`` (``adb.Package``
  objects, APK ``files`` with ``certificate`` as avast/apkverifier's ``CertInfo``),
  ``root_binaries.json``, pulled APKs under ``apks/``, ``command.log`` and
  ``hashes.csv``. ``zip`` is the archive current AndroidQF streams (entries at the
  root, ``hashes.csv`` of entry names, written last); ``folder`` is the older
  folder (``hashes.csv`` of absolute paths on the acquiring computer, written
  before ``acquisition.json``, with ``hashes.csv`` itself and a ``command.log``
  that kept growing); ``zipped-folder`` is that folder zipped with its top folder;
- bugreports: ``version.txt``, ``main_entry.txt``, ``dumpstate_log.txt`` and
  ``bugreport-<device>-<build>-<time>.txt``, dumpstate's text as
  ``frameworks/native/cmds/dumpstate`` writes it: header, ``------ TITLE (cmd) ------``
  sections (with a duration line from a parallel task landing inside SYSTEM
  PROPERTIES, as on real phones), DUMPSYS CRITICAL / HIGH / normal sections, and the
  settings provider's own dump (``SettingsProvider.dumpSettingsLocked``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.android.fake_adb import ReplayRunner
from tests.android.parser_fixtures import DUMP_TIMES, RECORDED, ZONES
from unstalk.android.acquire.acquisition import acquire
from unstalk.android.acquire.adb import Adb

AQF_LAYOUTS = ("zip", "folder", "zipped-folder")
AQF_UUID = "4f3c2a1e-9b7d-4e8a-a6c5-2d1f0e9b8a7c"
AQF_HOST = "/home/advocate/androidqf"
SEPARATOR = "-" * 79
SERVICES = {
    "accessibility": "dumpsys_accessibility.txt",
    "activity": "dumpsys_activity_services.txt",
    "appops": "dumpsys_appops.txt",
    "device_policy": "dumpsys_device_policy.txt",
    "location": "dumpsys_location.txt",
    "notification": "dumpsys_notification.txt",
    "package": "dumpsys_package.txt",
    "usagestats": "dumpsys_usagestats.txt",
}
"""Services in ServiceManager's (sorted) order and the recorded output of each."""
TIMES = {**DUMP_TIMES, "android-15": datetime(2025, 5, 20, 11, 0, 4, tzinfo=ZONES["android-15"])}
_PROP = re.compile(r"^\[([^\]]+)\]: \[(.*)\]$", re.MULTILINE)
_LISTED = re.compile(
    r"package:(?P<path>/\S*)=(?P<name>[\w.]+) versionCode:\S+  installer=(?P<i>\S+)"
)


def recorded(version: str, name: str) -> str | None:
    """A recorded output; ``version`` names a folder of RECORDED, or is a scenario's path."""
    path = RECORDED / version / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _time(version: str) -> datetime:
    return TIMES[Path(version).name]


def props(version: str) -> dict[str, str]:
    return dict(_PROP.findall(recorded(version, "getprop.txt") or ""))


def write_unstalk(version: str, out: Path, *, pull_apks: bool = True) -> Path:
    """An acquisition folder, as ``unstalk android acquire`` writes it from that phone."""
    runner = ReplayRunner(version, out.parent / f".{out.name}-adb-state")
    acquire(Adb(runner), out, pull_apks=pull_apks)
    return out


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def dumpsys_all(version: str, services: dict[str, str] = SERVICES) -> str:
    """What plain ``dumpsys`` prints for the recorded services of that phone."""
    present = {name: text for name, file in services.items() if (text := recorded(version, file))}
    moment = _time(version)
    parts = ["Currently running services:\n", *(f"  {name}\n" for name in present)]
    for name, text in present.items():
        moment += timedelta(milliseconds=212)
        parts += [f"{SEPARATOR}\nDUMP OF SERVICE {name}:\n", text]
        parts.append(f"--------- 0.212s was the duration of dumpsys {name}, ending at: ")
        parts.append(f"{_stamp(moment)}\n")
    return "".join(parts)


def _listing(version: str, name: str) -> set[str]:
    return {line.removeprefix("package:") for line in (recorded(version, name) or "").split()}


def _certificate(package: str) -> dict[str, object]:
    digest = hashlib.sha256(f"certificate of {package}".encode()).hexdigest()
    return {
        "Md5": digest[:32],
        "Sha1": digest[:40],
        "Sha256": digest,
        "ValidFrom": "2019-04-02T10:11:12Z",
        "ValidTo": "2049-03-26T10:11:12Z",
        "Issuer": f"CN={package}",
        "Subject": f"CN={package}",
        "SignatureAlgorithm": "SHA256-RSA",
        "SerialNumber": 1234567890,
    }


def apk_bytes(package: str) -> bytes:
    """A stand-in for a pulled APK (the importer hashes APKs, it does not open them)."""
    return b"PK\x03\x04 stand-in APK of " + package.encode()


def packages_json(version: str) -> tuple[list[dict[str, object]], dict[str, bytes]]:
    """AndroidQF's packages.json for that phone, and the APKs it pulled (third-party only)."""
    system, third = (
        _listing(version, "packages_system.txt"),
        _listing(version, "packages_third_party.txt"),
    )
    disabled = _listing(version, "packages_disabled.txt")
    entries: list[dict[str, object]] = []
    apks: dict[str, bytes] = {}
    for line in (recorded(version, "packages.txt") or "").splitlines():
        match = _LISTED.match(line)
        uid = re.search(r"uid:(\d+)", line)
        if match is None or uid is None:
            continue
        name = match.group("name")
        file: dict[str, object] = {"path": match.group("path"), "local_name": "", "sha256": ""}
        if name in third:
            local = f"apks/{name}.apk"
            apks[local] = apk_bytes(name)
            file |= {"local_name": local, "sha256": hashlib.sha256(apks[local]).hexdigest()}
            file |= {"verified_certificate": True, "certificate": _certificate(name)}
        entries.append(
            {
                "name": name,
                "files": [file | {"md5": "", "sha1": "", "sha512": "", "error": ""}],
                "installer": match.group("i"),
                "uid": int(uid.group(1)),
                "disabled": name in disabled,
                "system": name in system,
                "third_party": name in third,
            }
        )
    return entries, apks


def androidqf_files(version: str) -> dict[str, bytes]:
    """Every AndroidQF output for that phone, by file name, in the order it writes them."""
    moment = _time(version)
    started = moment - timedelta(seconds=40)
    entries, apks = packages_json(version)
    files: dict[str, bytes] = {}
    files["getprop.txt"] = (recorded(version, "getprop.txt") or "").encode()
    for namespace in ("system", "secure", "global"):
        text = recorded(version, f"settings_{namespace}.txt")
        if text is not None:
            files[f"settings_{namespace}.txt"] = text.encode()
    files["dumpsys.txt"] = dumpsys_all(version).encode()
    files["root_binaries.json"] = b"[]"
    files.update(apks)
    files["packages.json"] = json.dumps(entries, indent=1).encode()
    info = {
        "uuid": AQF_UUID,
        "androidqf_version": "1.7.0",
        "storage_path": f"{AQF_HOST}/{AQF_UUID}",
        "started": started.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "completed": (moment + timedelta(seconds=9))
        .astimezone(UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "collector": None,
        "tmp_dir": "/data/local/tmp/",
        "sdcard": "/sdcard/",
        "cpu": props(version).get("ro.product.cpu.abi", "arm64-v8a"),
    }
    files["acquisition.json"] = json.dumps(info, indent=1).encode()
    files["command.log"] = f"{_stamp(started)} INFO Started new acquisition {AQF_UUID}\n".encode()
    return files


def _hashes_csv(rows: list[tuple[str, bytes]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for name, data in rows:
        writer.writerow([name, hashlib.sha256(data).hexdigest()])
    return buffer.getvalue().encode()


def write_androidqf(version: str, out: Path, layout: str = "zip") -> Path:
    """An AndroidQF acquisition of that phone in ``layout`` (see :data:`AQF_LAYOUTS`)."""
    files = androidqf_files(version)
    if layout == "zip":
        hashed = [(name, data) for name, data in files.items()]
        files["hashes.csv"] = _hashes_csv(hashed)
        return _zip(out, files)
    # The folder: hashed before acquisition.json is written and while command.log grows,
    # with hashes.csv (created empty first) walked too.
    metadata = files.pop("acquisition.json")
    rows = [(f"{AQF_HOST}/{AQF_UUID}/{name}", data) for name, data in files.items()]
    rows.append((f"{AQF_HOST}/{AQF_UUID}/hashes.csv", b""))
    files["hashes.csv"] = _hashes_csv(sorted(rows))
    files["command.log"] += b"INFO Acquisition completed.\n"
    files["acquisition.json"] = metadata
    if layout == "zipped-folder":
        return _zip(out, {f"{AQF_UUID}/{name}": data for name, data in files.items()})
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return out


def _zip(out: Path, files: dict[str, bytes]) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out


def provider_dump(version: str) -> str:
    """``dumpsys settings`` (SettingsProvider) for the recorded settings of that phone."""
    modern = Path(version).name != "android-9"
    parts: list[str] = []
    number = 0
    for namespace in ("global", "secure", "system"):
        text = recorded(version, f"settings_{namespace}.txt")
        if text is None:
            continue
        parts.append(f"{namespace.upper()} SETTINGS (user 0)\n")
        if modern:
            parts.append(f"version: {180 + number}\n")
        for line in text.splitlines():
            key, _, value = line.partition("=")
            number += 1
            default = f" default:{value} defaultSystemSet:true" if number % 3 == 0 else ""
            value = "{null}" if value == "null" else value
            parts.append(f"_id:{number} name:{key} pkg:android value:{value}{default}\n")
        parts.append("\n")
    return "".join(parts)


def _header(version: str, started: datetime) -> str:
    table = props(version)
    return (
        "========================================================\n"
        f"== dumpstate: {_stamp(started)}\n"
        "========================================================\n\n"
        f"Build: {table.get('ro.build.display.id', table.get('ro.build.id', ''))}\n"
        f"Build fingerprint: '{table.get('ro.build.fingerprint', '')}'\n"
        f"Bootloader: {table.get('ro.bootloader', '')}\n"
        f"Radio: {table.get('gsm.version.baseband', '')}\n"
        "Network: (unknown)\n"
        "Kernel: Linux version 4.19.113 (build-user@build-host) #1 SMP PREEMPT\n"
        "Command line: console=null\n"
        "Uptime: up 2 days, 3:04, 0 users, load average: 1.21, 1.07, 0.98\n"
        "Bugreport format version: 2.0\n"
        "Dumpstate info: id=1 pid=8123 dry_run=0 parallel_run=1 args=-S -d "
        "bugreport_mode=BUGREPORT_FULL\n\n"
    )


def bugreport_text(version: str) -> str:
    """The dumpstate text of a bugreport of that phone."""
    moment = _time(version)
    started = moment - timedelta(seconds=25)
    text = _header(version, started)
    text += "------ UPTIME (uptime) ------\n up time: 2 days, 03:04:11\n"
    text += "------ 0.008s was the duration of 'UPTIME' ------\n"
    text += "------ SYSTEM PROPERTIES (getprop) ------\n"
    getprop = (recorded(version, "getprop.txt") or "").splitlines(keepends=True)
    # A parallel task's duration line lands inside the section, as on real phones.
    text += "".join(getprop[:5]) + "------ 0.019s was the duration of 'DUMP TRACES' ------\n"
    text += "".join(getprop[5:]) + "------ 0.061s was the duration of 'SYSTEM PROPERTIES' ------\n"
    text += "------ DUMPSYS CRITICAL (/system/bin/dumpsys) ------\n"
    text += f"{SEPARATOR}\nDUMP OF SERVICE CRITICAL cpuinfo:\nLoad: 1.21 / 1.07 / 0.98\n"
    text += f"--------- 0.052s was the duration of dumpsys cpuinfo, ending at: {_stamp(started)}\n"
    text += "------ 0.061s was the duration of 'DUMPSYS CRITICAL' ------\n"
    text += "------ DUMPSYS (/system/bin/dumpsys) ------\n"
    body = dumpsys_all(version)
    body = body[body.index(SEPARATOR) :]
    settings = provider_dump(version)
    if settings:
        body += f"{SEPARATOR}\nDUMP OF SERVICE settings:\n{settings}"
        body += (
            f"--------- 0.020s was the duration of dumpsys settings, ending at: {_stamp(moment)}\n"
        )
    text += body + "------ 11.482s was the duration of 'DUMPSYS' ------\n"
    return text + "------ 24.801s was the duration of 'DUMPSTATE' ------\n"


def bugreport_name(version: str) -> str:
    table = props(version)
    when = _time(version).strftime("%Y-%m-%d-%H-%M-%S")
    return f"bugreport-{table.get('ro.product.device')}-{table.get('ro.build.id')}-{when}.txt"


def write_bugreport(version: str, out: Path) -> Path:
    """A bugreport zip of that phone, as ``adb bugreport OUT.zip`` saves it."""
    main = bugreport_name(version)
    return _zip(
        out,
        {
            main: bugreport_text(version).encode(),
            "main_entry.txt": main.encode(),
            "version.txt": b"2.0",
            "dumpstate_log.txt": b"dumpstate id 1 started\n",
        },
    )


def _clone(block: str, count: int) -> str:
    return "".join(block.replace("com.thetruth", f"org.example.app{i}") for i in range(count))


def _section(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


def scaled_scenario(out: Path, apps: int) -> Path:
    """The android-12 phone with ``apps`` more copies of its monitoring app: a fake-adb
    scenario folder named ``android-12`` (so its dump time is known) inside ``out``."""
    source = RECORDED / "android-12"
    folder = out / "android-12"
    folder.mkdir(parents=True)
    for path in source.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())

    def grow(name: str, block: str) -> None:
        text = (folder / name).read_text(encoding="utf-8")
        grown = text.replace(block, block + _clone(block, apps), 1)
        (folder / name).write_text(grown, encoding="utf-8")

    dump = (folder / "dumpsys_package.txt").read_text(encoding="utf-8")
    grow(
        "dumpsys_package.txt",
        _section(dump, "  Package [com.thetruth]", "\nHidden system packages:"),
    )
    listing = (folder / "packages.txt").read_text(encoding="utf-8")
    grow("packages.txt", next(x for x in listing.splitlines(True) if "=com.thetruth " in x))
    grow("packages_third_party.txt", "package:com.thetruth\n")
    ops = (folder / "dumpsys_appops.txt").read_text(encoding="utf-8")
    grow("dumpsys_appops.txt", _section(ops, "  Uid u0a245:", "\n\n") + "\n")
    return folder


def write_all(out: Path) -> None:
    for version in ("android-9", "android-12", "android-14"):
        write_unstalk(version, out / f"unstalk-{version}")
        for layout in AQF_LAYOUTS:
            suffix = "" if layout == "folder" else ".zip"
            write_androidqf(version, out / f"androidqf-{layout}-{version}{suffix}", layout)
        write_bugreport(version, out / f"bugreport-{version}.zip")
    write_bugreport("android-15", out / "bugreport-android-15.zip")


if __name__ == "__main__":
    write_all(Path(sys.argv[1]))
