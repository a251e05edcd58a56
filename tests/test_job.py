"""`nightly` (tracker.workflows.nightly) as a library: real dumps, real store, fake Slack.

What the CLI tests (tests/test_cli_run.py) cannot steer: the clock, the Slack client's
timeout (a hanging webhook), a failing scan, a scan stored in between by `tracker scan`,
and the outbox lock.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from tests.fakes.slack_webhook import Answer, FakeSlackWebhook
from tracker.errors import DumpError
from tracker.history import first_seen
from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import CatalogueEntry, Inventory
from tracker.notify.slack import SlackNotifier
from tracker.report.history import format_history
from tracker.store import MAX_NOTIFICATION_ATTEMPTS, Store
from tracker.upstream.release_file import import_releases
from tracker.workflows import notify as notify_workflow
from tracker.workflows.nightly import NightlyResult, nightly, report_files, sync_is_fresh
from tracker.workflows.query import cluster_history
from tracker.workflows.report import evaluate_report, save_report
from tracker.workflows.scan import scan
from tracker.workflows.sync import SyncOptions

CLUSTER = "docker-desktop"
DAY1 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


@dataclass
class At:
    """An inventory source that stamps another source's scan with a fixed time."""

    source: KubectlDump
    when: datetime

    def collect(self) -> Inventory:
        return replace(self.source.collect(), scanned_at=self.when)


@dataclass
class Broken:
    """A source whose scan always fails (the cluster is unreachable)."""

    def collect(self) -> Inventory:
        raise DumpError("cannot read dump nodes.json: file vanished", "check the path")


@pytest.fixture(scope="module")
def catalogue() -> dict[str, CatalogueEntry]:
    return dict(load_catalogue({}))


@pytest.fixture
def store(tmp_path: Path, realdata: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'job.db'}") as s:
        for path in sorted((realdata / "releases").glob("*__*.json")):
            import_releases(s, path, project=path.stem.replace("__", "/"))
        yield s


def v1(realdata: Path) -> KubectlDump:
    return KubectlDump(
        [
            realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json",
            realdata / "nodes" / "kind-v1.24.0.node.yaml",
        ],
        cluster=CLUSTER,
    )


