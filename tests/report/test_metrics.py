"""Prometheus metrics from the bundled demo's report: OpenMetrics text, file, Pushgateway.

The text is read back with prometheus-client's own OpenMetrics parser; the Pushgateway is a
local fake on 127.0.0.1 that records what it receives.
"""

from __future__ import annotations

import base64
import dataclasses
import socket
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.report.demo_report import demo_fleet_report, demo_report
from tracker.errors import ReportError
from tracker.models import Report, Status
from tracker.report.base import Formatter
from tracker.report.metrics import (
    COMPONENT_LABELS,
    METRIC_NAMES,
    MetricsFormatter,
    format_metrics,
    push_metrics,
    write_metrics_file,
)

LAST_SYNC = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return demo_report(tmp_path_factory.mktemp("demo"))


def samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def by_name(text: str, name: str) -> list[Sample]:
    return [s for s in samples(text) if s.name == name]


def series(text: str, name: str) -> dict[tuple[str, ...], float]:
    """``{(cluster, component, role, namespace): value}`` of one component metric."""
    return {tuple(s.labels[k] for k in COMPONENT_LABELS): s.value for s in by_name(text, name)}


def test_every_metric_is_emitted_with_bounded_labels(report: Report) -> None:
    text = format_metrics(report, last_sync=LAST_SYNC)
    assert text.endswith("# EOF\n")
    names = {s.name for s in samples(text)}
    assert names == set(METRIC_NAMES)
    for s in samples(text):
        if s.name == "tracker_component_info":
            assert set(s.labels) == {*COMPONENT_LABELS, "current", "latest"}
        elif s.name.startswith("tracker_component_"):
            assert set(s.labels) == set(COMPONENT_LABELS)
    assert "# TYPE tracker_component info" in text
    assert "# UNIT tracker_last_scan_timestamp_seconds seconds" in text
    workloads = {r.component.workload for r in report.components if r.component.workload}
    assert not any(w in text for w in workloads), "no workload or pod names in labels"


def test_component_info_has_one_sample_per_running_version(report: Report) -> None:
    info = by_name(format_metrics(report), "tracker_component_info")
    sidecars = sorted(
        (s.labels["namespace"], s.labels["current"], s.labels["latest"])
        for s in info
        if s.labels["component"] == "istio" and s.labels["role"] == "data-plane"
    )
    assert sidecars == [("shop", "1.28.7", "1.30.3"), ("shop", "1.29.3", "1.30.3")]
    digest_only = [
        s.labels
        for s in info
        if s.labels["component"] == "cert-manager" and not s.labels["current"]
    ]
    assert digest_only == [
        {
            "cluster": "demo",
            "component": "cert-manager",
            "role": "addon",
            "namespace": "cert-manager",
            "current": "",
            "latest": "1.21.1",
        }
    ]
    assert all(s.value == 1 for s in info)
    kubelets = {s.labels["current"] for s in info if s.labels["role"] == "kubelet"}
    assert kubelets == {"1.28.5", "1.27.9"}
    assert all(s.labels["namespace"] == "" for s in info if s.labels["role"] == "kubelet")


def test_outdated_and_behind_take_the_worst_entry_of_a_label_set(report: Report) -> None:
    text = format_metrics(report)
    outdated = series(text, "tracker_component_outdated")
    releases = series(text, "tracker_component_releases_behind")
    days = series(text, "tracker_component_days_behind")
    sidecars = ("demo", "istio", "data-plane", "shop")
    rows = [
        r
        for r in report.components
        if (r.component.component, r.component.role.value) == ("istio", "data-plane")
    ]
    assert sorted(r.releases_behind or 0 for r in rows) == [7, 14]
    assert releases[sidecars] == 14 and days[sidecars] == 287
    assert outdated[sidecars] == 1
    assert outdated[("demo", "coredns", "addon", "kube-system")] == 0
    assert ("demo", "coredns", "addon", "kube-system") not in days  # no upstream data
    keys = {
        (r.cluster, r.component.component, r.component.role.value, r.component.namespace or "")
        for r in report.components
    }
    assert set(outdated) == keys
    assert sum(outdated.values()) == len(
        {
            (r.cluster, r.component.component, r.component.role.value, r.component.namespace)
            for r in report.components
            if r.status is Status.OUTDATED
        }
    )
    assert days[("demo", "kubernetes", "control-plane", "")] == 1083


def test_findings_are_counted_per_cluster_severity_and_kind(report: Report) -> None:
    found = {
        (s.labels["cluster"], s.labels["severity"], s.labels["kind"]): s.value
        for s in by_name(format_metrics(report), "tracker_findings")
    }
    expected: dict[tuple[str, str, str], int] = {}
    for row in report.components:
        for f in row.findings:
            key = (row.cluster, f.severity.value, f.kind.value)
            expected[key] = expected.get(key, 0) + 1
    assert found == expected
    assert found[("demo", "critical", "outdated")] == 2
    assert sum(found.values()) == 26  # incl. ingress-nginx: retired


def test_scan_and_sync_timestamps(report: Report) -> None:
    text = format_metrics(report, last_sync=LAST_SYNC)
    (scan,) = by_name(text, "tracker_last_scan_timestamp_seconds")
    assert scan.labels == {"cluster": "demo"}
    assert scan.value == pytest.approx(report.clusters[0].scanned_at.timestamp())
    (sync,) = by_name(text, "tracker_last_sync_timestamp_seconds")
    assert sync.labels == {} and sync.value == LAST_SYNC.timestamp()
    assert not by_name(format_metrics(report), "tracker_last_sync_timestamp_seconds")


