"""Build :class:`~unstalk.apk.model.Manifest` from an APK's AndroidManifest.xml.

Attributes are read the way Android's package parser reads them: ``android:*``
by resource id, ``package`` by plain name, class names completed against the
package. ``@0x7f...`` values (the label, meta-data resources) are resolved
through resources.arsc, read only when such a reference appears.

Exported default: a component without ``android:exported`` counts as exported
when it has an intent filter. That is the rule for apps targeting Android 11
and lower; from Android 12 (target 31) such an APK no longer installs, so the
rule only ever applies to APKs where it is Android's behaviour. Providers
without the attribute are exported when the target SDK is below 17.
A component of an app whose ``<application android:enabled="false">`` counts
as disabled, as on Android.

Other conventions: ``min_sdk``/``target_sdk`` are ``None`` when undeclared
(Android then assumes 1, and the target defaults to the minimum); a
reference that cannot be resolved keeps its ``@0x7f...`` text (meta-data
``resource`` included); ``foreground_service_type`` holds the flag names
joined by ``|`` (``location|camera``), as written in source manifests.
resources.arsc and XML configs are secondary: when one is damaged or trips a
safety limit, that becomes a problem and the manifest is still returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from unstalk.apk.fast_init import fast_init
from unstalk.apk.model import (
    Component,
    ComponentKind,
    IntentFilter,
    Manifest,
    MetaData,
    PermissionRequest,
    XmlConfig,
)
from unstalk.apk.parsers.arsc import ResourceTable
from unstalk.apk.parsers.axml import Attribute, Element, parse_axml
from unstalk.apk.parsers.zip import ApkZip
from unstalk.errors import ApkError

MANIFEST_NAME = "AndroidManifest.xml"
MANIFEST_LIMIT = 32 * 1024 * 1024
ARSC_LIMIT = 256 * 1024 * 1024
CONFIG_LIMIT = 4 * 1024 * 1024
MAX_CONFIGS = 64

_COMPONENT_TAGS = {kind.value: kind for kind in ComponentKind}
_FOREGROUND_TYPES = (
    "dataSync",
    "mediaPlayback",
    "phoneCall",
    "location",
    "connectedDevice",
    "mediaProjection",
    "camera",
    "microphone",
    "health",
    "remoteMessaging",
    "systemExempted",
    "shortService",
    "fileManagement",
    "mediaProcessing",
)
_SPECIAL_USE = 1 << 30


@fast_init
@dataclass(frozen=True, slots=True)
class ManifestResult:
    """The manifest and what could not be read in it (each a plain sentence)."""

    manifest: Manifest
    problems: tuple[str, ...] = ()


class _Resources:
    """resources.arsc, opened the first time a reference needs resolving."""

    def __init__(self, apk: ApkZip, problems: list[str]) -> None:
        self._apk = apk
        self._problems = problems
        self._table: ResourceTable | None = None
        self._tried = False

    def resolve(self, res_id: int) -> str | None:
        table = self._open()
        return table.resolve(res_id) if table else None

    def text(self, attr: Attribute | None) -> str | None:
        """The attribute as text, with a ``@0x7f...`` reference resolved when possible."""
        if attr is None:
            return None
        if attr.reference is not None:
            resolved = self.resolve(attr.reference)
            if resolved is not None:
                return resolved
        return attr.text

    def _open(self) -> ResourceTable | None:
        if self._tried:
            return self._table
        self._tried = True
        if "resources.arsc" not in self._apk:
            self._problems.append("The APK has no resources.arsc; references stay unresolved.")
            return None
        try:
            self._table = ResourceTable(
                self._apk.read("resources.arsc", limit=ARSC_LIMIT), path=self._apk.path
            )
        except ApkError as e:
            self._problems.append(f"resources.arsc could not be read: {_plain(e, self._apk)}")
            return None
        self._problems.extend(self._table.problems)
        return self._table


def _plain(error: ApkError, apk: ApkZip) -> str:
    """The error's message without the APK path (problems are listed under the APK)."""
    return error.message.removeprefix(f"{apk.path}: ") if apk.path else error.message


def read_manifest(apk: ApkZip) -> ManifestResult:
    """Read AndroidManifest.xml (and the resources it references) into a Manifest.

    Raises :class:`ApkError` when the APK has no readable manifest, and
    :class:`~unstalk.errors.ApkLimitError` when the manifest trips a safety limit.
    """
    if MANIFEST_NAME not in apk:
        raise ApkError("the APK has no AndroidManifest.xml", path=apk.path)
    doc = parse_axml(apk.read(MANIFEST_NAME, limit=MANIFEST_LIMIT), path=apk.path)
    root = doc.root
    if root.tag != "manifest":
        raise ApkError("AndroidManifest.xml has no <manifest> element", path=apk.path)
    problems = list(doc.problems)
    res = _Resources(apk, problems)
    package = _package(root)
    if not package:
        problems.append("The manifest names no package.")
    target_sdk, min_sdk = _sdk_versions(root)
    app = next(root.iter("application"), None)
    components = _components(app, package, target_sdk, res) if app is not None else ()
    manifest = Manifest(
        package=package,
        version_code=_int(root.attr("versionCode")),
        version_name=res.text(root.attr("versionName")),
        min_sdk=min_sdk,
        target_sdk=target_sdk,
        label=res.text(app.attr("label")) if app is not None else None,
        permissions=_permissions(root),
        components=components,
        declared_permissions=tuple(
            [n for p in root.iter("permission") if (n := p.get("name")) is not None]
        ),
        debuggable=bool(app is not None and _bool(app.attr("debuggable"))),
        allow_backup=_bool(app.attr("allowBackup")) if app is not None else None,
        uses_cleartext_traffic=(
            _bool(app.attr("usesCleartextTraffic")) if app is not None else None
        ),
        shared_user_id=root.get("sharedUserId"),
        configs=_configs(apk, components, problems),
    )
    return ManifestResult(manifest, tuple(problems))


