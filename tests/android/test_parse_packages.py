"""``pm list packages`` and ``dumpsys package``, and the app list built from both."""

from __future__ import annotations

import pytest

from tests.android.parser_fixtures import OTHER_OUTPUTS, VERSIONS, ZONES, local, recorded
from unstalk.android.model import AppPackage, Parsed, ParseStatus
from unstalk.android.parsers.package_dump import (
    PackageDetails,
    java_signature_hash,
    parse_dumpsys_package,
)
from unstalk.android.parsers.packages import (
    PackageListing,
    PackageSources,
    build_app_packages,
    parse_package_list,
    parse_package_names,
)

THIRD_PARTY = {
    "android-9": {
        "com.google.android.marvin.talkback",
        "com.whatsapp",
        "org.telegram.messenger",
        "com.spotify.music",
        "com.instagram.android",
        "com.life360.android.safetymapd",
        "org.mozilla.firefox",
    },
    "android-12": {
        "com.whatsapp",
        "org.telegram.messenger",
        "com.spotify.music",
        "com.instagram.android",
        "com.life360.android.safetymapd",
        "org.mozilla.firefox",
        "com.thetruth",
    },
    "android-14": {
        "com.whatsapp",
        "org.telegram.messenger",
        "com.spotify.music",
        "com.instagram.android",
        "com.life360.android.safetymapd",
        "org.mozilla.firefox",
        "com.duolingo",
    },
}
COUNTS = {"android-9": 25, "android-12": 26, "android-14": 26}
DISABLED = {
    "android-9": "com.samsung.android.bixby.agent",
    "android-12": "com.google.android.apps.youtube.music",
    "android-14": "com.google.android.apps.youtube.music",
}


def listing(version: str) -> Parsed[tuple[PackageListing, ...]]:
    return parse_package_list(recorded(version, "packages.txt"), source="packages.txt")


def details(version: str) -> Parsed[tuple[PackageDetails, ...]]:
    text = recorded(version, "dumpsys_package.txt")
    return parse_dumpsys_package(text, source="dumpsys_package.txt", tz=ZONES[version])


def names(version: str, file: str) -> Parsed[frozenset[str]]:
    return parse_package_names(recorded(version, file), source=file)


def sources(version: str) -> PackageSources:
    return PackageSources(
        listing=listing(version),
        details=details(version),
        system=names(version, "packages_system.txt"),
        third_party=names(version, "packages_third_party.txt"),
        disabled=names(version, "packages_disabled.txt"),
    )


def by_name(items: tuple[PackageDetails, ...] | tuple[AppPackage, ...], name: str) -> object:
    return next(item for item in items if item.name == name)


# pm list packages -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_listed_package_is_read(version: str) -> None:
    result = listing(version)
    assert result.status is ParseStatus.OK
    assert result.value is not None and len(result.value) == COUNTS[version]
    android = next(entry for entry in result.value if entry.name == "android")
    assert android.apk_path == "/system/framework/framework-res.apk"
    assert (android.installer, android.uids) == (None, (1000,))


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "android-9",
            PackageListing(
                "com.whatsapp",
                "/data/app/com.whatsapp-bY7nC2xQ0vT9wE4kZ1aR5g==/base.apk",
                210472,
                "com.android.vending",
                (10203,),
            ),
        ),
        (
            "android-12",
            PackageListing(
                "com.thetruth",
                "/data/app/~~Vw0xY2zA4bC6dE8fG0hI2j==/com.thetruth-Kl4mN6oP8qR0sT2uV4wX6y==/base.apk",
                63,
                "com.google.android.packageinstaller",
                (10245,),
            ),
        ),
        (
            "android-14",
            PackageListing(
                "com.duolingo",
                "/data/app/~~Gh6jK8lZ0xC2vB4nM6qW8e==/com.duolingo-Rt0yU2iO4pA6sD8fG0hJ2k==/base.apk",
                1785,
                "com.android.vending",
                (10264,),
            ),
        ),
    ],
)
def test_a_listed_line_gives_path_version_installer_and_uid(
    version: str, expected: PackageListing
) -> None:
    result = listing(version).value
    assert result is not None
    assert next(entry for entry in result if entry.name == expected.name) == expected


