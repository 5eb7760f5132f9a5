"""unstalk: find stalkerware on phones, in APKs and in network captures, safely and offline."""

__version__ = "0.1.0"
