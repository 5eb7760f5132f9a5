"""Alembic environment: runs on the connection :mod:`unstalk.hub.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from unstalk.hub.db import Base

connection: Connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
