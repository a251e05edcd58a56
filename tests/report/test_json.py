"""The JSON report follows design.md §3 exactly: keys, order, types and values."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime

import pytest

import tracker.report.json as json_module
from tests.report.sample import DD, GKE, current_report
from tracker.errors import ReportError
from tracker.report.json import JsonFormatter, report_to_dict

RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TOP_KEYS = ["schema_version", "generated_at", "clusters", "components", "unidentified", "warnings"]
CLUSTER_KEYS = ["name", "scanned_at", "kubernetes_version", "distribution", "source", "warnings"]
COMPONENT_KEYS = [
    "cluster", "component", "role", "revision", "namespace", "workload", "image", "current",
    "latest", "latest_patch", "project", "status", "behind", "releases_behind", "days_behind",
    "instances", "flags", "findings", "detail", "mirrored", "support", "advisories", "waiver",
]  # fmt: skip
FINDING_KEYS = ["kind", "severity", "message", "source", "waived"]
UNIDENTIFIED_KEYS = ["cluster", "namespace", "workload", "image", "reason"]
ALLOWED_FLAGS = {
    "outdated",
    "pre-release",
    "pre-1.0",
    "unknown-version",
    "no-upstream-data",
    "ahead-of-catalogue",  # design.md §3: flags grow with later checks
    "partial-catalogue",
}
OPT_STR = (str, type(None))
OPT_INT = (int, type(None))


@pytest.fixture
def doc() -> dict[str, object]:
    text = JsonFormatter().format(current_report())
    assert text.endswith("\n")
    loaded = json.loads(text)
    assert isinstance(loaded, dict)
    return loaded


def test_top_level_keys_and_types(doc: dict[str, object]) -> None:
    assert list(doc) == TOP_KEYS
    assert doc["schema_version"] == 2
    assert isinstance(doc["generated_at"], str)
    assert doc["generated_at"] == "2026-08-20T02:00:00Z"


def test_clusters(doc: dict[str, object]) -> None:
    clusters = doc["clusters"]
    assert isinstance(clusters, list)
    assert [c["name"] for c in clusters] == [GKE, DD]
    for c in clusters:
        assert list(c) == CLUSTER_KEYS
        assert RFC3339_Z.match(c["scanned_at"])
        assert isinstance(c["kubernetes_version"], OPT_STR)
        assert c["source"] in ("api", "dump")
        assert isinstance(c["warnings"], list)
    assert clusters[0]["kubernetes_version"] == "1.18.19"
    assert clusters[1]["kubernetes_version"] is None


def test_every_component_field(doc: dict[str, object]) -> None:
    components = doc["components"]
    assert isinstance(components, list)
    assert len(components) == 9
    for c in components:
        assert list(c) == COMPONENT_KEYS
        for key in ("cluster", "component", "role", "project", "status"):
            assert isinstance(c[key], str), key
        for key in ("namespace", "workload", "image", "current", "latest", "latest_patch"):
            assert isinstance(c[key], OPT_STR), key
        for key in ("releases_behind", "days_behind"):
            assert isinstance(c[key], OPT_INT) and not isinstance(c[key], bool), key
        assert isinstance(c["instances"], int) and c["instances"] >= 1
        assert c["role"] in ("control-plane", "kubelet", "gateway", "data-plane", "addon")
        assert c["status"] in ("up-to-date", "outdated", "unknown")
        assert c["behind"] in ("major", "minor", "patch", None)
        assert c["component"] == c["component"].lower()
        assert isinstance(c["flags"], list)
        assert set(c["flags"]) <= ALLOWED_FLAGS
        assert isinstance(c["findings"], list)
        for f in c["findings"]:
            assert list(f) == FINDING_KEYS
            assert f["kind"] in ALLOWED_FLAGS
            assert f["severity"] in ("info", "warning", "critical")
            assert isinstance(f["message"], str) and f["message"]
        assert [f["kind"] for f in c["findings"]] == c["flags"]


def test_values_of_a_real_row(doc: dict[str, object]) -> None:
    components = doc["components"]
    assert isinstance(components, list)
    cm = next(c for c in components if c["component"] == "cert-manager")
    assert cm == {
        "cluster": GKE,
        "component": "cert-manager",
        "role": "addon",
        "revision": None,
        "namespace": "cert-manager",
        "workload": "Deployment/cert-manager",
        "image": "quay.io/jetstack/cert-manager-controller:v0.10.1",
        "current": "0.10.1",
        "latest": "1.21.1",
        "latest_patch": "0.10.1",
        "project": "cert-manager/cert-manager",
        "status": "outdated",
        "behind": "major",
        "releases_behind": 130,
        "days_behind": 2506,
        "instances": 1,
        "flags": ["outdated", "pre-1.0"],
        "findings": [
            {
                "kind": "outdated",
                "severity": "critical",
                "message": "cert-manager 0.10.1 is a major version behind 1.21.1",
                "source": None,
                "waived": False,
            },
            {
                "kind": "pre-1.0",
                "severity": "warning",
                "message": "cert-manager 0.10.1 is a pre-1.0 release",
                "source": None,
                "waived": False,
            },
        ],
        "detail": None,
        "mirrored": False,
        "support": None,
        "advisories": [],
        "waiver": None,
    }
    unknown = next(c for c in components if c["cluster"] == DD and c["status"] == "unknown")
    assert unknown["current"] is None and unknown["behind"] is None
    assert unknown["namespace"] is None and unknown["image"] is None


def test_components_grouped_by_cluster_worst_first(doc: dict[str, object]) -> None:
    components = doc["components"]
    assert isinstance(components, list)
    assert [c["cluster"] for c in components] == [GKE] * 6 + [DD] * 3
    gke = [(c["component"], c["current"]) for c in components[:6]]
    # critical + major first (most days behind first), then critical + minor, then warning.
    assert gke == [
        ("prometheus", "2.11.0"),
        ("prometheus", "2.11.1"),
        ("cert-manager", "0.10.1"),
        ("kubernetes", "1.18.19"),
        ("kubernetes", "1.18.19"),
        ("metrics-server", "0.3.6"),
    ]


def test_unidentified(doc: dict[str, object]) -> None:
    assert doc["unidentified"] == [
        {
            "cluster": GKE,
            "namespace": "default",
            "workload": "Deployment/mysql",
            "image": "mysql:8.0.22",
            "reason": "no catalogue entry for docker.io/library/mysql",
        },
        {
            "cluster": DD,
            "namespace": "default",
            "workload": "Deployment/httpbin",
            "image": "docker.io/kennethreitz/httpbin",
            "reason": "no catalogue entry for docker.io/kennethreitz/httpbin",
        },
    ]


def test_naive_timestamp_is_a_report_error() -> None:
    report = replace(current_report(), generated_at=datetime(2026, 8, 20, 2, 0))
    with pytest.raises(ReportError, match="generated_at"):
        report_to_dict(report)


def test_module_name_does_not_shadow_stdlib_json() -> None:
    assert json_module.__name__ == "tracker.report.json"
    assert "tracker" not in (json.__file__ or "")
