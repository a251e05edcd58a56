"""Opening failures become one-line StoreErrors that never show a password."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tracker.errors import StoreError
from tracker.store import Store, safe_url

SECRET = "s3cr3t-Pa55"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _assert_clean(error: StoreError) -> None:
    text = f"{error.message} {error.hint}"
    assert SECRET not in text
    assert "\n" not in error.message


def test_unreachable_postgres_is_a_store_error_without_password() -> None:
    url = f"postgresql+psycopg://tracker:{SECRET}@127.0.0.1:{_free_port()}/tracker"
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL at") as info:
        Store.open(url)
    _assert_clean(info.value)
    assert "tracker:***@127.0.0.1" in info.value.message


def test_wrong_postgres_database_is_a_store_error_without_password(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    import sqlalchemy as sa

    url = sa.make_url(database_url).set(database="no_such_db_xyz", password=SECRET)
    with pytest.raises(StoreError, match="no_such_db_xyz") as info:
        Store.open(url.render_as_string(hide_password=False))
    _assert_clean(info.value)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        (f"not a url {SECRET}", "invalid database URL"),
        (f"mysql://root:{SECRET}@db/tracker", "unsupported database 'mysql'"),
        (f"postgresql+psycopg2://u:{SECRET}@db/tracker", "unsupported PostgreSQL driver"),
    ],
)
def test_bad_urls(url: str, match: str) -> None:
    with pytest.raises(StoreError, match=match) as info:
        Store.open(url)
    if "://" in url:
        _assert_clean(info.value)


def test_missing_psycopg_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    with pytest.raises(StoreError) as info:
        Store.open(f"postgresql://u:{SECRET}@127.0.0.1:{_free_port()}/tracker")
    assert "pip install 'psycopg[binary]'" in info.value.hint
    _assert_clean(info.value)


def test_sqlite_in_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist") as info:
        Store.open(f"sqlite:///{tmp_path / 'missing' / 'tracker.db'}")
    assert str(tmp_path / "missing") in info.value.message


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    path.write_bytes(b"this is a text file, not SQLite\n" * 100)
    with pytest.raises(StoreError, match="not a database"):
        Store.open(f"sqlite:///{path}")


def test_safe_url_hides_passwords() -> None:
    assert safe_url(f"postgresql+psycopg://u:{SECRET}@h/db") == "postgresql+psycopg://u:***@h/db"
    assert SECRET not in safe_url(f"weird://u:{SECRET}@h x")
