"""Pure parsers of the formats inside an APK: ZIP, binary XML, resources, signatures, dex."""
