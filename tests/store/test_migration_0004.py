"""Migration 0004: the "complete" marker leaves the ETag for its own column (and comes back on
downgrade), scans get the Kubernetes version the store used to compute, lock columns go."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from tracker.store import Store
from tracker.store.db import BEGIN_OPTION, alembic_config, create_store_engine

AT = "2024-05-01 00:00:00"


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            if down:
                command.downgrade(alembic_config(conn), revision)
            else:
                command.upgrade(alembic_config(conn), revision)
    finally:
        engine.dispose()


SYNC_ROWS = {  # project -> etag as 0003's sync wrote it
    "istio/istio": 'W/"abc123" +complete',
    "cert-manager/cert-manager": " +complete",  # complete, and the source sent no ETag
    "prometheus/prometheus": 'W/"def456"',
    "kubernetes/ingress-nginx": None,
}


def _fill_0003(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for project, etag in SYNC_ROWS.items():
            conn.execute(
                sa.text(
                    "INSERT INTO sync_state (project, token_key, etag, last_success_at) "
                    "VALUES (:p, 'k', :e, :at)"
                ),
                {"p": project, "e": etag, "at": AT},
            )
        for name in ("gke", "k3s", "dump"):
            conn.execute(sa.text("INSERT INTO clusters (name) VALUES (:n)"), {"n": name})
        versions = {"gke": "v1.18.19-gke.1701", "k3s": None, "dump": None}
        for name, version in versions.items():
            conn.execute(
                sa.text(
                    "INSERT INTO scans (cluster_id, scanned_at, source, server_version, warnings)"
                    " SELECT id, :at, 'dump', :v, '[]' FROM clusters WHERE name = :n"
                ),
                {"at": AT, "v": version, "n": name},
            )
        conn.execute(  # k3s: no server version, but a control-plane component
            sa.text(
                "INSERT INTO scan_components (scan_id, position, component, role, raw_version,"
                " instances) SELECT s.id, 0, 'kubernetes', 'control-plane', 'v1.27.4+k3s1', 1"
                " FROM scans s JOIN clusters c ON c.id = s.cluster_id WHERE c.name = 'k3s'"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO locks (name, owner, host, pid, acquired_at, expires_at, holder_ns)"
                " VALUES ('run', 'h:1:x', 'h', 1, :at, :at, 'boot/1')"
            ),
            {"at": AT},
        )
    engine.dispose()


def _etags(url: str) -> dict[str, str | None]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT project, etag FROM sync_state")).all()
    engine.dispose()
    return {project: etag for project, etag in rows}


def test_0004_moves_the_marker_backfills_versions_and_downgrades_back(database_url: str) -> None:
    _migrate(database_url, "0003")
    _fill_0003(database_url)
    _migrate(database_url, "0004")
    # Read at 0004 with plain SQL (the store itself opens only a database at its own head).
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        states = {
            row.project: (row.etag, bool(row.complete), row.last_success_at)
            for row in conn.execute(
                sa.text("SELECT project, etag, complete, last_success_at FROM sync_state")
            )
        }
        versions = {
            row.name: row.kubernetes_version
            for row in conn.execute(
                sa.text(
                    "SELECT c.name, s.kubernetes_version FROM scans s "
                    "JOIN clusters c ON c.id = s.cluster_id"
                )
            )
        }
    engine.dispose()
    assert {p: s[:2] for p, s in states.items()} == {
        "istio/istio": ('W/"abc123"', True),
        "cert-manager/cert-manager": (None, True),
        "prometheus/prometheus": ('W/"def456"', False),
        "kubernetes/ingress-nginx": (None, False),
    }
    assert str(states["istio/istio"][2]).startswith("2024-05-01 00:00:00")
    # What the store computed when reading before 0004, now stored.
    assert versions == {"dump": None, "gke": "1.18.19", "k3s": "1.27.4"}
    engine = sa.create_engine(database_url)
    lock_columns = {c["name"] for c in sa.inspect(engine).get_columns("locks")}
    engine.dispose()
    assert lock_columns == {"name", "owner", "host", "pid", "acquired_at"}

    # Downgrade: the markers go back into the ETag exactly as 0003's sync wrote them.
    _migrate(database_url, "0003", down=True)
    assert _etags(database_url) == SYNC_ROWS
    engine = sa.create_engine(database_url)
    inspector = sa.inspect(engine)
    assert "complete" not in {c["name"] for c in inspector.get_columns("sync_state")}
    assert "kubernetes_version" not in {c["name"] for c in inspector.get_columns("scans")}
    assert {"expires_at", "holder_ns"} <= {c["name"] for c in inspector.get_columns("locks")}
    engine.dispose()
    _migrate(database_url, "head")  # and up again
    with Store.open(database_url) as store:
        state = store.sync_state("istio/istio", "k")
        assert state is not None and state.complete and state.etag == 'W/"abc123"'


def test_record_sync_keeps_complete_on_failure_and_sets_it_on_success(database_url: str) -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    with Store.open(database_url) as store:
        store.record_sync("a/b", "k", attempted_at=at, etag='"e1"', success=True, complete=True)
        store.record_sync("a/b", "k", attempted_at=at, etag=None, success=False, error="boom")
        state = store.sync_state("a/b", "k")
        assert state is not None and state.complete and state.etag == '"e1"'
        assert state.last_error == "boom"
        store.record_sync("a/b", "k", attempted_at=at, etag='"e2"', success=True)
        state = store.sync_state("a/b", "k")
        assert state is not None and not state.complete and state.etag == '"e2"'