def test_formatter_protocol_gives_the_same_text(report: Report) -> None:
    formatter: Formatter = MetricsFormatter(last_sync=LAST_SYNC)
    assert formatter.format(report) == format_metrics(report, last_sync=LAST_SYNC)


def test_naive_times_are_report_errors(report: Report) -> None:
    with pytest.raises(ReportError, match="last_sync"):
        format_metrics(report, last_sync=datetime(2026, 11, 30))
    summary = dataclasses.replace(report.clusters[0], scanned_at=datetime(2026, 11, 30))
    with pytest.raises(ReportError, match=r"clusters\[demo\]\.scanned_at"):
        format_metrics(dataclasses.replace(report, clusters=(summary,)))


def test_fleet_has_series_per_cluster(tmp_path: Path) -> None:
    fleet = demo_fleet_report(tmp_path, clusters=("eks-prod", "eks-staging"))
    text = format_metrics(fleet)
    scans = {s.labels["cluster"] for s in by_name(text, "tracker_last_scan_timestamp_seconds")}
    assert scans == {"eks-prod", "eks-staging"}
    outdated = series(text, "tracker_component_outdated")
    assert len(outdated) == 2 * len({k[1:] for k in outdated})


def test_hostile_label_values_round_trip_escaped(report: Report) -> None:
    name = 'evil"} 1\n# EOF\\x\u202e'
    row = dataclasses.replace(report.components[0], cluster=name)
    summary = dataclasses.replace(report.clusters[0], name=name)
    text = format_metrics(dataclasses.replace(report, components=(row,), clusters=(summary,)))
    assert [line for line in text.splitlines() if line.startswith("# EOF")] == ["# EOF"]
    assert {s.labels["cluster"] for s in samples(text)} == {name}


# --- the textfile-collector file -----------------------------------------------------------------


def test_write_metrics_file_replaces_atomically(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "tracker.prom"
    target.write_text("old\n")
    text = format_metrics(report)
    write_metrics_file(target, text)
    assert target.read_text() == text
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["tracker.prom"]


def test_write_metrics_file_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "tracker.prom"
    with pytest.raises(ReportError, match="no-such-dir does not exist"):
        write_metrics_file(missing, "x\n")
    assert not missing.parent.exists()
    directory = tmp_path / "is-a-dir"
    (directory / "inside").mkdir(parents=True)
    with pytest.raises(ReportError, match="is-a-dir could not be written"):
        write_metrics_file(directory, "x\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["is-a-dir"]


# --- the Pushgateway -----------------------------------------------------------------------------


@dataclasses.dataclass
class Received:
    method: str
    path: str
    content_type: str
    authorization: str
    body: bytes


class FakePushgateway:
    """Answers every request with ``status`` and records it."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[Received] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                fake.received.append(
                    Received(
                        self.command,
                        self.path,
                        self.headers.get("Content-Type", ""),
                        self.headers.get("Authorization", ""),
                        self.rfile.read(length),
                    )
                )
                self.send_response(fake.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakePushgateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[FakePushgateway]:
    with FakePushgateway() as fake:
        yield fake


def test_push_puts_the_metrics_in_the_job_group(report: Report, gateway: FakePushgateway) -> None:
    push_metrics(gateway.url, report, last_sync=LAST_SYNC)
    (got,) = gateway.received
    assert (got.method, got.path) == ("PUT", "/metrics/job/tracker")
    assert got.content_type.startswith("text/plain; version=0.0.4")
    body = got.body.decode()
    assert 'tracker_component_outdated{cluster="demo",component="grafana"' in body
    assert "tracker_last_sync_timestamp_seconds" in body
    push_metrics(gateway.url + "/", report, job="tracker-nightly")
    assert gateway.received[1].path == "/metrics/job/tracker-nightly"


def test_push_errors_are_one_line_without_credentials(report: Report) -> None:
    with FakePushgateway(status=500) as failing:
        url = failing.url.replace("http://", "http://tracker:s3cret@")
        with pytest.raises(ReportError) as caught:
            push_metrics(url, report)
    message = str(caught.value)
    assert "s3cret" not in message and "tracker:" not in message
    assert message.startswith(f"pushing metrics to {failing.url} failed: HTTP 500 ")
    assert "\n" not in message
    (got,) = failing.received
    assert got.authorization == "Basic " + base64.b64encode(b"tracker:s3cret").decode()


def test_push_without_user_info_sends_no_authorization(
    report: Report, gateway: FakePushgateway
) -> None:
    push_metrics(gateway.url, report)
    assert gateway.received[0].authorization == ""


def test_push_to_a_closed_port_or_a_bad_url(report: Report) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ReportError, match=f"pushing metrics to http://127.0.0.1:{port} failed"):
        push_metrics(f"http://127.0.0.1:{port}", report, timeout=5)
    with pytest.raises(ReportError, match="not an http"):
        push_metrics("ftp://gateway.example/", report)


def test_push_times_out_on_a_silent_gateway(report: Report) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with pytest.raises(ReportError, match="timed out"):
            push_metrics(f"http://127.0.0.1:{port}", report, timeout=0.5)
