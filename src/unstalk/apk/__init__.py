"""Static analysis of Android packages (APK): profile, capabilities, verdicts."""
