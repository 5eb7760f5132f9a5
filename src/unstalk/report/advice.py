"""What a finding means for the person, what to do and what not to do, by finding code.

Adapters fill :class:`~unstalk.report.model.ReportFinding`'s ``meaning``, ``do``
and ``dont`` from :func:`advice_for` in English; renderers translate the same
texts through the catalogs. The advice errs towards safety: nothing is removed,
reset or confronted before a safety plan is made with an advocate.
"""

from __future__ import annotations

from dataclasses import dataclass

from unstalk.report.i18n import N_


@dataclass(frozen=True, slots=True)
class Advice:
    meaning: str
    do: tuple[str, ...]
    dont: tuple[str, ...]


_DONT_REMOVE = N_(
    "Do not remove the app, reset the phone or change passwords yet: the person who installed "
    "it may notice, and the evidence would be lost."
)
_DONT_CONFRONT = N_("Do not confront the person you suspect.")
_ASK = N_("Ask the person whether they installed this app themselves and use it.")
_PLAN = N_(
    "If nobody knows the app, talk with an advocate and make a safety plan before changing "
    "anything."
)

STALKERWARE = Advice(
    N_(
        "Someone else may be able to see this person's messages, calls, photos or location "
        "without their knowledge."
    ),
    (
        N_("Keep this report and leave the phone as it is for now: both are evidence."),
        N_("Talk with an advocate and make a safety plan before doing anything about the app."),
        N_("If you are in danger now, call your local emergency number."),
    ),
    (_DONT_REMOVE, _DONT_CONFRONT),
)
WATCHWARE = Advice(
    N_(
        "A monitoring app that is meant to be visible, such as parental control or employee "
        "monitoring. It is not hidden, but it can still be used to watch someone who did not "
        "agree."
    ),
    (
        N_("Check that the person using the phone knows about this app and agreed to it."),
        N_("If they did not, treat it like stalkerware and talk with an advocate first."),
    ),
    (_DONT_REMOVE,),
)
PRIVILEGE = Advice(
    N_(
        "This app has a power that stalkerware relies on. Many useful apps have it too, so this "
        "is a reason to look closer, not proof of spying."
    ),
    (_ASK, _PLAN),
    (N_("Do not remove or switch off the app before making a safety plan."),),
)
SIDELOADED = Advice(
    N_(
        "The app did not come from an app store. Stalkerware is installed this way, and so are "
        "many ordinary apps."
    ),
    (_ASK,),
    (N_("Do not remove or switch off the app before making a safety plan."),),
)
SETTING = Advice(
    N_("A setting of the phone makes it easier to install monitoring software or to hide it."),
    (N_("Change the setting as explained above once it is safe to do so."),),
    (
        N_(
            "Do not change settings while the person who set up the phone could notice and "
            "react: make a plan first."
        ),
    ),
)
ROOT = Advice(
    N_(
        "The phone's own protections have been removed, so monitoring software could hide from "
        "any check, this one included."
    ),
    (
        N_("Keep this report as evidence."),
        N_("Ask an advocate or a trusted technician about restoring the phone's software."),
    ),
    (_DONT_REMOVE,),
)
TRAFFIC = Advice(
    N_(
        "A pattern in the traffic that stalkerware often shows, but ordinary apps show it too. "
        "It is a reason to look closer, not proof."
    ),
    (N_("Find out which app made this traffic: check the phone's apps as well."),),
    (N_("Do not conclude from this alone that the phone is being watched."),),
)
SUSPICIOUS_APP = Advice(
    N_(
        "No indicator lists this app, but it can do things stalkerware does. It may be a "
        "legitimate app with powerful features, or monitoring software nobody has listed yet."
    ),
    (N_("Find out where the app came from and what it is for."),),
    (N_("Do not install it on a phone to try it out."),),
)

OUTSIDE_APP_STORE = Advice(
    N_(
        "The app was installed without the App Store, with a certificate the phone was made to "
        "trust. Work and school apps come this way; so do most iPhone spy apps that need no "
        "jailbreak."
    ),
    (
        _ASK,
        N_(
            "If nobody knows it, note the certificate's name in Settings > General > VPN & "
            "Device Management, and make a safety plan with an advocate before changing anything."
        ),
    ),
    (N_("Do not remove the app or its certificate before making a safety plan."),),
)
BETA_APP = Advice(
    N_(
        "A test version of an app, installed by invitation. Apple checks these less than App "
        "Store apps, and someone with the phone in hand can accept the invitation."
    ),
    (_ASK,),
    (N_("Do not remove or switch off the app before making a safety plan."),),
)
PROFILE = Advice(
    N_(
        "A configuration profile lets whoever made it see or steer part of what the phone does, "
        "without any app. Work and school phones often have one; on a personal phone it needs a "
        "closer look."
    ),
    (
        N_(
            "Ask the person whether they know the organisation behind the profile and agreed to it."
        ),
        N_("If they do not, talk with an advocate and make a safety plan before removing it."),
    ),
    (N_("Do not remove the profile yet: whoever installed it may notice, and it is evidence."),),
)
WIFI_SYNC = Advice(
    N_(
        "A computer the phone once trusted may copy its messages, photos and history over Wi-Fi, "
        "without anyone touching the phone."
    ),
    (
        N_("Find out which computers the phone has been synced with, and whose they are."),
        N_(
            "Plan with an advocate before turning Wi-Fi sync off or making the phone forget the "
            "computers it trusts, as explained above."
        ),
    ),
    SETTING.dont,
)

_BY_CODE = {
    "android.app.feed-match": STALKERWARE,
    "android.app.watchware-match": WATCHWARE,
    "network.feed-match": STALKERWARE,
    "network.watchware-match": WATCHWARE,
    "apk.stalkerware": STALKERWARE,
    "apk.watchware": WATCHWARE,
    "apk.suspicious": SUSPICIOUS_APP,
    "android.app.sideloaded": SIDELOADED,
    "android.device.root": ROOT,
    "android.device.accessibility-name": PRIVILEGE,
    "ios.app.feed-match": STALKERWARE,
    "ios.app.watchware-match": WATCHWARE,
    "ios.app.outside-app-store": OUTSIDE_APP_STORE,
    "ios.app.testflight": BETA_APP,
    "ios.app.jailbreak-app": ROOT,
    "ios.app.trollstore": PRIVILEGE,
    "ios.device.root-certificate": PROFILE,
    "ios.device.traffic-routing": PROFILE,
    "ios.device.mdm": PROFILE,
    "ios.device.wifi-sync": WIFI_SYNC,
    "ios.device.jailbreak": ROOT,
}
_BY_PREFIX = (
    ("android.app.", PRIVILEGE),
    ("android.device.", SETTING),
    ("ios.app.", PRIVILEGE),
    ("ios.device.", SETTING),
    ("network.", TRAFFIC),
)


def advice_for(code: str) -> Advice | None:
    """The advice for a finding code, or ``None`` for a code no table knows."""
    known = _BY_CODE.get(code)
    if known is not None:
        return known
    return next((advice for prefix, advice in _BY_PREFIX if code.startswith(prefix)), None)
