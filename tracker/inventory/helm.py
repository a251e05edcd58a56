"""Helm 3 releases from their release Secrets.

Helm 3 stores each revision of a release as a Secret of type ``helm.sh/release.v1``, labelled
``owner=helm``, ``name=<release>``, ``status=<status>``, ``version=<revision>`` (Helm,
``pkg/storage/driver/secrets.go``). ``data.release`` is, after the Kubernetes base64 of every
Secret value, Helm's own base64 of a gzip stream of the release JSON (``pkg/storage/driver/
util.go``: ``encodeRelease``); very old releases may hold the JSON uncompressed.

Per release (namespace + name) only the latest *deployed* revision counts; when no revision is
deployed (a failed install, a release stuck in ``pending-upgrade``), the latest revision is
kept with its status, so it is reported, not dropped. Only the chosen Secret is decoded.

Decoding is bounded: a release larger than :data:`MAX_RELEASE_BYTES` once decompressed, or
not decodable, becomes a warning naming the Secret, never an exception or a hang.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tracker.models import HelmRelease

__all__ = ["HELM_SECRET_TYPE", "MAX_RELEASE_BYTES", "HelmRelease", "read_helm_releases"]

HELM_SECRET_TYPE = "helm.sh/release.v1"
MAX_RELEASE_BYTES = 64 * 1024 * 1024
_IMAGE_RE = re.compile(r"""^\s*(?:-\s*)?image:\s*["']?([^\s"'#]+)""", re.MULTILINE)


def _decode(value: str, max_bytes: int) -> Any:
    """Kubernetes base64 -> Helm base64 -> gzip (or plain) -> JSON, bounded in size."""
    helm_encoded = base64.b64decode(value, validate=False)
    raw = base64.b64decode(helm_encoded, validate=False)
    if raw[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        raw = inflater.decompress(raw, max_bytes)
        if inflater.unconsumed_tail:
            raise ValueError(f"larger than {max_bytes:,} bytes decompressed")
    return json.loads(raw)


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _revision(secret: Mapping[str, Any]) -> int:
    labels = (secret.get("metadata") or {}).get("labels") or {}
    try:
        return int(labels.get("version", "0"))
    except (TypeError, ValueError):
        return 0


def _release(secret: Mapping[str, Any], max_bytes: int) -> HelmRelease:
    data = secret.get("data") or {}
    encoded = data.get("release") if isinstance(data, Mapping) else None
    if not isinstance(encoded, str):
        raise ValueError("has no data.release")
    body = _decode(encoded, max_bytes)
    if not isinstance(body, Mapping):
        raise ValueError("does not hold a release object")
    chart = (body.get("chart") or {}).get("metadata") or {}
    info = body.get("info") or {}
    name, version = chart.get("name"), chart.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        raise ValueError("has no chart name and version")
    app = chart.get("appVersion")
    manifest = body.get("manifest")
    images = sorted(set(_IMAGE_RE.findall(manifest))) if isinstance(manifest, str) else []
    revision = body.get("version")
    return HelmRelease(
        name=str(body.get("name") or ""),
        namespace=str(body.get("namespace") or ""),
        revision=revision if isinstance(revision, int) else _revision(secret),
        status=str(info.get("status") or "unknown"),
        chart=name,
        chart_version=version,
        app_version=str(app) if isinstance(app, str | int | float) and str(app) else None,
        updated=_when(info.get("last_deployed")),
        images=tuple(images),
    )


def read_helm_releases(
    secrets: Iterable[Mapping[str, Any]], *, max_bytes: int = MAX_RELEASE_BYTES
) -> tuple[tuple[HelmRelease, ...], tuple[str, ...]]:
    """The releases that Helm release Secrets describe, and one warning per unreadable one.

    Args:
        secrets: Secret objects as plain JSON (from a dump or the live API); Secrets of
            other types are ignored.
        max_bytes: the largest decompressed release record read (a bigger one is a warning).

    Returns:
        ``(releases, warnings)``: releases sorted by namespace and name.
    """
    by_release: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for secret in secrets:
        if not isinstance(secret, Mapping) or secret.get("type") != HELM_SECRET_TYPE:
            continue
        metadata = secret.get("metadata") or {}
        labels = metadata.get("labels") or {}
        key = (str(metadata.get("namespace") or ""), str(labels.get("name") or ""))
        by_release.setdefault(key, []).append(secret)
    releases: list[HelmRelease] = []
    warnings: list[str] = []
    for (namespace, _), records in sorted(by_release.items()):
        deployed = [
            r
            for r in records
            if ((r.get("metadata") or {}).get("labels") or {}).get("status") == "deployed"
        ]
        chosen = max(deployed or records, key=_revision)
        name = str((chosen.get("metadata") or {}).get("name") or "?")
        where = f"Helm release Secret {namespace}/{name}"
        try:
            releases.append(_release(chosen, max_bytes))
        except (ValueError, binascii.Error, zlib.error, RecursionError, UnicodeDecodeError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else type(exc).__name__
            warnings.append(
                f"{where} could not be read ({reason[:120]}); its release is not listed"
            )
    return tuple(releases), tuple(warnings)
