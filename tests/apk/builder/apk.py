"""Synthetic app specifications and the APK builder that turns one into a signed APK.

A :class:`SyntheticApp` says what an app declares (manifest, XML configs, dex strings) and
how it is signed. :func:`build_apk` compiles the manifest and configs to binary XML, writes
resources.arsc and the dex files, zips them (stored entries aligned) and signs the result
with the requested schemes. Nothing here is executable code: manifests and strings only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.apk.builder.arsc_writer import ResourceTable
from tests.apk.builder.axml_writer import AttrValue, Element, HexInt, Ref, el, encode_xml
from tests.apk.builder.dex_writer import encode_dex
from tests.apk.builder.keys import SigningKey, load_key
from tests.apk.builder.signer import add_signing_block, jar_signature_files
from tests.apk.builder.zip_writer import ZipEntry, write_zip

SCHEMES = ("v1", "v2", "v3")
COMPONENT_KINDS = ("activity", "activity-alias", "service", "receiver", "provider")


@dataclass(frozen=True, slots=True)
class IntentFilterSpec:
    actions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    priority: int | None = None
    data_schemes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MetaDataSpec:
    """``<meta-data>``: a plain ``value``, or ``xml`` naming one of the app's XML configs."""

    name: str
    value: str | None = None
    xml: str | None = None


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    kind: str
    """One of :data:`COMPONENT_KINDS`."""
    name: str
    """Written as given: fully qualified, or ``.Relative`` to test name resolution."""
    exported: bool | None = None
    """None leaves the attribute out (Android then decides from the intent filters)."""
    enabled: bool | None = None
    permission: str | None = None
    intent_filters: tuple[IntentFilterSpec, ...] = ()
    meta_data: tuple[MetaDataSpec, ...] = ()
    target_activity: str | None = None
    foreground_service_type: int | None = None
    """Flags as in the platform: location 0x8, microphone 0x80 ..."""


@dataclass(frozen=True, slots=True)
class SyntheticApp:
    """Everything one synthetic APK declares and how it is signed."""

    package: str
    label: str
    version_code: int
    version_name: str
    permissions: tuple[str, ...] = ()
    components: tuple[ComponentSpec, ...] = ()
    dex_strings: tuple[str, ...] = ()
    extra_dex: tuple[tuple[str, ...], ...] = ()
    """String tables of classes2.dex, classes3.dex ... (multidex)."""
    xml_configs: tuple[tuple[str, Element], ...] = ()
    """(resource key, root element): compiled to res/xml/KEY.xml and listed as @xml/KEY."""
    schemes: tuple[str, ...] = ("v1", "v2")
    """Subset of :data:`SCHEMES`. apksigner judges v1 only when ``min_sdk`` < 24, wants v2+
    when ``target_sdk`` >= 30, and accepts v3 alone only when ``min_sdk`` >= 28."""
    key: str = "rsa-a"
    """Name of a committed test key (see keys.TEST_KEYS)."""
    min_sdk: int = 24
    target_sdk: int = 33
    utf8_strings: bool = False
    """Write the manifest's string pool in UTF-8 instead of UTF-16."""
    blank_attribute_names: bool = False
    """Blank android:* attribute names in the manifest pool (resolved by resource id)."""
    label_from_resources: bool = True
    """Label as ``@string/app_name`` in resources.arsc rather than an inline string."""
    models: str = ""
    """The behaviour this app models, in a sentence or two (documentation)."""

    @property
    def signing_key(self) -> SigningKey:
        return load_key(self.key)

    @property
    def file_name(self) -> str:
        return f"{self.package}.apk"


def _attrs(pairs: Mapping[str, AttrValue | None]) -> dict[str, AttrValue]:
    return {name: value for name, value in pairs.items() if value is not None}


def _intent_filter(spec: IntentFilterSpec) -> Element:
    children = [el("action", {"android:name": a}) for a in spec.actions]
    children += [el("category", {"android:name": c}) for c in spec.categories]
    children += [el("data", {"android:scheme": s}) for s in spec.data_schemes]
    return el("intent-filter", _attrs({"android:priority": spec.priority}), *children)


