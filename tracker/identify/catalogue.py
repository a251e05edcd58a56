"""The component catalogue: which image repositories are which component, and which
GitHub release tags belong to it.

The built-in entries live in ``catalogue.toml`` next to this module; a config file can add
entries or override built-in ones by id (``[components.<id>]``, design.md §3)::

    [components.my-operator]
    images = ["ghcr.io/acme/my-operator"]     # image repositories, ``*`` wildcards allowed
    project = "acme/my-operator"              # GitHub owner/repo (GitLab: group/sub/project)
    tag_pattern = '^v?(?P<version>\\d.*)$'     # release tags of this component, and the version
    name = "My operator"                      # optional display name (default: the id)
    image_tag_pattern = '^stable-(?P<version>.+)$'  # optional: version inside the image tag
    source = "github"                         # optional: the upstream source: github (default)
                                              # or gitlab
    retired = 2024-02-21                      # optional: the project stopped releasing (a date)
    successor = "other-id"                    # optional, with retired: what replaces it
    retired_source = "https://..."            # optional, with retired: where that is announced
    charts = ["my-operator"]                  # optional: Helm chart names installing it
    chart_tag_pattern = '^chart-(?P<version>.+)$'  # optional: the chart's own release tags
                                              # (default: the chart shares tag_pattern)
    eol_product = "istio"                     # optional: its endoflife.date product
    advisory_packages = ["go:acme.dev/my-operator"]  # optional: packages carrying its advisories

Two entries may list the same image repository only when both give an ``image_tag_pattern``:
the image tag then picks the entry (Linkerd's ``stable-2.14.10`` and ``edge-24.8.2`` images
share one repository but are two release streams). A tag neither pattern matches goes to the
first of them in file order.

Image patterns are matched against an image's registry-normalized forms (design.md §4):
``docker.io/library/x``, ``library/x`` and ``x`` all mean the same repository. A pattern
without ``*`` is normalized like an image reference; a pattern with ``*`` is matched with
:func:`fnmatch.fnmatchcase` (``*`` also matches ``/``) against both
:attr:`~tracker.models.ImageReference.name` and
:attr:`~tracker.models.ImageReference.short_name`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources

from tracker.errors import IdentifyError
from tracker.models import CatalogueEntry, ImageReference
from tracker.upstream.gitlab.schema import PROJECT_RE as GITLAB_PROJECT_RE

__all__ = ["ImageIndex", "load_catalogue", "normalize_image_pattern"]

_KEYS = frozenset(
    {
        "images",
        "project",
        "tag_pattern",
        "name",
        "image_tag_pattern",
        "retired",
        "successor",
        "retired_source",
        "source",
        "charts",
        "chart_tag_pattern",
        "eol_product",
        "advisory_packages",
    }
)
_SOURCE_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_PROJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")
_HINT = "fix the [components.{id}] entry (see config.example.toml)"


def load_catalogue(
    overrides: Mapping[str, Mapping[str, object]] | None = None,
    *,
    check_builtin: bool = False,
) -> dict[str, CatalogueEntry]:
    """Return the built-in catalogue, with ``overrides`` (the config's ``[components]``
    table) merged in: a new id adds an entry, a built-in id replaces the fields it gives.

    Every field of ``overrides`` is checked. The shipped entries are checked for shape and
    types on every load, but their regexes are compiled, their image patterns parsed and
    their images checked for a second owner only with ``check_builtin=True`` (what the
    tests do) or when ``overrides`` are given (a config entry may claim a built-in image):
    the shipped file cannot change after its tests ran, and those checks cost a third of
    the load, paid by every command (``tracker report`` included).

    Returns:
        ``{id: CatalogueEntry}``, built-in ids first (in file order), then new ones.

    Raises:
        IdentifyError: an entry has an unknown key, a value of the wrong type, a regex that
            does not compile or lacks the ``version`` group, a project that is not
            ``owner/repo``, a malformed image pattern, or an exact image pattern that two
            entries both claim. The message names the entry and the field.
    """
    text = resources.files("tracker.identify").joinpath("components.toml").read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - shipped data is tested
        raise IdentifyError(f"built-in catalogue.toml is not valid TOML: {exc}") from exc
    builtin = data.get("components", {})
    catalogue: dict[str, CatalogueEntry] = {}
    for cid, fields in builtin.items():
        catalogue[cid] = _build(cid, fields, None, "built-in catalogue", deep=check_builtin)
    for cid, fields in (overrides or {}).items():
        if not isinstance(fields, Mapping):
            raise IdentifyError(
                f"config [components.{cid}] must be a table, got {type(fields).__name__}",
                _HINT.format(id=cid),
            )
        catalogue[cid] = _build(cid, fields, catalogue.get(cid), "config")
    if overrides or check_builtin:
        _check_duplicate_images(catalogue)
    _check_duplicate_charts(catalogue)
    return catalogue


def normalize_image_pattern(pattern: str) -> str:
    """Return the canonical form of an image repository pattern.

    A plain repository is normalized like an image reference (``nginx`` ->
    ``docker.io/library/nginx``); a pattern with ``*`` is only lower-cased.

    Raises:
        ValueError: the pattern is empty, has spaces, or carries a tag or digest.

    >>> normalize_image_pattern("prom/prometheus")
    'docker.io/prom/prometheus'
    >>> normalize_image_pattern("quay.io/calico/*")
    'quay.io/calico/*'
    """
    text = pattern.strip().lower()
    if text.split() != [text]:  # empty, or whitespace inside
        raise ValueError(f"image pattern {pattern!r} is empty or contains spaces")
    if "@" in text or ":" in text.split("/")[-1]:
        raise ValueError(f"image pattern {pattern!r} must be a repository without tag or digest")
    if "*" in text:
        return text
    return ImageReference.parse(text).name


class ImageIndex:
    """Finds the catalogue entry an image belongs to.

    Exact patterns win over wildcard patterns; among wildcard patterns the one with the
    longest literal text wins (``quay.io/cilium/operator*`` before ``quay.io/cilium/*``).
    Built once per identification run; results are cached per repository, so a
    10,000-pod cluster costs one scan per distinct repository.
    """

    def __init__(self, catalogue: Mapping[str, CatalogueEntry]) -> None:
        self._exact: dict[str, list[CatalogueEntry]] = {}
        grouped: dict[str, list[CatalogueEntry]] = {}
        for entry in catalogue.values():
            for raw in entry.images:
                pattern = normalize_image_pattern(raw)
                target = grouped if "*" in pattern else self._exact
                owners = target.setdefault(pattern, [])
                if entry not in owners:
                    owners.append(entry)
        globs = sorted(
            grouped.items(), key=lambda item: len(item[0].replace("*", "")), reverse=True
        )
        self._globs = [(re.compile(fnmatch.translate(p)), e) for p, e in globs]
        self._cache: dict[tuple[str, str | None], CatalogueEntry | None] = {}

    def lookup(self, image: ImageReference) -> CatalogueEntry | None:
        """Return the entry whose image patterns match ``image``, or None.

        When several entries share the repository, the first whose ``image_tag_pattern``
        matches the image tag wins, else the first of them.
        """
        name = image.name.lower()
        key = (name, image.tag)
        if key in self._cache:
            return self._cache[key]
        owners = self._exact.get(name)
        if owners is None:
            short = image.short_name.lower()
            owners = next(
                (e for rx, e in self._globs if rx.match(name) or rx.match(short)),
                None,
            )
        hit = _by_tag(owners, image.tag) if owners else None
        self._cache[key] = hit
        return hit

    def matches(self, entry_id: str, image: ImageReference) -> bool:
        """True when ``image`` belongs to the entry ``entry_id``."""
        hit = self.lookup(image)
        return hit is not None and hit.id == entry_id


def _by_tag(owners: list[CatalogueEntry], tag: str | None) -> CatalogueEntry:
    """The entry among ``owners`` whose ``image_tag_pattern`` matches ``tag``, else the first."""
    if len(owners) > 1 and tag:
        for entry in owners:
            if entry.image_tag_pattern and re.match(entry.image_tag_pattern, tag):
                return entry
    return owners[0]


def _build(
    cid: str,
    fields: Mapping[str, object],
    base: CatalogueEntry | None,
    source: str,
    *,
    deep: bool = True,
) -> CatalogueEntry:
    """One entry from its TOML ``fields`` (over ``base``); ``deep=False`` skips compiling
    its regexes and parsing its image patterns (see :func:`load_catalogue`)."""
    where = f"{source} [components.{cid}]"
    hint = _HINT.format(id=cid)
    if not _ID_RE.match(cid):
        raise IdentifyError(
            f"{where}: id {cid!r} must be lowercase letters, digits, '.', '_' or '-'", hint
        )
    unknown = sorted(set(fields) - _KEYS)
    if unknown:
        raise IdentifyError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_KEYS))})", hint
        )
    if base is None:
        for required in ("images", "project"):
            if required not in fields:
                raise IdentifyError(f"{where}: field {required!r} is required", hint)
        base = CatalogueEntry(id=cid, name=cid, project=None, images=())

    entry = base
    if "name" in fields:
        entry = replace(entry, name=_string(fields["name"], where, "name", hint))
    if "source" in fields:
        name = _string(fields["source"], where, "source", hint)
        if not _SOURCE_RE.match(name):
            raise IdentifyError(
                f"{where}: field 'source' must be an upstream source name such as 'github', "
                f"got {name!r}",
                hint,
            )
        entry = replace(entry, source=name)
    if "project" in fields:
        project = _string(fields["project"], where, "project", hint)
        if entry.source == "github" and not _PROJECT_RE.match(project):
            raise IdentifyError(
                f"{where}: field 'project' must be a GitHub 'owner/repo', got {project!r}", hint
            )
        if entry.source == "gitlab" and not GITLAB_PROJECT_RE.match(project):
            raise IdentifyError(
                f"{where}: field 'project' must be a GitLab project path "
                f"'group/[subgroup/...]project', got {project!r}",
                hint,
            )
        entry = replace(entry, project=project)
    if "images" in fields:
        entry = replace(entry, images=_images(fields["images"], where, hint, deep=deep))
    if "tag_pattern" in fields:
        pattern = _string(fields["tag_pattern"], where, "tag_pattern", hint)
        entry = replace(entry, tag_pattern=_regex(pattern, where, "tag_pattern", hint, deep=deep))
    if "image_tag_pattern" in fields:
        pattern = _string(fields["image_tag_pattern"], where, "image_tag_pattern", hint)
        entry = replace(
            entry, image_tag_pattern=_regex(pattern, where, "image_tag_pattern", hint, deep=deep)
        )
    if "charts" in fields:
        entry = replace(entry, charts=_charts(fields["charts"], where, hint))
    if "chart_tag_pattern" in fields:
        pattern = _string(fields["chart_tag_pattern"], where, "chart_tag_pattern", hint)
        entry = replace(
            entry, chart_tag_pattern=_regex(pattern, where, "chart_tag_pattern", hint, deep=deep)
        )
    if "eol_product" in fields:
        product = _string(fields["eol_product"], where, "eol_product", hint)
        if not re.match(r"^[a-z0-9][a-z0-9._-]{0,99}$", product):
            raise IdentifyError(
                f"{where}: field 'eol_product' must be an endoflife.date product id such as "
                f"'istio', got {product!r}",
                hint,
            )
        entry = replace(entry, eol_product=product)
    if "advisory_packages" in fields:
        entry = replace(
            entry, advisory_packages=_packages(fields["advisory_packages"], where, hint)
        )
    return _retirement(entry, fields, where, hint)


_PACKAGE_RE = re.compile(r"^[a-z][a-z0-9.-]*:[^\s:]+$")


def _packages(value: object, where: str, hint: str) -> tuple[str, ...]:
    """``advisory_packages``: ``ecosystem:name`` keys (``go:k8s.io/ingress-nginx``), lower-cased."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IdentifyError(f"{where}: field 'advisory_packages' must be a list of strings", hint)
    out = tuple(v.strip().lower() for v in value)
    for package in out:
        if not _PACKAGE_RE.match(package):
            raise IdentifyError(
                f"{where}: advisory package {package[:60]!r} must be 'ecosystem:name' "
                "(such as 'go:k8s.io/ingress-nginx')",
                hint,
            )
    return out


def _retirement(
    entry: CatalogueEntry, fields: Mapping[str, object], where: str, hint: str
) -> CatalogueEntry:
    """Apply and check ``retired`` (a date), ``successor`` and ``retired_source`` (a URL)."""
    if "retired" in fields:
        value = fields["retired"]
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # reported just below
                value = dt.date.fromisoformat(value)
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise IdentifyError(f"{where}: field 'retired' must be a date (YYYY-MM-DD)", hint)
        entry = replace(entry, retired=value)
    if "successor" in fields:
        entry = replace(entry, successor=_string(fields["successor"], where, "successor", hint))
    if "retired_source" in fields:
        url = _string(fields["retired_source"], where, "retired_source", hint)
        if not re.match(r"^https://[^\s/]+/\S*$", url):
            raise IdentifyError(
                f"{where}: field 'retired_source' must be an https:// URL, got {url!r}", hint
            )
        entry = replace(entry, retired_source=url)
    if entry.retired is None and (entry.successor or entry.retired_source):
        raise IdentifyError(
            f"{where}: 'successor' and 'retired_source' need 'retired' (the retirement date)",
            hint,
        )
    return entry


def _string(value: object, where: str, key: str, hint: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise IdentifyError(
            f"{where}: field {key!r} must be a non-empty string, got {type(value).__name__}",
            hint,
        )
    return value


def _images(value: object, where: str, hint: str, *, deep: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise IdentifyError(
            f"{where}: field 'images' must be a non-empty list of image repositories", hint
        )
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise IdentifyError(
                f"{where}: field 'images' must hold strings, got {type(item).__name__}", hint
            )
        if deep:
            try:
                normalize_image_pattern(item)
            except ValueError as exc:
                raise IdentifyError(f"{where}: field 'images': {exc}", hint) from exc
        out.append(item.strip())
    return tuple(out)


def _charts(value: object, where: str, hint: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise IdentifyError(
            f"{where}: field 'charts' must be a list of Helm chart names (strings)", hint
        )
    return tuple(v.strip() for v in value)


def _regex(pattern: str, where: str, key: str, hint: str, *, deep: bool = True) -> str:
    if not deep:
        return pattern
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise IdentifyError(f"{where}: field {key!r} is not a valid regex: {exc}", hint) from exc
    if "version" not in compiled.groupindex:
        raise IdentifyError(
            f"{where}: field {key!r} has no named group 'version' (write (?P<version>...))",
            hint,
        )
    return pattern


def _check_duplicate_images(catalogue: Mapping[str, CatalogueEntry]) -> None:
    owners: dict[str, list[CatalogueEntry]] = {}
    for entry in catalogue.values():
        for raw in entry.images:
            pattern = normalize_image_pattern(raw)
            listed = owners.setdefault(pattern, [])
            if entry in listed:
                continue
            listed.append(entry)
            if len(listed) > 1 and not all(e.image_tag_pattern for e in listed):
                raise IdentifyError(
                    f"image pattern {raw!r} is listed by both [components.{listed[0].id}] and "
                    f"[components.{entry.id}]",
                    "an image repository can belong to one component only (unless every "
                    "entry sharing it gives an image_tag_pattern); override the built-in "
                    "entry's 'images' instead",
                )


def _check_duplicate_charts(catalogue: Mapping[str, CatalogueEntry]) -> None:
    owner: dict[str, str] = {}
    for entry in catalogue.values():
        for chart in entry.charts:
            first = owner.setdefault(chart, entry.id)
            if first != entry.id:
                raise IdentifyError(
                    f"Helm chart {chart!r} is listed by both [components.{first}] and "
                    f"[components.{entry.id}]",
                    "a chart can map to one component only; override the built-in entry's "
                    "'charts' instead",
                )
