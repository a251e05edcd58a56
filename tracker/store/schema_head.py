"""Start-up fast path: is the database plainly at the schema head, without loading Alembic?

Reading commands check the schema on every start; Alembic's ``ScriptDirectory`` imports
every migration. Here the head is read from the migration files' text, and the database's
``alembic_version`` with one SELECT; anything not plain (several heads, an unreadable file,
another revision) returns None and :mod:`tracker.store.db` asks Alembic as before.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tracker.errors import StoreError
from tracker.store.db import SchemaState, SchemaStatus, migrations_directory, safe_url

_REVISION_RE = re.compile(r'^(down_revision|revision)\b[^=]*=\s*(?:"([^"]*)"|None)\s*$', re.M)


def quick_head(location: Path) -> str | None:
    """The single head revision, read from the migration files' text (no Alembic import),
    or None when that is not plain (several heads, or a file it cannot read simply)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        files = sorted((location / "versions").glob("*.py"))
        for file in files:
            if file.name == "__init__.py":
                continue
            found = dict((m.group(1), m.group(2)) for m in _REVISION_RE.finditer(file.read_text()))
            if "revision" not in found or "down_revision" not in found or not found["revision"]:
                return None
            revisions.add(found["revision"])
            if found["down_revision"]:
                parents.add(found["down_revision"])
    except (OSError, UnicodeDecodeError):
        return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def at_quick_head(engine: Engine) -> SchemaStatus | None:
    """The status when the database is plainly at head, without loading Alembic (start-up
    of every reading command); None when it is not plain: the caller asks Alembic."""
    try:
        head = quick_head(migrations_directory())
    except StoreError:
        return None
    if head is None:
        return None
    try:
        with engine.connect() as conn:
            current = [
                row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            ]
            conn.rollback()
    except sa.exc.SQLAlchemyError:
        return None
    if current != [head]:
        return None
    return SchemaStatus(safe_url(engine.url), head, head, SchemaState.CURRENT)
