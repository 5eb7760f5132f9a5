"""Readers and writers for each feed format, one module per format."""
