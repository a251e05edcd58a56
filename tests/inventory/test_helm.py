"""Helm 3 release Secrets from the real kubevious/mock-data records (tests/data/realdata/helm)."""

from __future__ import annotations

import base64
import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.inventory.helm import read_helm_releases


@pytest.fixture(scope="module")
def secrets(realdata: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(
        (realdata / "helm" / "kubevious-mock-data.helm-release-secrets.yaml").read_text()
    )
    return list(data["items"])


@pytest.fixture(scope="module")
def decoded(realdata: Path) -> list[dict[str, Any]]:
    return list(
        json.loads(
            (realdata / "helm" / "kubevious-mock-data.helm-releases.decoded.json").read_text()
        )
    )


def encode(body: object) -> str:
    inner = base64.b64encode(gzip.compress(json.dumps(body).encode(), mtime=0))
    return base64.b64encode(inner).decode()


def test_latest_deployed_revision_wins_over_pending_upgrade(
    secrets: list[dict[str, Any]], decoded: list[dict[str, Any]]
) -> None:
    releases, warnings = read_helm_releases(secrets)
    assert warnings == ()
    assert [(r.namespace, r.name, r.revision, r.status) for r in releases] == [
        ("kubevious", "kubevious", 109, "deployed"),  # v110 is pending-upgrade
        ("traefik-samples", "traefik-samples", 1, "deployed"),
    ]
    kubevious = releases[0]
    expected = next(d for d in decoded if d["version"] == 109)
    assert (kubevious.chart, kubevious.chart_version, kubevious.app_version) == (
        expected["chart_metadata"]["name"],
        expected["chart_metadata"]["version"],
        expected["chart_metadata"]["appVersion"],
    )
    assert list(kubevious.images) == expected["images_in_manifest"]
    assert kubevious.updated is not None and kubevious.updated.isoformat().startswith(
        "2022-10-03T20:51:25"
    )


def test_no_deployed_revision_keeps_the_latest_with_its_status(
    secrets: list[dict[str, Any]],
) -> None:
    pending = [s for s in secrets if s["metadata"]["name"].endswith("v110")]
    releases, _ = read_helm_releases(pending)
    assert [(r.revision, r.status) for r in releases] == [(110, "pending-upgrade")]


def test_other_secret_types_are_ignored(secrets: list[dict[str, Any]]) -> None:
    opaque = {
        "type": "Opaque",
        "metadata": {"name": "x", "namespace": "y"},
        "data": {"release": "!!"},
    }
    releases, warnings = read_helm_releases([opaque])
    assert releases == () and warnings == ()


@pytest.mark.parametrize(
    ("release", "reason"),
    [
        ("not base64 at all!", "could not be read"),
        (base64.b64encode(base64.b64encode(b"\x1f\x8bbroken")).decode(), "could not be read"),
        (encode({"name": "x", "chart": {}}), "has no chart name and version"),
        (encode([1, 2]), "does not hold a release object"),
    ],
)
def test_unreadable_secret_is_one_warning(
    secrets: list[dict[str, Any]], release: str, reason: str
) -> None:
    bad = copy.deepcopy(secrets[2])
    bad["data"]["release"] = release
    releases, warnings = read_helm_releases([bad, secrets[0]])
    assert [r.name for r in releases] == ["kubevious"]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "Helm release Secret traefik-samples/sh.helm.release.v1.traefik-samples.v1"
    )
    assert reason in warnings[0]


def test_gzip_bomb_is_bounded(secrets: list[dict[str, Any]]) -> None:
    bomb = copy.deepcopy(secrets[2])
    bomb["data"]["release"] = encode({"name": "x", "pad": "0" * 100_000})
    _, warnings = read_helm_releases([bomb], max_bytes=1024)
    assert "larger than 1,024 bytes decompressed" in warnings[0]
    releases, _ = read_helm_releases([secrets[2]], max_bytes=1024 * 1024)
    assert [r.name for r in releases] == ["traefik-samples"]
