"""``tracker scan -n`` through the CLI and the nightly job: the stored scan says which
namespaces it read, and ``history`` (table, JSON, Markdown), the Slack digest and the webhook
show the other namespaces' findings as "not scanned", never "resolved", and not "new" when a
full scan sees them again. Real GKE 1.18 pod and node lists, real release lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.test_cli_run import import_releases
from tracker.cli import app
from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import EVERY_NAMESPACE, NamespaceScope
from tracker.notify.webhook import build_payload as webhook_payload
from tracker.store import Store
from tracker.upstream.release_file import import_releases as import_release_file
from tracker.workflows.nightly import nightly
from tracker.workflows.query import cluster_history
from tracker.workflows.scan import NamespacedSource
from tracker.workflows.sync import SyncOptions

runner = CliRunner()
GKE_PODS = "pods/gke-v1.18.19-kubevious-samples.podlist.json"
GKE_NODES = "nodes/gke-v1.18.19-gke.1701.nodelist.json"
PICKED = ["kube-system", "sock-shop"]


def invoke(db: str, *args: str) -> Result:
    env = {"TRACKER_SLACK_WEBHOOK_URL": "", "TRACKER_WEBHOOK_URL": "", "COLUMNS": "160"}
    return runner.invoke(app, ["--database-url", db, *args], env=env)


def scan_and_report(db: str, realdata: Path, *namespaces: str) -> None:
    options = [arg for ns in namespaces for arg in ("-n", ns)]
    dumps = ["--from-dump", str(realdata / GKE_PODS), "--from-dump", str(realdata / GKE_NODES)]
    scanned = invoke(db, "scan", *dumps, "--cluster", "gke", *options)
    assert scanned.exit_code == 0, scanned.output
    if namespaces:  # the summary line says what the stored scan covers
        quoted = ", ".join(repr(n) for n in sorted(namespaces))
        assert f"scanned cluster 'gke' (only {quoted}): 2 nodes," in scanned.output
    reported = invoke(db, "report")
    assert reported.exit_code == 0, reported.output


def history(db: str) -> dict[str, object]:
    result = invoke(db, "history", "--cluster", "gke", "--format", "json")
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


@pytest.fixture
def db(tmp_path: Path, realdata: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    import_releases(url, realdata)
    return url


def test_history_after_a_namespace_scan_and_a_full_scan_again(db: str, realdata: Path) -> None:
    scan_and_report(db, realdata)
    scan_and_report(db, realdata, *PICKED)
    document = history(db)
    assert document["schema_version"] == 2
    (cluster,) = document["clusters"]  # type: ignore[attr-defined]
    latest, first = cluster["runs"]
    assert latest["namespaces"] == {"only": PICKED} and first["namespaces"] is None
    assert latest["resolved"] == [] and latest["new"] == []
    skipped = {f["namespace"] for f in latest["not_scanned"]}
    assert skipped >= {"gitlab", "openfaas", "hipster", "kubevious"}
    assert not skipped & set(PICKED) and "" not in skipped  # nodes and /version: read
    assert first["not_scanned"] is None  # the oldest run kept: nothing to compare with

    table = invoke(db, "history", "--cluster", "gke")
    assert table.exit_code == 0, table.output
    head = f"(only kube-system, sock-shop)  no change, {len(latest['not_scanned'])} not scanned"
    assert head in table.stdout
    lines = table.stdout.splitlines()
    heading = lines.index("    cert-manager  addon  gitlab/Deployment/gitlab-cert-manager")
    assert lines[heading + 1].startswith("      ? ")  # its finding: not scanned
    assert not any(line.startswith("      - ") for line in lines)  # nothing reads as resolved
    markdown = invoke(db, "history", "--cluster", "gke", "--format", "markdown")
    assert "| scanned at | namespaces | new | resolved | not scanned |" in markdown.stdout
    assert f"| only kube-system, sock-shop | 0 | 0 | {len(latest['not_scanned'])} |" in (
        markdown.stdout
    )
    digest = invoke(db, "notify", "--dry-run", "--cluster", "gke")
    assert digest.exit_code == 0, digest.output
    assert "Not scanned this run" in digest.stdout and "Resolved since" not in digest.stdout

    scan_and_report(db, realdata)  # every namespace again
    latest, middle, _ = history(db)["clusters"][0]["runs"]  # type: ignore[index]
    assert latest["namespaces"] is None
    assert (latest["new"], latest["resolved"], latest["not_scanned"]) == ([], [], [])
    assert middle["not_scanned"] and middle["resolved"] == []
    # the digest of `tracker notify` compares the same way (its history reads one run back)
    digest = invoke(db, "notify", "--dry-run", "--cluster", "gke")
    assert "No changes since the last run" in digest.stdout, digest.stdout


def test_the_nightly_job_with_namespaces(database_url: str, realdata: Path) -> None:
    """``tracker run -n`` on both stores: the baseline after a namespace run, and the runs
    before it, give the digest its not-scanned findings and no new ones after."""
    catalogue = dict(load_catalogue({}))
    dump = KubectlDump([realdata / GKE_PODS, realdata / GKE_NODES], cluster="gke")
    day1 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    with Store.open(database_url) as store:
        for path in sorted((realdata / "releases").glob("*__*.json")):
            import_release_file(store, path, project=path.stem.replace("__", "/"))

        def run(source: object, day: int) -> object:
            when = day1 + timedelta(days=day)
            return nightly(
                store,
                catalogue,
                source,  # type: ignore[arg-type]
                cluster="gke",
                today=when.date(),
                now=when,
                sync=SyncOptions(enabled=False),
                notifiers={},
            )

        run(dump, 0)
        second = run(NamespacedSource(dump, tuple(PICKED)), 1)
        changes = second.changes  # type: ignore[attr-defined]
        assert changes.resolved == () and changes.new == () and changes.not_scanned
        hook = webhook_payload(second.report, changes, cluster="gke")  # type: ignore[attr-defined]
        assert hook["resolved"] == [] and len(hook["not_scanned"]) == len(changes.not_scanned)
        third = run(dump, 2)
        assert not third.changes.changed  # type: ignore[attr-defined]

        scans = store.scans("gke")
        assert [s.summary.namespaces for s in scans] == [
            EVERY_NAMESPACE,
            NamespaceScope.listed(PICKED),
            EVERY_NAMESPACE,
        ]
        runs = cluster_history(store, "gke")
        assert [r.namespaces for r in runs] == [s.summary.namespaces for s in scans]
        assert runs[0].changes is not None and not runs[0].changes.changed


def test_demo_namespace_scan_invents_no_kube_proxy(tmp_path: Path) -> None:
    """The new-user trial: the bundled demo scanned whole, then with ``-n istio-system -n
    ingress-nginx``. The demo's kube-proxy pods (kube-system) are not read by the second scan
    and its nodes' ``kubeProxyVersion`` is only the kubelet's version (one node on 1.27.9): no
    kube-proxy is made up from it, nothing is new, the kube-proxy DaemonSet's findings are
    not scanned and the kubelets' (nodes: always read) still open."""
    demo = Path(__file__).resolve().parents[1] / "tracker" / "demo"
    db = f"sqlite:///{tmp_path / 'tracker.db'}"
    for args in (
        ("releases", "import", str(demo / "releases.json")),
        ("lifecycle", "import", str(demo / "eol.json")),
        ("advisories", "import", str(demo / "advisories")),
    ):
        assert invoke(db, *args).exit_code == 0
    dump = ("--from-dump", str(demo / "cluster.json"), "--cluster", "demo")
    for scan in ((*dump, "--from-dump", str(demo / "version.json")), (*dump, *NS_DEMO)):
        assert invoke(db, "scan", *scan).exit_code == 0
        assert invoke(db, "report").exit_code == 0
    result = invoke(db, "history", "--cluster", "demo", "--format", "json")
    latest, _ = json.loads(result.stdout)["clusters"][0]["runs"]
    assert latest["namespaces"] == {"only": ["ingress-nginx", "istio-system"]}
    assert latest["new"] == [] and latest["resolved"] == []
    proxy = [f for f in latest["not_scanned"] if f["component"] == "kube-proxy"]
    assert {(f["namespace"], f["workload"], f["kind"]) for f in proxy} == {
        ("kube-system", "DaemonSet/kube-proxy", "eol"),
        ("kube-system", "DaemonSet/kube-proxy", "outdated"),
    }
    table = invoke(db, "history", "--cluster", "demo").stdout
    assert "(only ingress-nginx, istio-system)  no change, " in table
    assert not [line for line in table.splitlines() if line.lstrip().startswith("+ ")]
    assert "kube-proxy 1.27.9" not in table
    report = json.loads(invoke(db, "report", "--format", "json").stdout)
    rows = [c for c in report["components"] if c["component"] in ("kube-proxy", "kubernetes")]
    assert sorted((c["component"], c["role"], c["current"]) for c in rows) == [
        ("kubernetes", "control-plane", "1.32.9"),
        ("kubernetes", "kubelet", "1.27.9"),
        ("kubernetes", "kubelet", "1.32.9"),
    ]


NS_DEMO = ("-n", "istio-system", "-n", "ingress-nginx")
