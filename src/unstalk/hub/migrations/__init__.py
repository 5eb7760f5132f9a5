"""Alembic migrations of the hub's database (run through :mod:`unstalk.hub.migrate`)."""
