"""Alembic environment: migrations always run on a connection handed over by vantage.db.migrate."""

from __future__ import annotations

from alembic import context

from vantage.db.compare import include_name, include_object_for
from vantage.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `vantage db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # Batch mode lets later migrations alter tables on SQLite, which has a limited ALTER TABLE.
    render_as_batch=True,
    transactional_ddl=True,
    include_name=include_name,
    include_object=include_object_for(connection.dialect.name),
)
context.run_migrations()
