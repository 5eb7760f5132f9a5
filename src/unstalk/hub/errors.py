"""Errors the hub shows to the person using it, each with the HTTP status it answers with."""

from __future__ import annotations

from unstalk.errors import Error


class HubError(Error):
    """Something the hub could not do; ``status`` is the HTTP status of the answer."""

    status = 400


class NotSignedIn(HubError):
    status = 401

    def __init__(self, message: str = "You are not signed in, or your session has ended.") -> None:
        super().__init__(message, advice="Sign in again, or send a valid API key.")


class Forbidden(HubError):
    status = 403

    def __init__(self, message: str, *, advice: str = "") -> None:
        super().__init__(
            message, advice=advice or "Ask an administrator of your organisation for access."
        )


class CsrfRefused(HubError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "This form has expired or did not come from the hub.",
            advice="Go back, reload the page and send the form again.",
        )


class NotFound(HubError):
    status = 404


class Conflict(HubError):
    status = 409


class InvalidInput(HubError):
    status = 422


class RateLimited(HubError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many requests with this API key.",
            advice=f"Wait {retry_after} seconds before trying again.",
        )
        self.retry_after = retry_after


class DatabaseError(HubError):
    """The hub's database could not be opened, created or migrated."""

    status = 503