def _package(root: Element) -> str:
    attr = root.attr("package", "")
    if attr is None:
        return ""
    return (attr.raw if attr.raw is not None else attr.text).strip()


def _int(attr: Attribute | None) -> int | None:
    return None if attr is None else attr.as_int()


def _bool(attr: Attribute | None) -> bool | None:
    return None if attr is None else attr.as_bool()


def _sdk_versions(root: Element) -> tuple[int | None, int | None]:
    """(target, min) from the first ``<uses-sdk>``; target defaults to min, as on Android."""
    uses_sdk = next(root.iter("uses-sdk"), None)
    if uses_sdk is None:
        return None, None
    min_sdk = _int(uses_sdk.attr("minSdkVersion"))
    target = _int(uses_sdk.attr("targetSdkVersion"))
    return (target if target is not None else min_sdk), min_sdk


def _permissions(root: Element) -> tuple[PermissionRequest, ...]:
    found: list[PermissionRequest] = []
    for el in root.iter("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m"):
        name = el.get("name")
        if name:
            found.append(
                PermissionRequest(
                    name=name,
                    max_sdk=_int(el.attr("maxSdkVersion")),
                    sdk23_only=el.tag != "uses-permission",
                )
            )
    return tuple(found)


def class_name(package: str, name: str) -> str:
    """Complete a class name as Android does: ``.Foo`` and ``Foo`` live in the package."""
    if name.startswith("."):
        return package + name
    if "." not in name and package:
        return f"{package}.{name}"
    return name


def _components(
    app: Element, package: str, target_sdk: int | None, res: _Resources
) -> tuple[Component, ...]:
    app_enabled = _bool(app.attr("enabled")) is not False
    found: list[Component] = []
    for el in app.iter(*_COMPONENT_TAGS):
        name = el.get("name")
        if not name:
            continue
        kind = _COMPONENT_TAGS[el.tag]
        filters = tuple([_intent_filter(f) for f in el.iter("intent-filter")])
        target = el.get("targetActivity")
        found.append(
            Component(
                kind=kind,
                name=class_name(package, name),
                exported=_exported(el, kind, bool(filters), target_sdk),
                enabled=app_enabled and _bool(el.attr("enabled")) is not False,
                permission=el.get("permission"),
                intent_filters=filters,
                meta_data=tuple([_meta_data(m, res) for m in el.iter("meta-data")]),
                target_activity=class_name(package, target) if target else None,
                foreground_service_type=_foreground_types(el.attr("foregroundServiceType")),
            )
        )
    return tuple(found)


def _exported(el: Element, kind: ComponentKind, has_filter: bool, target: int | None) -> bool:
    explicit = _bool(el.attr("exported"))
    if explicit is not None:
        return explicit
    if kind is ComponentKind.PROVIDER:
        return target is not None and target < 17
    return has_filter


def _intent_filter(el: Element) -> IntentFilter:
    data = list(el.iter("data"))
    return IntentFilter(
        actions=_names(el, "action"),
        categories=_names(el, "category"),
        data_schemes=tuple([s for d in data if (s := d.get("scheme"))]),
        data_hosts=tuple([h for d in data if (h := d.get("host"))]),
        priority=_int(el.attr("priority")),
    )


def _names(el: Element, tag: str) -> tuple[str, ...]:
    return tuple([n for child in el.iter(tag) if (n := child.get("name"))])


def _meta_data(el: Element, res: _Resources) -> MetaData:
    resource = el.attr("resource")
    path = None
    if resource is not None:
        ref = resource.reference
        path = res.resolve(ref) if ref is not None else None
        path = path or resource.text
    return MetaData(name=el.get("name") or "", value=res.text(el.attr("value")), resource=path)


def _foreground_types(attr: Attribute | None) -> str | None:
    """Flag names joined by ``|`` as written in the source manifest (``location|camera``)."""
    flags = _int(attr)
    if flags is None:
        return None if attr is None else attr.text
    if flags in (-1, 0xFFFFFFFF):
        return "manifest"
    names = [n for bit, n in enumerate(_FOREGROUND_TYPES) if flags & (1 << bit)]
    if flags & _SPECIAL_USE:
        names.append("specialUse")
    known = sum(1 << i for i in range(len(_FOREGROUND_TYPES))) | _SPECIAL_USE
    if flags & ~known:
        names.append(f"0x{flags & ~known:x}")
    return "|".join(names) if names else "none"


def _configs(
    apk: ApkZip, components: tuple[Component, ...], problems: list[str]
) -> tuple[XmlConfig, ...]:
    paths = dict.fromkeys(
        m.resource
        for c in components
        for m in c.meta_data
        if m.resource and m.resource.endswith(".xml") and m.resource in apk
    )
    configs: list[XmlConfig] = []
    for path in list(paths)[:MAX_CONFIGS]:
        try:
            doc = parse_axml(apk.read(path, limit=CONFIG_LIMIT), name=path, path=apk.path)
        except ApkError as e:
            problems.append(f"{path} could not be read: {_plain(e, apk)}")
            continue
        problems.extend(doc.problems)
        configs.append(_config(path, doc.root))
    return tuple(configs)


def _config(path: str, root: Element) -> XmlConfig:
    children: dict[str, None] = {}
    pending = list(reversed(root.children))
    while pending:
        el = pending.pop()
        children.setdefault(el.tag)
        pending.extend(reversed(el.children))
    return XmlConfig(
        path=path,
        attributes=tuple((a.name, a.text) for a in root.attributes),
        children=tuple(children),
    )
