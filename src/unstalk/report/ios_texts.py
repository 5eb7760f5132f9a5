"""The English sentences the iPhone check writes, as templates the catalogs translate.

Kept apart from :mod:`unstalk.report.check_texts` (which gathers them into its
``TEMPLATES``) only for size. Each is a sentence of :mod:`unstalk.ios` with the
names in it replaced by ``{placeholders}``; ``tests/report/test_ios.py`` holds
the iPhone check's own constants and findings against these, so a reworded
check shows up there.
"""

from __future__ import annotations

from unstalk.report.i18n import N_

IOS_TITLES = (
    N_("Installed from outside the App Store"),
    N_("Beta app from TestFlight"),
    N_("Jailbreak app ({tool})"),
    N_("App installer outside the App Store ({helper})"),
    # A profile named with its organisation first: the shorter form would not match it.
    N_("A profile adds a trusted root certificate: '{profile}' from {organisation}"),
    N_("A profile adds a trusted root certificate: '{profile}'"),
    N_("A profile sets up {what}: '{profile}' from {organisation}"),
    N_("A profile sets up {what}: '{profile}'"),
    N_("The phone is managed remotely (MDM): '{profile}' from {organisation}"),
    N_("The phone is managed remotely (MDM): '{profile}'"),
    N_("Wi-Fi sync is on"),
    N_("Signs that the phone is or was jailbroken ({tools})"),
    N_("Signs that the phone is or was jailbroken"),
)

IOS_WORDS = (
    N_("a global web proxy"),
    N_("a VPN"),
    N_("a per-app VPN"),
    N_("encrypted DNS settings"),
    N_("a web content filter"),
)
"""What a profile sets up, as the traffic-routing finding names it."""

IOS_EXPLANATIONS = (
    N_(
        "The indicator feed lists this app as {family}, overt monitoring (parental control, "
        "family location or employee monitoring). Such apps are meant to be visible and agreed "
        "to: check that the person using the phone knows about it and agreed to it."
    ),
    N_(
        "The indicator feed lists this app as {family}, stalkerware: it lets someone else "
        "secretly watch this phone. Before removing it, talk with an advocate about safety: "
        "removing it can alert the person who installed it, and the app and this report are "
        "evidence."
    ),
    N_(
        "This app was installed with an enterprise or ad hoc distribution certificate, not from "
        "the App Store. Companies use such certificates for their own staff apps; many iPhone "
        "spy apps use them too, because they install without the App Store and without a "
        "jailbreak. The phone must trust the certificate first, in Settings > General > VPN & "
        "Device Management. Ask whether the person installed it themselves or uses it for work "
        "or school."
    ),
    N_(
        "This app was installed with a developer certificate, not from the App Store. "
        "Developers use such certificates to test their own apps on a phone they hold. Someone "
        "with the phone in hand and a computer can install an app this way, without the App "
        "Store. Ask whether the person installed it themselves or uses it for work or school."
    ),
    N_(
        "This app is a test version installed through Apple's TestFlight, by invitation. Apple "
        "checks betas less than App Store apps. Ask whether the person joined this beta "
        "themselves."
    ),
    N_(
        "{tool} only runs on a jailbroken iPhone. A jailbreak removes the iPhone's protections, "
        "and most iPhone spyware that reads messages needs one. If the person did not jailbreak "
        "the phone, someone else may have: updating iOS or restoring the phone removes a "
        "jailbreak. Before removing it, talk with an advocate about safety: removing it can "
        "alert the person who installed it, and the app and this report are evidence."
    ),
    N_(
        "TrollStore installs apps permanently with any permission, without the App Store and "
        "without a jailbreak, on the iOS versions it supports. Spy apps can be put on a phone "
        "this way. Ask whether the person installed it themselves. Before removing it, talk "
        "with an advocate about safety: removing it can alert the person who installed it, and "
        "the app and this report are evidence."
    ),
    N_(
        "With a root certificate it trusts, the phone accepts a server that pretends to be any "
        "web site or app server, so whoever runs that server can read traffic that is otherwise "
        "encrypted: messages, passwords, browsing. Schools and employers sometimes install one "
        "on their own phones. To see it, open Settings > General > VPN & Device Management. If "
        "the person does not know it, talk with an advocate before removing it: removing it can "
        "alert whoever installed it."
    ),
    N_(
        "The profile sets up {what}, so the phone's traffic (or the web sites it visits) goes "
        "through a server someone else chose. Whoever runs that server can see which sites and "
        "services the phone uses, and more when a root certificate is installed too. Some are "
        "expected (a work VPN, a privacy app the person chose): ask whether the person set this "
        "one up. To see it, open Settings > General > VPN & Device Management. If the person "
        "does not know it, talk with an advocate before removing it: removing it can alert "
        "whoever installed it."
    ),
    N_(
        "Mobile device management lets an organisation install and remove apps, change "
        "settings, see the list of apps and, on phones it supervises, much more. A work or "
        "school phone normally has it: if the person recognises the organisation, this is "
        "expected. If not, someone may be managing the phone. To see it, open Settings > "
        "General > VPN & Device Management. If the person does not know it, talk with an "
        "advocate before removing it: removing it can alert whoever installed it."
    ),
    N_(
        "A computer this iPhone trusts can back it up over Wi-Fi whenever both are on the same "
        "network, without touching the phone. Backups hold messages, photos, notes, browsing "
        "history and location history. If someone else once synced the phone with their "
        "computer, they can keep taking backups. To turn it off, connect the phone to a "
        "computer you trust and untick 'Show this iPhone when on Wi-Fi' in Finder or iTunes. To "
        "make the phone forget every computer it trusts, open Settings > General > Transfer or "
        "Reset iPhone > Reset > Reset Location & Privacy. Doing this can be noticed by whoever "
        "synced the phone: plan it with an advocate."
    ),
    N_(
        "A jailbreak removes the iPhone's protections, and most iPhone spyware that reads "
        "messages needs one. If the person did not jailbreak the phone, someone else may have. "
        "Updating iOS or restoring the phone removes a jailbreak. Before removing it, talk with "
        "an advocate about safety: removing it can alert the person who installed it, and the "
        "app and this report are evidence."
    ),
)

