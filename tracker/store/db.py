"""Database URL -> engine, transactions, error mapping, and the schema check on open.

- :func:`default_database_url`: SQLite at ``$XDG_DATA_HOME/tracker/tracker.db``
  (XDG Base Directory spec; default ``~/.local/share``).
- :func:`create_store_engine`: an engine for SQLite (WAL, foreign keys, busy timeout, real
  ``BEGIN`` so that DDL is transactional; or read-only) or PostgreSQL (psycopg 3).
- :func:`upgrade_to_head`: apply the Alembic migrations shipped with tracker, in one
  transaction (a failed migration leaves the database as it was), refusing a database
  whose schema is newer than this tracker knows.
- :func:`open_engine`: both (or, read-only, a check that the schema is at head), with every
  failure turned into a one-line :class:`StoreError`.
- :func:`schema_status` / :func:`schema_revisions`: what ``tracker db current`` reports.
- :class:`Database`: an engine plus one-transaction-per-call and the error mapping that the
  concern modules (``scans``, ``upstream``, ``outbox``, ``locks``) use.

URLs are only ever shown through :func:`safe_url` (password hidden). Alembic is imported
only where migrations are read or run, so importing the store stays cheap.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import sqlite3
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from tracker.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
"""How long SQLite waits for another writer before failing with "database is locked"."""

POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
"""libpq ``connect_timeout`` used unless the URL sets one."""

BEGIN_OPTION = "tracker_sqlite_begin"
"""Connection execution option naming the SQLite BEGIN mode (``DEFERRED``/``IMMEDIATE``)."""

POSTGRES_HINT = (
    "install the PostgreSQL driver: pip install 'psycopg[binary]' (from a checkout of tracker: "
    "pip install '.[postgres]')"
)
UPGRADE_HINT = "run `tracker db upgrade` (with write access to the database) first"
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


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL; None for ``:memory:`` and ``file:`` URIs."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _check_sqlite_path(url: URL, *, read_only: bool) -> None:
    path = sqlite_path(url)
    if path is None:
        return
    parent = path.parent
    if not parent.is_dir():
        raise StoreError(
            f"cannot open SQLite database {path}: directory {parent} does not exist",
            "create the directory or point database.url elsewhere",
        )
    if read_only:
        if not path.is_file():
            raise StoreError(
                f"no tracker database at {path}",
                "nothing has been stored there yet: run `tracker scan` or `tracker db upgrade` "
                "first, or point database.url to the database",
            )
        return
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise StoreError(
            f"cannot open SQLite database {path}: not writable",
            "fix the permissions, point database.url to a writable file, or use a command "
            "that only reads",
        )


def _read_only_uri(path: Path) -> str:
    """The ``file:`` URI to read ``path`` without writing anything.

    ``mode=ro`` first. A WAL database in a directory we cannot write, with no ``-shm``
    file left, cannot be read that way (SQLite must create the shared-memory file; see
    https://www.sqlite.org/wal.html, "Read-Only Databases"); then ``immutable=1``, which
    is right because nobody without write access to that directory can be writing to it
    through WAL either.
    """
    uri = f"file:{urllib.parse.quote(str(path.resolve()), safe='/')}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return uri + "&immutable=1"
    return uri


def _install_sqlite_hooks(engine: Engine, *, read_only: bool) -> None:
    """WAL, foreign keys, busy timeout; and a real BEGIN so DDL is transactional.

    Python's sqlite3 module (before 3.12's ``autocommit``) begins transactions only before
    DML, so DDL would autocommit; the SQLAlchemy SQLite dialect docs ("Serializable
    isolation / Savepoints / Transactional DDL") give this recipe: disable the module's
    own BEGIN and emit it from the ``begin`` event. Read-only connections change no
    journal mode and set ``PRAGMA query_only``.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if read_only:
                cursor.execute("PRAGMA query_only = ON")
            else:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def create_store_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create (but do not connect) an engine for ``url``.

    SQLite: the parent directory must exist and be writable (read-only: the file must
    exist); connections use WAL, foreign keys and a busy timeout of
    :data:`SQLITE_BUSY_TIMEOUT_SECONDS`. PostgreSQL: psycopg 3 with a connect timeout of
    :data:`POSTGRES_CONNECT_TIMEOUT_SECONDS` (read-only: ``default_transaction_read_only``).

    Raises:
        StoreError: bad URL, unsupported backend, missing driver, unusable SQLite path.
    """
    parsed = parse_url(url)
    kwargs: dict[str, Any] = {}
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_path(parsed, read_only=read_only)
        connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_SECONDS
        path = sqlite_path(parsed)
        if read_only and path is not None:
            # Connect by the file: URI ourselves (SQLAlchemy would re-join an unquoted path
            # with the query); the URL stays the plain one for messages and lock files.
            uri = _read_only_uri(path)
            kwargs["creator"] = lambda: sqlite3.connect(
                uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_SECONDS, check_same_thread=False
            )
    else:
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_SECONDS
        if read_only:
            connect_args["options"] = "-c default_transaction_read_only=on"
        kwargs["pool_pre_ping"] = True
    kwargs["connect_args"] = connect_args
    # JSON columns (findings, flags, details, documents) decode with msgspec: the stored JSON
    # is tracker's own, and a fleet read decodes three documents per row.
    kwargs["json_deserializer"] = msgspec.json.decode
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
        _install_sqlite_hooks(engine, read_only=read_only)
    return engine


# -- migrations --------------------------------------------------------------------------


def migrations_directory() -> Path:
    """Where the Alembic scripts are: the installed ``tracker.migrations`` package, else
    ``<repository>/migrations`` in a source checkout.

    Raises:
        StoreError: when neither exists (a broken installation).
    """
    import importlib.resources

    import tracker

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
    from alembic.config import Config

    config = Config()
    location = script_location or migrations_directory()
    config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def driver_message(exc: BaseException, url: URL) -> str:
    """The first line of the driver's message, with the password scrubbed just in case."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if url.password:
        text = text.replace(str(url.password), "***")
    return text


def _connect_error(exc: BaseException, url: URL) -> StoreError:
    if url.get_backend_name() == "postgresql":
        return StoreError(
            f"cannot connect to PostgreSQL at {safe_url(url)}: {driver_message(exc, url)}",
            "check that the server is running and the URL, user and database are right",
        )
    return StoreError(
        f"cannot open SQLite database {url.database}: {driver_message(exc, url)}",
        "check that the file is a tracker database and its directory is writable",
    )


class SchemaState(enum.Enum):
    """How a database's schema compares with the migrations this tracker ships."""

    EMPTY = "empty"  # no tracker schema (or no database file) yet
    BEHIND = "behind"  # older than this tracker: `tracker db upgrade`
    CURRENT = "current"  # at this tracker's head
    AHEAD = "ahead"  # newer than this tracker knows: upgrade tracker


@dataclass(frozen=True)
class SchemaStatus:
    """A database's schema revision next to this tracker's head revision.

    ``current`` is None for an empty database; ``head`` is the newest revision this
    tracker ships. ``state`` says what to do (see :class:`SchemaState`).
    """

    url: str
    current: str | None
    head: str | None
    state: SchemaState


def _heads(engine: Engine) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
            conn.rollback()
    except sa.exc.SQLAlchemyError as exc:
        raise _connect_error(exc, engine.url) from exc
    return tuple(heads)


def _status(engine: Engine, script_location: Path | None = None) -> SchemaStatus:
    if script_location is None:
        from tracker.store.schema_head import at_quick_head

        quick = at_quick_head(engine)
        if quick is not None:
            return quick
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(script_location=script_location))
    head = script.get_current_head()
    current = _heads(engine)
    known = {rev.revision for rev in script.walk_revisions()}
    url = safe_url(engine.url)
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        return SchemaStatus(url, unknown[0], head, SchemaState.AHEAD)
    if not current:
        return SchemaStatus(url, None, head, SchemaState.EMPTY)
    state = SchemaState.CURRENT if current == ((head,) if head else ()) else SchemaState.BEHIND
    return SchemaStatus(url, current[0], head, state)


