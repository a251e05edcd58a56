"""Alembic environment for tracker.

tracker calls Alembic programmatically (``tracker.store.db.upgrade_to_head``) and passes
an open connection in ``config.attributes["connection"]``. From the ``alembic`` CLI
(``alembic -c migrations/alembic.ini ...``) the URL comes from ``TRACKER_DATABASE_URL``, else
``sqlalchemy.url`` in the ini file, else tracker's default SQLite database.

All pending revisions run in ONE transaction, so a failed upgrade leaves the database as it
was: PostgreSQL has transactional DDL; on SQLite the engine emits a real ``BEGIN IMMEDIATE``
(see ``tracker.store.db``), schema changes use batch mode (copy-and-move, the procedure
in https://www.sqlite.org/lang_altertable.html) with foreign keys off during the upgrade and
``PRAGMA foreign_key_check`` before commit. Concurrent upgrades are serialized by an
advisory transaction lock on PostgreSQL and by the write lock on SQLite.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from tracker.store.db import create_store_engine, default_database_url
from tracker.store.tables import metadata

MIGRATION_LOCK_KEY = 0x7472_6163_6B65_72  # "tracker" as an int, for pg_advisory_xact_lock


def _run(connection: sa.Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.in_transaction():
        # PRAGMA foreign_keys is a no-op inside a transaction: set it before BEGIN.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
    try:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
            transactional_ddl=True,
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign key check failed after migration: {broken[:3]}")
    finally:
        if sqlite and not connection.in_transaction():
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def _main() -> None:
    if context.is_offline_mode():
        raise SystemExit("tracker's migrations run online only (no --sql mode)")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = (
        os.environ.get("TRACKER_DATABASE_URL")
        or context.config.get_main_option("sqlalchemy.url")
        or default_database_url()
    )
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


_main()
