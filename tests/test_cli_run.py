"""`tracker run` end to end through the real CLI, on real dumps, with local fake servers.

Each test drives Typer's CliRunner (or real ``python -m tracker`` processes for the lock)
over a real store, the real release lists of tests/data/realdata, the fake Slack webhook
(tests/fakes/slack_webhook.py) and the fake GitHub API (tests/fakes/github_api.py), all on
127.0.0.1. Nothing reaches the internet.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from tests.fakes.github_api import FakeGitHub, Fault, load_release_lists
from tests.fakes.gitlab_api import catalogue_projects
from tests.fakes.slack_webhook import SECRET_PATH, Answer, FakeSlackWebhook
from tracker.cli import app
from tracker.identify.catalogue import load_catalogue
from tracker.store import Store
from tracker.workflows.query import cluster_history
from tracker.workflows.sync import tracked_projects

REPO = Path(__file__).resolve().parent.parent
TESTS_DATA = Path(__file__).resolve().parent / "data"
CLUSTER = "docker-desktop"
runner = CliRunner()

# Slack answering 500 with "Retry-After: 0": retried at once (no backoff sleep in tests).
DOWN = Answer(500, "internal_error", (("Retry-After", "0"),))


def invoke(db: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run the real CLI in-process; the Slack variable is unset unless ``env`` sets it."""
    full_env = {"TRACKER_SLACK_WEBHOOK_URL": "", "TRACKER_WEBHOOK_URL": "", **(env or {})}
    return runner.invoke(app, ["--database-url", db, *args], env=full_env)


def import_releases(db: str, realdata: Path) -> None:
    """Load every real release list into the store (as `tracker releases import` does)."""
    for path in sorted((realdata / "releases").glob("*__*.json")):
        result = invoke(
            db, "releases", "import", str(path), "--project", path.stem.replace("__", "/")
        )
        assert result.exit_code == 0, result.output


def dumps_v1(realdata: Path) -> list[Path]:
    """The real docker-desktop Istio 1.12.1 pod and the real kind v1.24.0 node."""
    return [
        realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json",
        realdata / "nodes" / "kind-v1.24.0.node.yaml",
    ]


def dumps_v2(realdata: Path, out: Path) -> list[Path]:
    """The same cluster a day later, written from the real objects.

    - the sidecar is upgraded: ``istio/proxyv2:1.12.1`` -> ``1.13.9`` (spec and status);
    - the control-plane node ``kind-control-plane`` is upgraded to v1.29.3 (the latest
      stable in the real kubernetes release list), so the control plane is up to date;
    - a worker ``kind-worker`` running kubelet v1.23.17 is added.
    """
    pod_text = (realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json").read_text()
    assert "proxyv2:1.12.1" in pod_text
    pod = out / "pod-v2.json"
    pod.write_text(pod_text.replace("proxyv2:1.12.1", "proxyv2:1.13.9"), encoding="utf-8")
    node = yaml.safe_load((realdata / "nodes" / "kind-v1.24.0.node.yaml").read_text())
    upgraded = copy.deepcopy(node)
    upgraded["status"]["nodeInfo"]["kubeletVersion"] = "v1.29.3"
    upgraded["status"]["nodeInfo"]["kubeProxyVersion"] = "v1.29.3"
    worker = copy.deepcopy(node)
    worker["metadata"]["name"] = "kind-worker"
    worker["metadata"]["uid"] = "00000000-0000-0000-0000-000000000002"
    worker["status"]["nodeInfo"]["kubeletVersion"] = "v1.23.17"
    worker["status"]["nodeInfo"]["kubeProxyVersion"] = "v1.23.17"
    nodes = out / "nodes-v2.json"
    nodes.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [upgraded, worker]}),
        encoding="utf-8",
    )
    return [pod, nodes]


def run_args(dumps: list[Path], *extra: str, cluster: str = CLUSTER) -> list[str]:
    args = ["run", "--no-sync", "--cluster", cluster]
    for dump in dumps:
        args += ["--from-dump", str(dump)]
    return [*args, *extra]


def delivered(hook: FakeSlackWebhook, answered_ok: int) -> list[dict[str, Any]]:
    """Bodies of the requests the fake answered 200 (the caller knows how many failed)."""
    return [r.json() for r in hook.requests][-answered_ok:] if answered_ok else []


