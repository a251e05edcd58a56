"""Release catalogue (upsert new / updated / replace) and sync state per token fingerprint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tracker.errors import StoreError
from tracker.models import Release
from tracker.store import Store

ReleasesOf = Callable[[str], list[Release]]


def _by_tag(releases: list[Release]) -> dict[str, Release]:
    return {r.tag: r for r in releases}


def test_real_release_lists_round_trip(store: Store, releases_of: ReleasesOf) -> None:
    istio = releases_of("istio/istio")
    k8s = releases_of("kubernetes/kubernetes")
    assert store.upsert_releases("istio/istio", istio) == len(istio) == 456
    assert store.upsert_releases("kubernetes/kubernetes", k8s) == 20
    # -05:00 offsets and Z both come back as the same instant, in UTC
    assert _by_tag(store.releases("istio/istio")) == _by_tag(istio)
    assert _by_tag(store.releases("kubernetes/kubernetes")) == _by_tag(k8s)
    assert all(
        r.published_at is None or r.published_at.tzinfo == UTC
        for r in store.releases("istio/istio")
    )
    assert store.projects() == ["istio/istio", "kubernetes/kubernetes"]
    everything = store.all_releases()
    assert sorted(everything) == ["istio/istio", "kubernetes/kubernetes"]
    assert len(everything["istio/istio"]) == 456
    assert store.releases("nobody/nothing") == []


def test_upsert_counts_only_new_and_updates_changed(store: Store, releases_of: ReleasesOf) -> None:
    k8s = releases_of("kubernetes/kubernetes")
    assert store.upsert_releases("kubernetes/kubernetes", k8s) == 20
    assert store.upsert_releases("kubernetes/kubernetes", k8s) == 0  # idempotent

    beta = next(r for r in k8s if r.tag == "v1.30.0-beta.0")
    assert beta.prerelease
    promoted = replace(
        beta,
        prerelease=False,
        url="https://github.com/kubernetes/kubernetes/releases/tag/v1.30.0-beta.0",
        published_at=datetime(2024, 3, 20, 12, 0, tzinfo=UTC),
        name="Kubernetes v1.30.0-beta.0 (re-published)",
    )
    fresh = Release("kubernetes/kubernetes", "v1.30.0", None, name="Kubernetes v1.30.0")
    assert store.upsert_releases("kubernetes/kubernetes", [promoted, fresh]) == 1
    stored = _by_tag(store.releases("kubernetes/kubernetes"))
    assert len(stored) == 21
    assert stored["v1.30.0-beta.0"] == promoted
    assert stored["v1.30.0"] == fresh
    assert stored["v1.29.3"] == _by_tag(k8s)["v1.29.3"]  # not in the call: untouched


def test_replace_deletes_only_that_projects_missing_tags(
    store: Store, releases_of: ReleasesOf
) -> None:
    k8s = releases_of("kubernetes/kubernetes")
    istio = releases_of("istio/istio")
    store.upsert_releases("kubernetes/kubernetes", k8s)
    store.upsert_releases("istio/istio", istio)
    kept = [r for r in k8s if not r.prerelease]
    assert store.upsert_releases("kubernetes/kubernetes", kept, replace=True) == 0
    assert {r.tag for r in store.releases("kubernetes/kubernetes")} == {r.tag for r in kept}
    assert "v1.30.0-alpha.3" not in {r.tag for r in store.releases("kubernetes/kubernetes")}
    assert len(store.releases("istio/istio")) == 456
    # replace with an empty complete list empties the project
    store.upsert_releases("kubernetes/kubernetes", [], replace=True)
    assert store.releases("kubernetes/kubernetes") == []


def test_duplicate_tags_in_one_call_last_wins(store: Store) -> None:
    a = Release("cert-manager/cert-manager", "v1.12.0", None, prerelease=True)
    b = replace(a, prerelease=False, name="v1.12.0")
    assert store.upsert_releases("cert-manager/cert-manager", [a, b]) == 1
    assert store.releases("cert-manager/cert-manager") == [b]


def test_release_of_another_project_is_refused(store: Store, releases_of: ReleasesOf) -> None:
    with pytest.raises(StoreError, match="belongs to 'istio/istio', not 'kubernetes/kubernetes'"):
        store.upsert_releases("kubernetes/kubernetes", releases_of("istio/istio")[:1])
    assert store.projects() == []


T0 = datetime(2024, 3, 16, 2, 0, tzinfo=UTC)


def test_sync_state_is_kept_per_token(store: Store) -> None:
    assert store.sync_state("istio/istio", "tok-a") is None
    store.record_sync("istio/istio", "tok-a", attempted_at=T0, etag='W/"abc"', success=True)
    store.record_sync(
        "istio/istio", "tok-b", attempted_at=T0 + timedelta(hours=1), etag='"b"', success=True
    )
    a = store.sync_state("istio/istio", "tok-a")
    b = store.sync_state("istio/istio", "tok-b")
    assert a is not None and b is not None
    assert (a.etag, a.last_success_at, a.last_attempt_at, a.last_error) == (
        'W/"abc"',
        T0,
        T0,
        None,
    )
    assert b.etag == '"b"'
    assert store.sync_state("istio/istio", "tok-c") is None


def test_failed_sync_keeps_previous_etag_and_success(store: Store) -> None:
    store.record_sync("istio/istio", "tok", attempted_at=T0, etag='"e1"', success=True)
    later = T0 + timedelta(days=1)
    store.record_sync(
        "istio/istio", "tok", attempted_at=later, etag=None, success=False, error="HTTP 502"
    )
    state = store.sync_state("istio/istio", "tok")
    assert state is not None
    assert (state.etag, state.last_success_at) == ('"e1"', T0)
    assert (state.last_attempt_at, state.last_error) == (later, "HTTP 502")
    # the next success clears the error
    store.record_sync(
        "istio/istio",
        "tok",
        attempted_at=later + timedelta(hours=1),
        etag='"e2"',
        success=True,
        renamed_to="istio/istio-new",
    )
    state = store.sync_state("istio/istio", "tok")
    assert state is not None
    assert (state.etag, state.last_error, state.renamed_to) == ('"e2"', None, "istio/istio-new")


def test_last_synced_is_the_latest_success_with_any_token(store: Store) -> None:
    store.record_sync("istio/istio", "a", attempted_at=T0, etag=None, success=True)
    store.record_sync(
        "istio/istio", "b", attempted_at=T0 + timedelta(days=2), etag=None, success=True
    )
    store.record_sync(
        "istio/istio", "a", attempted_at=T0 + timedelta(days=5), etag=None, success=False, error="x"
    )
    store.record_sync("never/ok", "a", attempted_at=T0, etag=None, success=False, error="HTTP 404")
    assert store.last_synced() == {"istio/istio": T0 + timedelta(days=2)}