def _component(spec: ComponentSpec, xml_refs: Mapping[str, Ref]) -> Element:
    if spec.kind not in COMPONENT_KINDS:
        raise ValueError(f"unknown component kind {spec.kind!r}")
    fgs = spec.foreground_service_type
    attrs = _attrs(
        {
            "android:name": spec.name,
            "android:exported": spec.exported,
            "android:enabled": spec.enabled,
            "android:permission": spec.permission,
            "android:targetActivity": spec.target_activity,
            "android:foregroundServiceType": HexInt(fgs) if fgs is not None else None,
        }
    )
    meta = [
        el(
            "meta-data",
            _attrs(
                {
                    "android:name": m.name,
                    "android:value": m.value,
                    "android:resource": xml_refs[m.xml] if m.xml else None,
                }
            ),
        )
        for m in spec.meta_data
    ]
    filters = [_intent_filter(f) for f in spec.intent_filters]
    return el(spec.kind, attrs, *filters, *meta)


def manifest_element(app: SyntheticApp, label: AttrValue, xml_refs: Mapping[str, Ref]) -> Element:
    """The AndroidManifest.xml tree of ``app`` (before binary encoding)."""
    return el(
        "manifest",
        {
            "android:versionCode": app.version_code,
            "android:versionName": app.version_name,
            "package": app.package,
        },
        el(
            "uses-sdk",
            {"android:minSdkVersion": app.min_sdk, "android:targetSdkVersion": app.target_sdk},
        ),
        *(el("uses-permission", {"android:name": p}) for p in app.permissions),
        el(
            "application",
            {"android:label": label, "android:allowBackup": False},
            *(_component(c, xml_refs) for c in app.components),
        ),
    )


def _contents(app: SyntheticApp) -> list[ZipEntry]:
    """Every entry of the unsigned APK, in archive order."""
    resources = ResourceTable(app.package)
    # Added even for inline labels: real apps always have resources, and aapt only prints
    # a label for the configurations (locales) its resource table has.
    label_ref = resources.add_string("app_name", app.label)
    label: AttrValue = label_ref if app.label_from_resources else app.label
    xml_refs = {key: resources.add_xml(key, f"res/xml/{key}.xml") for key, _ in app.xml_configs}
    manifest = encode_xml(
        manifest_element(app, label, xml_refs),
        utf8=app.utf8_strings,
        blank_attribute_names=app.blank_attribute_names,
    )
    entries = [ZipEntry("AndroidManifest.xml", manifest)]
    for number, strings in enumerate((app.dex_strings, *app.extra_dex), start=1):
        name = "classes.dex" if number == 1 else f"classes{number}.dex"
        entries.append(ZipEntry(name, encode_dex(strings)))
    entries += [
        ZipEntry(f"res/xml/{key}.xml", encode_xml(root, utf8=True)) for key, root in app.xml_configs
    ]
    # Stored, as Android 11+ requires of resources.arsc, so alignment matters.
    entries.append(ZipEntry("resources.arsc", resources.encode(), compress=False))
    return entries


def build_apk(app: SyntheticApp) -> bytes:
    """Build and sign ``app``; return the APK's bytes."""
    unknown = set(app.schemes) - set(SCHEMES)
    if unknown or not app.schemes:
        raise ValueError(f"{app.package}: schemes must be a non-empty subset of {SCHEMES}")
    key = app.signing_key
    entries = _contents(app)
    if "v1" in app.schemes:
        newer = [int(s[1:]) for s in app.schemes if s != "v1"]
        signature = jar_signature_files([(e.name, e.data) for e in entries], key, apk_schemes=newer)
        entries += [ZipEntry(name, data) for name, data in signature]
    apk = write_zip(entries)
    if "v2" in app.schemes or "v3" in app.schemes:
        apk = add_signing_block(apk, key, v2="v2" in app.schemes, v3="v3" in app.schemes)
    return apk


def write_apk(app: SyntheticApp, folder: Path) -> Path:
    """Build ``app`` into ``folder/PACKAGE.apk`` and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / app.file_name
    path.write_bytes(build_apk(app))
    return path
