"""A phone with 400 apps: every parser still reads every app (timings live in bench/, not here)."""

from __future__ import annotations

import re

from tests.android.parser_fixtures import ZONES, recorded
from unstalk.android.model import ParseStatus
from unstalk.android.parsers.appops import parse_appops
from unstalk.android.parsers.package_dump import parse_dumpsys_package
from unstalk.android.parsers.packages import (
    PackageSources,
    build_app_packages,
    parse_package_list,
    parse_package_names,
)

APPS = 400


def _clone(block: str, count: int) -> str:
    return "".join(block.replace("com.thetruth", f"org.example.app{i}") for i in range(count))


def _section(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


def test_four_hundred_apps_are_all_read() -> None:
    dump = recorded("android-12", "dumpsys_package.txt")
    block = _section(dump, "  Package [com.thetruth]", "\nHidden system packages:") + "\n"
    big_dump = dump.replace(block, _clone(block, APPS))
    line = next(
        x for x in recorded("android-12", "packages.txt").splitlines() if "=com.thetruth " in x
    )
    big_list = _clone(line + "\n", APPS)
    ops = recorded("android-12", "dumpsys_appops.txt")
    uid_block = _section(ops, "  Uid u0a245:", "\n\n") + "\n"
    big_ops = ops.replace(uid_block, _clone(uid_block, APPS))

    details = parse_dumpsys_package(big_dump, source="d", tz=ZONES["android-12"])
    listing = parse_package_list(big_list, source="p")
    third = parse_package_names(
        "".join(f"package:org.example.app{i}\n" for i in range(APPS)), source="t"
    )
    empty = parse_package_names("", source="n")
    apps = build_app_packages(PackageSources(listing, details, empty, third, empty))
    appops = parse_appops(big_ops, source="a", tz=ZONES["android-12"])

    assert details.status is listing.status is apps.status is appops.status is ParseStatus.OK
    assert details.value is not None and len(details.value) == 25 + APPS
    assert apps.value is not None
    clones = [app for app in apps.value if re.fullmatch(r"org\.example\.app\d+", app.name)]
    assert len(clones) == APPS
    assert all(app.third_party and app.version_code == 63 for app in clones)
    assert appops.value is not None
    assert sum(use.package.startswith("org.example.app") for use in appops.value) == APPS * 16
