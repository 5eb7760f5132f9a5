"""Talking to a phone through Debian's adb: read-only, every command with a time-out."""
