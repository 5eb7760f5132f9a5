"""Synthetic iPhone backups in the real formats, for the backup reader's tests.

From tests: ``write_backup(tmp_path, profiles(), password="pw")`` returns the
``<UDID>`` folder; :mod:`.damage` breaks it the ways real backups break. From
the command line: ``python -m tests.ios.gen OUT --scenario NAME [--encrypted
PASSWORD] [--damage NAME]``. See README.md for the formats and their sources.
"""

from __future__ import annotations

from tests.ios.gen.damage import DAMAGES
from tests.ios.gen.scenarios import SCENARIOS
from tests.ios.gen.writer import App, BackupFile, Phone, Scenario, write_backup

__all__ = ["DAMAGES", "SCENARIOS", "App", "BackupFile", "Phone", "Scenario", "write_backup"]
