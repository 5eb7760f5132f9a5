"""A live iPhone over USB through Debian's libimobiledevice tools (read-only)."""

from unstalk.ios.device.acquire import (
    AcquisitionStoppedError,
    LiveAcquisition,
    acquire_live,
    merge,
    without_backup,
)
from unstalk.ios.device.tools import DeviceLostError, Idevice, ToolMissingError

__all__ = [
    "AcquisitionStoppedError",
    "DeviceLostError",
    "Idevice",
    "LiveAcquisition",
    "ToolMissingError",
    "acquire_live",
    "merge",
    "without_backup",
]