def text_of(payload: dict[str, Any]) -> str:
    """Every text of a Block Kit payload, joined (header, sections, context elements)."""
    parts = [payload.get("text", "")]
    for block in payload["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements", [])]
    return "\n".join(parts)


@pytest.fixture
def db(tmp_path: Path, realdata: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    import_releases(url, realdata)
    return url


# --- 1. two runs on changed dumps: history and exactly one Slack message ------------------


def changes_by_entry(out: str) -> dict[str, list[str]]:
    """``tracker history`` text: each entry heading (indented 4) -> its change lines."""
    entries: dict[str, list[str]] = {}
    heading = None
    for line in out.splitlines():
        if line.startswith("      ") and heading is not None:
            entries[heading].append(line.strip())
        elif line.startswith("    ") and not line.startswith("     "):
            heading = line.strip()
            entries.setdefault(heading, [])
        else:
            heading = None
    return entries


def test_two_runs_on_changed_dumps_history_and_one_message(
    db: str, realdata: Path, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    with FakeSlackWebhook() as hook:
        env = {"TRACKER_SLACK_WEBHOOK_URL": hook.url}
        first = invoke(db, *run_args(dumps_v1(realdata), "--report-dir", str(reports)), env=env)
        assert first.exit_code == 0, first.output
        # first run: every open finding is new, so notify.when=changes sends the digest
        assert len(hook.requests) == 1
        assert "first run" in text_of(hook.requests[0].json()).lower()

        second = invoke(
            db, *run_args(dumps_v2(realdata, tmp_path), "--report-dir", str(reports)), env=env
        )
        assert second.exit_code == 0, second.output
        assert len(hook.requests) == 2
        message = text_of(hook.requests[1].json())

        third = invoke(db, *run_args(dumps_v2(realdata, tmp_path)), env=env)
        assert third.exit_code == 0, third.output
        assert len(hook.requests) == 2, "nothing changed: nothing may be sent"

    # the report files, named by cluster and date
    names = sorted(p.name for p in reports.iterdir())
    assert [Path(n).suffix for n in names] == [".html", ".json", ".md"]
    assert all(n.startswith(f"{CLUSTER}-") for n in names)
    html = (reports / names[0]).read_text()
    assert html.startswith("<!DOCTYPE html>") and CLUSTER in html
    report = json.loads((reports / names[1]).read_text())
    assert {(c["component"], c["role"], c["current"]) for c in report["components"]} == {
        ("istio", "data-plane", "1.13.9"),
        ("kubernetes", "control-plane", "1.29.3"),
        ("kubernetes", "kubelet", "1.29.3"),
        ("kubernetes", "kubelet", "1.23.17"),
    }  # no kube-proxy: nodeInfo.kubeProxyVersion is only the kubelet's version (KEP-4004)

    # what the second run changed, from the store
    with Store.open(db) as store:
        runs = cluster_history(store, CLUSTER, limit=10)
    assert len(runs) == 3
    assert runs[0].changes is not None and not runs[0].changes.changed
    assert runs[2].changes is None
    ch = runs[1].changes
    assert ch is not None
    # 1.23.17 and 1.24.0 are older than the oldest of the 20 real releases (1.26.12), so
    # each also carries the info finding that its counts are lower bounds
    assert sorted((r.key.role, r.row.current, r.key.kind) for r in ch.new) == [
        ("kubelet", "1.23.17", "outdated"),
        ("kubelet", "1.23.17", "partial-catalogue"),
        ("kubelet", "1.23.17", "skew"),  # 6 minors behind the 1.29 API server
    ]
    assert sorted((r.key.role, r.row.current, r.key.kind) for r in ch.resolved) == [
        ("control-plane", "1.24.0", "outdated"),
        ("control-plane", "1.24.0", "partial-catalogue"),
        ("kubelet", "1.24.0", "outdated"),
        ("kubelet", "1.24.0", "partial-catalogue"),
    ]
    assert sorted(
        (v.key.component, v.key.role, v.previous.current, v.current.current) for v in ch.upgraded
    ) == [
        ("istio", "data-plane", "1.12.1", "1.13.9"),
        ("kubernetes", "control-plane", "1.24.0", "1.29.3"),
    ]
    assert [(r.key.component, r.key.role) for r in ch.still_open] == [("istio", "data-plane")]

    # the Slack digest of the second run says the same
    assert "1.23.17" in message and "1.12.1" in message and "1.13.9" in message
    assert "Resolved since the last run (4)" in message  # outdated + partial-catalogue, x2

    # and so does `tracker history`
    history = invoke(db, "history", "--cluster", CLUSTER)
    assert history.exit_code == 0, history.output
    out = history.stdout
    assert f"{CLUSTER}: 3 evaluated runs" in out
    changes = changes_by_entry(out)  # one heading per entry, one line per change
    assert changes["istio rev default  data-plane  default/Deployment/httpbin"] == [
        "^ 1.12.1 -> 1.13.9"
    ]
    assert changes["kubernetes  control-plane"][0] == "^ 1.24.0 -> 1.29.3"
    kubelet = changes["kubernetes  kubelet  Node/kind-worker"]
    assert [line.split(":")[0] for line in kubelet] == [  # new: outdated, partial-catalogue, skew
        "+ crit outdated", "+ info partial-catalogue", "+ crit skew"
    ]  # fmt: skip
    resolved = [c for h, lines in changes.items() if h.startswith("kubernetes") for c in lines]
    assert sum(c.startswith("- ") for c in resolved) == 4
    assert "no change" in out
    only_istio = invoke(db, "history", "--cluster", CLUSTER, "--component", "istio").stdout
    assert "kubelet" not in only_istio and "1.12.1 -> 1.13.9" in only_istio


def test_notify_always_and_never(db: str, realdata: Path) -> None:
    with FakeSlackWebhook() as hook:
        env = {"TRACKER_SLACK_WEBHOOK_URL": hook.url, "TRACKER_NOTIFY_WHEN": "always"}
        for _ in range(2):
            assert invoke(db, *run_args(dumps_v1(realdata)), env=env).exit_code == 0
        assert len(hook.requests) == 2
        env["TRACKER_NOTIFY_WHEN"] = "never"
        assert invoke(db, *run_args(dumps_v1(realdata)), env=env).exit_code == 0
        assert len(hook.requests) == 2


# --- 2. Slack down during a run: delivered by the next run, exactly once ------------------


def test_slack_down_message_waits_in_outbox_and_is_sent_once(
    db: str, realdata: Path, tmp_path: Path
) -> None:
    attempts = 5  # tracker.notify.base.post_json's default
    with FakeSlackWebhook([DOWN] * attempts) as hook:
        env = {"TRACKER_SLACK_WEBHOOK_URL": hook.url}
        down = invoke(db, *run_args(dumps_v1(realdata)), env=env)
        assert down.exit_code == 1
        assert len(hook.requests) == attempts
        errors = [line for line in down.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, down.stderr
        assert "not sent" in errors[0] and "HTTP 500" in errors[0]
        assert hook.url not in down.output and SECRET_PATH not in down.output
        assert "XXsecretXX" not in down.output
        assert "1 waiting for the next run" in down.stderr
        with Store.open(db) as store:
            (waiting,) = store.pending_notifications()
        assert waiting.target == "slack" and waiting.attempts == 1
        assert "XXsecretXX" not in (waiting.last_error or "")

        # next run, Slack up, dumps changed: the kept message, then this run's own
        up = invoke(db, *run_args(dumps_v2(realdata, tmp_path)), env=env)
        assert up.exit_code == 0, up.output
        assert "notifications: 2 sent, 0 waiting" in up.stderr
        ok = delivered(hook, 2)
        assert ok[0] == waiting.payload
        assert "1.23.17" in text_of(ok[1])

        # and once only: a third, unchanged run sends nothing and resends nothing
        again = invoke(db, *run_args(dumps_v2(realdata, tmp_path)), env=env)
        assert again.exit_code == 0, again.output
        assert len(hook.requests) == attempts + 2
    bodies = Counter(r.body for r in hook.requests[attempts:])
    assert all(n == 1 for n in bodies.values())
    with Store.open(db) as store:
        assert store.pending_notifications() == []


def test_slack_down_unchanged_next_run_sends_only_the_kept_message(db: str, realdata: Path) -> None:
    with FakeSlackWebhook([DOWN] * 5) as hook:
        env = {"TRACKER_SLACK_WEBHOOK_URL": hook.url}
        assert invoke(db, *run_args(dumps_v1(realdata)), env=env).exit_code == 1
        kept = hook.requests[-1].body
        up = invoke(db, *run_args(dumps_v1(realdata)), env=env)
        assert up.exit_code == 0, up.output
        assert [r.body for r in hook.requests[5:]] == [kept]


# --- 3. the lock: two real `tracker run` processes -----------------------------------------


def _process_env(db: str, api_url: str, gitlab_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return {
        **env,
        "PYTHONPATH": str(REPO),
        "TRACKER_DATABASE_URL": db,
        "TRACKER_GITHUB_API_URL": api_url,
        "TRACKER_GITLAB_API_URL": gitlab_url,
    }


def _lock_contest(db: str, realdata: Path) -> None:
    """Process A syncs (slowly, against a fake GitHub with latency) while holding the
    ``run:<cluster>`` lock; process B runs the same cluster meanwhile."""
    releases = load_release_lists(realdata / "releases")
    projects = tracked_projects(load_catalogue({}))
    fake = FakeGitHub({p: releases.get(p, []) for p in projects}, latency=0.1)
    dump = [str(p) for p in dumps_v1(realdata)]
    cmd = [sys.executable, "-m", "tracker", "run", "--cluster", CLUSTER]
    for d in dump:
        cmd += ["--from-dump", d]
    with fake.serve() as base, catalogue_projects(TESTS_DATA).serve() as gitlab:
        env = _process_env(db, base, gitlab)
        a = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not fake.log and time.monotonic() < deadline:  # A is syncing, lock held
            time.sleep(0.05)
        assert fake.log, "process A never started syncing"
        b = subprocess.run(
            [*cmd, "--no-sync"], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert b.returncode == 1, b.stderr
        lines = [line for line in b.stderr.splitlines() if line.strip()]
        assert lines[0].startswith("error: another tracker run holds the 'run:docker-desktop'")
        assert "pid" in lines[0] and len(lines) == 1 and "(hint: " in lines[0]
        assert a.poll() is None, "A finished too early for a real contest"

        c = subprocess.run(
            [*cmd, "--no-sync", "--wait", "60"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=90,
        )
        _, err_a = a.communicate(timeout=90)
        assert a.returncode == 0, err_a
        assert c.returncode == 0, c.stderr
    with Store.open(db) as store:
        # A and C each stored one scan and evaluated it; B stored nothing
        assert len(store.scans(CLUSTER)) == 2
        assert len(cluster_history(store, CLUSTER)) == 2


def test_second_process_exits_or_waits_on_the_lock(database_url: str, realdata: Path) -> None:
    import_releases(database_url, realdata)
    _lock_contest(database_url, realdata)


# --- 4. sync: min_interval, failures, stale data ----------------------------------------


def test_sync_skip_within_min_interval_then_failed_sync_reports_stale_data(
    db: str, realdata: Path
) -> None:
    releases = load_release_lists(realdata / "releases")
    projects = tracked_projects(load_catalogue({}))
    fake = FakeGitHub({p: releases.get(p, []) for p in projects})
    dumps = dumps_v1(realdata)
    args = run_args(dumps)
    args.remove("--no-sync")
    with fake.serve() as base, catalogue_projects(TESTS_DATA).serve() as gitlab:
        env = {"TRACKER_GITHUB_API_URL": base, "TRACKER_GITLAB_API_URL": gitlab}
        first = invoke(db, *args, env=env)
        assert first.exit_code == 0, first.output
        assert f"synced {len(projects)} projects" in first.stderr
        assert " 0 failed" in first.stderr
        seen = len(fake.log)
        assert seen >= len(projects)

        second = invoke(db, *args, env=env)
        assert second.exit_code == 0, second.output
        assert "sync skipped: upstream data synced within 6:00:00" in second.stderr
        assert len(fake.log) == seen, "a sync within sync.min_interval must not call GitHub"

        # GitHub rate-limits us; the last good sync is older than stale_after
        fake.exhaust(0)
        time.sleep(1.1)
        env |= {"TRACKER_SYNC_MIN_INTERVAL": "1s", "TRACKER_SYNC_STALE_AFTER": "1s"}
        third = invoke(db, *args, env=env)
    assert third.exit_code == 1
    assert "rate limit exhausted" in third.stderr
    assert "warning: release data for" in third.stderr and "istio/istio" in third.stderr
    errors = [line for line in third.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: sync incomplete")
    # ... and still reports on the stored data
    assert "istio" in third.stdout and "1.12.1" in third.stdout and "1.30.3" in third.stdout


def test_sync_answering_502_still_reports(db: str, realdata: Path) -> None:
    """One project's releases answer 502 (retried with backoff: ~8 s): exit 1, report printed."""
    releases = load_release_lists(realdata / "releases")
    projects = tracked_projects(load_catalogue({}))
    fake = FakeGitHub({p: releases.get(p, []) for p in projects})
    fake.fail("istio/istio", Fault("502"))
    args = run_args(dumps_v1(realdata))
    args.remove("--no-sync")
    with fake.serve() as base, catalogue_projects(TESTS_DATA).serve() as gitlab:
        env = {"TRACKER_GITHUB_API_URL": base, "TRACKER_GITLAB_API_URL": gitlab}
        result = invoke(db, *args, env=env)
    assert result.exit_code == 1
    assert "1 failed" in result.stderr and "502" in result.stderr
    assert "istio" in result.stdout and "1.12.1" in result.stdout


# --- 6. notify --dry-run and --fail-on ---------------------------------------------------


def test_notify_dry_run_prints_block_kit_and_sends_nothing(db: str, realdata: Path) -> None:
    assert invoke(db, *run_args(dumps_v1(realdata))).exit_code == 0
    with FakeSlackWebhook() as hook:
        result = invoke(
            db, "notify", "--dry-run", "--cluster", CLUSTER,
            env={"TRACKER_SLACK_WEBHOOK_URL": hook.url},
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert hook.requests == []
    document = json.loads(result.stdout)  # one JSON document, whatever the number of digests
    assert document["schema_version"] == 1
    (printed,) = document["digests"]
    assert printed["target"] == "slack" and printed["cluster"] == CLUSTER
    payload = printed["payload"]
    assert set(payload) >= {"text", "blocks"}
    assert 0 < len(payload["blocks"]) <= 50
    assert payload["blocks"][0]["type"] == "header"
    assert payload["blocks"][0]["text"]["type"] == "plain_text"
    assert len(payload["blocks"][0]["text"]["text"]) <= 150
    for block in payload["blocks"]:
        assert block["type"] in {"header", "section", "context", "divider"}
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn" and len(block["text"]["text"]) <= 3000
    assert "istio" in text_of(payload) and "XXsecretXX" not in result.output


def test_notify_dry_run_without_a_target_configured(db: str, realdata: Path) -> None:
    assert invoke(db, *run_args(dumps_v1(realdata))).exit_code == 0
    result = invoke(db, "notify", "--dry-run")
    assert result.exit_code == 0, result.output
    (digest,) = json.loads(result.stdout)["digests"]
    assert digest["payload"]["blocks"][0]["type"] == "header"
    assert invoke(db, "notify").exit_code == 1


def test_run_fail_on_major_exits_3(db: str, realdata: Path) -> None:
    gke = [
        realdata / "pods" / "gke-v1.18.19-kubevious-samples.podlist.json",
        realdata / "nodes" / "gke-v1.18.19-gke.1701.nodelist.json",
    ]
    # cert-manager 0.10.1 vs 1.x: a major version behind
    result = invoke(db, *run_args(gke, "--fail-on", "major", cluster="gke"))
    assert result.exit_code == 3, result.output
    # the docker-desktop cluster is only minor versions behind: no exit 3
    assert invoke(db, *run_args(dumps_v1(realdata), "--fail-on", "major")).exit_code == 0
    assert invoke(db, *run_args(dumps_v1(realdata), "--fail-on", "outdated")).exit_code == 3


def test_notify_delivers_through_the_outbox_and_a_failed_digest_is_retried(
    db: str, realdata: Path
) -> None:
    """`tracker notify` uses the same outbox delivery as `tracker run`."""
    assert invoke(db, *run_args(dumps_v1(realdata))).exit_code == 0  # no target: nothing sent
    with FakeSlackWebhook([DOWN] * 5) as hook:
        env = {"TRACKER_SLACK_WEBHOOK_URL": hook.url}
        down = invoke(db, "notify", "--cluster", CLUSTER, env=env)
        assert down.exit_code == 1, down.output
        assert "notification to slack for docker-desktop not sent" in down.stderr
        assert SECRET_PATH not in down.output
        with Store.open(db) as store:
            [kept] = store.pending_notifications()
        assert kept.cluster == CLUSTER
        up = invoke(db, "notify", "--cluster", CLUSTER, env=env)
        assert up.exit_code == 0, up.output
        assert up.stderr.count(f"sent the digest of {CLUSTER} to slack") == 2  # kept + new
        assert hook.requests[5].json() == kept.payload
    with Store.open(db) as store:
        assert store.pending_notifications() == []