def v2(realdata: Path, out: Path) -> KubectlDump:
    """Sidecar 1.12.1 -> 1.13.9; a second node with kubelet v1.23.17."""
    pod_text = (realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json").read_text()
    pod = out / "pod-v2.json"
    pod.write_text(pod_text.replace("proxyv2:1.12.1", "proxyv2:1.13.9"), encoding="utf-8")
    node = yaml.safe_load((realdata / "nodes" / "kind-v1.24.0.node.yaml").read_text())
    worker = copy.deepcopy(node)
    worker["metadata"]["name"] = "kind-worker"
    worker["status"]["nodeInfo"]["kubeletVersion"] = "v1.23.17"
    # a kubelet writes its own version here too (the field is deprecated: KEP-4004)
    worker["status"]["nodeInfo"]["kubeProxyVersion"] = "v1.23.17"
    nodes = out / "nodes-v2.json"
    nodes.write_text(json.dumps({"kind": "List", "items": [node, worker]}), encoding="utf-8")
    return KubectlDump([pod, nodes], cluster=CLUSTER)


def run(
    store: Store,
    catalogue: dict[str, CatalogueEntry],
    source: object,
    when: datetime,
    notifiers: dict[str, SlackNotifier] | None = None,
    **kwargs: object,
) -> NightlyResult:
    return nightly(
        store,
        catalogue,
        source,  # type: ignore[arg-type]
        cluster=CLUSTER,
        today=when.date(),
        now=when,
        sync=SyncOptions(enabled=False),
        notifiers=dict(notifiers or {}),
        **kwargs,  # type: ignore[arg-type]
    )


def slack(client: httpx.Client, url: str) -> SlackNotifier:
    return SlackNotifier(client, url, max_attempts=2, sleep=lambda _: None)


def test_changes_days_open_and_history(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path, tmp_path: Path
) -> None:
    first = run(store, catalogue, At(v1(realdata), DAY1), DAY1)
    assert first.errors == () and first.changes is None
    day2 = DAY1 + timedelta(days=1)
    second = run(store, catalogue, At(v2(realdata, tmp_path), day2), day2)
    assert second.changes is not None
    assert [(r.key.role, r.row.current, r.key.kind) for r in second.changes.new] == [
        ("kubelet", "1.23.17", "outdated"),
        ("kubelet", "1.23.17", "partial-catalogue"),  # older than every known release
        ("kubelet", "1.23.17", "skew"),  # 6 minors behind the 1.29 API server
    ]
    assert second.changes.resolved == ()
    assert [(v.key.component, v.current.current) for v in second.changes.upgraded] == [
        ("istio", "1.13.9")
    ]
    day12 = DAY1 + timedelta(days=11)
    third = run(store, catalogue, At(v2(realdata, tmp_path), day12), day12)
    assert third.changes is not None and not third.changes.changed

    runs = cluster_history(store, CLUSTER)
    seen = first_seen(runs)
    by_role = {(k.component, k.role): d for k, d in seen.items()}
    # the sidecar's `outdated` finding survived its upgrade: open since day 1
    assert by_role[("istio", "data-plane")] == DAY1.date()
    assert by_role[("kubernetes", "control-plane")] == DAY1.date()
    text = format_history({CLUSTER: runs}, component=None, today=day12.date(), width=200)
    table = text[text.index(f"{CLUSTER}: open findings") :]
    istio_line = next(line for line in table.splitlines() if "istio rev" in line)
    assert "data-plane" in istio_line and istio_line.endswith("outdated 11d")


def test_failed_scan_reports_last_scan_and_does_not_repeat_the_message(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path, tmp_path: Path
) -> None:
    with FakeSlackWebhook() as hook, httpx.Client(timeout=5) as client:
        notifiers = {"slack": slack(client, hook.url)}
        run(store, catalogue, At(v1(realdata), DAY1), DAY1, notifiers)
        day2 = DAY1 + timedelta(days=1)
        run(store, catalogue, At(v2(realdata, tmp_path), day2), day2, notifiers)
        assert len(hook.requests) == 2
        day3 = DAY1 + timedelta(days=2)
        failed = run(store, catalogue, Broken(), day3, notifiers)
        assert len(hook.requests) == 2, "the changes of day 2 were already announced"
    assert failed.report is not None
    assert [e for e in failed.errors] == [
        "scan failed: cannot read dump nodes.json: file vanished (check the path)"
    ]
    assert failed.changes is not None and not failed.changes.changed
    assert {r.current for r in failed.report.components if r.component.component == "istio"} == {
        "1.13.9"
    }


def test_scan_stored_in_between_is_not_a_first_run(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path
) -> None:
    with FakeSlackWebhook() as hook, httpx.Client(timeout=5) as client:
        notifiers = {"slack": slack(client, hook.url)}
        run(store, catalogue, At(v1(realdata), DAY1), DAY1, notifiers)
        # `tracker scan` in between: stored, never evaluated
        scan(At(v1(realdata), DAY1 + timedelta(hours=1)), store, catalogue)
        later = DAY1 + timedelta(days=1)
        result = run(store, catalogue, At(v1(realdata), later), later, notifiers)
        assert len(hook.requests) == 1
    assert result.changes is not None and not result.changes.changed


def test_first_run_of_unknown_cluster_with_failed_scan(
    store: Store, catalogue: dict[str, CatalogueEntry]
) -> None:
    result = run(store, catalogue, Broken(), DAY1)
    assert result.report is None
    # the scan's own error says why; no second line saying there is nothing to report
    assert len(result.errors) == 1 and result.errors[0].startswith("scan failed:")


def test_hanging_slack_keeps_the_message_for_the_next_run(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path
) -> None:
    with FakeSlackWebhook([Answer.hang_up(), Answer.hang_up()]) as hook:
        with httpx.Client(timeout=0.3) as client:
            down = run(
                store, catalogue, At(v1(realdata), DAY1), DAY1, {"slack": slack(client, hook.url)}
            )
        assert len(down.errors) == 1
        assert down.errors[0].startswith("notification to slack for docker-desktop not sent:")
        assert "timed out" in down.errors[0]
        assert hook.url not in down.errors[0] and "XXsecretXX" not in down.errors[0]
        assert (down.notifications_sent, down.notifications_pending) == (0, 1)
        kept = store.pending_notifications()[0].payload

        with httpx.Client(timeout=5) as client:
            day2 = DAY1 + timedelta(days=1)
            up = run(
                store, catalogue, At(v1(realdata), day2), day2, {"slack": slack(client, hook.url)}
            )
        assert up.errors == ()
        assert (up.notifications_sent, up.notifications_pending) == (1, 0)
        assert hook.requests[-1].json() == kept
        assert len(hook.requests) == 3  # two hung attempts, one delivery


def test_outbox_busy_leaves_messages_pending(
    store: Store,
    catalogue: dict[str, CatalogueEntry],
    realdata: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notify_workflow, "OUTBOX_LOCK_WAIT_SECONDS", 0.2)
    with (
        FakeSlackWebhook() as hook,
        httpx.Client(timeout=5) as client,
        Store.open(store.url) as other,
        other.job_lock("outbox"),  # another cluster's run is flushing the outbox
    ):
        result = run(
            store, catalogue, At(v1(realdata), DAY1), DAY1, {"slack": slack(client, hook.url)}
        )
        assert hook.requests == []
    assert (result.notifications_sent, result.notifications_pending) == (0, 1)
    assert any("outbox busy" in w for w in result.warnings)
    assert result.errors == ()


def test_notification_without_target_stays_pending(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path
) -> None:
    with FakeSlackWebhook() as hook, httpx.Client(timeout=5) as client:
        run(store, catalogue, At(v1(realdata), DAY1), DAY1, {"slack": slack(client, hook.url)})
        assert len(hook.requests) == 1
    result = run(store, catalogue, At(v1(realdata), DAY1 + timedelta(days=1)), DAY1)
    assert (result.notifications_sent, result.notifications_pending) == (0, 0)


def test_report_files_and_freshness(tmp_path: Path) -> None:
    md, js, html = report_files(tmp_path, "prod/eu west", date(2026, 11, 30))
    assert (md.name, js.name, html.name) == (
        "prod_eu_west-2026-11-30.md",
        "prod_eu_west-2026-11-30.json",
        "prod_eu_west-2026-11-30.html",
    )
    now = DAY1
    synced = {"a/b": now - timedelta(hours=1), "c/d": now - timedelta(hours=7)}
    assert sync_is_fresh(synced, ["a/b"], now, timedelta(hours=6))
    assert not sync_is_fresh(synced, ["a/b", "c/d"], now, timedelta(hours=6))
    assert not sync_is_fresh(synced, ["a/b", "e/f"], now, timedelta(hours=6))
    assert not sync_is_fresh(synced, [], now, timedelta(hours=6))


def test_report_dir_not_writable_is_one_error(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(store, catalogue, At(v1(realdata), DAY1), DAY1, report_dir=blocker / "sub")
    assert result.report is not None and result.files == ()
    assert len(result.errors) == 1 and result.errors[0].startswith("cannot write reports to")


def test_report_in_between_does_not_swallow_the_next_runs_changes(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path, tmp_path: Path
) -> None:
    with FakeSlackWebhook() as hook, httpx.Client(timeout=5) as client:
        notifiers = {"slack": slack(client, hook.url)}
        run(store, catalogue, At(v1(realdata), DAY1), DAY1, notifiers)
        # `tracker scan` + `tracker report` by hand: the upgraded cluster is evaluated
        manual = DAY1 + timedelta(hours=12)
        scan(At(v2(realdata, tmp_path), manual), store, catalogue)
        evaluated = evaluate_report(
            store, catalogue, today=manual.date(), now=manual, clusters=[CLUSTER]
        )
        save_report(store, evaluated)
        day2 = DAY1 + timedelta(days=1)
        result = run(store, catalogue, At(v2(realdata, tmp_path), day2), day2, notifiers)
        assert len(hook.requests) == 2, "the upgrade was announced by the nightly run"
    assert result.changes is not None
    assert [(v.key.component, v.current.current) for v in result.changes.upgraded] == [
        ("istio", "1.13.9")
    ]


@dataclass
class CrashingNotifier:
    """A notifier whose run dies after the report was built, before anything is queued."""

    inner: SlackNotifier

    def build_payload(self, *args: object, **kwargs: object) -> dict[str, object]:
        raise KeyboardInterrupt("process killed")

    def send(self, payload: dict[str, object]) -> None:  # pragma: no cover - never reached
        self.inner.send(payload)


def test_run_killed_before_queueing_is_announced_by_the_next_run(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path, tmp_path: Path
) -> None:
    with FakeSlackWebhook() as hook, httpx.Client(timeout=5) as client:
        good = slack(client, hook.url)
        run(store, catalogue, At(v1(realdata), DAY1), DAY1, {"slack": good})
        day2 = DAY1 + timedelta(days=1)
        with pytest.raises(KeyboardInterrupt):
            run(
                store,
                catalogue,
                At(v2(realdata, tmp_path), day2),
                day2,
                {"slack": CrashingNotifier(good)},  # type: ignore[dict-item]
            )
        assert store.pending_notifications() == []
        day3 = DAY1 + timedelta(days=2)
        result = run(store, catalogue, At(v2(realdata, tmp_path), day3), day3, {"slack": good})
        assert len(hook.requests) == 2, "the digest of day 2 was not lost"
    assert result.changes is not None and result.changes.changed
    assert [(v.key.component, v.current.current) for v in result.changes.upgraded] == [
        ("istio", "1.13.9")
    ]


def test_run_reports_its_own_scan_when_a_newer_one_was_stored_meanwhile(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path, tmp_path: Path
) -> None:
    run(store, catalogue, At(v1(realdata), DAY1), DAY1)
    day2 = DAY1 + timedelta(days=1)
    # stored by another process after this run scanned, before it got the lock
    scan(At(v2(realdata, tmp_path), day2 + timedelta(minutes=5)), store, catalogue)
    result = run(store, catalogue, At(v1(realdata), day2), day2)
    assert result.report is not None
    assert [c.scanned_at for c in result.report.clusters] == [day2]
    assert {r.current for r in result.report.components if r.component.component == "istio"} == {
        "1.12.1"
    }
    assert result.changes is not None and not result.changes.changed
    # and its scan (not the newer one) is the next run's baseline
    baseline = store.last_job_run_rows(CLUSTER)
    assert baseline is not None
    assert {r.current for r in baseline if r.component.component == "istio"} == {"1.12.1"}


def test_rejected_notification_is_given_up_once_and_later_runs_succeed(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path
) -> None:
    rejected = [Answer.error(400, "invalid_payload")] * 2
    with FakeSlackWebhook(rejected) as hook, httpx.Client(timeout=5) as client:
        notifiers = {"slack": slack(client, hook.url)}
        first = run(store, catalogue, At(v1(realdata), DAY1), DAY1, notifiers)
        assert first.errors and first.notifications_pending == 1
        [item] = store.pending_notifications()
        for _ in range(MAX_NOTIFICATION_ATTEMPTS - 2):  # the nights in between
            store.mark_notification_failed(item.id, "HTTP 400 invalid_payload")
        day2 = DAY1 + timedelta(days=1)
        last = run(store, catalogue, At(v1(realdata), day2), day2, notifiers)
        day3 = DAY1 + timedelta(days=2)
        after = run(store, catalogue, At(v1(realdata), day3), day3, notifiers)
    assert len(last.errors) == 1 and last.notifications_pending == 0
    given_up = [w for w in last.warnings if "given up" in w]
    assert given_up == [
        f"notification to slack for {CLUSTER} given up after {MAX_NOTIFICATION_ATTEMPTS} "
        "failed attempts: it will not be retried"
    ]
    assert hook.url not in given_up[0] and "XXsecretXX" not in given_up[0]
    assert after.errors == () and after.notifications_pending == 0
    assert not any("given up" in w for w in after.warnings)
    assert len(hook.requests) == 2  # one per run (a 4xx is not retried within a run)


def test_sync_options_repr_hides_the_token() -> None:
    options = SyncOptions(token="ghp_XXsecretXXtoken")
    assert "ghp_XXsecretXXtoken" not in repr(options)
    assert "token" not in repr(options)
    assert options.token == "ghp_XXsecretXXtoken"


def test_changes_without_a_notification_target_warn(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path
) -> None:
    result = run(store, catalogue, At(v1(realdata), DAY1), DAY1)
    assert any("no notification target is configured" in w for w in result.warnings)


def test_evaluating_stores_nothing_until_saved(
    store: Store, catalogue: dict[str, CatalogueEntry], realdata: Path
) -> None:
    scanned = scan(At(v1(realdata), DAY1), store, catalogue)
    evaluated = evaluate_report(store, catalogue, today=DAY1.date(), now=DAY1)
    assert evaluated.report.components
    assert store.report_rows(scanned.scan_id) == []  # evaluating is read-only
    save_report(store, evaluated)
    assert store.report_rows(scanned.scan_id) == list(evaluated.report.components)
