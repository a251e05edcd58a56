"""Real-shaped reports for the report, history and notify tests.

Values come from tests/data/realdata: the GKE 1.18 cluster of kubevious/mock-data
(kubelet ``v1.18.19-gke.1701``, cert-manager ``v0.10.1``, ``prom/prometheus:v2.11.0`` and
``v2.11.1``, ``metrics-server-amd64:v0.3.6``, the EKS pod mixed into that export) and the
Docker Desktop cluster running Istio 1.12.1 with ``kennethreitz/httpbin`` (untagged).
"Latest" values and dates come from the release lists in realdata/releases
(istio 1.30.3, cert-manager v1.21.1, prometheus v3.14.0, kubernetes v1.29.3); the report is
generated on 2026-08-20, after the newest of them.

``current_report()`` is tonight's run; ``previous_report()`` is last night's, differing by:
istiod upgraded 1.12.1 -> 1.13.0 (still outdated), prometheus in ``openfaas`` upgraded
2.11.0 -> 2.11.1, metrics-server now has upstream data (``no-upstream-data`` resolved,
``outdated`` new), and the nginx ingress controller 0.21.0 is gone (resolved).
"""

from __future__ import annotations

from datetime import UTC, datetime

from tracker.models import (
    Behind,
    ClusterSummary,
    ClusterUnidentified,
    Component,
    ComponentReport,
    Finding,
    Flag,
    Report,
    Role,
    Severity,
    Source,
    Status,
    Unidentified,
)

NOW = datetime(2026, 8, 20, 2, 0, 0, tzinfo=UTC)
YESTERDAY = datetime(2026, 8, 19, 2, 0, 0, tzinfo=UTC)

GKE = "gke-prod"
DD = "docker-desktop"


def F(kind: Flag, severity: Severity, message: str) -> Finding:
    """Shorthand for a Finding."""
    return Finding(kind, severity, message)


def row(
    cluster: str,
    component: Component,
    current: str | None,
    latest: str | None,
    latest_patch: str | None,
    status: Status,
    behind: Behind | None,
    releases_behind: int | None,
    days_behind: int | None,
    findings: tuple[Finding, ...],
    latest_url: str | None = None,
) -> ComponentReport:
    """A ComponentReport whose flags are the kinds of its findings (in order)."""
    return ComponentReport(
        cluster=cluster,
        component=component,
        current=current,
        latest=latest,
        latest_patch=latest_patch,
        status=status,
        behind=behind,
        releases_behind=releases_behind,
        days_behind=days_behind,
        flags=tuple(f.kind for f in findings),
        findings=findings,
        latest_url=latest_url,
    )


K8S_URL = "https://github.com/kubernetes/kubernetes/releases/tag/v1.29.3"
ISTIO_URL = "https://github.com/istio/istio/releases/tag/1.30.3"
CM_URL = "https://github.com/cert-manager/cert-manager/releases/tag/v1.21.1"
PROM_URL = "https://github.com/prometheus/prometheus/releases/tag/v3.14.0"
MS_URL = "https://github.com/kubernetes-sigs/metrics-server/releases/tag/v0.8.0"


def _k8s_rows() -> list[ComponentReport]:
    msg = "kubernetes 1.18.19 is 11 minor versions behind 1.29.3"
    cp = Component("kubernetes", Role.CONTROL_PLANE, "v1.18.19-gke.1701", "kubernetes/kubernetes")
    kubelet = Component(
        "kubernetes",
        Role.KUBELET,
        "v1.18.19-gke.1701",
        "kubernetes/kubernetes",
        workload="Node/gke-kubevious-samples-default-pool-3f7e1a2b-0k7f,"
        "gke-kubevious-samples-default-pool-3f7e1a2b-7ksw",
        instances=2,
    )
    return [
        row(GKE, c, "1.18.19", "1.29.3", None, Status.OUTDATED, Behind.MINOR, 16, 981,
            (F(Flag.OUTDATED, Severity.CRITICAL, msg),), K8S_URL)
        for c in (cp, kubelet)
    ]  # fmt: skip


