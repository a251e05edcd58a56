"""Upstream data: the stored releases of each project, and per-project sync state.

Functions over a :class:`tracker.store.db.Database`, each one transaction. Values pass
through :class:`tracker.store.mapping.Fitter`: one over-long tag or a NUL in a release
name costs only that value's tail, never the project's whole sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tracker.errors import StoreError
from tracker.models import Release
from tracker.store import tables as t
from tracker.store.db import Database
from tracker.store.mapping import (
    Fitter,
    error_text,
    key_for,
    release_from,
    release_obj,
    release_values,
    shorten,
)

_CHUNK = 500  # tags per DELETE ... IN (...) (SQLite allows 32766 bound parameters)


@dataclass(frozen=True)
class SyncState:
    """What the last syncs of one project with one token fingerprint left behind.

    ``token_key`` is a fingerprint of the token (the caller hashes it; tokens are never
    stored). ``etag`` (the source's opaque validator), ``complete`` (the project's listing
    was once read to its end) and ``last_success_at`` come from the last successful sync
    only; ``last_attempt_at`` / ``last_error`` from the last attempt (error None after a
    success).
    """

    project: str
    token_key: str
    etag: str | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    renamed_to: str | None
    complete: bool = False


def project_key(project: str) -> str:
    """The project as stored (and looked up): see :func:`tracker.store.mapping.fit_key`."""
    return key_for(t.releases.c.project, project)


def projects(db: Database) -> list[str]:
    """Projects (``owner/repo``) with at least one stored release, sorted."""
    with db.tx("listing projects") as conn:
        return list(
            conn.execute(
                sa.select(t.releases.c.project).distinct().order_by(t.releases.c.project)
            ).scalars()
        )


def releases(db: Database, project: str) -> list[Release]:
    """Stored releases of ``project``, sorted by tag (callers order by version)."""
    with db.tx(f"reading releases of {shorten(project)}") as conn:
        result = conn.execute(
            sa.select(t.releases)
            .where(t.releases.c.project == project_key(project))
            .order_by(t.releases.c.tag)
        )
        return [release_from(row) for row in result]


def all_releases(db: Database) -> dict[str, list[Release]]:
    """Every stored release, grouped by project (projects sorted, tags sorted)."""
    out: dict[str, list[Release]] = {}
    with db.tx("reading the stored releases") as conn:
        result = conn.execute(
            sa.select(t.releases).order_by(t.releases.c.project, t.releases.c.tag)
        )
        for row in result:
            out.setdefault(row.project, []).append(release_from(row))
    return out


def upsert_releases(
    db: Database, project: str, new_releases: Sequence[Release], *, replace: bool = False
) -> int:
    """Insert new releases of ``project`` and update changed ones; return how many were new.

    A stored release is updated when its ``published_at``, ``prerelease``, ``url`` or
    ``name`` differ (e.g. a pre-release promoted). Releases are compared as stored (after
    fitting, :mod:`tracker.store.mapping`), so a tag too long for its column is stored once
    and found again next time. When a tag appears twice, the last one wins.
    ``replace=True`` also deletes stored releases of ``project`` whose tag is not in
    ``new_releases``: use it only after a complete, successful full sync.

    Raises:
        StoreError: a release belongs to another project, or a database failure.
    """
    fitter = Fitter()
    wanted: dict[str, dict[str, Any]] = {}
    for release in new_releases:
        if release.project != project:
            raise StoreError(
                f"release {shorten(release.tag)} belongs to {shorten(release.project)}, "
                f"not {shorten(project)}",
                "pass the releases of one project per call",
            )
        values = fitter.row(t.releases, release_values(release), release_obj(release))
        wanted[values["tag"]] = values
    key = project_key(project)
    with db.tx(f"saving releases of {shorten(project)}", write=True) as conn:
        stored = {
            row.tag: release_values(release_from(row))
            for row in conn.execute(sa.select(t.releases).where(t.releases.c.project == key))
        }
        new = [v for tag, v in wanted.items() if tag not in stored]
        changed = [v for tag, v in wanted.items() if tag in stored and stored[tag] != v]
        inserted = 0
        if new:
            # One statement for every new row: SQLAlchemy batches the parameter sets into
            # multi-row INSERTs itself ("insertmanyvalues"), and compiles it once per process
            # rather than once per chunk. ON CONFLICT DO NOTHING: a concurrent import/sync of
            # the same project may have inserted the tag after our SELECT (PostgreSQL); it is
            # not new then, and RETURNING leaves it out.
            inserted = len(
                conn.execute(
                    db.insert(t.releases)
                    .on_conflict_do_nothing(index_elements=["project", "tag"])
                    .returning(t.releases.c.id),
                    new,
                ).all()
            )
        if changed:
            conn.execute(
                t.releases.update()
                .where(t.releases.c.project == sa.bindparam("b_project"))
                .where(t.releases.c.tag == sa.bindparam("b_tag"))
                .values(
                    published_at=sa.bindparam("published_at"),
                    prerelease=sa.bindparam("prerelease"),
                    url=sa.bindparam("url"),
                    name=sa.bindparam("name"),
                ),
                [
                    {
                        "b_project": v["project"],
                        "b_tag": v["tag"],
                        **{k: v[k] for k in ("published_at", "prerelease", "url", "name")},
                    }
                    for v in changed
                ],
            )
        if replace:
            gone = [tag for tag in stored if tag not in wanted]
            for start in range(0, len(gone), _CHUNK):
                conn.execute(
                    t.releases.delete()
                    .where(t.releases.c.project == key)
                    .where(t.releases.c.tag.in_(gone[start : start + _CHUNK]))
                )
    db.warn(fitter.lines())
    return inserted


def sync_state(db: Database, project: str, token_key: str) -> SyncState | None:
    """The sync state of ``project`` for the token fingerprint ``token_key``, or None."""
    with db.tx(f"reading the sync state of {shorten(project)}") as conn:
        row = conn.execute(
            sa.select(t.sync_state)
            .where(t.sync_state.c.project == project_key(project))
            .where(t.sync_state.c.token_key == token_key)
        ).first()
    if row is None:
        return None
    return SyncState(
        project=row.project,
        token_key=row.token_key,
        etag=row.etag,
        last_success_at=row.last_success_at,
        last_attempt_at=row.last_attempt_at,
        last_error=row.last_error,
        renamed_to=row.renamed_to,
        complete=bool(row.complete),
    )


def record_sync(
    db: Database,
    project: str,
    token_key: str,
    *,
    attempted_at: datetime,
    etag: str | None,
    success: bool,
    error: str | None = None,
    renamed_to: str | None = None,
    complete: bool = False,
) -> None:
    """Record one sync attempt of ``project`` with the token fingerprint ``token_key``.

    Success: ``etag``, ``complete``, ``last_success_at = attempted_at``, error cleared.
    Failure: the previous ``etag``, ``complete`` and ``last_success_at`` are kept,
    ``last_error = error``. Both set ``last_attempt_at``; ``renamed_to`` is updated when
    given (a redirect to the project's new name).
    """
    values: dict[str, Any] = {"last_attempt_at": attempted_at}
    if success:
        values.update(etag=etag, complete=complete, last_success_at=attempted_at, last_error=None)
    else:
        values["last_error"] = error_text(error or "unknown error")
    if renamed_to is not None:
        values["renamed_to"] = renamed_to
    fitter = Fitter()
    values = fitter.row(t.sync_state, values, f"sync state of {shorten(project)}")
    key = project_key(project)
    with db.tx(f"recording the sync of {shorten(project)}", write=True) as conn:
        conn.execute(
            db.insert(t.sync_state)
            .values(project=key, token_key=token_key)
            .on_conflict_do_nothing(index_elements=["project", "token_key"])
        )
        conn.execute(
            t.sync_state.update()
            .where(t.sync_state.c.project == key)
            .where(t.sync_state.c.token_key == token_key)
            .values(**values)
        )
    db.warn(fitter.lines())


def last_synced(db: Database) -> dict[str, datetime]:
    """Project -> the latest successful sync with any token (projects never synced absent)."""
    latest = sa.func.max(t.sync_state.c.last_success_at)
    with db.tx("reading sync times") as conn:
        rows = conn.execute(
            sa.select(t.sync_state.c.project, latest)
            .where(t.sync_state.c.last_success_at.is_not(None))
            .group_by(t.sync_state.c.project)
        ).all()
    return {project: when for project, when in rows}


# -- documents: support cycles, advisories, ... -------------------------------------------


def put_documents(
    db: Database,
    kind: str,
    subject: str,
    documents: dict[str, Any],
    *,
    fetched_at: datetime,
    replace: bool = False,
) -> int:
    """Store ``documents`` (key -> JSON-able value) of one ``kind`` and ``subject``.

    New keys are inserted, changed ones updated; ``replace=True`` also deletes the stored
    keys of (kind, subject) not in ``documents`` (only after a complete, successful fetch:
    a failed sync never deletes). Returns how many keys were new or changed.

    Raises:
        StoreError: a database failure.
    """
    fitter = Fitter()
    obj = f"{shorten(kind)} of {shorten(subject)}"
    wanted = {
        values["key"]: values
        for key, payload in documents.items()
        if (
            values := fitter.row(
                t.upstream_documents,
                {
                    "kind": kind,
                    "subject": subject,
                    "key": key,
                    "payload": payload,
                    "fetched_at": fetched_at,
                },
                obj,
            )
        )
    }
    kind_key = key_for(t.upstream_documents.c.kind, kind)
    subject_key = key_for(t.upstream_documents.c.subject, subject)
    docs = t.upstream_documents
    with db.tx(f"saving {obj}", write=True) as conn:
        stored = {
            row.key: row.payload
            for row in conn.execute(
                sa.select(docs.c.key, docs.c.payload)
                .where(docs.c.kind == kind_key)
                .where(docs.c.subject == subject_key)
            )
        }
        new = [v for key, v in wanted.items() if key not in stored]
        changed = [v for key, v in wanted.items() if key in stored and stored[key] != v["payload"]]
        if new:  # one executemany, batched by SQLAlchemy (see upsert_releases)
            conn.execute(
                db.insert(docs).on_conflict_do_nothing(index_elements=["kind", "subject", "key"]),
                new,
            )
        for v in changed:
            conn.execute(
                docs.update()
                .where(docs.c.kind == v["kind"])
                .where(docs.c.subject == v["subject"])
                .where(docs.c.key == v["key"])
                .values(payload=v["payload"], fetched_at=v["fetched_at"])
            )
        if replace:
            gone = [key for key in stored if key not in wanted]
            for start in range(0, len(gone), _CHUNK):
                conn.execute(
                    docs.delete()
                    .where(docs.c.kind == kind_key)
                    .where(docs.c.subject == subject_key)
                    .where(docs.c.key.in_(gone[start : start + _CHUNK]))
                )
    db.warn(fitter.lines())
    return len(new) + len(changed)


def documents(db: Database, kind: str, subject: str | None = None) -> dict[tuple[str, str], Any]:
    """Stored documents of ``kind`` (of one ``subject``, or all): (subject, key) -> payload."""
    docs = t.upstream_documents
    query = sa.select(docs.c.subject, docs.c.key, docs.c.payload).where(
        docs.c.kind == key_for(docs.c.kind, kind)
    )
    if subject is not None:
        query = query.where(docs.c.subject == key_for(docs.c.subject, subject))
    with db.tx(f"reading stored {shorten(kind)}") as conn:
        return {
            (row.subject, row.key): row.payload
            for row in conn.execute(query.order_by(docs.c.subject, docs.c.key))
        }


def documents_fetched(db: Database, kind: str) -> dict[str, datetime]:
    """Subject -> when its newest stored document of ``kind`` was fetched (staleness)."""
    docs = t.upstream_documents
    with db.tx(f"reading when {shorten(kind)} were fetched") as conn:
        return {
            row.subject: row.fetched
            for row in conn.execute(
                sa.select(docs.c.subject, sa.func.max(docs.c.fetched_at).label("fetched"))
                .where(docs.c.kind == key_for(docs.c.kind, kind))
                .group_by(docs.c.subject)
            )
        }