def test_android_15_lists_one_uid_per_user() -> None:
    result = listing("android-15")
    assert result.status is ParseStatus.OK
    assert result.value is not None
    whatsapp = next(entry for entry in result.value if entry.name == "com.whatsapp")
    assert whatsapp.uids == (10271, 15010271)


@pytest.mark.parametrize("version", VERSIONS)
def test_system_third_party_and_disabled_names(version: str) -> None:
    third = names(version, "packages_third_party.txt")
    system = names(version, "packages_system.txt")
    disabled = names(version, "packages_disabled.txt")
    assert third.value == frozenset(THIRD_PARTY[version])
    assert system.value is not None and len(system.value) == COUNTS[version] - 7
    assert disabled.value == frozenset({DISABLED[version]})


def test_an_empty_name_list_means_no_such_package() -> None:
    result = parse_package_names("", source="packages_disabled.txt")
    assert (result.status, result.value) == (ParseStatus.OK, frozenset())


@pytest.mark.parametrize("text", [t for t in OTHER_OUTPUTS if t.strip()])
def test_outputs_that_are_not_a_package_list_are_unparsed(text: str) -> None:
    assert parse_package_list(text, source="p").status is ParseStatus.UNPARSED
    assert parse_package_names(text, source="p").status is ParseStatus.UNPARSED


@pytest.mark.parametrize("other", ["getprop.txt", "dumpsys_package.txt", "settings_global.txt"])
def test_another_commands_output_is_not_a_package_list(other: str) -> None:
    text = recorded("android-12", other)
    assert parse_package_list(text, source="packages.txt").status is ParseStatus.UNPARSED
    assert parse_package_names(text, source="p").status is ParseStatus.UNPARSED


def test_a_line_in_a_new_format_is_named() -> None:
    text = recorded("android-14", "packages.txt") + (
        "package:/data/app/x/base.apk=com.example versionCode:1 uid:10300 archived:true\n"
    )
    result = parse_package_list(text, source="packages.txt")
    assert result.status is ParseStatus.PARTIAL
    assert result.value is not None and len(result.value) == 26
    assert len(result.problems) == 1 and "archived:true" in result.problems[0]


# dumpsys package --------------------------------------------------------------------------


@pytest.mark.parametrize("version", [*VERSIONS, "android-15"])
def test_the_packages_section_is_read_without_hidden_system_copies(version: str) -> None:
    result = details(version)
    assert result.status is ParseStatus.OK, result.problems
    assert result.value is not None
    listed = listing(version).value
    assert listed is not None
    assert sorted(p.name for p in result.value) == sorted(entry.name for entry in listed)


def test_the_sideloaded_app_on_android_12() -> None:
    result = details("android-12").value
    assert result is not None
    spy = by_name(result, "com.thetruth")
    assert isinstance(spy, PackageDetails)
    assert (spy.app_id, spy.version_code, spy.version_name) == (10245, 63, "6.3")
    assert (spy.min_sdk, spy.target_sdk) == (21, 29)
    assert spy.installer == "com.google.android.packageinstaller"
    assert spy.initiating_installer is None
    assert not spy.system
    assert spy.first_install == local("android-12", "2022-03-02 21:47:13")
    assert spy.last_update == local("android-12", "2022-03-02 21:47:13")
    assert (spy.signing_version, spy.signatures, spy.past_signatures) == (2, ("2b6e07d1",), ())
    assert spy.requested_permissions == ()
    assert "android.permission.SYSTEM_ALERT_WINDOW" in spy.install_permissions
    assert [user.user for user in spy.users] == [0]
    user = spy.users[0]
    assert (user.installed, user.enabled, user.stopped, user.first_install) == (
        True,
        True,
        False,
        None,
    )
    assert user.granted_runtime[:5] == (
        "android.permission.ACCESS_FINE_LOCATION",
        "android.permission.ACCESS_COARSE_LOCATION",
        "android.permission.ACCESS_BACKGROUND_LOCATION",
        "android.permission.CAMERA",
        "android.permission.RECORD_AUDIO",
    )
    assert len(spy.granted_permissions) == 9 + 12