IOS_CHECKLIST = (
    N_("Apple ID sign-ins and trusted devices"),
    N_(
        "Settings > [your name]: scroll down to the list of devices signed in with this Apple ID "
        "and remove any you do not know. In Sign-In & Security, check the trusted phone numbers. "
        "Change the Apple ID password if someone else may know it."
    ),
    N_("Apple's Safety Check (iOS 16 and later)"),
    N_(
        "Settings > Privacy & Security > Safety Check > Manage Sharing & Access reviews who sees "
        "your location, photos and notes, and which devices are signed in."
    ),
    N_("Family Sharing and location sharing in Find My"),
    N_(
        "Settings > [your name] > Family Sharing: who is in the family and what is shared. In "
        "the Find My app, the People tab lists who sees your location."
    ),
    N_("Shared albums and shared photo library"),
    N_(
        "Photos > Albums > Shared Albums, and Settings > Photos > Shared Library: who else "
        "receives the photos."
    ),
    N_("Mail forwarding rules"),
    N_(
        "In each mail account's web settings (iCloud Mail: Settings > Forwarding; Gmail: "
        "Settings > Forwarding and filters): rules that send copies of mail elsewhere."
    ),
    N_("AirTags and other trackers"),
    N_(
        "An iPhone warns 'AirTag Found Moving With You'; keep Settings > Notifications > "
        "Tracking Notifications on. Find My > Items > Identify Found Item names a tracker you "
        "find."
    ),
    N_("Screen Time set by another person"),
    N_(
        "Settings > Screen Time: if it is managed through Family Sharing or has a passcode the "
        "person did not set, someone else controls limits and can see app use."
    ),
    N_("Messages read on other devices"),
    N_(
        "Settings > Messages > Text Message Forwarding and Send & Receive; Settings > [your "
        "name] > iCloud > Messages; in WhatsApp and Signal, Settings > Linked Devices."
    ),
)

IOS_LIMITS = (
    N_(
        "The checks read what the iPhone and its backup tell: they cannot see what an app has "
        "already sent away, or monitoring done through the person's accounts (see the "
        "checklist)."
    ),
    N_("A jailbroken iPhone can hide apps, files and settings from these checks."),
    N_(
        "Where {count} app(s) came from is not known (a backup does not keep app signers): apps "
        "installed with an enterprise or developer certificate are only told apart in a live "
        "check with ideviceinstaller installed."
    ),
    N_(
        "A backup holds what the phone chose to back up: Wi-Fi sync and app signers are best "
        "read from the phone itself ('unstalk check ios' without --backup)."
    ),
)

IOS_REASONS = (
    N_(
        "the backup does not record whether the phone syncs with a computer over Wi-Fi; check "
        "'Show this iPhone when on Wi-Fi' in Finder or iTunes on each computer the phone "
        "trusts, or run the live check"
    ),
    N_(
        "for {unknown} of {apps} apps the acquisition does not say whether they came from the "
        "App Store or were installed with a certificate"
    ),
)
"""Why a part of an iPhone acquisition was not read in full, for the commonest cases."""

CHECKED_IOS_APPS = N_(
    "{apps} apps on the iPhone: their bundle identifiers against the indicator feed, and how "
    "each was installed."
)
CHECKED_IOS_DEVICE = N_(
    "The iPhone's configuration profiles, its Wi-Fi sync setting and signs of a jailbreak."
)

IOS_TEMPLATES = (
    *IOS_TITLES,
    *IOS_EXPLANATIONS,
    *IOS_CHECKLIST,
    *IOS_LIMITS,
    *IOS_REASONS,
    CHECKED_IOS_APPS,
    CHECKED_IOS_DEVICE,
)
