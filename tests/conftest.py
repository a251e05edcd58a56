"""Shared test fixtures: where the real data lives, and the optional PostgreSQL URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("TRACKER_REALDATA", REPO_ROOT / "tests" / "data" / "realdata"))


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real data directory: ``tests/data/realdata`` (copied from the project's shared real
    data, see its PROVENANCE.md), or ``TRACKER_REALDATA`` when set."""
    if not REALDATA.is_dir():
        raise FileNotFoundError(f"real data not found at {REALDATA}: restore tests/data/realdata")
    return REALDATA


def _postgres_url() -> str | None:
    return os.environ.get("TRACKER_TEST_POSTGRES_URL") or None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: SQLite always; PostgreSQL when TRACKER_TEST_POSTGRES_URL is set.

    The PostgreSQL variant creates a database of its own on that server for the test and
    drops it afterwards, so tests (and parallel test runs) never see each other's rows.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@contextmanager
def fresh_postgres_database(prefix: str = "tracker_test") -> Iterator[str]:
    """A new database on the TRACKER_TEST_POSTGRES_URL server, dropped afterwards.

    Skips the test when the variable is not set.
    """
    url = _postgres_url()
    if not url:
        pytest.skip("TRACKER_TEST_POSTGRES_URL not set")
    import sqlalchemy as sa

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
