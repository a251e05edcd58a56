"""Registry-agnostic repository matching: seeing through mirrors and pull-through caches.

design.md §4 "Identification": a repository path that *ends in* a known one is that
component, whatever registry serves it. Shapes met on real clusters:

=============================================  =================================================
image repository                               known repository it ends in
=============================================  =================================================
``eu.gcr.io/acme/external/quay.io/prometheus/  ``quay.io/prometheus/prometheus`` (a vendor mirror
prometheus``                                   keeping the upstream registry in its path)
``harbor.corp/dockerhub-proxy/library/nginx``  ``library/nginx`` = ``docker.io/library/nginx``
                                               (a Harbor proxy cache project)
``123456789012.dkr.ecr.eu-west-1.amazonaws.    ``prometheus/prometheus`` of
com/quay/prometheus/prometheus``               ``quay.io/prometheus/prometheus`` (an ECR
                                               pull-through cache, upstream prefix ``quay``)
``artifactory.corp/docker-remote/jetstack/     ``jetstack/cert-manager-controller`` (an
cert-manager-controller``                      Artifactory remote repository)
``mirror.gcr.io/library/busybox``              ``library/busybox`` (Google's Docker Hub mirror)
=============================================  =================================================

Rules, in order (:meth:`RepositoryIndex.resolve`):

1. The catalogue's own patterns (:class:`~tracker.identify.catalogue.ImageIndex`): exact
   repositories, then wildcards. Not mirrored.
2. A configured mirror prefix (``[registries] mirrors``, e.g. ``harbor.corp/dockerhub``)
   is stripped and the rest is read as an image reference on its own
   (``harbor.corp/dockerhub/nginx`` -> ``nginx``), then rule 1. Mirrored.
3. Suffix match: the image's path (registry and repository, split on ``/``) ends in a
   catalogue repository, compared segment by segment, either with its registry
   (``quay.io/prometheus/prometheus``) or without (``prometheus/prometheus``). A Docker
   Hub official image's repository is ``library/x``: a bare last segment ``x`` alone is not
   enough (``harbor.corp/team/nginx`` could be anything), but a single-segment repository of
   another registry is (``registry.k8s.io/etcd`` -> ``…/k8s-proxy/etcd``). Wildcard patterns
   take part the same way (``quay.io/calico/*`` -> ``…/calico/node``). Mirrored.
4. Ambiguity: the longest match wins (most path segments, then most literal characters);
   when two different components tie at the longest, nothing is claimed (never a guess) and
   :meth:`RepositoryIndex.ambiguity` names them for the unidentified reason.

Speed: exact catalogue repositories are indexed by their last path segment, so a suffix
lookup costs one dictionary probe per image plus the wildcard patterns; every distinct
repository is resolved once per run (cached).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tracker.identify.catalogue import ImageIndex, normalize_image_pattern
from tracker.models import CatalogueEntry, ImageReference

__all__ = ["RepositoryIndex", "RepositoryMatch", "normalize_mirror_prefix"]


@dataclass(frozen=True)
class RepositoryMatch:
    """Which catalogue entry an image repository is, and how it was seen.

    Attributes:
        entry: the catalogue entry.
        mirrored: True when the image comes through a mirror or cache (rules 2 and 3 of
            the module docstring), False when the catalogue names its repository.
        upstream: the known repository the image's path ends in
            (``quay.io/prometheus/prometheus``), or the image's own name when not mirrored.
    """

    entry: CatalogueEntry
    mirrored: bool
    upstream: str


@dataclass(frozen=True)
class _Form:
    """One way a catalogue repository can end an image path."""

    segments: tuple[str, ...]
    entry: CatalogueEntry
    upstream: str
    glob: re.Pattern[str] | None = None

    @property
    def weight(self) -> tuple[int, int]:
        """Longest match first: path segments, then literal characters."""
        return (len(self.segments), sum(len(s.replace("*", "")) for s in self.segments))


def normalize_mirror_prefix(prefix: str) -> str:
    """A ``[registries] mirrors`` entry in canonical form: lower case, no scheme, no
    trailing ``/``.

    Raises:
        ValueError: the prefix is empty, has spaces, or has no registry host.

    >>> normalize_mirror_prefix("https://Harbor.corp/dockerhub/")
    'harbor.corp/dockerhub'
    """
    text = prefix.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).strip("/")
    if not text or any(c.isspace() for c in text):
        raise ValueError(f"mirror prefix {prefix!r} is empty or contains spaces")
    host = text.split("/", 1)[0]
    if not ("." in host or ":" in host or host == "localhost"):
        raise ValueError(
            f"mirror prefix {prefix!r} must start with a registry host (e.g. harbor.corp/dockerhub)"
        )
    return text


class RepositoryIndex(ImageIndex):
    """An :class:`~tracker.identify.catalogue.ImageIndex` that also sees through mirrors
    (module docstring). ``lookup`` and ``matches`` keep their meaning for every detector;
    :meth:`resolve` also says whether the image was mirrored.

    Args:
        catalogue: ``{id: CatalogueEntry}``.
        mirrors: extra prefixes to strip (``[registries] mirrors``), any spelling
            :func:`normalize_mirror_prefix` accepts.

    Raises:
        ValueError: a mirror prefix is malformed (the config loader reports it first).
    """

    def __init__(
        self, catalogue: Mapping[str, CatalogueEntry], mirrors: Iterable[str] = ()
    ) -> None:
        super().__init__(catalogue)
        self._mirrors = sorted({normalize_mirror_prefix(m) for m in mirrors}, key=len, reverse=True)
        self._by_last: dict[str, list[_Form]] = {}
        # wildcard forms, by what their first segment needs: a literal segment, a literal
        # start (``kube-apiserver*``), or anything (``*.dkr.ecr.*.amazonaws.com/...``)
        self._glob_first: dict[str, list[_Form]] = {}
        self._glob_prefixed: list[tuple[str, _Form]] = []
        self._glob_any: list[_Form] = []
        for entry in catalogue.values():
            for raw in entry.images:
                for form in _forms(normalize_image_pattern(raw), entry):
                    first = form.segments[0]
                    if form.glob is None:
                        self._by_last.setdefault(form.segments[-1], []).append(form)
                    elif "*" not in first:
                        self._glob_first.setdefault(first, []).append(form)
                    elif first.split("*", 1)[0]:
                        self._glob_prefixed.append((first.split("*", 1)[0], form))
                    else:
                        self._glob_any.append(form)
        self._resolved: dict[str, RepositoryMatch | None] = {}
        self._by_raw: dict[str, RepositoryMatch | None] = {}
        self._ambiguous: dict[str, tuple[str, ...]] = {}

    def lookup(self, image: ImageReference) -> CatalogueEntry | None:
        """The entry ``image`` belongs to, directly or through a mirror; None when none
        (or when two components match equally well)."""
        match = self.resolve(image)
        return match.entry if match is not None else None

    def resolve(self, image: ImageReference) -> RepositoryMatch | None:
        """The :class:`RepositoryMatch` for ``image``, or None (rules in the module doc)."""
        raw = image.raw  # every container asks several times: one dict probe per ask
        if raw in self._by_raw:
            return self._by_raw[raw]
        name = image.name.lower()
        if name in self._resolved:
            match = self._resolved[name]
        else:
            match = self._resolved[name] = self._resolve(image, name)
        self._by_raw[raw] = match
        return match

    def mirrored(self, image: ImageReference) -> bool:
        """True when ``image`` was identified through a mirror or cache."""
        match = self.resolve(image)
        return match is not None and match.mirrored

    def ambiguity(self, image: ImageReference) -> tuple[str, ...]:
        """The component ids that tie for ``image`` (empty when it is not ambiguous)."""
        self.resolve(image)
        return self._ambiguous.get(image.name.lower(), ())

    def _resolve(self, image: ImageReference, name: str) -> RepositoryMatch | None:
        direct = super().lookup(image)
        if direct is not None:
            return RepositoryMatch(direct, mirrored=False, upstream=image.name)
        for prefix in self._mirrors:
            if name.startswith(prefix + "/"):
                try:
                    inner = ImageReference.parse(name[len(prefix) + 1 :])
                except ValueError:
                    continue
                entry = super().lookup(inner)
                if entry is not None:
                    return RepositoryMatch(entry, mirrored=True, upstream=inner.name)
        return self._suffix(name)

    def _suffix(self, name: str) -> RepositoryMatch | None:
        segments = tuple(name.split("/"))
        found: list[_Form] = []
        for form in self._by_last.get(segments[-1], ()):
            size = len(form.segments)
            if size < len(segments) and segments[-size:] == form.segments:
                found.append(form)
        for i in range(1, len(segments)):  # a wildcard form matches some proper tail
            segment, tail = segments[i], "/".join(segments[i:])
            globs = [
                *self._glob_first.get(segment, ()),
                *(form for prefix, form in self._glob_prefixed if segment.startswith(prefix)),
                *self._glob_any,
            ]
            found.extend(form for form in globs if form.glob is not None and form.glob.match(tail))
        if not found:
            return None
        best = max(form.weight for form in found)
        top = [form for form in found if form.weight == best]
        ids = sorted({form.entry.id for form in top})
        if len(ids) > 1:
            self._ambiguous[name] = tuple(ids)
            return None
        return RepositoryMatch(top[0].entry, mirrored=True, upstream=top[0].upstream)


def _forms(pattern: str, entry: CatalogueEntry) -> list[_Form]:
    """The tails by which an image path can end in ``pattern`` (a normalized pattern).

    ``quay.io/prometheus/prometheus`` -> itself and ``prometheus/prometheus``;
    ``docker.io/library/nginx`` -> itself and ``library/nginx``;
    ``registry.k8s.io/etcd`` -> itself and ``etcd``.
    """
    parts = pattern.split("/")
    tails = [parts]
    if len(parts) > 1 and "*" not in parts[0]:
        tails.append(parts[1:])  # the repository without its registry
    out: list[_Form] = []
    for tail in tails:
        glob = re.compile(fnmatch.translate("/".join(tail))) if "*" in "/".join(tail) else None
        if glob is not None and not "/".join(tail).replace("*", "").strip("/"):
            continue  # a bare ``*`` would match anything
        out.append(_Form(tuple(tail), entry, pattern, glob))
    return out
