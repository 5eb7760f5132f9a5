"""``getprop``: every system property as ``[key]: [value]``, one per line.

A value can hold line breaks; its continuation lines follow until the one that
ends with ``]``. The device facts unstalk reports (model, Android version,
patch level, build type, verified boot state) come from well-known properties.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from unstalk.android.model import DeviceInfo, Parsed
from unstalk.android.parsers._common import Problems, finish, not_this_output, refusal, unparsed

WHAT = "`getprop`"

_LINE = re.compile(r"\[(?P<key>[^\[\]]+)\]: \[(?P<value>.*)")


def parse_getprop(text: str, *, source: str) -> Parsed[DeviceInfo]:
    """Device facts and all properties, in the order the phone printed them."""
    reason = refusal(text, WHAT)
    if reason is not None:
        return unparsed(source, reason)
    problems = Problems()
    properties = _properties(text, problems)
    if not properties:
        return unparsed(source, not_this_output(WHAT, text))
    return finish(source, _device_info(properties), problems)


def _properties(text: str, problems: Problems) -> list[tuple[str, str]]:
    properties: list[tuple[str, str]] = []
    open_key: str | None = None
    open_value: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if open_key is not None:
            if line.endswith("]"):
                open_value.append(line[:-1])
                properties.append((open_key, "\n".join(open_value)))
                open_key = None
            else:
                open_value.append(line)
            continue
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            problems.unknown_line(number, line)
            continue
        value = match.group("value")
        if value.endswith("]"):
            properties.append((match.group("key"), value[:-1]))
        else:
            open_key, open_value = match.group("key"), [value]
    if open_key is not None:
        problems.add(f"the value of {open_key!r} is not closed by ']' (output cut short?)")
        properties.append((open_key, "\n".join(open_value)))
    return properties


def _device_info(properties: list[tuple[str, str]]) -> DeviceInfo:
    table = dict(properties)

    def text(key: str) -> str | None:
        value = table.get(key, "").strip()
        return value or None

    sdk_text = text("ro.build.version.sdk")
    return DeviceInfo(
        model=text("ro.product.model"),
        manufacturer=text("ro.product.manufacturer"),
        android_version=text("ro.build.version.release"),
        sdk=int(sdk_text) if sdk_text is not None and sdk_text.isdigit() else None,
        security_patch=text("ro.build.version.security_patch"),
        build_fingerprint=text("ro.build.fingerprint"),
        build_type=text("ro.build.type"),
        verified_boot_state=text("ro.boot.verifiedbootstate"),
        properties=tuple(properties),
    )


def property_value(info: DeviceInfo, key: str) -> str | None:
    """One property's value, ``None`` when the phone did not report it."""
    return next((value for name, value in info.properties if name == key), None)


def device_timezone(info: DeviceInfo) -> tzinfo | None:
    """The phone's time zone (``persist.sys.timezone``), which dumpsys local times are in.

    ``None`` when the phone does not say or names a zone this computer does not know.
    """
    name = (property_value(info, "persist.sys.timezone") or "").strip()
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
