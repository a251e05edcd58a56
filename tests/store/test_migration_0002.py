"""Revision 0002 (clusters.server): step-by-step upgrade from empty, data kept from 0001."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tracker.models import Identification, Inventory
from tracker.store import Store
from tracker.store.db import BEGIN_OPTION, alembic_config, create_store_engine
from tracker.store.tables import metadata

SCANNED_AT = datetime.fromisoformat("2024-03-16T02:00:05+00:00")


def _upgrade(url: str, revision: str) -> None:
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            command.upgrade(alembic_config(conn), revision)
    finally:
        engine.dispose()


def test_every_revision_applies_in_order_from_empty_to_head_without_drift(
    database_url: str,
) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions[:2] == ["0001", "0002"]
    for revision in revisions:
        _upgrade(database_url, revision)
        engine = sa.create_engine(database_url)
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_heads() == (revision,)
        engine.dispose()
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_upgrading_a_0001_database_keeps_its_scans(
    database_url: str,
    make_inventory: Callable[[str, datetime], Inventory],
    identify_fn: Callable[[Inventory], Identification],
) -> None:
    _upgrade(database_url, "0001")
    inventory = make_inventory("prod", SCANNED_AT)
    identification = identify_fn(inventory)
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:  # a 0001-era row, written without the server column
        conn.execute(sa.text("INSERT INTO clusters (name) VALUES ('prod')"))
    engine.dispose()
    with Store.open(database_url) as store:  # upgrades to head on open
        scan_id = store.save_scan(inventory, identification)
        [stored] = store.latest_scans()
        assert stored.id == scan_id
        assert stored.summary.server is None
        assert stored.identification == identification
        assert store.clusters() == ["prod"]
    engine = sa.create_engine(database_url)
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("clusters")}
    engine.dispose()
    assert columns["server"]["nullable"] is True
