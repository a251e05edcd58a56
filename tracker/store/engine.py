"""Compatibility re-exports for callers written before ``engine.py`` became ``db.py``.

Import from :mod:`tracker.store.db` (or :mod:`tracker.store`) instead; this module goes once
no caller uses it.
"""

from tracker.store.db import (
    BEGIN_OPTION,
    alembic_config,
    create_store_engine,
    default_database_url,
    migrations_directory,
    open_engine,
    parse_url,
    safe_url,
    schema_revisions,
    upgrade_to_head,
)

__all__ = [
    "BEGIN_OPTION",
    "alembic_config",
    "create_store_engine",
    "default_database_url",
    "migrations_directory",
    "open_engine",
    "parse_url",
    "safe_url",
    "schema_revisions",
    "upgrade_to_head",
]
