"""Notification outbox: a message that could not be sent is sent on a later run, exactly once."""

from __future__ import annotations

import pytest

from tracker.errors import StoreError
from tracker.store import Store

PAYLOAD: dict[str, object] = {
    "text": "gke-prod: 3 components outdated",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*istio* 1.12.1 → 1.24.1"}}],
}


def test_failed_item_is_pending_until_sent_then_never_again(database_url: str) -> None:
    with Store.open(database_url) as store:
        item_id = store.enqueue_notification("slack", "gke-prod", PAYLOAD)
        other = store.enqueue_notification("webhook", "staging", {"n": 1})
        store.mark_notification_failed(item_id, "HTTP 503 from hooks.slack.com")
        store.mark_notification_failed(item_id, "timeout after 10 s")

    # next run (a new process would reopen the store the same way)
    with Store.open(database_url) as store:
        [item] = store.pending_notifications("slack")
        assert (item.id, item.target, item.cluster, item.payload) == (
            item_id,
            "slack",
            "gke-prod",
            PAYLOAD,
        )
        assert (item.attempts, item.last_error) == (2, "timeout after 10 s")
        assert item.created_at.tzinfo is not None
        assert [i.id for i in store.pending_notifications()] == [item_id, other]
        store.mark_notification_sent(item_id)
        store.mark_notification_sent(item_id)  # idempotent

    with Store.open(database_url) as store:
        assert store.pending_notifications("slack") == []
        assert [i.id for i in store.pending_notifications()] == [other]


def test_unknown_item_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="notification 999 is not in the outbox"):
        store.mark_notification_sent(999)
    with pytest.raises(StoreError, match="notification 999 is not in the outbox"):
        store.mark_notification_failed(999, "x")


def test_very_long_errors_are_truncated(store: Store) -> None:
    item_id = store.enqueue_notification("slack", "c", {})
    store.mark_notification_failed(item_id, "x" * 10_000)
    [item] = store.pending_notifications()
    assert item.last_error is not None and len(item.last_error) <= 2000
