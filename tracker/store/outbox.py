"""The notification outbox: items queued, sent, or given up after too many failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from tracker.errors import StoreError
from tracker.store import tables as t
from tracker.store.db import Database
from tracker.store.mapping import Fitter, error_text, shorten

MAX_NOTIFICATION_ATTEMPTS = 10
"""Failed sends after which an outbox item is given up (``failed_at`` set, never resent)."""


@dataclass(frozen=True)
class OutboxItem:
    """A notification waiting to be sent; ``attempts`` counts failed sends."""

    id: int
    target: str
    cluster: str
    payload: dict[str, object]
    created_at: datetime
    attempts: int
    last_error: str | None


def insert(
    conn: sa.Connection, fitter: Fitter, target: str, cluster: str, payload: dict[str, object]
) -> int:
    """Queue one item inside the caller's transaction; return its id."""
    values = fitter.row(
        t.outbox,
        {
            "target": target,
            "cluster": cluster,
            "payload": payload,
            "created_at": datetime.now(UTC),
            "attempts": 0,
        },
        f"notification for {shorten(target)} about cluster {shorten(cluster)}",
    )
    return int(
        conn.execute(t.outbox.insert().values(**values).returning(t.outbox.c.id)).scalar_one()
    )


def enqueue(db: Database, target: str, cluster: str, payload: dict[str, object]) -> int:
    """Queue ``payload`` (JSON-serializable) for ``target``; return the item id."""
    fitter = Fitter()
    with db.tx(f"queueing a notification for {shorten(target)}", write=True) as conn:
        item_id = insert(conn, fitter, target, cluster, payload)
    db.warn(fitter.lines())
    return item_id


def pending(db: Database, target: str | None = None) -> list[OutboxItem]:
    """Notifications neither sent nor given up (all targets, or one), oldest first."""
    query = (
        sa.select(t.outbox)
        .where(t.outbox.c.sent_at.is_(None))
        .where(t.outbox.c.failed_at.is_(None))
        .order_by(t.outbox.c.id)
    )
    if target is not None:
        query = query.where(t.outbox.c.target == target)
    with db.tx("reading the notification outbox") as conn:
        return [
            OutboxItem(
                id=row.id,
                target=row.target,
                cluster=row.cluster,
                payload=dict(row.payload),
                created_at=row.created_at,
                attempts=row.attempts,
                last_error=row.last_error,
            )
            for row in conn.execute(query)
        ]


def mark_sent(db: Database, item_id: int) -> None:
    """Mark item ``item_id`` sent; it is never returned as pending again.

    Raises:
        StoreError: when no such item exists.
    """
    with db.tx(f"marking notification {item_id} sent", write=True) as conn:
        _exists(conn, item_id)
        conn.execute(
            t.outbox.update()
            .where(t.outbox.c.id == item_id)
            .where(t.outbox.c.sent_at.is_(None))
            .values(sent_at=datetime.now(UTC))
        )


def mark_failed(
    db: Database, item_id: int, error: str, *, max_attempts: int = MAX_NOTIFICATION_ATTEMPTS
) -> bool:
    """Record a failed send of item ``item_id``: ``attempts += 1``, ``last_error = error``.

    When ``attempts`` reaches ``max_attempts`` the item is given up: ``failed_at`` is set
    and :func:`pending` never returns it again (a message the target rejects for good,
    e.g. HTTP 400, must not fail every later run).

    Returns:
        True when this call gave the item up; False otherwise (also when it was given up or
        sent before).

    Raises:
        StoreError: when no such item exists.
    """
    with db.tx(f"marking notification {item_id} failed", write=True) as conn:
        _exists(conn, item_id)
        attempts = conn.execute(
            t.outbox.update()
            .where(t.outbox.c.id == item_id)
            .values(attempts=t.outbox.c.attempts + 1, last_error=error_text(error))
            .returning(t.outbox.c.attempts)
        ).scalar_one()
        if attempts < max_attempts:
            return False
        gave_up = conn.execute(
            t.outbox.update()
            .where(t.outbox.c.id == item_id)
            .where(t.outbox.c.sent_at.is_(None))
            .where(t.outbox.c.failed_at.is_(None))
            .values(failed_at=datetime.now(UTC))
        )
        return bool(gave_up.rowcount)


def _exists(conn: sa.Connection, item_id: int) -> None:
    found = conn.execute(
        sa.select(t.outbox.c.id).where(t.outbox.c.id == item_id)
    ).scalar_one_or_none()
    if found is None:
        raise StoreError(
            f"notification {item_id} is not in the outbox",
            "use an id returned by pending_notifications()",
        )
