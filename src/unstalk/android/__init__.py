"""Android device checks: read-only acquisition over adb, parsers, detection."""
