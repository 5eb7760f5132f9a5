"""What every report says about safety and about the limits of any check, in one place.

The HTML and PDF reports, the terminal summary and the local web app all show
these sentences (DESIGN.md's safety principles): what no check can tell, that
removing an app can alert the abuser and destroys evidence, to make a safety
plan with an advocate first, and where to find help. Keeping them here keeps
every output saying the same thing, in every language of the catalogs.
"""

from __future__ import annotations

from unstalk.report.i18n import N_

BEFORE_YOU_ACT_LABEL = N_("Before you act:")
BEFORE_YOU_ACT = N_(
    "removing an app, resetting the phone or changing passwords can alert the person who "
    "installed the monitoring, and destroys evidence. Read “Your safety” at the end of this "
    "report and make a safety plan with an advocate first."
)
NOTHING_TO_REPORT = N_(
    "These checks found nothing to report. That does not mean the device is free of "
    "monitoring: see what could not be checked and the limits below."
)
CANNOT_TELL = (
    N_(
        "Finding no known stalkerware does not mean there is none: indicators only know apps "
        "that researchers have already found, and a new or renamed app is missed."
    ),
    N_(
        "Someone who knows the person's passwords can watch through their accounts without any "
        "app on the phone: a shared Google account, an Apple ID and iCloud (backups, Find My, "
        "shared photos), email, social media, or a messaging app linked to another device. "
        "These checks do not see that."
    ),
    N_(
        "Hardware trackers (AirTag, Tile, SmartTag, GPS trackers hidden in a car or a bag) "
        "cannot be found by checking a phone or its traffic."
    ),
)
SAFETY = (
    N_(
        "Removing an app, resetting the phone or changing passwords can alert the person who "
        "installed the monitoring, and they may react in ways that make things more dangerous. "
        "It also destroys evidence you may need later."
    ),
    N_(
        "Before changing anything, make a safety plan with an advocate who knows about "
        "technology-facilitated abuse."
    ),
    N_(
        "If you think you are being watched, use a device the other person has never had "
        "access to when you look for help."
    ),
    N_("Keep this report somewhere the other person cannot reach it."),
)
HELP = (
    N_("If you are in danger now, call your local emergency number."),
    N_("Local domestic-violence and victim-support services can help you make a safety plan."),
    N_(
        "The Coalition Against Stalkerware lists organisations that help, by country, at "
        "stopstalkerware.org."
    ),
)

__all__ = [
    "BEFORE_YOU_ACT",
    "BEFORE_YOU_ACT_LABEL",
    "CANNOT_TELL",
    "HELP",
    "NOTHING_TO_REPORT",
    "SAFETY",
]
