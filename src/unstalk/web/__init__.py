"""The local web app for advocates (``unstalk serve``): loopback only, no third parties."""

from __future__ import annotations

from unstalk.web.app import create_app

__all__ = ["create_app"]
