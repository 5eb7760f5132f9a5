"""Command-line interface: the only part of unstalk that prints or exits."""
