"""Image references as Kubernetes shows them (``registry/repository:tag@digest``).

Split out of :mod:`tracker.models` (which re-exports :class:`ImageReference`): parsing an
image string is its own job, with its own rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ImageReference"]

_DIGEST_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")


@dataclass(frozen=True)
class ImageReference:
    """A container image reference, ``registry/repository:tag@digest``, normalized.

    Normalization follows the Docker/OCI reference rules (distribution/reference): the
    first path component is a registry only if it contains ``.`` or ``:`` or is
    ``localhost``; otherwise the registry is ``docker.io``, and a one-part Docker Hub
    name gets the ``library/`` namespace. A reference without tag and digest has the
    implicit tag ``latest``, recorded as ``tag=None`` with ``implicit_latest=True``.

    Attributes:
        raw: the reference exactly as the pod spec gave it.
        registry: e.g. ``docker.io``, ``quay.io``, ``registry.k8s.io``.
        repository: e.g. ``library/nginx``, ``istio/proxyv2``.
        tag: e.g. ``1.12.1``; None when absent.
        digest: e.g. ``sha256:…``; None when absent.

    >>> ImageReference.parse("nginx").name
    'docker.io/library/nginx'
    >>> ImageReference.parse("docker.io/istio/proxyv2:1.12.1").tag
    '1.12.1'
    >>> ImageReference.parse("localhost:5000/a/b:2@sha256:" + "0" * 64).registry
    'localhost:5000'
    >>> ImageReference.parse("quay.io/jetstack/cert-manager-controller:v0.10.1").short_name
    'quay.io/jetstack/cert-manager-controller'
    >>> ImageReference.parse("prom/prometheus:v2.11.0").short_name
    'prom/prometheus'
    """

    raw: str
    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, raw: str) -> ImageReference:
        """Parse ``raw`` into its parts.

        Raises:
            ValueError: when ``raw`` is empty or not a valid reference (the message
                names the reference).
        """
        text = raw.strip()
        if text.split() != [text]:  # empty, or whitespace inside
            raise ValueError(f"image reference {raw!r} is empty or contains spaces")
        digest: str | None = None
        if "@" in text:
            text, digest = text.split("@", 1)
            if not _DIGEST_RE.match(digest):
                raise ValueError(f"image reference {raw!r} has an invalid digest {digest!r}")
        tag: str | None = None
        last_slash = text.rfind("/")
        colon = text.rfind(":")
        if colon > last_slash:
            text, tag = text[:colon], text[colon + 1 :]
            if not _TAG_RE.match(tag):
                raise ValueError(f"image reference {raw!r} has an invalid tag {tag!r}")
        parts = text.split("/")
        first = parts[0]
        if len(parts) > 1 and ("." in first or ":" in first or first == "localhost"):
            registry, repository = first.lower(), "/".join(parts[1:])
        else:
            registry, repository = "docker.io", text
        if registry in ("index.docker.io", "registry-1.docker.io"):
            registry = "docker.io"
        if registry == "docker.io" and "/" not in repository:
            repository = f"library/{repository}"
        if not repository or any(not p for p in repository.split("/")):
            raise ValueError(f"image reference {raw!r} has an empty path component")
        return cls(raw=raw, registry=registry, repository=repository, tag=tag, digest=digest)

    @property
    def name(self) -> str:
        """``registry/repository`` in full, e.g. ``docker.io/library/nginx``."""
        return f"{self.registry}/{self.repository}"

    @property
    def short_name(self) -> str:
        """The familiar form: Docker Hub's registry and ``library/`` dropped.

        ``docker.io/library/nginx`` -> ``nginx``; ``docker.io/prom/prometheus`` ->
        ``prom/prometheus``; other registries keep their host.
        """
        if self.registry == "docker.io":
            repo = self.repository
            return repo[len("library/") :] if repo.startswith("library/") else repo
        return self.name

    @property
    def implicit_latest(self) -> bool:
        """True when the reference has neither tag nor digest (the runtime pulls ``latest``)."""
        return self.tag is None and self.digest is None

    def __str__(self) -> str:
        out = self.name
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out