def _cert_manager() -> ComponentReport:
    c = Component(
        "cert-manager",
        Role.ADDON,
        "v0.10.1",
        "cert-manager/cert-manager",
        namespace="cert-manager",
        workload="Deployment/cert-manager",
        image="quay.io/jetstack/cert-manager-controller:v0.10.1",
    )
    return row(GKE, c, "0.10.1", "1.21.1", "0.10.1", Status.OUTDATED, Behind.MAJOR, 130, 2506, (
        F(Flag.OUTDATED, Severity.CRITICAL, "cert-manager 0.10.1 is a major version behind 1.21.1"),
        F(Flag.PRE_1_0, Severity.WARNING, "cert-manager 0.10.1 is a pre-1.0 release"),
    ), CM_URL)  # fmt: skip


def _prometheus(namespace: str, workload: str, tag: str) -> ComponentReport:
    c = Component(
        "prometheus",
        Role.ADDON,
        f"v{tag}",
        "prometheus/prometheus",
        namespace=namespace,
        workload=workload,
        image=f"prom/prometheus:v{tag}",
    )
    releases, days = {"2.11.0": (155, 2598), "2.11.1": (154, 2563)}[tag]
    msg = f"prometheus {tag} is a major version behind 3.14.0 (latest 2.11 patch: 2.11.2)"
    return row(GKE, c, tag, "3.14.0", "2.11.2", Status.OUTDATED, Behind.MAJOR, releases, days,
               (F(Flag.OUTDATED, Severity.CRITICAL, msg),), PROM_URL)  # fmt: skip


def _metrics_server(*, synced: bool) -> ComponentReport:
    c = Component(
        "metrics-server",
        Role.ADDON,
        "v0.3.6",
        "kubernetes-sigs/metrics-server",
        namespace="kube-system",
        workload="Deployment/metrics-server-v0.3.6",
        image="k8s.gcr.io/metrics-server-amd64:v0.3.6",
    )
    pre = F(Flag.PRE_1_0, Severity.WARNING, "metrics-server 0.3.6 is a pre-1.0 release")
    if not synced:
        none = F(
            Flag.NO_UPSTREAM_DATA,
            Severity.INFO,
            "no releases of kubernetes-sigs/metrics-server in the catalogue (run tracker sync)",
        )
        return row(GKE, c, "0.3.6", None, None, Status.UNKNOWN, None, None, None, (none, pre))
    out = F(
        Flag.OUTDATED, Severity.WARNING, "metrics-server 0.3.6 is 5 minor versions behind 0.8.0"
    )
    return row(GKE, c, "0.3.6", "0.8.0", "0.3.7", Status.OUTDATED, Behind.MINOR, 25, 2120,
               (out, pre), MS_URL)  # fmt: skip


def _nginx_ingress() -> ComponentReport:
    c = Component(
        "ingress-nginx",
        Role.ADDON,
        "0.21.0",
        "kubernetes/ingress-nginx",
        namespace="ingress-nginx",
        workload="Deployment/nginx-ingress-controller",
        image="quay.io/kubernetes-ingress-controller/nginx-ingress-controller:0.21.0",
    )
    msg = "ingress-nginx 0.21.0 is a major version behind 1.13.1"
    url = "https://github.com/kubernetes/ingress-nginx/releases/tag/controller-v1.13.1"
    return row(GKE, c, "0.21.0", "1.13.1", "0.21.0", Status.OUTDATED, Behind.MAJOR, 120, 2700,
               (F(Flag.OUTDATED, Severity.CRITICAL, msg),),
               url)  # fmt: skip


