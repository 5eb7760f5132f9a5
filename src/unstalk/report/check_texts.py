"""The English sentences the checks write, as templates the catalogs translate.

The checks (``unstalk.android``, ``unstalk.netcap``) write their findings and
limits in English. Each template below is one of those sentences with the names
in it replaced by ``{placeholders}``; :func:`unstalk.report.texts.say` matches a
check's sentence against them and, in another language, fills the translated
template with the same names. A sentence that matches no template stays in
English (the HTML marks it ``lang="en"``). ``tests/report/test_texts.py`` holds
the checks' own constants against this list, so a reworded check shows up there.
"""

from __future__ import annotations

from unstalk.report.criteria_texts import CRITERIA_TEMPLATES, CRITERIA_WORDS
from unstalk.report.i18n import N_
from unstalk.report.ios_texts import IOS_TEMPLATES, IOS_WORDS

ANDROID_TITLES = (
    N_("Known stalkerware ({family})"),
    N_("Known monitoring app (watchware, {family})"),
    N_("Installed from outside an app store"),
    N_("Can read the screen and what is typed"),
    N_("Is a device administrator"),
    N_("Manages the whole phone (device owner)"),
    N_("Manages a work profile (profile owner)"),
    N_("Can read every notification"),
    N_("Has no icon in the app list"),
    N_("Looks like part of the system"),
    N_("Is allowed to reach much of the person's life"),
    N_("Used {uses} in the last {days} days"),
    N_("Apps from unknown sources may be installed"),
    N_("Some apps may install other apps: {apps}"),
    N_("Google Play Protect does not scan apps"),
    N_("Apps installed over USB are not scanned"),
    N_("Developer options and USB debugging are on: turn them off after the check"),
    N_("Wireless debugging is on"),
    N_("The phone shows signs of being rooted"),
    N_("Security updates are more than a year old (patch level {patch})"),
    N_("An accessibility service calls itself {labels}"),
)

ANDROID_EXPLANATIONS = (
    N_(
        "Its accessibility service is switched on. An accessibility service sees everything on "
        "the screen and every key typed, and can press buttons. Screen readers and some "
        "password managers need this; stalkerware uses it to copy messages and passwords. If "
        "the person does not use it, look in Settings > Accessibility."
    ),
    N_(
        "It is an active device administrator: it can lock the phone, and it cannot be "
        "uninstalled until it is switched off in Settings > Security > Device admin apps. Work "
        "and anti-theft apps use this; stalkerware uses it to resist removal."
    ),
    N_(
        "It may read every notification, message previews included. Smartwatch and car apps "
        "need this; stalkerware uses it to copy messages. The list of these apps is in Settings "
        "> Notifications > Notification access (Device and app notifications)."
    ),
    N_(
        "It has no icon of its own in the app list, so it can run unseen. Screen readers, "
        "keyboards and watch companions often have none; stalkerware hides this way. From "
        "Android 10 the phone may show a stand-in icon that opens the app's settings page."
    ),
    N_(
        "The phone's app verifier is switched off, so apps installed from files are not "
        "checked. People who plant stalkerware switch it off first. Switch it on in the "
        "Play Store: profile picture > Play Protect > settings > 'Scan apps with Play "
        "Protect'."
    ),
    N_(
        "This check needs USB debugging, so it is on now. Left on, anyone holding the "
        "unlocked phone can install apps from a computer. When the check is done, switch "
        "off 'USB debugging' and 'Developer options' in Settings > System."
    ),
    N_(
        "Rooting removes Android's protections: an app with root access can read every "
        "other app's data and hide from these checks. If the person did not root the phone "
        "themselves, someone else may have. Keep the evidence, then ask an advocate or a "
        "technician about restoring the phone's original software."
    ),
    N_(
        "The indicator feed lists this app's {kinds} as {family}, overt monitoring (parental "
        "control, family location or employee monitoring). Such apps are meant to be visible and "
        "agreed to: check that the person using the phone knows about it and agreed to it."
    ),
    N_(
        "Android records when each app last used these. Apps the person uses every day "
        "(messaging, maps) do this too; an app nobody opens that uses the microphone or the "
        "location deserves a closer look."
    ),
    N_(
        "A running accessibility service uses a name made of system words. Android's own "
        "services have names such as 'TalkBack'; stalkerware takes names like 'System "
        "Service' so nobody switches it off. Its app is among: {apps}."
    ),
    N_(
        "A device owner controls the phone completely: it can install apps, watch network "
        "traffic and set rules the person cannot change. Company phones are set up this way; "
        "on a personal phone it needs a closer look."
    ),
    N_(
        "It manages a separate work profile. Employers set this up on phones used for work; "
        "it sees the work profile's apps and data. Ask whether the person knows whose it is."
    ),
    N_(
        "It was installed from an APK file through {installer}, not from an app store. That is "
        "how stalkerware is usually installed, though many harmless apps are installed this way "
        "too. Ask whether the person installed it themselves."
    ),
    N_(
        "It was installed by {installer}, which is not a known app store. Ask whether the "
        "person installed it themselves."
    ),
    N_(
        "The phone recorded no installer: it was installed over a USB cable with adb, or in a "
        "way that left no trace. Some phone makers preinstall apps this way. Ask whether the "
        "person installed it themselves."
    ),
    N_(
        "It has been allowed to use {groups}. Together these let an app follow where the person "
        "is, whom they talk to and what they say."
    ),
    N_(
        "Apps installed from a computer over USB skip the app verifier. Switch 'Verify apps "
        "over USB' back on in Settings > System > Developer options."
    ),
    N_(
        "Someone on the same Wi-Fi network who paired a computer with this phone can "
        "install apps and read data without touching it. Switch off 'Wireless debugging' "
        "in Settings > System > Developer options."
    ),
    N_(
        "The phone has missed more than a year of security fixes, so known weaknesses may "
        "be used to install monitoring software. Install updates in Settings > System > "
        "Software update, or consider a phone that still gets them."
    ),
    N_(
        "These apps were allowed to install apps from files, outside any app store: that "
        "is how stalkerware is installed, often from a browser. Unless the person needs it, "
        "switch it off in Settings > Apps > Special app access > Install unknown apps."
    ),
    N_(
        "The phone allows installing apps from files, outside any app store: this "
        "is how stalkerware is installed. Unless the person needs it, switch off "
        "'Unknown sources' in Settings > Security."
    ),
    N_(
        "The indicator feed lists this app's {kinds} as {family}, stalkerware: it lets "
        "someone else secretly watch this phone. Before removing it, talk with an advocate "
        "about safety: removing it can alert the person who installed it, and the app and this "
        "report are evidence."
    ),
)

