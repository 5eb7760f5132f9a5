"""User-facing errors.

Every error unstalk raises on purpose derives from :class:`Error`. Its
:meth:`Error.diagnostics` text is what the CLI and the web apps show: plain
language that tells the person what happened and what they can do next.
"""

from __future__ import annotations


class Error(Exception):
    """Base class of every error meant to be shown to a user."""

    def __init__(self, message: str, *, advice: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice

    def diagnostics(self) -> str:
        """Return the message and, when there is one, the advice on what to do next."""
        if self.advice:
            return f"{self.message}\n{self.advice}"
        return self.message


class FeedError(Error):
    """An indicator feed could not be read, validated or used."""


class FeedFormatError(FeedError):
    """A feed file is not in the format its loader expects.

    ``source`` names the file and ``location`` points inside it (a line, an
    entry index or a JSON path) so the person can find and fix the problem.
    """

    def __init__(
        self, message: str, *, source: str = "", location: str = "", advice: str = ""
    ) -> None:
        where = ", ".join(part for part in (source, location) if part)
        super().__init__(f"{where}: {message}" if where else message, advice=advice)
        self.source = source
        self.location = location


class FeedUpdateError(FeedError):
    """A feed update failed; the feed in use before the update stays in use."""


class UsageError(Error):
    """The command was given arguments it cannot work with."""


class ApkError(Error):
    """An APK could not be analysed (not an APK, damaged, or hostile)."""

    def __init__(self, message: str, *, path: str = "", advice: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message, advice=advice)
        self.path = path


class ApkLimitError(ApkError):
    """An APK exceeds a safety limit (zip bomb, huge string pool, deep nesting).

    Analysis stops for that file rather than hang or exhaust memory.
    """


class CaptureError(Error):
    """A network capture could not be read (not a capture, damaged, or unsupported)."""


class DeviceError(Error):
    """The phone could not be reached or stopped answering; the advice says what to do."""


class BackupError(Error):
    """An iPhone backup could not be read: missing files, a wrong password, corrupt data."""

    def __init__(self, message: str, *, path: str = "", advice: str = "") -> None:
        super().__init__(message, advice=advice)
        self.path = path


class ReportError(Error):
    """A report could not be written, or a result or evidence manifest could not be read."""
