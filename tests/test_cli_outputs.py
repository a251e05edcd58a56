"""The output convention through the real CLI (issue 12 items 4-5, issue 13 item 3's CLI side):
``tracker metrics`` / ``run --metrics-file``, ``--format``/``--output`` on every listing
command, ``-n/--namespace``, ``--max-dump-size``, placeholders in ``--help``, plurals.

Real data: the recorded GKE pod list (11 namespaces), the kind node, the docker-desktop Istio
pod and the real release lists of tests/data/realdata.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from typer.testing import CliRunner, Result

from tests.test_cli_run import import_releases
from tracker.cli import app
from tracker.report.metrics import METRIC_NAMES

runner = CliRunner()
GKE_PODS = "pods/gke-v1.18.19-kubevious-samples.podlist.json"
GKE_NODES = "nodes/gke-v1.18.19-gke.1701.nodelist.json"


def invoke(db: str, *args: str) -> Result:
    env = {"TRACKER_SLACK_WEBHOOK_URL": "", "TRACKER_WEBHOOK_URL": "", "COLUMNS": "120"}
    return runner.invoke(app, ["--database-url", db, *args], env=env)


@pytest.fixture
def db(tmp_path: Path, realdata: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    import_releases(url, realdata)
    return url


@pytest.fixture
def gke(db: str, realdata: Path) -> str:
    """The store with the real GKE cluster scanned and evaluated."""
    scan = invoke(
        db, "scan", "--from-dump", str(realdata / GKE_PODS),
        "--from-dump", str(realdata / GKE_NODES), "--cluster", "gke",
    )  # fmt: skip
    assert scan.exit_code == 0, scan.output
    assert invoke(db, "report").exit_code == 0
    return db


def families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


# --- tracker metrics ------------------------------------------------------------------------


def test_metrics_from_the_stored_evaluated_scan(gke: str) -> None:
    result = invoke(gke, "metrics")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("# EOF\n")
    found = families(result.stdout)
    # no sync happened (releases were imported): no last-sync sample, every other family
    assert set(found) == {
        "tracker_component",
        "tracker_component_outdated",
        "tracker_component_releases_behind",
        "tracker_component_days_behind",
        "tracker_findings",
        "tracker_last_scan_timestamp_seconds",
    }
    info = {
        (s.labels["component"], s.labels["namespace"], s.labels["current"])
        for s in found["tracker_component"].samples
    }
    # cert-manager v0.10.1 in gitlab, as in the recorded pod list (no pod names as labels)
    assert ("cert-manager", "gitlab", "0.10.1") in info
    for family in found.values():
        for sample in family.samples:
            assert sample.name in METRIC_NAMES
            assert "pod" not in sample.labels and "workload" not in sample.labels
    outdated = {
        (s.labels["component"], s.labels["namespace"]): s.value
        for s in found["tracker_component_outdated"].samples
    }
    assert outdated[("cert-manager", "gitlab")] == 1
    (scanned,) = found["tracker_last_scan_timestamp_seconds"].samples
    assert scanned.labels == {"cluster": "gke"} and scanned.value > 1.7e9


def test_metrics_output_is_written_atomically_and_never_creates_directories(
    gke: str, tmp_path: Path
) -> None:
    target = tmp_path / "textfile" / "tracker.prom"
    result = invoke(gke, "metrics", "--output", str(target))
    assert result.exit_code == 1
    assert f"directory {target.parent} does not exist" in result.output
    assert not target.parent.exists()
    target.parent.mkdir()
    result = invoke(gke, "metrics", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "tracker_component_outdated" in families(target.read_text())
    assert sorted(p.name for p in target.parent.iterdir()) == ["tracker.prom"]  # no temp left


def test_metrics_before_any_scan_is_one_line(db: str) -> None:
    result = invoke(db, "metrics")
    assert result.exit_code == 1
    assert "no scan" in result.output and "Traceback" not in result.output


class _Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, str | None, bytes]]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.command, self.path, self.headers["Authorization"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def gateway() -> Iterator[str]:
    _Gateway.received = []
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_metrics_push_to_a_pushgateway_with_basic_auth(gke: str, gateway: str) -> None:
    result = invoke(gke, "metrics", "--push", f"http://ops:s3cret@{gateway}")
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    ((method, path, auth, body),) = _Gateway.received
    assert (method, path) == ("PUT", "/metrics/job/tracker")
    assert auth == "Basic " + base64.b64encode(b"ops:s3cret").decode()
    assert b"tracker_component_outdated{" in body


def test_metrics_push_refused_names_the_url_without_credentials(gke: str) -> None:
    result = invoke(gke, "metrics", "--push", "http://ops:s3cret@127.0.0.1:9/")
    assert result.exit_code == 1
    assert "pushing metrics to http://127.0.0.1:9/ failed" in result.output
    assert "s3cret" not in result.output


def test_run_metrics_file(db: str, realdata: Path, tmp_path: Path) -> None:
    target = tmp_path / "tracker.prom"
    pod = realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json"
    node = realdata / "nodes" / "kind-v1.24.0.node.yaml"
    args = ["run", "--no-sync", "--cluster", "dd", "--from-dump", str(pod)]
    result = invoke(db, *args, "--from-dump", str(node), "--metrics-file", str(target))
    assert result.exit_code == 0, result.output
    assert f"metrics written to {target}" in result.output
    found = families(target.read_text())
    components = {s.labels["component"] for s in found["tracker_component"].samples}
    assert {"istio", "kubernetes"} <= components
    missing = tmp_path / "nope" / "tracker.prom"
    result = invoke(db, *args, "--metrics-file", str(missing))
    assert result.exit_code == 1 and f"directory {missing.parent} does not exist" in result.output


# --- -n/--namespace and --max-dump-size -----------------------------------------------------


def test_scan_namespace_inventories_only_those_namespaces(db: str, realdata: Path) -> None:
    args = ["scan", "--from-dump", str(realdata / GKE_PODS), "--cluster", "gke"]
    result = invoke(db, *args, "-n", "polaris", "--namespace", "kubevious", "-n", "typo-ns")
    assert result.exit_code == 0, result.output
    assert "5 pods," in result.output  # 1 running in polaris + 4 in kubevious (of 81)
    assert "no pods in namespace typo-ns" in result.output
    assert invoke(db, "report").exit_code == 0
    rows = json.loads(invoke(db, "query", "-f", "json").stdout)["rows"]
    assert {r["namespace"] for r in rows} == {"polaris", "kubevious"}


def test_max_dump_size(db: str, realdata: Path) -> None:
    dump = realdata / GKE_PODS
    result = invoke(db, "scan", "--from-dump", str(dump), "--max-dump-size", "1K")
    assert result.exit_code == 1
    assert str(dump) in result.output and "Traceback" not in result.output
    result = invoke(db, "scan", "--from-dump", str(dump), "--max-dump-size", "lots")
    assert result.exit_code == 1 and "--max-dump-size 'lots' is not a size" in result.output
    result = invoke(db, "scan", "--from-dump", str(dump), "--max-dump-size", "50M")
    assert result.exit_code == 0, result.output


# --- --format / --output on every listing command -------------------------------------------


LISTINGS = [
    ["report"],
    ["report", "--all-clusters"],
    ["query", "--component", "cert-manager"],
    ["history"],
    ["releases", "list", "cert-manager/cert-manager", "--limit", "3"],
]


@pytest.mark.parametrize("command", LISTINGS, ids=" ".join)
def test_every_listing_has_json_with_schema_version_and_markdown(
    gke: str, command: list[str], tmp_path: Path
) -> None:
    result = invoke(gke, *command, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert isinstance(document, dict) and next(iter(document)) == "schema_version"
    markdown = invoke(gke, *command, "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    assert re.search(r"^\| .* \|$", markdown.stdout, flags=re.M), markdown.stdout
    out = tmp_path / "listing.json"
    written = invoke(gke, *command, "-f", "json", "--output", str(out))
    assert written.exit_code == 0 and written.stdout == ""
    saved = json.loads(out.read_text())
    assert {**saved, "generated_at": None} == {**document, "generated_at": None}
    missing = tmp_path / "no-such-dir" / "listing.json"
    refused = invoke(gke, *command, "--output", str(missing))
    assert refused.exit_code == 1
    assert f"directory {missing.parent} does not exist" in refused.output
    assert not missing.parent.exists()


def test_listing_json_content(gke: str) -> None:
    releases = json.loads(
        invoke(gke, "releases", "list", "cert-manager/cert-manager", "-f", "json").stdout
    )
    assert releases["project"] == "cert-manager/cert-manager"
    assert releases["last_synced"] is None  # imported, never synced
    tags = [r["tag"] for r in releases["releases"]]
    assert len(tags) == 30 and tags[0].startswith("v1.")
    history = json.loads(invoke(gke, "history", "-f", "json").stdout)
    (cluster,) = history["clusters"]
    assert cluster["name"] == "gke" and len(cluster["runs"]) == 1
    assert cluster["runs"][0]["new"] is None  # the first run: nothing to compare with
    assert any(f["component"] == "cert-manager" for f in cluster["open"])


# --- --help, completion, plurals ------------------------------------------------------------


def _leaf_commands() -> list[list[str]]:
    import typer

    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(group: Any, prefix: list[str]) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, [*prefix, name])
            else:
                found.append([*prefix, name])

    walk(root, [])
    return found


@pytest.mark.parametrize("command", _leaf_commands(), ids=" ".join)
def test_help_shows_placeholders_not_python_types(command: list[str]) -> None:
    text = runner.invoke(app, [*command, "--help"], terminal_width=200).stdout
    options = [line for line in text.splitlines() if line.lstrip().startswith("-")]
    assert options
    for line in options:
        assert not re.search(r"<(str|int|float|path|text|integer)>|list\[", line), line


def test_root_help_offers_completion_and_placeholders() -> None:
    text = runner.invoke(app, ["--help"], terminal_width=200).stdout
    assert "--install-completion" in text and "--show-completion" in text
    assert "--config FILE" in text and "--database-url URL" in text
    assert "metrics" in text


def test_counts_are_plural_right(db: str, realdata: Path) -> None:
    pod = realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json"
    result = invoke(db, "scan", "--from-dump", str(pod), "--cluster", "dd")
    assert result.exit_code == 0, result.output
    assert "1 pod," in result.output and "0 nodes" in result.output
    assert not re.search(r"\b1 (pods|nodes|components|images)\b", result.output)
    assert not re.search(r"\b([02-9]|\d\d+) (pod|node|component|image)\b", result.output)


# --- the digest links report.url, never a path on the job's host ----------------------------


def _run_env(hook_url: str, **extra: str) -> dict[str, str]:
    return {"TRACKER_SLACK_WEBHOOK_URL": hook_url, "TRACKER_WEBHOOK_URL": "", **extra}


def test_digest_links_the_report_url_template(db: str, realdata: Path, tmp_path: Path) -> None:
    from tests.fakes.slack_webhook import FakeSlackWebhook
    from tests.test_cli_run import dumps_v1, run_args, text_of

    reports = tmp_path / "reports"
    template = "https://reports.example.com/tracker/{cluster}-{date}.html"
    args = run_args(dumps_v1(realdata), "--report-dir", str(reports), cluster="dd eu")
    with FakeSlackWebhook() as hook:
        env = _run_env(hook.url, TRACKER_REPORT_URL=template)
        result = runner.invoke(app, ["--database-url", db, *args], env=env)
        assert result.exit_code == 0, result.output
        (request,) = hook.requests
    text = text_of(request.json())
    (written,) = sorted(reports.glob("*.md"))
    day = written.stem.removeprefix("dd_eu-")
    assert f"<https://reports.example.com/tracker/dd_eu-{day}.html|open>" in text
    assert str(reports) not in text


def test_digest_without_report_url_sends_no_host_path(
    db: str, realdata: Path, tmp_path: Path
) -> None:
    from tests.fakes.slack_webhook import FakeSlackWebhook
    from tests.test_cli_run import dumps_v1, run_args, text_of

    reports = tmp_path / "reports"
    with FakeSlackWebhook() as hook:
        args = run_args(dumps_v1(realdata), "--report-dir", str(reports))
        result = runner.invoke(app, ["--database-url", db, *args], env=_run_env(hook.url))
        assert result.exit_code == 0, result.output
        (request,) = hook.requests
    assert list(reports.glob("*.md"))
    assert str(reports) not in json.dumps(request.json())
    assert "Full report" not in text_of(request.json())


@pytest.mark.parametrize(
    "template", ["file:///srv/{cluster}.html", "https://r.example/{pod}.html", "reports/{date}"]
)
def test_report_url_template_is_validated_at_load(db: str, template: str) -> None:
    result = runner.invoke(
        app, ["--database-url", db, "history"], env={"TRACKER_REPORT_URL": template}
    )
    assert result.exit_code == 1
    assert "report.url" in result.output or "TRACKER_REPORT_URL" in result.output
    assert "{cluster}" in result.output and "Traceback" not in result.output


def test_notify_dry_run_prints_one_json_document_for_several_clusters(
    db: str, realdata: Path
) -> None:
    pod = realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json"
    for name in ("dd", "gke"):
        assert invoke(db, "scan", "--from-dump", str(pod), "--cluster", name).exit_code == 0
    result = runner.invoke(
        app,
        ["--database-url", db, "notify", "--dry-run"],
        env={"TRACKER_SLACK_WEBHOOK_URL": "", "TRACKER_REPORT_URL": "https://r.example/{cluster}"},
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema_version"] == 1
    assert [(d["target"], d["cluster"]) for d in document["digests"]] == [
        ("slack", "dd"),
        ("slack", "gke"),
    ]
    assert "<https://r.example/gke|open>" in json.dumps(document["digests"][1]["payload"])
