"""Root indicators from ``which su``, ``ls -ld``, getprop and the package list."""

from __future__ import annotations

import pytest

from tests.android.parser_fixtures import VERSIONS, recorded
from unstalk.android.model import DeviceInfo, ParseStatus
from unstalk.android.parsers.getprop import parse_getprop
from unstalk.android.parsers.root import parse_root_checks


def device(version: str) -> DeviceInfo:
    info = parse_getprop(recorded(version, "getprop.txt"), source="g").value
    assert info is not None
    return info


@pytest.mark.parametrize("version", VERSIONS)
def test_the_recorded_phones_show_no_root_but_say_what_could_not_be_checked(version: str) -> None:
    result = parse_root_checks(
        source="root",
        which_su=recorded(version, "root_which_su.txt"),
        ls_stdout=recorded(version, "root_indicators.txt"),
        ls_stderr=recorded(version, "root_indicators.stderr.txt"),
        device=device(version),
        packages=["com.whatsapp", "com.android.settings"],
    )
    assert result.value == ()
    assert result.status is ParseStatus.PARTIAL
    denied = ["/data/adb/magisk", "/data/adb/ksu"]
    if version == "android-9":
        denied.insert(0, "/cache/su")
    assert result.problems == tuple(f"could not check {path}: Permission denied" for path in denied)


ROOTED_PROPS = (
    ("ro.debuggable", "1"),
    ("ro.build.tags", "test-keys"),
    ("ro.build.type", "userdebug"),
    ("ro.boot.flash.locked", "0"),
    ("ro.boot.verifiedbootstate", "orange"),
)


def test_a_rooted_phone_gives_every_indicator() -> None:
    result = parse_root_checks(
        source="root",
        which_su="/system/xbin/su\n",
        ls_stdout=(
            "-rwsr-x--- 1 root shell 104 2024-01-01 00:00 /system/xbin/su\n"
            "lrwxrwxrwx 1 root root 7 2024-01-01 00:00 /system/bin/su -> magisk\n"
            "drwx------  6 root root 4096 2024-01-01 00:00 /data/adb/magisk\n"
        ),
        ls_stderr="ls: /sbin/su: No such file or directory\n",
        device=DeviceInfo(properties=ROOTED_PROPS),
        packages=["com.topjohnwu.magisk", "com.whatsapp"],
    )
    assert result.status is ParseStatus.OK
    assert result.value == (
        "su-binary: /system/xbin/su",
        "su-binary: /system/bin/su -> magisk",
        "root-path: /data/adb/magisk",
        "debuggable-build: ro.debuggable=1",
        "test-keys: ro.build.tags=test-keys",
        "non-user-build: ro.build.type=userdebug",
        "unlocked-bootloader: ro.boot.flash.locked=0",
        "unverified-boot: ro.boot.verifiedbootstate=orange",
        "root-app: com.topjohnwu.magisk",
    )


def test_checks_that_were_not_run_are_named() -> None:
    result = parse_root_checks(source="root", which_su="", ls_stdout=None)
    assert result.status is ParseStatus.PARTIAL
    assert "not checked: ls -ld of root paths was not available" in result.problems
    nothing = parse_root_checks(source="root", which_su=None, ls_stdout=None)
    assert nothing.status is ParseStatus.UNPARSED


@pytest.mark.parametrize(
    ("which", "ls", "err", "needle"),
    [
        ("su not found in PATH\n", "", "", "which su: output not understood"),
        ("", "total 0\n", "", "ls: line not understood"),
        ("", "", "toybox: unknown option\n", "ls: error output not understood"),
    ],
)
def test_output_that_is_not_understood_is_named(which: str, ls: str, err: str, needle: str) -> None:
    result = parse_root_checks(source="root", which_su=which, ls_stdout=ls, ls_stderr=err)
    assert result.status is ParseStatus.PARTIAL
    assert result.value == ()
    assert any(needle in problem for problem in result.problems)
