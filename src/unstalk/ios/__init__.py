"""iPhone checks: backups and live devices (read-only), parsed into an acquisition."""
