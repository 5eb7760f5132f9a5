"""The recorded phone outputs (see ``recorded/README.md``) and when each dump was taken."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

RECORDED = Path(__file__).parent / "recorded"

VERSIONS = ("android-9", "android-12", "android-14")
"""The complete recordings; ``android-15`` holds only the sections whose format changed."""

ZONES: dict[str, tzinfo] = {
    "android-9": ZoneInfo("Europe/Berlin"),
    "android-12": ZoneInfo("Europe/London"),
    "android-14": ZoneInfo("America/New_York"),
    "android-15": ZoneInfo("Europe/Paris"),
}

DUMP_TIMES: dict[str, datetime] = {
    "android-9": datetime(2021, 3, 15, 14, 20, 5, 412000, tzinfo=ZONES["android-9"]),
    "android-12": datetime(2022, 3, 21, 10, 5, 0, 226000, tzinfo=ZONES["android-12"]),
    "android-14": datetime(2024, 3, 12, 16, 40, 0, 518000, tzinfo=ZONES["android-14"]),
}


def recorded(version: str, name: str) -> str:
    """One recorded output file as text."""
    return (RECORDED / version / name).read_text(encoding="utf-8")


def local(version: str, text: str) -> datetime:
    """``yyyy-mm-dd HH:MM:SS[.fff]`` in that phone's zone."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONES[version])


OTHER_OUTPUTS = (
    "",
    "   \n\n",
    "Can't find service: accessibility\n",
    "cmd: Can't find service: package\n",
    "/system/bin/sh: dumpsys: inaccessible or not found\n",
    "Exception occurred while executing 'list':\njava.lang.SecurityException: denied\n",
    "\x00\x01\x02binary",
    "Hello, this is not an Android dump at all.\nJust words.\n",
)
"""Outputs that are no command's data: every parser must call them UNPARSED."""
