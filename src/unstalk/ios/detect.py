"""What an iPhone acquisition says, gathered once for the checks, and the finding type they yield.

:func:`gather` matches every app's bundle identifier against the feed index and
names the apps that only exist on jailbroken phones (package managers, file
managers with root access) or that install apps past the App Store (TrollStore).
The checks in :mod:`unstalk.ios.checks_app` and :mod:`unstalk.ios.checks_device`
read these facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from unstalk.feed.index import FeedIndex, Match
from unstalk.ios.model import IosAcquisition, IosApp
from unstalk.models import Severity

__all__ = ["AppFacts", "Evidence", "IosFacts", "IosFinding", "gather"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact a finding rests on: the file or command it was read from, the part, the value."""

    source: str
    part: str
    value: str


@dataclass(frozen=True, slots=True)
class IosFinding:
    """Something about the iPhone or one app that the person should know about."""

    id: str
    severity: Severity
    title: str
    explanation: str
    """What it means and what to do, in plain words."""
    evidence: tuple[Evidence, ...]
    app: str | None = None
    """The bundle identifier it is about; ``None`` for a finding about the whole phone."""


JAILBREAK_APPS: Mapping[str, str] = {
    "com.saurik.cydia": "Cydia",
    "org.coolstar.sileo": "Sileo",
    "org.coolstar.sileostore": "Sileo",
    "xyz.willy.zebra": "Zebra",
    "me.apptapp.installer": "Installer",
    "com.tigisoftware.filza": "Filza",
    "com.ripperhe.filza": "Filza",
    "org.coolstar.electra": "Electra",
    "science.xnu.undecimus": "unc0ver",
    "com.electrateam.chimera": "Chimera",
    "com.odyssey.app": "Odyssey",
    "com.opa334.dopamine": "Dopamine",
    "com.palera1n.loader": "palera1n",
}
"""Bundle identifiers (lower case) of apps that only run on a jailbroken phone."""

TROLLSTORE_APPS: Mapping[str, str] = {
    "com.opa334.trollstore": "TrollStore",
    "com.opa334.trollstorepersistencehelper": "TrollStore persistence helper",
}
"""Apps that install other apps with any permission, without a jailbreak or the App Store."""


@dataclass(frozen=True, slots=True)
class AppFacts:
    """One app and what the feed says about its bundle identifier."""

    app: IosApp
    matches: tuple[Match, ...]
    listed_in: str
    """Where the app was listed (the command or backup file)."""

    @property
    def bundle_id(self) -> str:
        return self.app.bundle_id

    @property
    def label(self) -> str:
        """The app's name with its bundle identifier, for titles."""
        if self.app.name and self.app.name != self.app.bundle_id:
            return f"{self.app.name} ({self.app.bundle_id})"
        return self.app.bundle_id


@dataclass(frozen=True, slots=True)
class IosFacts:
    """The acquisition and the facts of every app."""

    acquisition: IosAcquisition
    apps: tuple[AppFacts, ...]


def gather(acquisition: IosAcquisition, index: FeedIndex) -> IosFacts:
    """One :class:`AppFacts` per app, in the order the acquisition listed them."""
    listed = acquisition.apps.source
    apps = tuple(
        AppFacts(app, index.ios_bundle(app.bundle_id), app.source or listed)
        for app in acquisition.apps.value or ()
    )
    return IosFacts(acquisition, apps)
