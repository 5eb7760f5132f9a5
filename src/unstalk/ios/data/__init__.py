"""Data tables for the iPhone checks, kept apart from the code that reads them."""