NETWORK_SUMMARIES = (
    N_(
        "{value} is a server the stalkerware {family} reports to: the app may be running on "
        "this phone."
    ),
    N_("{value} is where the stalkerware {family} is downloaded from."),
    N_("{value} is the website of the stalkerware {family}."),
    N_("{value} is listed as a server of the stalkerware {family}."),
    N_(
        "{value} belongs to {family}, a monitoring app that is not hidden from the phone's "
        "user (watchware)."
    ),
    N_(
        "{value} is a server the stalkerware {family} reports to: the app may be running on "
        "this phone (under the listed {listed})."
    ),
    N_("{value} is listed as a server of the stalkerware {family} (under the listed {listed})."),
    N_(
        "Unencrypted web (HTTP) requests to {host}: anyone on the network path can read what "
        "is sent."
    ),
    N_(
        "Unencrypted web (HTTP) requests to {host}: a connectivity or certificate check, "
        "unencrypted by design."
    ),
    N_(
        "Encrypted (TLS) connections to {target} on port {port}, which is not a usual port for "
        "that."
    ),
    N_("Traffic to {target} on {transport} port {port}, a port phones rarely use."),
    N_(
        "Contact with the encrypted-DNS service {name} (DNS over HTTPS): names looked up "
        "through it are hidden from this check."
    ),
    N_(
        "The encrypted-DNS service {name} was looked up; it may be used to hide the names an "
        "app looks up."
    ),
    N_(
        "Encrypted DNS (DNS over TLS, port 853) to {target}, as Android's Private DNS does: "
        "names looked up through it are hidden from this check."
    ),
    N_(
        "{name} is a free dynamic-DNS or tunnel name (under {suffix}): cheap spyware often "
        "reports to servers like this."
    ),
    N_("{name} is under .{tld}, a top-level domain common among throw-away servers."),
    N_(
        "Traffic to {server} without any host name (no DNS answer, TLS SNI or HTTP Host named "
        "it): an app may have the address built in."
    ),
    N_(
        "Regular check-ins with {target}: {bursts} bursts of traffic about every {seconds} "
        "seconds, as an app reporting on a timer does."
    ),
)

