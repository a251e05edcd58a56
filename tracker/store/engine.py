"""Database URL -> SQLAlchemy engine, with the schema migrated to head on open.

- :func:`default_database_url`: SQLite at ``$XDG_DATA_HOME/tracker/tracker.db``
  (XDG Base Directory spec; default ``~/.local/share``).
- :func:`create_store_engine`: an engine for SQLite (WAL, foreign keys, busy timeout,
  real ``BEGIN`` so that DDL is transactional) or PostgreSQL (psycopg 3).
- :func:`upgrade_to_head`: apply the Alembic migrations shipped with tracker, in one
  transaction (a failed migration leaves the database as it was), refusing a database
  whose schema is newer than this tracker knows.
- :func:`open_engine`: both, with every failure turned into a one-line :class:`StoreError`.

URLs are only ever shown through :func:`safe_url` (password hidden).
"""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

import tracker
from tracker.errors import StoreError

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
"""How long SQLite waits for another writer before failing with "database is locked"."""

POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
"""libpq ``connect_timeout`` used unless the URL sets one."""

BEGIN_OPTION = "tracker_sqlite_begin"
"""Connection execution option naming the SQLite BEGIN mode (``DEFERRED``/``IMMEDIATE``)."""

POSTGRES_HINT = "install the PostgreSQL driver: pip install 'tracker[postgres]'"
_URL_HINT = "set database.url (or TRACKER_DATABASE_URL) to a sqlite:/// or postgresql:// URL"


def default_database_url(*, create: bool = True) -> str:
    """Return the default SQLite URL, ``sqlite:///$XDG_DATA_HOME/tracker/tracker.db``.

    ``XDG_DATA_HOME`` defaults to ``~/.local/share`` (XDG Base Directory Specification);
    a relative value is ignored, as the spec says. The directory is created unless
    ``create`` is False (read-only callers such as ``tracker db current``).

    Raises:
        StoreError: when the directory cannot be created.
    """
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    directory = base / "tracker"
    if not create:
        return f"sqlite:///{directory / 'tracker.db'}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the data directory {directory}: {exc.strerror or exc}",
            "set XDG_DATA_HOME or database.url to a writable location",
        ) from exc
    return f"sqlite:///{directory / 'tracker.db'}"


def safe_url(url: str | URL) -> str:
    """Render ``url`` with its password replaced by ``***`` (for messages and logs).

    >>> safe_url("postgresql+psycopg://bob:s3cret@db:5432/tracker")
    'postgresql+psycopg://bob:***@db:5432/tracker'
    >>> safe_url("not a url://u:pw@x")
    'not a url://u:***@x'
    """
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", str(url))


def parse_url(url: str) -> URL:
    """Parse ``url``; ``postgres://`` and driverless ``postgresql://`` mean psycopg 3.

    Raises:
        StoreError: when ``url`` is not a database URL (the message hides any password).
    """
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError, TypeError) as exc:
        raise StoreError(f"invalid database URL {safe_url(url)!r}", _URL_HINT) from exc
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported database {backend!r} in {safe_url(parsed)!r}", _URL_HINT)
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise StoreError(
            f"unsupported PostgreSQL driver {parsed.get_driver_name()!r} in {safe_url(parsed)!r}",
            "use postgresql+psycopg:// (psycopg 3)",
        )
    return parsed


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _check_sqlite_path(url: URL) -> None:
    path = _sqlite_path(url)
    if path is None:
        return
    parent = path.parent
    if not parent.is_dir():
        raise StoreError(
            f"cannot open SQLite database {path}: directory {parent} does not exist",
            "create the directory or point database.url elsewhere",
        )
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise StoreError(
            f"cannot open SQLite database {path}: not writable",
            "fix the permissions or point database.url to a writable file",
        )


