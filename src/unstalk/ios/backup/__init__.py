"""Reading iPhone backups (iOS 10 and later, encrypted or not) into an :class:`IosAcquisition`."""

from __future__ import annotations

from unstalk.ios.backup.reader import read_backup

__all__ = ["read_backup"]