LIMITS = (
    # unstalk.android.check.LIMITS
    N_(
        "Indicators only know stalkerware that researchers have already found and listed; a new "
        "or renamed app is not in the feed."
    ),
    N_(
        "The checks read what Android reports about apps and settings: they cannot see inside "
        "apps that were not pulled, what an app has already sent away, or monitoring done "
        "through accounts (a shared Google or iCloud account, a linked messaging app)."
    ),
    N_("A phone with root access can hide apps and settings from these checks."),
    N_(
        "Signing certificates were not compared with the feed: this acquisition does not "
        "carry them (pull the APKs, or import an AndroidQF acquisition)."
    ),
    N_(
        "No APK was pulled, so the apps' code was not analysed; verdicts rest on what the "
        "phone reports (use --pull-apks to analyse third-party apps)."
    ),
    N_("The pulled APKs were matched by file hash only; their code was not analysed."),
    N_("When the acquisition was made is unknown, so recent app activity was not checked."),
    # unstalk.netcap.detect.ALWAYS_LIMITS
    N_(
        "Only servers listed in the indicator feed are recognised as stalkerware: a new or "
        "unlisted server is not."
    ),
    N_(
        "What is sent is encrypted and not read: the checks use host names (DNS, TLS and QUIC "
        "server names, HTTP Host) and addresses."
    ),
    N_(
        "Only what the phone sent during the capture is checked: an app that stayed silent then "
        "is not seen. Capture for longer, while the phone is in use, to see more."
    ),
    N_("Heuristic findings are things to review, not proof: ordinary apps do these things too."),
    # unstalk.netcap
    N_("The capture holds no packets: nothing could be checked."),
    N_("No connections were seen in this capture."),
    N_(
        "No DNS lookups were seen (the phone may use encrypted DNS, or looked the names up "
        "before the capture started): some connections may have no name."
    ),
    N_(
        "The phone used encrypted DNS: the names it looked up through it are hidden, so "
        "connections are named only by TLS or QUIC server names and HTTP Host."
    ),
    N_(
        "{count} connection(s) to internet addresses had no name: only their addresses were "
        "checked."
    ),
    N_("{count} TLS or QUIC handshake(s) carried no server name (hidden or absent)."),
    N_(
        "The capture covers only {seconds} seconds: stalkerware may report every few minutes "
        "or less often, so capture for at least 10 minutes."
    ),
    # unstalk.apk.analyse
    N_(
        "These checks read the app without running it: they cannot see code it downloads later, "
        "how it is set up on a given phone, or what it has already collected."
    ),
)

CHECKED_APPS = N_("{apps} apps on the phone, each judged against the coalition's criteria.")
CHECKED_DEVICE = N_(
    "The phone's settings, device administrators, accessibility services and notification access."
)
CHECKED_CAPTURE = N_(
    "{packets} packets in {path}: {flows} connections, {dns} DNS messages, {tls} TLS or QUIC "
    "handshakes, {http} web (HTTP) requests."
)
CHECKED_APK = N_(
    "The app file {path}: its manifest, signatures and code, against the indicator feed."
)
UNREADABLE = N_("The check could not read this file: {reason}")
NETWORK_TITLES = {
    "feed-match": N_("Traffic to a known stalkerware server ({family})"),
    "watchware-match": N_("Traffic of a known monitoring app (watchware, {family})"),
    "cleartext-http": N_("Unencrypted web traffic"),
    "tls-unusual-port": N_("Encrypted traffic on an unusual port"),
    "unusual-port": N_("Traffic on a port phones rarely use"),
    "encrypted-dns": N_("Encrypted DNS"),
    "dynamic-dns": N_("A free dynamic-DNS or tunnel name"),
    "suspicious-tld": N_("An unusual top-level domain"),
    "address-without-name": N_("Traffic to an address without a name"),
    "beaconing": N_("Regular check-ins (beaconing)"),
}
APK_TITLES = {
    "stalkerware": N_("Known stalkerware ({family})"),
    "watchware": N_("Known monitoring app (watchware, {family})"),
    "suspicious": N_("Can do what stalkerware does: needs a closer look"),
}
REPORT_SENTENCES = (
    CHECKED_APPS,
    CHECKED_DEVICE,
    CHECKED_CAPTURE,
    CHECKED_APK,
    UNREADABLE,
    *NETWORK_TITLES.values(),
    *APK_TITLES.values(),
)

WORDS = (
    N_("package name"),
    N_("signing certificate"),
    N_("APK file hash"),
    N_("package name and signing certificate"),
    *IOS_WORDS,
    *CRITERIA_WORDS,
)
"""Words the checks put inside their sentences, translated when they fill a placeholder."""

TEMPLATES = (
    *ANDROID_TITLES,
    *ANDROID_EXPLANATIONS,
    *NETWORK_SUMMARIES,
    *LIMITS,
    *REPORT_SENTENCES,
    *IOS_TEMPLATES,
    *CRITERIA_TEMPLATES,
    *WORDS,
)