def _install_sqlite_hooks(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout; and a real BEGIN so DDL is transactional.

    Python's sqlite3 module (before 3.12's ``autocommit``) begins transactions only before
    DML, so DDL would autocommit; the SQLAlchemy SQLite dialect docs ("Serializable
    isolation / Savepoints / Transactional DDL") give this recipe: disable the module's
    own BEGIN and emit it from the ``begin`` event.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def create_store_engine(url: str) -> Engine:
    """Create (but do not connect) an engine for ``url``.

    SQLite: the parent directory must exist and be writable; connections use WAL, foreign
    keys and a busy timeout of :data:`SQLITE_BUSY_TIMEOUT_SECONDS`. PostgreSQL: psycopg 3
    with a connect timeout of :data:`POSTGRES_CONNECT_TIMEOUT_SECONDS`.

    Raises:
        StoreError: bad URL, unsupported backend, missing driver, unusable SQLite path.
    """
    parsed = parse_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_path(parsed)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    else:
        if "connect_timeout" not in parsed.query:
            kwargs["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
        kwargs["pool_pre_ping"] = True
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except ImportError as exc:
        raise StoreError(
            f"the PostgreSQL driver psycopg is not installed (needed for {safe_url(parsed)})",
            POSTGRES_HINT,
        ) from exc
    except (sa.exc.SQLAlchemyError, ValueError, TypeError) as exc:
        raise StoreError(f"cannot use database {safe_url(parsed)}: {exc}", _URL_HINT) from exc
    if parsed.get_backend_name() == "sqlite":
        _install_sqlite_hooks(engine)
    return engine


def migrations_directory() -> Path:
    """Where the Alembic scripts are: the installed ``tracker.migrations`` package, else
    ``<repository>/migrations`` in a source checkout.

    Raises:
        StoreError: when neither exists (a broken installation).
    """
    candidates: list[Path] = []
    with contextlib.suppress(ModuleNotFoundError):
        candidates.append(Path(str(importlib.resources.files("tracker.migrations"))))
    candidates.append(Path(tracker.__file__).resolve().parent.parent / "migrations")
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    raise StoreError(
        "tracker's database migrations are missing (tracker/migrations)",
        "reinstall tracker",
    )


def alembic_config(
    connection: sa.Connection | None = None, script_location: Path | None = None
) -> Config:
    """An Alembic config for tracker's migrations; ``connection`` is used by ``env.py``.

    ``script_location`` overrides :func:`migrations_directory` (tests use a copy).
    """
    config = Config()
    location = script_location or migrations_directory()
    config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _short(exc: BaseException, url: URL) -> str:
    """The first line of the driver's message, with the password scrubbed just in case."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


def _connect_error(exc: BaseException, url: URL) -> StoreError:
    if url.get_backend_name() == "postgresql":
        return StoreError(
            f"cannot connect to PostgreSQL at {safe_url(url)}: {_short(exc, url)}",
            "check that the server is running and the URL, user and database are right",
        )
    return StoreError(
        f"cannot open SQLite database {url.database}: {_short(exc, url)}",
        "check that the file is a tracker database and its directory is writable",
    )


def upgrade_to_head(engine: Engine, script_location: Path | None = None) -> str | None:
    """Apply missing migrations; return the revision the database is at afterwards.

    The whole upgrade runs in one transaction (``migrations/env.py``): on PostgreSQL DDL is
    transactional, on SQLite the engine emits a real ``BEGIN IMMEDIATE``. Concurrent
    openers are serialized (advisory lock / write lock), so two first runs do not race.

    Raises:
        StoreError: the database cannot be reached, its schema is newer than this tracker
            (an unknown revision), or a migration failed (nothing was changed).
    """
    url = engine.url
    script = ScriptDirectory.from_config(alembic_config(script_location=script_location))
    head = script.get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
            conn.rollback()
    except sa.exc.SQLAlchemyError as exc:
        raise _connect_error(exc, url) from exc
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        raise StoreError(
            f"database {safe_url(url)} has schema revision {unknown[0]}, newer than this "
            f"tracker knows (head {head})",
            "upgrade tracker, or point database.url to another database",
        )
    if tuple(current) == ((head,) if head else ()):
        return head
    try:
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            command.upgrade(alembic_config(conn, script_location), "head")
    except (sa.exc.SQLAlchemyError, CommandError, OSError, ValueError, RuntimeError) as exc:
        raise StoreError(
            f"migrating database {safe_url(url)} to schema {head} failed: {_short(exc, url)}",
            "the database was left unchanged; report this with the message above",
        ) from exc
    return head


def open_engine(url: str | None = None) -> Engine:
    """Engine for ``url`` (None: :func:`default_database_url`), connected and at head.

    Raises:
        StoreError: see :func:`create_store_engine` and :func:`upgrade_to_head`.
    """
    engine = create_store_engine(url if url is not None else default_database_url())
    try:
        upgrade_to_head(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def schema_revisions(url: str | None = None) -> tuple[str | None, str | None]:
    """``(current, head)``: the database's schema revision (None: empty) and this tracker's.

    Reads only; never migrates (``tracker db current``), and never creates anything: a
    SQLite file that does not exist (nor its directory) is reported as ``(None, head)``.

    Raises:
        StoreError: bad URL, missing driver or unreachable database.
    """
    target = url if url is not None else default_database_url(create=False)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    parsed = parse_url(target)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(parsed)
        if path is not None and not path.exists():
            return None, head
    engine = create_store_engine(target)
    try:
        with engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
            conn.rollback()
    except sa.exc.SQLAlchemyError as exc:
        raise _connect_error(exc, engine.url) from exc
    finally:
        engine.dispose()
    return (heads[0] if heads else None), head
