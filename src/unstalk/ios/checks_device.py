"""Checks of the whole iPhone: each a small generator over :class:`~unstalk.ios.detect.IosFacts`.

Configuration profiles can give someone else a view of the phone without any
app: a root certificate lets a server read encrypted traffic, a VPN or a global
proxy routes the traffic through a server, and MDM enrolment lets an
organisation manage the phone. Wi-Fi sync lets a computer the phone trusts take
backups over the network, with nobody touching the phone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from unstalk.ios.checks_app import SAFETY
from unstalk.ios.detect import Evidence, IosFacts, IosFinding
from unstalk.ios.model import Profile, ProfilePayload
from unstalk.models import Severity

DeviceCheck = Callable[[IosFacts], Iterator[IosFinding]]

ROOT_CA = "com.apple.security.root"
MDM = "com.apple.mdm"
_REMOVE_PROFILE = (
    "To see it, open Settings > General > VPN & Device Management. If the person does not "
    "know it, talk with an advocate before removing it: removing it can alert whoever "
    "installed it."
)


def _finding(
    check: str, severity: Severity, title: str, explanation: str, *evidence: Evidence
) -> IosFinding:
    return IosFinding(f"ios.device.{check}", severity, title, explanation, evidence)


def _name(profile: Profile) -> str:
    name = profile.display_name or profile.identifier
    return f"'{name}' from {profile.organisation}" if profile.organisation else f"'{name}'"


def _payloads(facts: IosFacts, types: frozenset[str]) -> Iterator[tuple[Profile, ProfilePayload]]:
    for profile in facts.acquisition.profiles.value or ():
        for payload in profile.payloads:
            if payload.type in types:
                yield profile, payload


def _evidence(facts: IosFacts, profile: Profile, payload: ProfilePayload) -> Evidence:
    details = ", ".join(f"{key}={value}" for key, value in payload.details)
    value = f"{profile.display_name or profile.identifier}: {payload.type}"
    if profile.organisation:
        value += f" (organisation {profile.organisation})"
    return Evidence(
        profile.source or facts.acquisition.profiles.source,
        "profiles",
        f"{value}; {details}" if details else value,
    )


def check_root_ca(facts: IosFacts) -> Iterator[IosFinding]:
    """A profile installs a root certificate the phone will trust."""
    for profile, payload in _payloads(facts, frozenset({ROOT_CA})):
        yield _finding(
            "root-certificate",
            Severity.HIGH,
            f"A profile adds a trusted root certificate: {_name(profile)}",
            "With a root certificate it trusts, the phone accepts a server that pretends to be "
            "any web site or app server, so whoever runs that server can read traffic that "
            "is otherwise encrypted: messages, passwords, browsing. Schools and employers "
            f"sometimes install one on their own phones. {_REMOVE_PROFILE}",
            _evidence(facts, profile, payload),
        )


_ROUTES: dict[str, tuple[Severity, str]] = {
    "com.apple.proxy.http.global": (Severity.HIGH, "a global web proxy"),
    "com.apple.vpn.managed": (Severity.MEDIUM, "a VPN"),
    "com.apple.vpn.managed.applayer": (Severity.MEDIUM, "a per-app VPN"),
    "com.apple.dnsSettings.managed": (Severity.MEDIUM, "encrypted DNS settings"),
    "com.apple.webcontent-filter": (Severity.MEDIUM, "a web content filter"),
}


def check_traffic_routing(facts: IosFacts) -> Iterator[IosFinding]:
    """A profile sends traffic, names looked up or web pages through someone's server."""
    for profile, payload in _payloads(facts, frozenset(_ROUTES)):
        severity, what = _ROUTES[payload.type]
        yield _finding(
            "traffic-routing",
            severity,
            f"A profile sets up {what}: {_name(profile)}",
            f"The profile sets up {what}, so the phone's traffic (or the web sites it visits) "
            "goes through a server someone else chose. Whoever runs that server can see which "
            "sites and services the phone uses, and more when a root certificate is installed "
            "too. Some are expected (a work VPN, a privacy app the person chose): ask whether "
            f"the person set this one up. {_REMOVE_PROFILE}",
            _evidence(facts, profile, payload),
        )


def check_mdm(facts: IosFacts) -> Iterator[IosFinding]:
    """The phone is enrolled in mobile device management (MDM)."""
    for profile, payload in _payloads(facts, frozenset({MDM})):
        yield _finding(
            "mdm",
            Severity.HIGH,
            f"The phone is managed remotely (MDM): {_name(profile)}",
            "Mobile device management lets an organisation install and remove apps, change "
            "settings, see the list of apps and, on phones it supervises, much more. A work or "
            "school phone normally has it: if the person recognises the organisation, this is "
            f"expected. If not, someone may be managing the phone. {_REMOVE_PROFILE}",
            _evidence(facts, profile, payload),
        )


def check_wifi_sync(facts: IosFacts) -> Iterator[IosFinding]:
    """The phone offers itself for backups and sync over Wi-Fi."""
    wifi = facts.acquisition.wifi_sync
    if wifi.value is not True:
        return
    yield _finding(
        "wifi-sync",
        Severity.MEDIUM,
        "Wi-Fi sync is on",
        "A computer this iPhone trusts can back it up over Wi-Fi whenever both are on the same "
        "network, without touching the phone. Backups hold messages, photos, notes, browsing "
        "history and location history. If someone else once synced the phone with their "
        "computer, they can keep taking backups. To turn it off, connect the phone to a "
        "computer you trust and untick 'Show this iPhone when on Wi-Fi' in Finder or iTunes. "
        "To make the phone forget every computer it trusts, open Settings > General > "
        "Transfer or Reset iPhone > Reset > Reset Location & Privacy. Doing this can be "
        "noticed by whoever synced the phone: plan it with an advocate.",
        Evidence(wifi.source, "wifi_sync", "EnableWifiConnections=true"),
    )


def check_jailbreak(facts: IosFacts) -> Iterator[IosFinding]:
    """Files, apps or settings that only a jailbroken phone has."""
    traces = facts.acquisition.jailbreak.value or ()
    if not traces:
        return
    tools = sorted({t.tool for t in traces if t.tool})
    named = f" ({', '.join(tools)})" if tools else ""
    yield _finding(
        "jailbreak",
        Severity.HIGH,
        f"Signs that the phone is or was jailbroken{named}",
        "A jailbreak removes the iPhone's protections, and most iPhone spyware that reads "
        "messages needs one. If the person did not jailbreak the phone, someone else may "
        f"have. Updating iOS or restoring the phone removes a jailbreak. {SAFETY}",
        *(Evidence(t.source, "jailbreak", t.what) for t in traces),
    )


CHECKS: tuple[DeviceCheck, ...] = (
    check_root_ca,
    check_traffic_routing,
    check_mdm,
    check_wifi_sync,
    check_jailbreak,
)
