"""The only place where strings become versions (over ``packaging``).

Image tags, ``kubeletVersion``/``gitVersion`` strings and upstream release tags all pass
through :func:`parse_version` (or :func:`parse_tag`, which first applies a catalogue tag
rule). The result is either a :class:`ParsedVersion`, which compares correctly, or an
:class:`Unparsed` that says why the string is not a version. Nothing is dropped silently.

Rules, in the order they are applied (each has an example in the function docstrings):

1. Empty strings are digest-only or untagged images -> ``Unparsed``.
2. Floating names (``latest``, ``main``, ``master``, ``stable``, ``edge``…), alone or with
   an image variant (``stable-alpine``, ``alpine``) -> ``Unparsed`` with ``floating=True``.
3. ``+build`` metadata (``+k3s1``, ``+rke2r1``, ``+stringlabels``, ``+security-01``) is kept in
   ``build`` and takes no part in ordering (SemVer 2.0.0 §10).
4. A leading image-variant word (``alpine-v12.6.0``) is moved to ``variant``.
5. A leading ``v``/``V`` before a digit is dropped.
6. Git commit SHAs (7-40 hex digits with letters and digits), date stamps
   (``20171114-r3``, ``v20220510-4929dd75``, ``RELEASE.2017-12-28T01-21-00Z``) and bare build
   numbers of five or more digits are not versions -> ``Unparsed``: they cannot be ordered
   against upstream release versions.
7. The release numbers (``1.29.3``, two-part ``0.6``) come next. A one-part release without
   pre-release (``redis:7``, ``node:20-alpine``) is a floating major tag -> ``Unparsed``
   with ``floating=True``: image publishers move it to every new ``7.x.y``, so what runs
   can change under it and it cannot be compared as ``7.0.0`` (that would call the newest
   7.x outdated). Two-part tags stay versions: ``0.6`` or ``1.4`` are real releases of
   some projects. Then an optional pre-release: ``alpha``, ``beta``, ``rc``,
   ``pre``/``preview`` (ordered as rc), ``snapshot`` and ``dev`` (ordered before alpha),
   with or without separator and number (``-rc.1``, ``-rc0``, ``rc2``, ``.snapshot.0``,
   ``-alpha``).
8. Whatever follows is split on ``-``, ``.`` and ``_``:

   - distribution builds go to ``build``: ``eks``, ``gke``, ``aks``, ``do``, ``kind`` with
     their ids (``-eks-ab12cd3``, ``-gke.1701``, ``-do.2``), image revisions (``-0``, ``-r3``,
     ``-146``) and commit hashes;
   - everything else is an image variant and goes to ``variant``: OS bases (``alpine``,
     ``debian-12``, ``ubi8``, ``distroless``), architectures (``amd64``, ``arm64``) and any
     unrecognized word (``-fips``): a suffixed image tag is a flavour of a release far more
     often than a different release;
   - the word ``retract`` (Go module retraction tags such as prometheus ``v2.35.0-retract``)
     makes the whole string ``Unparsed``: it names a withdrawn version, not a release.

Neither builds nor variants are pre-releases, and neither affects ordering, so
``v1.16.13-eks-ec92d4`` compares equal to upstream ``v1.16.13``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from tracker.errors import IdentifyError

__all__ = ["ParsedVersion", "Unparsed", "parse_tag", "parse_version"]

# packaging's pre-release letters -> the semver label shown to people.
_PACKAGING_LABELS = {"a": "alpha", "b": "beta", "rc": "rc"}
# Pre-release words as found in tags -> packaging's spelling (sets the order).
_PRE_LABELS = {
    "alpha": "a",
    "beta": "b",
    "rc": "rc",
    "pre": "rc",
    "preview": "rc",
    "snapshot": ".dev",
    "dev": ".dev",
}
_FLOATING = frozenset(
    {
        "latest",
        "main",
        "master",
        "stable",
        "edge",
        "nightly",
        "dev",
        "develop",
        "development",
        "head",
        "canary",
        "trunk",
        "next",
        "current",
        "lts",
        "release",
        "testing",
        "unstable",
        "alpha",
        "beta",
        "rc",
        "mainline",
        "snapshot",
    }
)
_VENDORS = frozenset({"eks", "gke", "aks", "do", "kind", "eksbuild", "k3s", "rke2", "gk3"})
_ARCHES = frozenset(
    {
        "amd64",
        "arm64",
        "arm",
        "armv6",
        "armv7",
        "arm32v6",
        "arm32v7",
        "arm64v8",
        "armhf",
        "ppc64le",
        "s390x",
        "386",
        "i386",
        "x86_64",
        "aarch64",
        "riscv64",
        "linux",
        "windows",
    }
)
_VARIANT_RE = re.compile(
    r"^(?:alpine|debian|bullseye|bookworm|buster|stretch|jessie|trixie|ubuntu|focal|jammy"
    r"|noble|bionic|xenial|slim|distroless|ubi|ubi-?minimal|rhel|centos|rocky|scratch|busybox"
    r"|static|nonroot|rootless|debug|fips|ltsc|nanoserver|servercore|windowsservercore|jdk|jre"
    r"|temurin|openjdk|glibc|musl|minimal|full|headless|chainguard|wolfi|amazonlinux|al)\d*$"
)
_HEX_RE = re.compile(r"^[0-9a-f]+$", re.ASCII)
_REVISION_RE = re.compile(r"^r?\d+$", re.ASCII)
_DATE8_RE = re.compile(
    r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:$|[-._T])", re.ASCII
)
_ISO_DATE_RE = re.compile(r"(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])", re.ASCII)
_RELEASE_RE = re.compile(r"^(?P<release>\d+(?:\.\d+)*)(?P<rest>.*)$", re.ASCII)
_PRE_RE = re.compile(
    r"^[-._]?(?P<label>alpha|beta|rc|preview|pre|snapshot|dev)(?:[-._]?(?P<number>\d+))?(?=$|[-._])",
    re.ASCII,
)
_TOKEN_RE = re.compile(r"[-._]*[^-._]+", re.ASCII)


@dataclass(frozen=True)
class ParsedVersion:
    """A version that compares correctly, with the raw string kept.

    Compare ``version`` (a ``packaging`` :class:`~packaging.version.Version`); ``build`` and
    ``variant`` never take part in ordering.

    Attributes:
        raw: the string as found (``v1.28.3-eks-ab12cd3``).
        version: the comparable ``packaging`` version (vendor build and image variant removed).
        build: the vendor build / image revision / ``+metadata`` that was removed
            (``eks-ab12cd3``, ``gke.1701``, ``k3s1``), or None.
        variant: the image variant that was removed (``alpine``, ``debian-12``), or None.
        pre_display: the pre-release as shown (``beta.0``, ``snapshot.1``, ``alpha``), or
            None to derive it from ``version``.

    >>> v = parse_version("v1.30.0-beta.0")
    >>> assert isinstance(v, ParsedVersion)
    >>> v.normalized, v.is_prerelease, v.line
    ('1.30.0-beta.0', True, (1, 30))
    >>> ParsedVersion("1.30.0b0", Version("1.30.0b0")).normalized
    '1.30.0-beta.0'
    """

    raw: str
    version: Version
    build: str | None = None
    variant: str | None = None
    pre_display: str | None = None

    @property
    def normalized(self) -> str:
        """The semver display form: ``1.29.3``, or ``1.30.0-beta.0`` for a pre-release.

        The number of release parts is kept as found (``0.6`` stays ``0.6``).
        """
        text = ".".join(str(part) for part in self.version.release)
        if self.pre_display:
            return f"{text}-{self.pre_display}"
        if self.version.pre is not None:
            letter, number = self.version.pre
            return f"{text}-{_PACKAGING_LABELS[letter]}.{number}"
        if self.version.dev is not None:
            return f"{text}-dev.{self.version.dev}"
        return text

    @property
    def is_prerelease(self) -> bool:
        """True for alpha, beta, rc, snapshot and dev versions."""
        return self.version.is_prerelease

    @property
    def major(self) -> int:
        """The first release number."""
        return self.line[0]

    @property
    def minor(self) -> int:
        """The second release number (0 when absent)."""
        return self.line[1]

    @functools.cached_property
    def line(self) -> tuple[int, int]:
        """``(major, minor)``, the release line (computed once: evaluation reads it often)."""
        return (self.version.major, self.version.minor)


@dataclass(frozen=True)
class Unparsed:
    """A string that is not a version, and why.

    Attributes:
        raw: the string as found.
        reason: one short phrase for the report (``floating tag 'latest'``).
        floating: True when the string names a moving target (``latest``, ``main``,
            ``stable-alpine``): what runs can change without the tag changing.
    """

    raw: str
    reason: str
    floating: bool = False


def parse_version(raw: str) -> ParsedVersion | Unparsed:
    """Parse an image tag, ``kubeletVersion``/``gitVersion`` or release tag into a version.

    Args:
        raw: the string as found; surrounding whitespace is ignored.

    Returns:
        A :class:`ParsedVersion` (``raw`` kept unchanged), or :class:`Unparsed` with the
        reason. Never raises.

    Plain, two-part and ``v``-prefixed versions:

    >>> parse_version("v1.29.3").normalized
    '1.29.3'
    >>> parse_version("0.6").normalized
    '0.6'

    Distribution builds (EKS, GKE, DOKS, kind, k3s, RKE2) are kept in ``build``:

    >>> v = parse_version("v1.16.13-eks-ec92d4")
    >>> v.normalized, v.build
    ('1.16.13', 'eks-ec92d4')
    >>> parse_version("v1.18.19-gke.1701").build
    'gke.1701'
    >>> parse_version("v1.29.6+k3s1").build
    'k3s1'
    >>> parse_version("1.18.10-do.2").normalized
    '1.18.10'
    >>> [parse_version(t).build for t in ("v1.25.9+rke2r1", "v1.27.3-aks-2", "v0.0.22-kind.0")]
    ['rke2r1', 'aks-2', 'kind.0']

    Image revisions and variants are not pre-releases:

    >>> v = parse_version("v3.8.8-1-gke.2-amd64")
    >>> v.normalized, v.build, v.variant, v.is_prerelease
    ('3.8.8', '1-gke.2', 'amd64', False)
    >>> v = parse_version("v2.45.0-debian-12-r3")
    >>> v.normalized, v.variant, v.build
    ('2.45.0', 'debian-12', 'r3')
    >>> [parse_version(t).variant for t in ("1.11.1-alpine", "1.2.3-ubi8", "1.2.3-distroless")]
    ['alpine', 'ubi8', 'distroless']
    >>> parse_version("alpine-v12.6.0").variant
    'alpine'
    >>> parse_version("3.5.3-0").build
    '0'

    Pre-releases, in any of the spellings found upstream:

    >>> [parse_version(t).normalized for t in ("0.13.0rc2", "v2.36.0-rc0", "1.15-beta.0")]
    ['0.13.0-rc.2', '2.36.0-rc.0', '1.15-beta.0']
    >>> parse_version("1.1.0.snapshot.0").normalized
    '1.1.0-snapshot.0'
    >>> parse_version("1.1.0.snapshot.0").version < parse_version("1.1.0-rc.0").version
    True

    Build metadata does not order:

    >>> parse_version("v2.43.0+stringlabels").version == parse_version("v2.43.0").version
    True

    Not versions:

    >>> parse_version("7")
    Unparsed(raw='7', reason="floating major tag '7': tracks the newest 7.x", floating=True)
    >>> parse_version("20-alpine").reason
    "floating major tag '20-alpine': tracks the newest 20.x"
    >>> parse_version("latest")
    Unparsed(raw='latest', reason="floating tag 'latest'", floating=True)
    >>> parse_version("").reason
    'no version (digest-only or untagged image)'
    >>> parse_version("732704f18e34ba469df34b10c3b2465e0469d484").reason
    'git commit SHA, not a version'
    >>> parse_version("20171114-r3").reason
    'date-stamped build tag, not a version'
    >>> parse_version("RELEASE.2017-12-28T01-21-00Z").reason
    'date-stamped release tag, not a version'
    >>> parse_version("v2.35.0-retract").reason
    'retraction tag (withdrawn Go module version), not a release'
    """
    text = raw.strip()
    if not text:
        return Unparsed(raw, "no version (digest-only or untagged image)")
    lowered = text.lower()

    words = re.split(r"[-._]", lowered)
    if lowered in _FLOATING or all(w in _FLOATING or _VARIANT_RE.match(w) for w in words):
        return Unparsed(raw, f"floating tag {text!r}", floating=True)

    metadata: str | None = None
    if "+" in lowered:
        lowered, metadata = lowered.split("+", 1)

    prefix_variant, lowered = _strip_variant_prefix(lowered)
    if re.match(r"v[0-9]", lowered):
        lowered = lowered[1:]

    not_a_version = _not_a_version(raw, lowered)
    if not_a_version is not None:
        return not_a_version

    match = _RELEASE_RE.match(lowered)
    if match is None:
        return Unparsed(raw, f"not a version: {text!r} does not start with a number")
    release, rest = match.group("release"), match.group("rest")

    pkg_pre = ""
    pre_display: str | None = None
    pre = _PRE_RE.match(rest)
    if pre is not None:
        label, number = pre.group("label"), pre.group("number")
        pkg_pre = f"{_PRE_LABELS[label]}{number or 0}"
        pre_display = label if number is None else f"{label}.{int(number)}"
        rest = rest[pre.end() :]
    elif "." not in release:
        return Unparsed(
            raw, f"floating major tag {text!r}: tracks the newest {int(release)}.x", floating=True
        )

    suffix = _split_suffix(rest)
    if isinstance(suffix, str):
        return Unparsed(raw, suffix)
    build_part, variant_part = suffix

    builds = [b for b in (build_part, metadata) if b]
    variants = [v for v in (prefix_variant, variant_part) if v]
    try:
        version = Version(release + pkg_pre)
    except InvalidVersion:  # pragma: no cover - the regexes only let valid strings through
        return Unparsed(raw, f"not a version: {text!r}")
    return ParsedVersion(
        raw=raw,
        version=version,
        build="+".join(builds) or None,
        variant="-".join(variants) or None,
        pre_display=pre_display,
    )


def parse_tag(tag: str, pattern: str) -> ParsedVersion | Unparsed | None:
    """Apply a catalogue tag rule to a release (or image) tag.

    Args:
        tag: the tag exactly as published (``controller-v1.9.4``).
        pattern: a regular expression with a named group ``version``, matched from the
            start of the tag (``re.match``), e.g. ``^controller-v(?P<version>.+)$``.

    Returns:
        None when the tag is not in this stream (the pattern does not match), else
        :func:`parse_version` of the ``version`` group. Tags in the stream that are not
        releases come back as :class:`Unparsed` with the reason (prometheus
        ``v2.35.0-retract``), so callers can skip them and still say why.

    Raises:
        IdentifyError: the pattern is not a valid regular expression or has no
            ``version`` group.

    >>> parse_tag("controller-v1.9.4", r"^controller-v(?P<version>.+)$").normalized
    '1.9.4'
    >>> parse_tag("helm-chart-4.8.3", r"^controller-v(?P<version>.+)$") is None
    True
    >>> parse_tag("cmd/ctl/v1.12.0", r"^v?(?P<version>\\d.*)$") is None
    True
    >>> parse_tag("all-tests-pass", r"^v?(?P<version>\\d.*)$") is None
    True
    >>> parse_tag("v2.35.0-retract", r"^v?(?P<version>\\d.*)$").reason
    'retraction tag (withdrawn Go module version), not a release'

    A version group of numbers joined only by ``_`` is dotted (postgres ``REL_16_1``,
    busybox ``1_36_1``):

    >>> parse_tag("REL_16_1", r"^REL_?(?P<version>\\d+(?:_\\d+)+)$").normalized
    '16.1'
    """
    match = _compile(pattern).match(tag)
    if match is None:
        return None
    text = match.group("version") or ""
    if re.fullmatch(r"\d+(?:_\d+)+", text, re.ASCII):
        text = text.replace("_", ".")
    return parse_version(text)


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise IdentifyError(
            f"tag pattern '{pattern}' is not a valid regular expression: {exc}",
            "fix tag_pattern in the catalogue entry (Python re syntax)",
        ) from None
    if "version" not in compiled.groupindex:
        raise IdentifyError(
            f"tag pattern '{pattern}' has no named group 'version'",
            "wrap the version part in (?P<version>...), e.g. ^v?(?P<version>\\d.*)$",
        )
    return compiled


def _strip_variant_prefix(text: str) -> tuple[str | None, str]:
    """Move a leading variant word (``alpine-v12.6.0``) out of the way.

    >>> _strip_variant_prefix("alpine-v12.6.0")
    ('alpine', 'v12.6.0')
    >>> _strip_variant_prefix("controller-v1.9.4")
    (None, 'controller-v1.9.4')
    """
    match = re.match(r"^([a-z][a-z0-9]*)[-_](?=v?\d)", text)
    if match is not None and _VARIANT_RE.match(match.group(1)):
        return match.group(1), text[match.end() :]
    return None, text


def _not_a_version(raw: str, text: str) -> Unparsed | None:
    """Recognize commit SHAs, date stamps and bare build numbers (rule 6).

    >>> _not_a_version("abc1234", "abc1234").reason
    'git commit SHA, not a version'
    >>> _not_a_version("1067004", "1067004").reason
    'bare build number, not a version'
    >>> _not_a_version("1.2.3", "1.2.3") is None
    True
    """
    if _HEX_RE.match(text) and (
        len(text) == 40
        or (7 <= len(text) <= 40 and re.search(r"[a-f]", text) and re.search(r"\d", text))
    ):
        return Unparsed(raw, "git commit SHA, not a version")
    if _DATE8_RE.match(text):
        return Unparsed(raw, "date-stamped build tag, not a version")
    if text.startswith("release.") or _ISO_DATE_RE.match(text):
        return Unparsed(raw, "date-stamped release tag, not a version")
    if re.fullmatch(r"[0-9]{5,}", text):
        return Unparsed(raw, "bare build number, not a version")
    return None


def _split_suffix(rest: str) -> tuple[str, str] | str:
    """Split what follows the release/pre-release into ``(build, variant)`` (rule 8).

    Returns a reason string instead when the suffix makes the tag a non-release.

    >>> _split_suffix("-1-gke.2-amd64")
    ('1-gke.2', 'amd64')
    >>> _split_suffix("-eks-ab12cd3")
    ('eks-ab12cd3', '')
    >>> _split_suffix("-retract")
    'retraction tag (withdrawn Go module version), not a release'
    """
    build: list[str] = []
    variant: list[str] = []
    current = build
    for token in _TOKEN_RE.findall(rest):
        word = token.lstrip("-._")
        if word == "retract":
            return "retraction tag (withdrawn Go module version), not a release"
        if word in _VENDORS or re.match(r"^(?:k3s|rke2r)\d+$", word):
            current = build
        elif word in _ARCHES:
            current = variant
        elif _REVISION_RE.match(word):
            # A number continues the group before it (``gke.2``, ``debian-12``);
            # ``r3`` or a leading number is an image revision.
            if word.startswith("r") or not (build or variant):
                current = build
        elif current is build and build and _HEX_RE.match(word):
            pass  # a vendor id such as ``eks-ec92d4``
        elif _HEX_RE.match(word) and len(word) >= 7 and re.search(r"\d", word):
            current = build  # a commit hash
        else:
            current = variant  # OS base, architecture, or any other flavour word
        current.append(token if current else word)
    return "".join(build), "".join(variant)


_PRERELEASE_TAG_RE = re.compile(r"(?i)(?:^|[-.+_\d])(alpha|beta|rc|pre|preview|dev|snapshot)")


def is_prerelease_tag(tag: str) -> bool:
    """True when a tag name marks a pre-release (for sources whose tags carry no flag).

    A pre-release word (``alpha``, ``beta``, ``rc``, ``pre``, ``preview``, ``dev``,
    ``snapshot``, any case) at the start or after a separator or digit.

    >>> is_prerelease_tag("v1.2.0-rc.1"), is_prerelease_tag("1.0.0beta2")
    (True, True)
    >>> is_prerelease_tag("v1.2.0"), is_prerelease_tag("release-1.2")
    (False, False)
    """
    return bool(_PRERELEASE_TAG_RE.search(tag))
