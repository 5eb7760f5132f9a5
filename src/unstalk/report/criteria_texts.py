"""The criteria engine's sentences and words, and the case-dependent Android sentences.

The criteria engine (``unstalk.criteria.engine``) writes a verdict summary by
putting several sentences together, some of which hold lists of capability
labels or indicator kinds. The Android check does the same for an impersonation
or a feed match whose listings disagree. No single template can cover every
combination, so these templates are single sentences: when a whole text matches
no template, :func:`unstalk.report.texts.say` splits it at sentence ends and
translates each sentence, and translates a list item by item when every item is
one of the :data:`CRITERIA_WORDS`. ``tests/report/test_criteria_texts.py`` holds
the engine's and the checks' own labels and words against these.
"""

from __future__ import annotations

from unstalk.report.i18n import N_

LIST_AND = N_("{first} and {last}")
"""How a list's last item is joined to the others ("a, b and c")."""

VERDICT_SENTENCES = (
    N_("Known stalkerware: the indicator feed lists this app as {names} (matched on its {kinds})."),
    N_("Known monitoring app that is meant to be visible (watchware): {names}."),
    N_("It is reported so the person can decide about it, not as stalkerware."),
    N_(
        "Needs a closer look: the code contains addresses the indicator feed lists for {names}, "
        "though the app itself is not listed."
    ),
    N_("It may be a renamed build of that app."),
    N_("Can monitor in secret."),
    N_(
        "No indicator feed lists it, and static analysis cannot show how an app is marketed, so "
        "it is not called stalkerware."
    ),
    N_("Can monitor, and shows itself (an icon): a dual-use app."),
    N_(
        "Can monitor, and shows itself (an icon and a foreground-service notification): a "
        "dual-use app."
    ),
    N_("Review whether the person using the phone knows about it and agreed to it."),
    N_("No evidence of stalkerware found by these checks."),
)

CRITERION_REASONS = (
    N_("It can monitor through: {labels}."),
    N_(
        "It can monitor through: {labels}, and declares no foreground service, so no "
        "notification need show."
    ),
    N_(
        "It declares a foreground service, so Android shows a notification while it runs; "
        "whether that keeps the person informed cannot be told from the file."
    ),
    N_(
        "It has what monitoring needs ({labels}) and it can reach the internet, though its code "
        "names no server; whether it is used to watch someone cannot be told from the file."
    ),
    N_(
        "It has what monitoring needs ({labels}) and it resists removal, as parental-control "
        "and device-management apps do; whether it is used to watch someone cannot be told from "
        "the file."
    ),
    N_(
        "It has what monitoring needs ({labels}) and it can reach the internet, though its code "
        "names no server and it resists removal, as parental-control and device-management apps "
        "do; whether it is used to watch someone cannot be told from the file."
    ),
    N_("No capability to monitor or control the phone was found at the level needed."),
    N_("It hides itself: {labels}."),
    N_(
        "It shows some signs of concealment ({labels}) that legitimate device-management and "
        "anti-theft apps share; it does not hide its icon or name."
    ),
    N_("No sign that it hides its icon, its name or itself."),
    N_("The indicator feed lists this app as stalkerware ({names})."),
    N_("The indicator feed lists this app as overt monitoring, watchware ({names})."),
    N_(
        "The code names servers the indicator feed lists for {names}, but the app itself is not "
        "listed: how it is marketed cannot be told from the file."
    ),
    N_(
        "No indicator feed lists this app, and how an app is marketed cannot be read from the file."
    ),
)

VERDICT_NOTES = (
    N_(
        "The indicator feed lists the same {kinds} under both a stalkerware and a watchware "
        "family ({names}); the listings disagree, so that match alone decides nothing."
    ),
    N_("The feed also lists it as watchware: {names}."),
    N_("This build can do more than overt monitoring needs: it hides itself."),
    N_(
        "This build can do more than overt monitoring needs: It can monitor without a "
        "notification that stays on screen."
    ),
    N_("It can monitor without a notification that stays on screen."),
    N_("Check how it was installed and whether the person knows about it."),
    N_("The code also names web sites or servers of listed families: {names}."),
    N_("That alone says little."),
    N_("No monitoring capability was found with it."),
)

ANDROID_SENTENCES = (
    N_(
        "The indicator feed lists this app's {kinds} as {family}, stalkerware: it lets someone "
        "else secretly watch this phone."
    ),
    N_("The feed also lists the same app as watchware, so the listings disagree."),
    N_(
        "Before removing it, talk with an advocate about safety: removing it can alert the "
        "person who installed it, and the app and this report are evidence."
    ),
    N_("It calls itself {label}, a name made of system words."),
    N_(
        "Its package name {name} is in Android's own namespace, yet it is not part of the "
        "phone's system."
    ),
    N_(
        "Its package name {name} is in a phone maker's or Google's namespace, yet it was not "
        "installed from a store."
    ),
    N_("Its package name {name} uses system words ({words})."),
    N_("Stalkerware takes such names so that nobody thinks of removing it."),
    N_("A genuine system app is part of the phone's software; this one is not."),
    N_("could not check {path}: {error}"),
    N_("the file cannot be read from the acquisition ({error})"),
    # A part of the acquisition that could not be read, when the check gives no reason.
    N_("missing"),
    N_("unparsed"),
    N_("partial"),
)

CAPABILITY_WORDS = (
    N_("precise location"),
    N_("background location tracking"),
    N_("reading text messages"),
    N_("intercepting text messages"),
    N_("call history"),
    N_("call recording"),
    N_("sound recording"),
    N_("camera"),
    N_("contacts"),
    N_("screen capture"),
    N_("reading the screen and typing (accessibility)"),
    N_("reading notifications"),
    N_("browsing history"),
    N_("collecting messaging-app conversations"),
    N_("remote commands"),
    N_("hidden icon"),
    N_("system-like name"),
    N_("uninstall protection"),
    N_("erasing the phone"),
    N_("locking the phone"),
    N_("restarting by itself"),
    N_("internet endpoints"),
    N_("intercepting internet traffic (VPN)"),
    N_("keyboard"),
    N_("installing apps"),
    N_("photos and files"),
    N_("app usage"),
    N_("drawing over other apps"),
)
"""The labels of :class:`unstalk.apk.capabilities.Capability`, as the engine lists them."""

KIND_WORDS = (
    N_("bundle identifier"),
    N_("certificate organisation"),
    N_("certificate name"),
    N_("file hash"),
    N_("code (YARA rule)"),
)
"""Indicator kinds the engine names that the Android check's words do not already cover."""

ANDROID_WORDS = (
    N_("location in the background"),
    N_("text messages"),
    N_("the microphone"),
    N_("the camera"),
    N_("location"),
)
"""What the Android check says an app was allowed to use or used lately."""

CRITERIA_WORDS = (*CAPABILITY_WORDS, *KIND_WORDS, *ANDROID_WORDS)

CRITERIA_TEMPLATES = (
    *VERDICT_SENTENCES,
    *CRITERION_REASONS,
    *VERDICT_NOTES,
    *ANDROID_SENTENCES,
)
"""Single sentences; :data:`LIST_AND` is not among them, as it would match any "and"."""
