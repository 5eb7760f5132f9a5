"""Cases kept encrypted on this computer, only when the advocate asks (see :mod:`.store`)."""

from unstalk.cases.store import CaseContent, CaseError, CaseInfo, CaseStore, WrongPassphrase

__all__ = ["CaseContent", "CaseError", "CaseInfo", "CaseStore", "WrongPassphrase"]
