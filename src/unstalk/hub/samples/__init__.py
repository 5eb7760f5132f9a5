"""Samples: APK upload, encryption at rest, automatic analysis, proposed indicators, download."""

from __future__ import annotations
