"""Signs that the phone is rooted, from the root checks, getprop and the package list.

A rooted phone lets an installed spy app read other apps' data and hide
itself, so unstalk reports root as its own finding. Each indicator is one
string ``"<kind>: <evidence>"`` with ``kind`` one of:

``su-binary``
    ``which su`` found ``su`` on the PATH, or ``ls -ld`` listed an ``su`` path.
``root-path``
    ``ls -ld`` listed another file rooting tools leave (Magisk, KernelSU, SuperSU).
``root-app``
    a known rooting or root-hiding app is installed (Magisk can rename itself,
    so its absence proves nothing).
``debuggable-build``, ``test-keys``, ``non-user-build``, ``insecure-build``
    ``ro.debuggable=1``, ``ro.build.tags`` with ``test-keys``, ``ro.build.type``
    ``userdebug``/``eng``, ``ro.secure=0``.
``unlocked-bootloader``, ``unverified-boot``
    ``ro.boot.flash.locked=0`` or ``ro.boot.vbmeta.device_state=unlocked``;
    ``ro.boot.verifiedbootstate`` other than ``green``.

toybox ``ls -ld`` prints one line per path that exists on stdout and
``ls: PATH: No such file or directory`` on stderr for the others; ``Permission
denied`` means the path could not be checked, which is reported as a problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from unstalk.android.model import DeviceInfo, Parsed, ParseStatus
from unstalk.android.parsers._common import Problems, finish, quote
from unstalk.android.parsers.getprop import property_value

ROOT_PACKAGES = frozenset(
    {
        "com.topjohnwu.magisk",
        "io.github.vvb2060.magisk",
        "io.github.huskydg.magisk",
        "me.weishu.kernelsu",
        "com.rifsxd.ksunext",
        "eu.chainfire.supersu",
        "com.koushikdutta.superuser",
        "com.noshufou.android.su",
        "com.noshufou.android.su.elite",
        "com.thirdparty.superuser",
        "com.yellowes.su",
        "me.phh.superuser",
        "com.kingroot.kinguser",
        "com.kingo.root",
        "com.smedialink.oneclickroot",
        "com.zhiqupk.root.global",
        "com.alephzain.framaroot",
        "com.devadvance.rootcloak",
        "com.devadvance.rootcloakplus",
        "com.amphoras.hidemyroot",
        "com.amphoras.hidemyrootadfree",
        "com.formyhm.hideroot",
        "com.formyhm.hiderootPremium",
        "de.robv.android.xposed.installer",
        "org.meowcat.edxposed.manager",
        "org.lsposed.manager",
        "com.saurik.substrate",
        "com.zachspong.temprootremovejb",
    }
)
"""Rooting tools, root managers and root-hiding apps."""

_LS_LINE = re.compile(
    r"[-dlcbps][-rwxsStT]{9}[.+@]?\s+\d+\s+\S+\s+\S+\s+[\d,\s]+?\s+"
    r"\d{4}-\d\d-\d\d \d\d:\d\d (?P<path>/\S+)(?: -> (?P<target>.+))?"
)
_LS_ERROR = re.compile(r"ls: (?P<path>/\S+): (?P<error>.+)")
_ABSENT = "No such file or directory"


def parse_root_checks(
    *,
    source: str,
    which_su: str | None,
    ls_stdout: str | None,
    ls_stderr: str | None = None,
    device: DeviceInfo | None = None,
    packages: Iterable[str] | None = None,
) -> Parsed[tuple[str, ...]]:
    """Root indicators from every check given; a check that is ``None`` was not run."""
    problems = Problems()
    indicators: list[str] = []
    checks = (which_su, ls_stdout, device, packages)
    if all(check is None for check in checks):
        return Parsed(
            source=source, status=ParseStatus.UNPARSED, problems=("no root check was run",)
        )
    names = ("which su", "ls -ld of root paths", "getprop", "package list")
    for name, check in zip(names, checks, strict=True):
        if check is None:
            problems.add(f"not checked: {name} was not available")
    if which_su is not None:
        indicators += _which(which_su, problems)
    if ls_stdout is not None:
        indicators += _listing(ls_stdout, ls_stderr or "", problems)
    if device is not None:
        indicators += _properties(device)
    if packages is not None:
        indicators += [f"root-app: {name}" for name in sorted(set(packages) & ROOT_PACKAGES)]
    return finish(source, tuple(dict.fromkeys(indicators)), problems)


def _which(text: str, problems: Problems) -> list[str]:
    found = []
    for line in text.splitlines():
        path = line.strip()
        if not path:
            continue
        if path.startswith("/") and path.endswith("/su"):
            found.append(f"su-binary: {path}")
        else:
            problems.add(f"which su: output not understood: {quote(path)}")
    return found


def _listing(stdout: str, stderr: str, problems: Problems) -> list[str]:
    found = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        match = _LS_LINE.fullmatch(line.strip())
        if match is None:
            problems.add(f"ls: line not understood: {quote(line)}")
            continue
        path = match.group("path")
        kind = "su-binary" if path.rsplit("/", 1)[-1] == "su" else "root-path"
        target = f" -> {match.group('target')}" if match.group("target") else ""
        found.append(f"{kind}: {path}{target}")
    for line in stderr.splitlines():
        if not line.strip():
            continue
        error = _LS_ERROR.fullmatch(line.strip())
        if error is None:
            problems.add(f"ls: error output not understood: {quote(line)}")
        elif error.group("error") != _ABSENT:
            problems.add(f"could not check {error.group('path')}: {error.group('error')}")
    return found


def _properties(device: DeviceInfo) -> list[str]:
    def prop(key: str) -> str:
        return (property_value(device, key) or "").strip()

    found = []
    if prop("ro.debuggable") == "1":
        found.append("debuggable-build: ro.debuggable=1")
    if "test-keys" in prop("ro.build.tags").split(","):
        found.append(f"test-keys: ro.build.tags={prop('ro.build.tags')}")
    if prop("ro.build.type") in ("userdebug", "eng"):
        found.append(f"non-user-build: ro.build.type={prop('ro.build.type')}")
    if prop("ro.secure") == "0":
        found.append("insecure-build: ro.secure=0")
    if prop("ro.boot.flash.locked") == "0":
        found.append("unlocked-bootloader: ro.boot.flash.locked=0")
    if prop("ro.boot.vbmeta.device_state") == "unlocked":
        found.append("unlocked-bootloader: ro.boot.vbmeta.device_state=unlocked")
    state = prop("ro.boot.verifiedbootstate")
    if state and state != "green":
        found.append(f"unverified-boot: ro.boot.verifiedbootstate={state}")
    return found
