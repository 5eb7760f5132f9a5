"""Installed apps, from the three places a backup lists them.

- Info.plist ``Applications``: bundle id -> ``iTunesMetadata`` (a binary plist
  of App Store details: ``itemId``, ``itemName``, ``bundleShortVersionString``,
  ``bundleVersion``, ``softwareVersionBundleId``, ``com.apple.iTunesStore.downloadInfo``
  ...), ``PlaceholderIcon``, ``ApplicationSINF``; and ``Installed Applications``
  (a list of bundle ids).
- Manifest.plist ``Applications``: bundle id -> ``CFBundleIdentifier``,
  ``CFBundleVersion``, ``Path``.
- Manifest.db: an ``AppDomain-<bundle id>`` domain per app whose data was backed up.

An app is marked as from the App Store when its iTunesMetadata carries store
details (an item id, an Apple ID or the download information). Otherwise its
origin is unknown: a backup cannot show whether an app was sideloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from unstalk.errors import BackupError
from unstalk.ios.backup.files import INFO_PLIST, MANIFEST_PLIST
from unstalk.ios.backup.plists import PlistDict, data, dict_items, load_dict, text
from unstalk.ios.model import AppOrigin, IosApp, Parsed, ParseStatus

APP_DOMAIN_PREFIX = "AppDomain-"
_STORE_KEYS = ("itemId", "appleId", "s", "com.apple.iTunesStore.downloadInfo")
_ORIGIN_NOTE = (
    "a backup does not record how an app without App Store details was installed; "
    "their origin is unknown, not proof of sideloading"
)


@dataclass(slots=True)
class _App:
    sources: list[str] = field(default_factory=list)
    metadata: PlistDict = field(default_factory=dict)
    version: str | None = None
    path_name: str | None = None


def _store_metadata(entry: PlistDict, bundle_id: str, problems: list[str]) -> PlistDict:
    raw = data(entry, "iTunesMetadata")
    if raw is None:
        return {}
    try:
        return load_dict(raw, f"{INFO_PLIST} iTunesMetadata of {bundle_id}")
    except BackupError as e:
        problems.append(e.message)
        return {}


def _collect(
    info: PlistDict | None,
    manifest_apps: PlistDict,
    app_domains: set[str],
    problems: list[str],
) -> dict[str, _App]:
    apps: dict[str, _App] = {}
    for bundle_id, entry in manifest_apps.items():
        if not isinstance(entry, dict):
            continue
        app = apps.setdefault(bundle_id, _App())
        app.sources.append(MANIFEST_PLIST)
        app.version = text(entry, "CFBundleVersion")
        path = text(entry, "Path")
        app.path_name = PurePosixPath(path).stem if path else None
    if info is not None:
        for bundle_id, entry in dict_items(info, "Applications"):
            app = apps.setdefault(bundle_id, _App())
            app.sources.append(INFO_PLIST)
            app.metadata = _store_metadata(entry, bundle_id, problems)
        installed = info.get("Installed Applications")
        for bundle_id in installed if isinstance(installed, list) else []:
            if isinstance(bundle_id, str) and INFO_PLIST not in apps.get(bundle_id, _App()).sources:
                apps.setdefault(bundle_id, _App()).sources.append(INFO_PLIST)
    for bundle_id in sorted(app_domains):
        apps.setdefault(bundle_id, _App()).sources.append(
            f"Manifest.db {APP_DOMAIN_PREFIX}{bundle_id}"
        )
    return apps


def _to_app(bundle_id: str, app: _App) -> IosApp:
    meta = app.metadata
    store = any(key in meta for key in _STORE_KEYS)
    return IosApp(
        bundle_id=bundle_id,
        name=text(meta, "itemName") or app.path_name,
        version=app.version or text(meta, "bundleVersion"),
        short_version=text(meta, "bundleShortVersionString"),
        origin=AppOrigin.APP_STORE if store else AppOrigin.UNKNOWN,
        source=", ".join(app.sources),
    )


def read_apps(
    info: PlistDict | None,
    manifest_apps: PlistDict | None,
    app_domains: set[str],
    read_problems: tuple[str, ...] = (),
) -> Parsed[tuple[IosApp, ...]]:
    """Merge the three listings; ``read_problems`` says which listings could not be read."""
    source = f"{INFO_PLIST}, {MANIFEST_PLIST}, Manifest.db"
    problems = list(read_problems)
    apps = _collect(info, manifest_apps or {}, app_domains, problems)
    if not apps and problems:
        return Parsed(source, ParseStatus.MISSING, problems=tuple(problems))
    found = tuple(_to_app(bundle_id, app) for bundle_id, app in sorted(apps.items()))
    status = ParseStatus.PARTIAL if problems else ParseStatus.OK
    if any(app.origin is AppOrigin.UNKNOWN for app in found):
        problems.append(_ORIGIN_NOTE)
    return Parsed(source, status, found, tuple(problems))


def app_domain_bundle(domain: str) -> str | None:
    """The bundle id of an ``AppDomain-<bundle id>`` domain, else ``None``."""
    if domain.startswith(APP_DOMAIN_PREFIX):
        return domain.removeprefix(APP_DOMAIN_PREFIX) or None
    return None