def test_android_9_package_details() -> None:
    result = details("android-9").value
    assert result is not None
    whatsapp = by_name(result, "com.whatsapp")
    assert isinstance(whatsapp, PackageDetails)
    assert (whatsapp.app_id, whatsapp.version_code, whatsapp.version_name) == (
        10203,
        210472,
        "2.21.4.22",
    )
    assert whatsapp.first_install == local("android-9", "2019-07-20 11:40:18")
    assert whatsapp.flags == frozenset(
        {"HAS_CODE", "ALLOW_CLEAR_USER_DATA", "ALLOW_BACKUP", "LARGE_HEAP"}
    )
    granted = whatsapp.users[0].granted_runtime
    assert "android.permission.CAMERA" in granted
    assert "android.permission.ACCESS_FINE_LOCATION" not in granted
    bixby = by_name(result, "com.samsung.android.bixby.agent")
    assert isinstance(bixby, PackageDetails)
    assert (bixby.users[0].enabled_state, bixby.users[0].enabled, bixby.system) == (3, False, True)
    gms = by_name(result, "com.google.android.gms")
    assert isinstance(gms, PackageDetails)
    assert gms.system and "UPDATED_SYSTEM_APP" in gms.flags
    assert gms.install_permissions == ()  # a shared-uid package prints its permissions elsewhere


def test_android_14_install_source_and_per_user_install_time() -> None:
    result = details("android-14").value
    assert result is not None
    duolingo = by_name(result, "com.duolingo")
    assert isinstance(duolingo, PackageDetails)
    assert (duolingo.installer, duolingo.initiating_installer) == ("com.android.vending",) * 2
    assert (duolingo.originating_installer, duolingo.package_source) == (None, 2)
    assert duolingo.first_install == local("android-14", "2024-01-03 19:31:58")
    assert duolingo.users[0].first_install == duolingo.first_install
    assert duolingo.last_update == local("android-14", "2024-03-09 04:47:11")
    android = by_name(result, "android")
    assert isinstance(android, PackageDetails)
    assert (android.installer, android.package_source) == (None, 0)


def test_android_15_reads_both_users() -> None:
    result = details("android-15").value
    assert result is not None
    whatsapp = by_name(result, "com.whatsapp")
    assert isinstance(whatsapp, PackageDetails)
    assert [user.user for user in whatsapp.users] == [0, 150]
    assert all(user.installed for user in whatsapp.users)
    assert whatsapp.users[1].granted_runtime[0] == "android.permission.CAMERA"
    assert whatsapp.first_install == local("android-15", "2024-11-23 15:41:50")


def test_without_the_phone_zone_times_stay_local_and_naive() -> None:
    result = parse_dumpsys_package(recorded("android-12", "dumpsys_package.txt"), source="d")
    assert result.value is not None
    spy = by_name(result.value, "com.thetruth")
    assert isinstance(spy, PackageDetails)
    assert spy.first_install is not None
    assert (spy.first_install.tzinfo, spy.first_install.hour) == (None, 21)


@pytest.mark.parametrize("text", OTHER_OUTPUTS)
def test_outputs_that_are_not_a_package_dump_are_unparsed(text: str) -> None:
    result = parse_dumpsys_package(text, source="dumpsys_package.txt")
    assert result.status is ParseStatus.UNPARSED
    assert result.problems


def test_another_dump_is_not_a_package_dump() -> None:
    text = recorded("android-12", "dumpsys_appops.txt")
    assert parse_dumpsys_package(text, source="d").status is ParseStatus.UNPARSED


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("installed=true hidden=false", "isInstalled=true hidden=false", "lacks installed="),
        (
            "      android.permission.CAMERA: granted=true, flags=[ USER_SET|",
            "      android.permission.CAMERA: state=GRANTED, flags=[ USER_SET|",
            "state=GRANTED",
        ),
        ("    versionName=6.3\n", "    versionName=6.3\n   odd indent line\n", "odd indent line"),
        ("    versionCode=63 minSdk=21 targetSdk=29\n", "", "no versionCode"),
        (
            "    firstInstallTime=2022-03-02 21:47:13",
            "    firstInstallTime=2 March 2022",
            "time not",
        ),
    ],
)
def test_a_changed_package_block_is_partial_with_the_problem_named(
    old: str, new: str, needle: str
) -> None:
    text = recorded("android-12", "dumpsys_package.txt")
    block_start = text.index("  Package [com.thetruth]")
    block_end = text.index("\n\n", block_start)
    block = text[block_start:block_end]
    assert old in block
    block = block.replace(old, new)
    result = parse_dumpsys_package(
        text[:block_start] + block + text[block_end:], source="d", tz=ZONES["android-12"]
    )
    assert result.status is ParseStatus.PARTIAL
    assert result.value is not None and len(result.value) == 26
    assert any(needle in problem for problem in result.problems), result.problems


