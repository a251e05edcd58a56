"""Every catalogue entry against its project's real tags (tests/data/tags, PROVENANCE.md there).

Each entry's tag rule is applied through tracker's own code (the stream builder of
tracker/evaluate/stream.py over :func:`tracker.versions.parse_tag`) to the tags recorded from
the project's repository. The rule must keep the release stream and nothing else: the highest
stable version it picks is asserted from the table below (read off the repositories, not
computed from the rule), known noise in each repository (chart tags, Go-module twins, stray
tags) must stay out, and every kept tag must be a version of one shape.

Six repositories are too large to snapshot here, and gitlab-exporter's has no mirror
(VERSION_LISTS): their files hold a real version list (endoflife.date's reading of the
repository's tags, Mimir's CHANGELOG headings, the versions omnibus-gitlab pinned)
written in the repository's tag spelling, not the repository's own tag list. For them the test
checks the rule reads every listed release and picks the right highest one; the noise and the
pre-releases their rules must leave out are real tag names tested one by one at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker.evaluate.base import ReleaseStream
from tracker.evaluate.stream import build_stream
from tracker.identify.catalogue import load_catalogue
from tracker.models import CatalogueEntry, Release

TAGS = Path(__file__).resolve().parents[1] / "data" / "tags"
CATALOGUE = load_catalogue()

# entry id -> the highest stable version in the project's real tags (as normalized).
HIGHEST_STABLE: dict[str, str | None] = {
    "kubernetes": "1.29.3",
    "kube-proxy": "1.29.3",
    "etcd": "3.7.1",
    "coredns": "1.14.7",
    "kube-dns": "1.26.7",
    "node-local-dns": "1.26.7",
    "metrics-server": "0.9.0",
    "kube-state-metrics": "2.20.0",
    "external-dns": "0.22.0",
    "cluster-autoscaler": "1.36.1",
    "vertical-pod-autoscaler": "1.7.1",
    "addon-resizer": "1.8.24",
    "cluster-proportional-autoscaler": "1.10.3",
    "cluster-proportional-vertical-autoscaler": "0.8.9",
    "ip-masq-agent": "2.12.6",
    "ingress-gce": "1.41.1",
    # the defaultbackend image versions (1.0 to 1.5) were never git tags: no release stream
    "defaultbackend": None,
    "kubernetes-dashboard": "2.7.0",
    "kubernetes-dashboard-api": "1.13.0",
    "kubernetes-dashboard-web": "1.7.0",
    "kubernetes-dashboard-auth": "1.3.0",
    "kubernetes-dashboard-metrics-scraper": "1.2.2",
    "headlamp": "0.45.0",
    "csi-provisioner": "6.3.0",
    "csi-attacher": "4.12.0",
    "csi-resizer": "2.2.1",
    "csi-snapshotter": "8.6.0",
    "csi-node-driver-registrar": "2.17.0",
    "csi-livenessprobe": "2.19.0",
    "istio": "1.30.3",
    "linkerd": "2.14.10",
    "linkerd-edge": "26.8.3",
    "linkerd-enterprise": "2.20",
    "kiali": "2.30.0",
    "kiali-operator": "2.29.0",
    "ingress-nginx": "1.15.1",
    "nginx-ingress": "5.5.4",
    "traefik": "3.7.9",
    "metallb": "0.16.1",
    "aws-load-balancer-controller": "3.5.0",
    "cert-manager": "1.21.1",
    "external-secrets": "2.9.0",
    "sealed-secrets": "0.36.6",
    "vault-k8s": "1.7.6",
    "gatekeeper": "3.23.0",
    "kyverno": "1.19.0",
    "polaris": "10.2.2",
    "kube-rbac-proxy": "0.21.0",
    "argo-cd": "3.5.1",
    "argo-workflows": "4.1.2",
    "argo-rollouts": "1.9.1",
    "flux-source-controller": "1.9.1",
    "flux-kustomize-controller": "1.9.4",
    "flux-helm-controller": "1.6.3",
    "flux-notification-controller": "1.9.3",
    "flux-image-reflector-controller": "1.2.0",
    "flux-image-automation-controller": "1.2.1",
    "velero": "1.18.1",
    "calico": "3.32.1",
    "tigera-operator": "1.43.0",
    "cilium": "1.20.1",
    "hubble-ui": "0.13.5",
    "aws-vpc-cni": "1.23.0",
    "aws-ebs-csi-driver": "1.64.0",
    "local-path-provisioner": "0.0.37",
    "prometheus": "3.14.0",
    "alertmanager": "0.34.0",
    "node-exporter": "1.12.1",
    "blackbox-exporter": "0.28.0",
    "pushgateway": "1.11.3",
    "prometheus-operator": "0.93.0",
    "configmap-reload": "0.15.0",
    "postgres-exporter": "0.20.1",
    "redis-exporter": "1.88.0",
    "thanos": "0.42.4",
    "grafana": "13.2.0",
    "loki": "3.7.6",
    "promtail": "3.6.15",
    "tempo": "3.0.3",
    "alloy": "1.18.1",
    "fluent-bit": "5.1.1",
    "jaeger": "1.76.0",
    "jaeger-v2": "2.20.0",
    "jaeger-operator": "1.65.0",
    "zipkin": "3.6.1",
    "opentelemetry-collector": "0.159.0",
    "opentelemetry-operator": "0.158.0",
    "keda": "2.20.2",
    "envoy-gateway": "1.9.0",
    "envoy": "1.39.0",
    "contour": "1.33.6",
    "nginx-gateway-fabric": "2.6.7",
    "kong-ingress-controller": "3.5.13",
    "kong": "3.9.3",
    "haproxy-ingress": "3.2.11",
    "oauth2-proxy": "7.15.3",
    "dex": "2.45.1",
    "nginx": "1.31.4",
    "karpenter": "1.14.1",
    "descheduler": "0.36.0",
    "reloader": "1.4.21",
    "prometheus-adapter": "0.12.0",
    "node-problem-detector": "1.36.0",
    "node-feature-discovery": "0.19.0",
    "nvidia-gpu-operator": "26.7.0",
    "nvidia-device-plugin": "0.20.0",
    "kube-vip": "1.2.3",
    "falco": "0.44.1",
    "falcosidekick": "2.34.1",
    "trivy-operator": "0.32.0",
    "tetragon": "1.7.0",
    "vault-secrets-operator": "1.4.1",
    "secrets-store-csi-driver": "1.6.0",
    "trust-manager": "0.24.0",
    "longhorn": "1.12.1",
    "rook-ceph": "1.20.6",
    "ceph-csi": "3.12.2",
    "aws-efs-csi-driver": "3.4.1",
    "csi-driver-nfs": "4.13.4",
    "gcp-pd-csi-driver": "1.26.4",
    "azuredisk-csi-driver": "1.34.5",
    "azurefile-csi-driver": "1.35.7",
    "cloud-provider-azure": "1.36.5",
    "velero-plugin-for-aws": "1.13.2",
    "harbor": "2.15.2",
    "registry": "3.1.1",
    # RELEASE.<date> tags: the tag rule names the date as the version -> calendar versions
    "minio": "2025-10-15T17:29:55Z",
    "flannel": "0.28.9",
    "multus": "4.3.0",
    "aws-node-termination-handler": "1.25.6",
    "aws-network-policy-agent": "1.4.1",
    "aws-for-fluent-bit": "2.32.3",
    "vector": "0.57.0",
    "grafana-agent": "0.44.8",
    "fluentd": "1.19.3",
    "pyroscope": "2.2.1",
    "opencost": "2.4.2",
    "argo-events": "1.9.11",
    "flux-operator": "0.58.1",
    "flux-source-watcher": "2.2.1",
    "crossplane": "2.3.4",
    "gitlab-runner": "19.3.0",
    "gitlab-shell": "14.56.1",
    "gitaly": "16.7.0",
    "gitlab-exporter": "17.0.0",
    "openfaas": "0.27.14",
    "openfaas-faas-netes": "0.18.17",
    "openfaas-queue-worker": "0.14.2",
    "faas-idler": "0.3.0",
    "redis": "7.4.1",
    "rabbitmq": "4.3.5",
    "nats": "2.14.5",
    "nats-streaming": "0.25.6",
    "busybox": "1.36.1",
    "kubevious": "1.2",
    # version lists (VERSION_LISTS), not tag lists
    "vault": "2.0.4",
    "mimir": "2.14.1",
    "postgres": "18.6",
    "mysql": "9.7.2",
    "mongodb": "8.3.8",
    "gitlab": "19.3.0",
}

# Entries whose recorded file is a real version list written as tags (see the module docstring
# and tests/data/tags/PROVENANCE.md): the repositories are too large to snapshot here.
VERSION_LISTS = frozenset(
    {"vault", "mimir", "postgres", "mysql", "mongodb", "gitlab", "gitlab-exporter"}
)

# Listed versions that are not releases of the stream: MongoDB 4.4 and earlier used odd minor
# versions for development series (https://www.mongodb.com/docs/manual/reference/versioning/),
# and endoflife.date's list keeps them.
NOT_RELEASES: dict[str, re.Pattern[str]] = {"mongodb": re.compile(r"^r[0-4]\.\d*[13579]\.")}

# Release numbers of more than one length that a project really has: PostgreSQL 10 and later
# have two numbers (16.1), older releases three (9.6.8).
SHAPES: dict[str, set[int]] = {"postgres": {2, 3}}

# Real tags of each repository that the entry's rule must leave out (the noise that made
# entries wrong before, and the other products sharing the repository).
NOISE: dict[str, tuple[str, ...]] = {
    "addon-resizer": ("addon-resizer-1.18.15", "addon-resizer-2.3", "cluster-autoscaler-1.36.1"),
    "ingress-gce": ("v1000.1.0",),
    "gcp-pd-csi-driver": ("v999.3.0", "v999.0.0"),
    "promtail": ("v3.7.6", "v3.7.0"),
    "linkerd": ("edge-26.8.3", "version-2.20"),
    "linkerd-edge": ("stable-2.14.10", "version-2.20"),
    "linkerd-enterprise": ("stable-2.14.10", "edge-26.8.3"),
    "kubernetes-dashboard": ("api/v1.13.0", "web/v1.7.0", "kubernetes-dashboard-7.13.0"),
    "kubernetes-dashboard-api": ("v2.7.0", "web/v1.7.0", "kubernetes-dashboard-7.13.0"),
    "kubernetes-dashboard-web": ("v2.7.0", "api/v1.13.0"),
    "kubernetes-dashboard-auth": ("v2.7.0", "api/v1.13.0"),
    "kubernetes-dashboard-metrics-scraper": ("v2.7.0", "api/v1.13.0"),
    "prometheus": ("v0.314.0", "v2.35.0-retract"),
    "cert-manager": ("cmd/ctl/v1.12.0",),
    "jaeger": ("v2.20.0",),
    "jaeger-v2": ("v1.76.0",),
    "loki": ("helm-loki-6.0.0",),
    "cluster-autoscaler": ("addon-resizer-1.8.24", "vertical-pod-autoscaler-1.7.1"),
    "vertical-pod-autoscaler": ("cluster-autoscaler-1.36.1",),
    "redis": ("8.0-m01",),
    "aws-for-fluent-bit": ("v2.32.2.20241008",),
    "reloader": ("chart-v2.2.16", "merge-1205"),
    "vector": ("vdev-v0.3.15",),
    "pyroscope": ("pyroscope-2.2.1", "weekly-f184-b4d740789"),
    "headlamp": ("headlamp-helm-0.45.0", "headlamp-plugin-0.14.0"),
    "descheduler": ("descheduler-helm-chart-0.36.0",),
    "aws-efs-csi-driver": ("helm-chart-aws-efs-csi-driver-4.4.1",),
    "node-feature-discovery": ("api/nfd/v0.19.0", "v0.20.0-devel"),
    "crossplane": ("apis/v2.3.4",),
    "dex": ("api/v2.4.0",),
    "tetragon": ("api/v1.7.0", "rthooks/v0.9"),
    "flux-source-watcher": ("api/v2.2.1",),
    "grafana-agent": ("build-image/v0.44.8", "helm-chart/0.44.2"),
    "longhorn": ("v1.12.1-dev-20260726",),
    "rabbitmq": ("rabbitmq_v1_8_0", "nightly"),
    "nginx-ingress": ("2026-lts-r1",),
    # MongoDB 4.4 and earlier: odd minors were development series (endoflife.date lists them)
    "mongodb": ("r4.3.6", "r4.1.13", "r3.5.13"),
    # Gitaly's test tags of 2017 (tagged by its creator, not releases)
    "gitaly": ("vtest-1", "v0.0.1-test-7"),
}


# Real tags that must be in the stream: odd spellings of real releases.
KEEP: dict[str, tuple[str, ...]] = {
    "kube-state-metrics": ("v2.0.0-alpha", "v2.0.0-beta", "v2.0.0"),
    "addon-resizer": ("addon-resizer-1.8.24", "addon-resizer-1.8.0"),
    "linkerd-enterprise": ("version-2.15", "version-2.20"),
    "linkerd-edge": ("edge-26.8.3",),
    "kong-ingress-controller": ("1.3.1", "v3.5.13"),
    "reloader": ("0.0.20", "v1.4.21"),
    "busybox": ("1_36_1", "1_30_0"),
    "promtail": ("v3.6.15", "v2.9.0"),
    "prometheus": ("0.13.0", "v3.14.0"),
    "postgres": ("REL_16_1", "REL9_6_8", "REL_10_0"),
    "mongodb": ("r4.4.29", "r5.3.2", "r8.2.12"),
    "faas-idler": ("0.2.1",),
    # the 1.x line before Gitaly took GitLab's numbering, a release candidate, a dated rc
    "gitaly": ("v1.77.1", "v1.87.0", "v12.10.0", "v16.0.0-rc42", "v13.10.0-rc20210223090520"),
}


def _recorded(project: str) -> tuple[list[str], list[str]]:
    """(header lines, tags) of the recorded tag list of ``project``."""
    lines = (TAGS / f"{project.replace('/', '__')}.txt").read_text("utf-8").splitlines()
    return [x for x in lines if x.startswith("#")], [x for x in lines if x and x[0] != "#"]


def _stream(entry: CatalogueEntry, tags: list[str]) -> ReleaseStream:
    assert entry.project is not None
    releases = [Release(entry.project, tag, None) for tag in tags]
    return build_stream(entry.project, entry.tag_pattern, releases)


def test_every_entry_has_a_real_tag_test():
    assert len(CATALOGUE) >= 150
    assert set(HIGHEST_STABLE) == set(CATALOGUE)


@pytest.mark.parametrize("cid", sorted(VERSION_LISTS))
def test_version_lists_say_what_they_are(cid: str):
    """A version list written as tags says so in its header (PROVENANCE.md has the details)."""
    project = CATALOGUE[cid].project
    assert project is not None
    header, tags = _recorded(project)
    kept = next(h for h in header if h.startswith("# kept: "))
    assert "a version list, not the repository's own tag list" in kept, cid
    assert len(tags) == len(set(tags)) >= 30, cid
    # every listed release is read by the rule, as a stable release
    stream = _stream(CATALOGUE[cid], tags)
    pattern = NOT_RELEASES.get(cid)
    left_out = {tag for tag in tags if pattern is not None and pattern.match(tag)}
    assert set(NOISE.get(cid, ())) <= left_out
    assert {r.release.tag for r in stream.releases} == set(tags) - left_out, cid
    assert not any(r.prerelease for r in stream.releases), cid


@pytest.mark.parametrize("cid", sorted(HIGHEST_STABLE))
def test_tag_rule_keeps_the_release_stream_and_nothing_else(cid: str):
    entry = CATALOGUE[cid]
    assert entry.project is not None
    header, tags = _recorded(entry.project)
    forge = "https://gitlab.com/" if entry.source == "gitlab" else "https://github.com/"
    assert any(h.startswith(f"# source: {forge}") for h in header), cid
    assert any(h.startswith("# snapshot: ") for h in header), cid
    stream = _stream(entry, tags)
    kept = {r.release.tag for r in stream.releases}

    stable = [r for r in stream.releases if not r.prerelease]
    expected = HIGHEST_STABLE[cid]
    if expected is None:
        # no release stream in the repository: only a retired image can be catalogued so
        assert not stream.releases and entry.retired is not None, cid
        return
    assert stable, cid
    assert stable[-1].version.normalized == expected, cid

    for tag in KEEP.get(cid, ()):
        assert tag in tags, (cid, tag)  # really a tag of the repository
        assert _stream(entry, [tag]).releases, (cid, tag)  # and taken by the rule
    for noise in NOISE.get(cid, ()):
        assert noise in tags, (cid, noise)  # the noise is really in the repository
        assert noise not in kept, (cid, noise)
    # other products of the repository never get in: charts, module paths, CI tags
    for tag in kept:
        lowered = tag.lower()
        assert not any(w in lowered for w in ("chart", "helm", "merge", "weekly", "nightly")), tag
        assert "/" not in tag or entry.tag_pattern.startswith(
            ("^api/", "^web/", "^auth/", "^metrics")
        )
    # one shape: every kept stable version has as many release numbers (redis 7.4-rc1 is a
    # pre-release; PostgreSQL's two-number majors are the exception the project really has)
    shapes = {len(r.version.version.release) for r in stream.releases if not r.prerelease}
    if cid in SHAPES:
        assert shapes == SHAPES[cid], (cid, shapes)
    else:
        assert len(shapes) == 1, (cid, shapes)


def test_minio_orders_its_date_releases_as_calendar_versions():
    entry = CATALOGUE["minio"]
    assert entry.project is not None
    _, tags = _recorded(entry.project)
    stream = _stream(entry, tags)
    kept = {r.release.tag for r in stream.releases}
    dated = [t for t in tags if t.startswith("RELEASE.")]
    assert "RELEASE.2017-12-28T01-21-00Z" in kept and set(dated) <= kept
    assert all(r.version.shape == "calendar" for r in stream.releases)
    order = [r.release.tag for r in stream.releases]
    assert order.index("RELEASE.2017-12-28T01-21-00Z") < order.index("RELEASE.2025-10-15T17-29-55Z")
    for other in ("OFFICIAL.2016-02-08T00-12-28Z", "release-1434511043"):
        assert other in tags and other not in kept


@pytest.mark.parametrize(
    ("cid", "tag", "version"),
    [
        ("busybox", "1_36_1", "1.36.1"),
        ("kubernetes-dashboard-api", "api/v1.13.0", "1.13.0"),
        ("linkerd-edge", "edge-24.8.2", "24.8.2"),
        ("mysql", "mysql-8.0.22", "8.0.22"),
        ("mongodb", "r7.0.2", "7.0.2"),
        ("postgres", "REL_16_1", "16.1"),
        ("postgres", "REL9_6_8", "9.6.8"),
        ("nginx", "release-1.27.3", "1.27.3"),
        ("envoy", "v1.35.3", "1.35.3"),
        ("mimir", "mimir-2.10.5", "2.10.5"),
        ("cilium", "v1.16.1", "1.16.1"),
        ("vault", "v1.15.2", "1.15.2"),
        ("gitlab", "v12.6.4", "12.6.4"),
        ("gitaly", "v1.77.1", "1.77.1"),
        ("gitlab-exporter", "v5.1.0", "5.1.0"),
        ("gitlab-exporter", "5.1.0", "5.1.0"),
    ],
)
def test_tag_conventions_of_each_project_read_as_their_version(cid: str, tag: str, version: str):
    stream = _stream(CATALOGUE[cid], [tag])
    assert [r.version.normalized for r in stream.releases] == [version]


@pytest.mark.parametrize(
    ("cid", "tag"),
    [
        ("postgres", "REL_16_RC1"),
        ("postgres", "REL_16_BETA1"),
        ("mysql", "mysql-cluster-8.0.22"),
        ("mongodb", "r7.0.0-rc1"),
        ("mongodb", "r4.3.6"),  # a development series (4.3 led to 4.4): not in the stream at all
        ("gitaly", "v16.0.0-rc42"),
        ("gitaly", "v13.10.0-rc20210223090520"),
    ],
)
def test_pre_releases_and_other_products_stay_out_of_the_stable_stream(cid: str, tag: str):
    stream = _stream(CATALOGUE[cid], [tag])
    assert all(r.prerelease for r in stream.releases), (cid, tag)