def _istiod(version: str) -> ComponentReport:
    c = Component(
        "istio",
        Role.CONTROL_PLANE,
        version,
        "istio/istio",
        namespace="istio-system",
        workload="Deployment/istiod",
        image=f"docker.io/istio/pilot:{version}",
        revision="default",
    )
    patch, releases, days = {"1.12.1": ("1.12.9", 152, 1675), "1.13.0": ("1.13.9", 145, 1640)}[
        version
    ]
    minors = 30 - int(version.split(".")[1])
    msg = f"istio {version} is {minors} minor versions behind 1.30.3"
    return row(DD, c, version, "1.30.3", patch, Status.OUTDATED, Behind.MINOR, releases, days,
               (F(Flag.OUTDATED, Severity.CRITICAL, msg),), ISTIO_URL)  # fmt: skip


def _sidecars() -> ComponentReport:
    c = Component(
        "istio",
        Role.DATA_PLANE,
        "1.12.1",
        "istio/istio",
        image="docker.io/istio/proxyv2:1.12.1",
        revision="default",
        detail="1 pod: default/httpbin-74fb669cc6-8vwzs",
    )
    msg = "istio 1.12.1 is 18 minor versions behind 1.30.3"
    return row(DD, c, "1.12.1", "1.30.3", "1.12.9", Status.OUTDATED, Behind.MINOR, 152, 1675,
               (F(Flag.OUTDATED, Severity.CRITICAL, msg),), ISTIO_URL)  # fmt: skip


def _dd_kubernetes() -> ComponentReport:
    c = Component("kubernetes", Role.CONTROL_PLANE, "", "kubernetes/kubernetes")
    msg = "no Kubernetes version: the dump has no /version, API server pod or node"
    return row(DD, c, None, "1.29.3", None, Status.UNKNOWN, None, None, None,
               (F(Flag.UNKNOWN_VERSION, Severity.WARNING, msg),))  # fmt: skip


def _clusters(at: datetime) -> tuple[ClusterSummary, ...]:
    return (
        ClusterSummary(
            GKE,
            at,
            "1.18.19",
            Source.DUMP,
            (
                "pod marketing/github-stargazers-5c8b7d9f4-x2x7p runs on node "
                "ip-192-0-2-44.ec2.internal, which is not in this dump",
            ),
        ),
        ClusterSummary(DD, at, None, Source.DUMP),
    )


def _unidentified() -> tuple[ClusterUnidentified, ...]:
    return (
        ClusterUnidentified(
            GKE,
            Unidentified("default", "Deployment/mysql", "mysql:8.0.22",
                         "no catalogue entry for docker.io/library/mysql"),
        ),
        ClusterUnidentified(
            DD,
            Unidentified("default", "Deployment/httpbin", "docker.io/kennethreitz/httpbin",
                         "no catalogue entry for docker.io/kennethreitz/httpbin"),
        ),
    )  # fmt: skip


def current_report() -> Report:
    """Tonight's report: two clusters, 10 rows, 2 unidentified images."""
    rows = (
        *_k8s_rows(),
        _cert_manager(),
        _prometheus("openfaas", "Deployment/prometheus", "2.11.1"),
        _prometheus("monitoring", "StatefulSet/prometheus-k8s", "2.11.0"),
        _metrics_server(synced=True),
        _istiod("1.13.0"),
        _sidecars(),
        _dd_kubernetes(),
    )
    return Report(NOW, _clusters(NOW.replace(hour=1, minute=58, second=40)), rows, _unidentified())


def previous_report() -> Report:
    """Last night's report (see the module docstring for the differences)."""
    rows = (
        *_k8s_rows(),
        _cert_manager(),
        _prometheus("openfaas", "Deployment/prometheus", "2.11.0"),
        _prometheus("monitoring", "StatefulSet/prometheus-k8s", "2.11.0"),
        _metrics_server(synced=False),
        _nginx_ingress(),
        _istiod("1.12.1"),
        _sidecars(),
        _dd_kubernetes(),
    )
    return Report(YESTERDAY, _clusters(YESTERDAY), rows, _unidentified())