@pytest.mark.parametrize(
    ("der", "expected"),
    [(b"", "1"), (b"\x01", "20"), (b"\xff", "1e"), (b"\x80", "ffffff9f"), (b"ab", "fe2")],
)
def test_signature_identity_is_javas_arrays_hashcode(der: bytes, expected: str) -> None:
    assert java_signature_hash(der) == expected


# the merged app list ----------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_app_list_flags_system_third_party_and_disabled(version: str) -> None:
    result = build_app_packages(sources(version))
    assert result.status is ParseStatus.OK, result.problems
    apps = result.value
    assert apps is not None and len(apps) == COUNTS[version]
    assert {app.name for app in apps if app.third_party} == THIRD_PARTY[version]
    assert {app.name for app in apps if not app.enabled} == {DISABLED[version]}


def test_the_sideloaded_app_in_the_app_list() -> None:
    apps = build_app_packages(sources("android-12")).value
    assert apps is not None
    spy = by_name(apps, "com.thetruth")
    assert isinstance(spy, AppPackage)
    assert spy.uid == 10245
    assert spy.installer == "com.google.android.packageinstaller"
    assert (spy.version_name, spy.version_code, spy.system, spy.enabled) == ("6.3", 63, False, True)
    assert spy.apk_paths == (
        "/data/app/~~Vw0xY2zA4bC6dE8fG0hI2j==/com.thetruth-Kl4mN6oP8qR0sT2uV4wX6y==/base.apk",
    )
    assert spy.first_install == local("android-12", "2022-03-02 21:47:13")
    assert "android.permission.RECORD_AUDIO" in spy.granted_permissions
    assert spy.users == (0,)
    talkback = by_name(apps, "com.google.android.marvin.talkback")
    assert isinstance(talkback, AppPackage) and talkback.system and talkback.enabled


def test_without_the_system_lists_the_dump_flags_decide_and_the_gap_is_reported() -> None:
    broken = parse_package_names("Can't find service: package", source="packages_system.txt")
    parts = sources("android-9")
    merged = build_app_packages(
        PackageSources(parts.listing, parts.details, broken, broken, parts.disabled)
    )
    assert merged.status is ParseStatus.PARTIAL
    assert any(problem.startswith("packages_system.txt:") for problem in merged.problems)
    assert merged.value is not None
    assert {app.name for app in merged.value if app.third_party} == THIRD_PARTY["android-9"]


def test_with_the_list_alone_nothing_is_guessed_silently() -> None:
    missing: Parsed[tuple[PackageDetails, ...]] = Parsed("d", ParseStatus.MISSING)
    missing_names: Parsed[frozenset[str]] = Parsed("n", ParseStatus.MISSING)
    merged = build_app_packages(
        PackageSources(listing("android-14"), missing, missing_names, missing_names, missing_names)
    )
    assert merged.status is ParseStatus.PARTIAL
    assert any("system or third-party" in problem for problem in merged.problems)
    assert any("disabled" in problem for problem in merged.problems)


def test_with_no_package_source_the_app_list_is_unparsed() -> None:
    bad = parse_package_list("", source="packages.txt")
    none_details = parse_dumpsys_package("", source="dumpsys_package.txt")
    empty = parse_package_names("", source="n")
    merged = build_app_packages(PackageSources(bad, none_details, empty, empty, empty))
    assert merged.status is ParseStatus.UNPARSED
    assert merged.value is None