def _newer_error(status: SchemaStatus) -> StoreError:
    return StoreError(
        f"database {status.url} has schema revision {status.current}, newer than this "
        f"tracker knows (head {status.head})",
        "upgrade tracker to a version that knows this schema (do not change the database), "
        "or point database.url to another database",
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
    status = _status(engine, script_location)
    if status.state is SchemaState.AHEAD:
        raise _newer_error(status)
    if status.state is SchemaState.CURRENT:
        return status.head
    from alembic import command  # only when there is something to migrate: a heavy import
    from alembic.util import CommandError

    url = engine.url
    try:
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            command.upgrade(alembic_config(conn, script_location), "head")
    except (sa.exc.SQLAlchemyError, CommandError, OSError, ValueError, RuntimeError) as exc:
        raise StoreError(
            f"migrating database {safe_url(url)} to schema {status.head} failed: "
            f"{driver_message(exc, url)}",
            "the database was left unchanged; report this with the message above",
        ) from exc
    return status.head


def check_readable(engine: Engine) -> str | None:
    """Check, without changing anything, that the schema of ``engine`` is at head.

    Returns:
        the head revision.

    Raises:
        StoreError: unreachable database; no tracker schema or an older one (run
            ``tracker db upgrade``); a newer one (upgrade tracker).
    """
    status = _status(engine)
    if status.state is SchemaState.AHEAD:
        raise _newer_error(status)
    if status.state is SchemaState.EMPTY:
        raise StoreError(f"database {status.url} has no tracker schema yet", UPGRADE_HINT)
    if status.state is SchemaState.BEHIND:
        raise StoreError(
            f"database {status.url} has schema revision {status.current}, older than this "
            f"tracker's {status.head}",
            UPGRADE_HINT,
        )
    return status.head


def open_engine(url: str | None = None, *, read_only: bool = False) -> Engine:
    """Engine for ``url`` (None: :func:`default_database_url`), connected and at head.

    ``read_only``: nothing is created or migrated (SQLite is opened ``mode=ro`` with
    ``PRAGMA query_only``; PostgreSQL sessions are read-only) and the schema must already
    be at head (:func:`check_readable`).

    Raises:
        StoreError: see :func:`create_store_engine`, :func:`upgrade_to_head` and
            :func:`check_readable`.
    """
    if url is None:
        url = default_database_url(create=not read_only)
    engine = create_store_engine(url, read_only=read_only)
    try:
        if read_only:
            check_readable(engine)
        else:
            upgrade_to_head(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _read_status(url: str | None) -> SchemaStatus:
    target = url if url is not None else default_database_url(create=False)
    parsed = parse_url(target)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None and not path.exists():
            from alembic.script import ScriptDirectory

            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            return SchemaStatus(safe_url(parsed), None, head, SchemaState.EMPTY)
    engine = create_store_engine(target, read_only=True)
    try:
        return _status(engine)
    finally:
        engine.dispose()


def schema_status(url: str | None = None) -> SchemaStatus:
    """What ``tracker db current`` reports: the database's revision next to this tracker's.

    Reads only (the database is opened read-only); never migrates, never creates anything:
    a SQLite file that does not exist (nor its directory) is :attr:`SchemaState.EMPTY`.

    Raises:
        StoreError: bad URL, missing driver, unreachable database; and a schema NEWER than
            this tracker (the message says to upgrade tracker, not the database).
    """
    status = _read_status(url)
    if status.state is SchemaState.AHEAD:
        raise _newer_error(status)
    return status


def schema_revisions(url: str | None = None) -> tuple[str | None, str | None]:
    """``(current, head)``: the database's schema revision (None: empty) and this tracker's.

    Like :func:`schema_status` (read-only, creates nothing), but a newer schema is returned
    rather than refused.

    Raises:
        StoreError: bad URL, missing driver or unreachable database.
    """
    status = _read_status(url)
    return status.current, status.head


# -- transactions ------------------------------------------------------------------------


@dataclass
class Database:
    """An open engine with one-transaction-per-call helpers; what the concern modules use.

    ``warnings`` collects one-line notes about values the store had to fit into its
    columns (see :mod:`tracker.store.mapping`); :meth:`warn` logs each once.
    """

    engine: Engine
    read_only: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def sqlite(self) -> bool:
        """True on SQLite, False on PostgreSQL."""
        return self.engine.dialect.name == "sqlite"

    @property
    def url(self) -> str:
        """The database URL with the password hidden."""
        return safe_url(self.engine.url)

    @contextlib.contextmanager
    def tx(self, action: str, *, write: bool = False) -> Iterator[sa.Connection]:
        """One transaction; SQLAlchemy errors become a one-line :class:`StoreError`.

        ``write`` on SQLite begins with ``BEGIN IMMEDIATE``, so concurrent writers queue on
        the busy timeout instead of failing on a lock upgrade.
        """
        try:
            with self.engine.connect() as conn:
                if write and self.sqlite:
                    conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
                with conn.begin():
                    yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise self.error(action, exc) from exc

    def error(self, action: str, exc: BaseException) -> StoreError:
        """The :class:`StoreError` for a database failure while doing ``action``."""
        hint = "check that the database is reachable and writable"
        if self.read_only:
            hint = "this command opened the database read-only; use a command that writes"
        return StoreError(
            f"database error while {action} ({self.url}): {driver_message(exc, self.engine.url)}",
            hint,
        )

    def insert(self, table: sa.Table) -> Any:
        """A dialect INSERT that supports ``on_conflict_do_nothing``/``_do_update``.

        The dialect module is imported here, not at start-up: SQLAlchemy's PostgreSQL
        package loads all four of its drivers' modules (~60 ms), which a SQLite store never
        needs."""
        if self.sqlite:
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)

    def warn(self, lines: list[str]) -> None:
        """Log each line once (logger ``tracker.store``) and keep it in :attr:`warnings`."""
        import logging

        log = logging.getLogger("tracker.store")
        for line in lines:
            log.warning("%s", line)
            self.warnings.append(line)
