"""The start-up fast path: the schema head read from the migration files' text agrees with
Alembic's, and a database not plainly at head still goes through Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from tracker.store import Store
from tracker.store.db import (
    SchemaState,
    alembic_config,
    create_store_engine,
    migrations_directory,
    schema_status,
)
from tracker.store.schema_head import quick_head


def testquick_head_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert quick_head(migrations_directory()) == script.get_current_head()


def testquick_head_gives_up_on_two_heads(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, parent in (("a", None), ("b", "a"), ("c", "a")):
        down = "None" if parent is None else f'"{parent}"'
        (versions / f"{name}.py").write_text(f'revision = "{name}"\ndown_revision = {down}\n')
    assert quick_head(tmp_path) is None
    (versions / "c.py").unlink()
    assert quick_head(tmp_path) == "b"


def test_database_behind_head_is_not_taken_for_current(database_url: str) -> None:
    with Store.open(database_url):
        pass
    engine = create_store_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0004'")
    engine.dispose()
    assert schema_status(database_url).state is SchemaState.BEHIND
