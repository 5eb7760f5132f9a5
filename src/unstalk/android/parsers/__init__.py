"""Pure parsers of what each adb command prints, for Android 9 to 15."""
