"""iPhone acquisitions built in code, and a small feed, for the detection and check tests."""

from __future__ import annotations

import dataclasses

from unstalk.feed.index import FeedIndex
from unstalk.feed.model import Family, FamilyId, FamilyType, Feed, Indicator, IndicatorKind
from unstalk.ios.model import (
    IosAcquisition,
    IosApp,
    IosDeviceInfo,
    JailbreakTrace,
    Profile,
    ProfilePayload,
)
from unstalk.models import Parsed, ParseStatus

SPY = FamilyId("stalkerware/phonespector")
FAMILY_WATCH = FamilyId("watchware/kidwatch")
SPY_BUNDLE = "com.phonespector.agent"
WATCH_BUNDLE = "com.kidwatch.parent"


def small_index() -> FeedIndex:
    """One stalkerware and one watchware family, each with an iOS bundle identifier."""
    feed = Feed(
        families=(
            Family(SPY, "PhoneSpector", FamilyType.STALKERWARE),
            Family(FAMILY_WATCH, "KidWatch", FamilyType.WATCHWARE),
        ),
        indicators=(
            Indicator(IndicatorKind.IOS_BUNDLE, SPY_BUNDLE, SPY, source="ioc.yaml"),
            Indicator(IndicatorKind.IOS_BUNDLE, WATCH_BUNDLE, FAMILY_WATCH, source="watch.yaml"),
        ),
    )
    return FeedIndex.build(feed)


def phone(
    *apps: IosApp,
    profiles: tuple[Profile, ...] = (),
    traces: tuple[JailbreakTrace, ...] = (),
    wifi_sync: bool = False,
) -> IosAcquisition:
    """A backup where every part was read, holding ``apps``, ``profiles`` and ``traces``."""
    info = IosDeviceInfo(name="Sam's iPhone", product_type="iPhone14,2", ios_version="17.5.1")
    return IosAcquisition(
        source="/cases/sam/backup",
        kind="backup",
        device=Parsed("Info.plist", ParseStatus.OK, info),
        apps=Parsed("Manifest.db", ParseStatus.OK, apps),
        profiles=Parsed("ConfigurationProfiles", ParseStatus.OK, profiles),
        jailbreak=Parsed("Manifest.db", ParseStatus.OK, traces),
        wifi_sync=Parsed("Manifest.plist", ParseStatus.OK, wifi_sync),
    )


def missing(acquisition: IosAcquisition, part: str, reason: str) -> IosAcquisition:
    """``acquisition`` with its ``profiles`` or ``jailbreak`` part unread for ``reason``."""
    if part == "profiles":
        gone: Parsed[tuple[Profile, ...]] = Parsed(part, ParseStatus.MISSING, problems=(reason,))
        return dataclasses.replace(acquisition, profiles=gone)
    unread: Parsed[tuple[JailbreakTrace, ...]] = Parsed(
        part, ParseStatus.MISSING, problems=(reason,)
    )
    return dataclasses.replace(acquisition, jailbreak=unread)


def profile(name: str, *payloads: ProfilePayload, organisation: str | None = None) -> Profile:
    return Profile(
        f"com.example.{name.lower().replace(' ', '')}",
        display_name=name,
        organisation=organisation,
        payloads=payloads,
        source="Library/ConfigurationProfiles/profile.stub",
    )
