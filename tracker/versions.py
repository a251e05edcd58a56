"""The only place where strings become versions (over ``packaging``).

Image tags, ``kubeletVersion``/``gitVersion`` strings and upstream release tags all pass
through :func:`parse_version` (or :func:`parse_tag`, which first applies a catalogue tag
rule). The result is either a :class:`ParsedVersion`, which compares correctly, or an
:class:`Unparsed` that says why the string is not a version. Nothing is dropped silently.

Rules, in the order they are applied (each has an example in the function docstrings):

1. Empty strings are digest-only or untagged images -> ``Unparsed``.
2. Floating names (``latest``, ``main``, ``master``, ``stable``, ``edge``…), alone or with
   an image variant (``stable-alpine``, ``alpine``) -> ``Unparsed`` with ``floating=True``.
3. A git-describe tail (``2.9.1-14-gdeadbee``, with any of ``-``, ``.``, ``_``) is cut off
   first: the tag is a development build *after* 2.9.1 (``2.9.1.post14.dev0``, a
   pre-release that orders between 2.9.1 and 2.9.2), never a fourth release number.
4. ``+build`` metadata (``+k3s1``, ``+rke2r1``, ``+stringlabels``, ``+security-01``) is kept in
   ``build`` and takes no part in version ordering (SemVer 2.0.0 §10). OCI tags cannot hold
   ``+``, so the first ``_`` after a dotted release stands for it (``v1.30.2_k3s1``); ``_``
   between bare numbers is a dot (postgres ``REL_16_1`` -> ``16.1``).
5. A leading image-variant word (``alpine-v12.6.0``) is moved to ``variant``.
6. A leading ``v``/``V`` before a digit is dropped. Any other word before the version
   (``rel-3.1.4``, ``controller-v1.9.4``) makes the string ``Unparsed`` here; with no
   catalogue tag rule, :func:`tag_prefix` lets the running tag's prefix pick its stream.
7. Git commit SHAs (7-40 hex digits with letters and digits), date stamps
   (``20171114-r3``, ``v20220510-4929dd75``, ``RELEASE.2017-12-28T01-21-00Z``) and bare build
   numbers of five or more digits are not versions -> ``Unparsed``: they cannot be ordered
   against upstream release versions.
8. The release numbers (``1.29.3``, two-part ``0.6``) come next. A one-part release without
   pre-release (``redis:7``, ``node:20-alpine``) is a floating major tag -> ``Unparsed``
   with ``floating=True``: image publishers move it to every new ``7.x.y``, so what runs
   can change under it and it cannot be compared as ``7.0.0`` (that would call the newest
   7.x outdated). Two-part tags stay versions: ``0.6`` or ``1.4`` are real releases of
   some projects. Then an optional pre-release, in every spelling: semver ``alpha``,
   ``beta``, ``rc``, ``pre``/``preview`` (ordered as rc); PEP 440 letters ``a``/``b``
   with a number (``2.4.0b3``, ``0.9.1a2``, ``0.13.0rc2``); Maven milestones ``M1``
   (ordered as beta); ``snapshot``, ``nightly``, ``dev`` and early access ``ea`` (ordered
   before alpha) -- with or without separator and number (``-rc.1``, ``-rc0``, ``rc2``,
   ``.snapshot.0``, ``-nightly.20240301``, ``-alpha``).
9. Whatever follows is split on ``-``, ``.`` and ``_``:

   - distribution builds go to ``build``: ``eks``, ``gke``, ``aks``, ``do``, ``kind``,
     ``eksbuild`` with their ids (``-eks-ab12cd3``, ``-gke.1701``, ``-do.2``,
     ``-eksbuild.4``, ``-eks-1-29-3``), image revisions and rebuild counters (``-0``,
     ``-r3``, ``-7``), date stamps (``-240611``) and build hashes (``-5f2c9a1e``);
   - a pre-release word after a revision (``3.1.0-1-SNAPSHOT``) still makes a pre-release;
   - everything else is an image variant and goes to ``variant``: OS bases (``alpine``,
     ``debian-12``, ``ubi8``, ``distroless``), architectures (``amd64``, ``arm64``) and any
     unrecognized word (``-fips``): a suffixed image tag is a flavour of a release far more
     often than a different release;
   - the word ``retract`` (Go module retraction tags such as prometheus ``v2.35.0-retract``)
     makes the whole string ``Unparsed``: it names a withdrawn version, not a release.

Neither builds nor variants are pre-releases, and neither affects version ordering, so
``v1.16.13-eks-ec92d4`` compares equal to upstream ``v1.16.13``. A build that ends in a
number (``k3s2``, ``r12``, ``eksbuild.2``, a rebuild counter) orders builds *of one version
within one family*: :attr:`ParsedVersion.build_rank` and :func:`newer_build` (a newer one is
``behind: build``). :attr:`ParsedVersion.shape` names the numbering scheme (``semver``,
``4-part``, ``calendar``): versions compare only within one shape.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from tracker import version_words as lex
from tracker.errors import IdentifyError

__all__ = ["ParsedVersion", "Unparsed", "newer_build", "parse_tag", "parse_version", "tag_prefix"]


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
        display: the whole display form when it is not derived from ``version`` (a date
            version), else None.

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
    display: str | None = None

    @property
    def normalized(self) -> str:
        """The semver display form: ``1.29.3``, or ``1.30.0-beta.0`` for a pre-release.

        The number of release parts is kept as found (``0.6`` stays ``0.6``); a date
        version (:func:`parse_tag`) shows its date (``2017-12-28T01:21:00Z``).
        """
        if self.display:
            return self.display
        text = ".".join(str(part) for part in self.version.release)
        if self.pre_display:
            return f"{text}-{self.pre_display}"
        if self.version.pre is not None:
            letter, number = self.version.pre
            return f"{text}-{lex.PACKAGING_LABELS[letter]}.{number}"
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

    @functools.cached_property
    def build_rank(self) -> tuple[str, int] | None:
        """The orderable part of ``build``: ``(family, number)``, or None.

        A vendor build or image revision that ends in a number orders builds of one
        version within its family (``k3s``, ``r``, ``eksbuild.``, a bare rebuild counter
        ``""``): a newer build or revision of the same version is newer (design.md §4).
        Builds that carry a commit hash (``eks-ec92d4``) or no number (``stringlabels``)
        do not order. Only ranks of the same family compare (:func:`newer_build`).

        >>> [parse_version(t).build_rank for t in ("v1.30.2+k3s2", "2.45.0-debian-12-r12",
        ...     "v6.3.0-eksbuild.4", "v1.10.1-7", "v1.16.13-eks-ec92d4", "v2.43.0+stringlabels")]
        [('k3s', 2), ('r', 12), ('eksbuild.', 4), ('', 7), None, None]
        """
        if not self.build:
            return None
        build = self.build.split("+")[0] if "+" in self.build else self.build
        tokens = re.split(r"[-._]", build)
        if any(lex.HASH_TOKEN_RE.match(t) for t in tokens):
            return None
        match = lex.RANK_RE.match(build)
        if match is None:
            return None
        return (match.group("family"), int(match.group("number")))

    @property
    def with_build(self) -> str:
        """``normalized`` plus the orderable build, for telling builds of one version apart
        (``1.30.2+k3s2``, ``2.45.0+r12``); plain ``normalized`` when the build does not order.

        >>> [parse_version(t).with_build for t in ("v1.30.2_k3s2", "v1.16.13-eks-ec92d4")]
        ['1.30.2+k3s2', '1.16.13']
        """
        if self.build_rank is None or self.build is None:
            return self.normalized
        return f"{self.normalized}+{self.build}"

    @functools.cached_property
    def shape(self) -> str:
        """The numbering scheme: ``semver`` (two or three release numbers: ``1.4`` is
        ``1.4.0``), ``4-part`` (and so on, for four or more numbers) or ``calendar`` (a
        first number of 1000 or more: ``2024.1``, a stray ``v1000.1.0``). Versions compare
        only within one shape (design.md §4; :func:`tracker.evaluate.stream.build_stream`).

        >>> [parse_version(t).shape for t in ("0.6", "v1.29.3", "v4.2.3.1", "2024.1", "v1000.1.0")]
        ['semver', 'semver', '4-part', 'calendar', 'calendar']
        """
        release = self.version.release
        if release[0] >= lex.CALENDAR_FROM:
            return "calendar"
        if len(release) <= lex.SEMVER_PARTS:
            return "semver"
        return f"{len(release)}-part"


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
    if lowered in lex.FLOATING or all(
        word in lex.FLOATING or lex.VARIANT_RE.match(word) for word in words
    ):
        return Unparsed(raw, f"floating tag {text!r}", floating=True)

    describe: str | None = None
    found = lex.DESCRIBE_RE.search(lowered)
    if found is not None and found.start() > 0:
        describe = found.group("count")
        describe_display = f"{int(describe)}-g{found.group('sha')}"
        lowered = lowered[: found.start()] + lowered[found.end() :]

    metadata: str | None = None
    if "+" in lowered:
        lowered, metadata = lowered.split("+", 1)
    elif lex.UNDERSCORE_RELEASE_RE.match(lowered):
        lowered = lowered.replace("_", ".")  # postgres REL_16_1 -> 16.1
    else:
        underscore = lex.UNDERSCORE_BUILD_RE.match(lowered)
        if underscore is not None:  # OCI tags cannot hold '+': v1.30.2_k3s1
            lowered, metadata = underscore.group("version"), underscore.group("build")

    prefix_variant, lowered = lex.strip_variant_prefix(lowered)
    if re.match(r"v[0-9]", lowered):
        lowered = lowered[1:]

    not_a_version = _not_a_version(raw, lowered)
    if not_a_version is not None:
        return not_a_version

    match = lex.RELEASE_RE.match(lowered)
    if match is None:
        return Unparsed(raw, f"not a version: {text!r} does not start with a number")
    release, rest = match.group("release"), match.group("rest")

    pkg_pre = ""
    pre_display: str | None = None
    pre = lex.PRE_RE.match(rest)
    if pre is not None:
        label = pre.group("label") or pre.group("letter")
        number = pre.group("number") or pre.group("lnumber")
        pkg_pre = f"{lex.PRE_LABELS[label]}{number or 0}"
        if label in ("m", "milestone"):
            pre_display = f"M{int(number or 0)}"
        else:
            label = lex.PACKAGING_LABELS.get(label, label)
            pre_display = label if number is None else f"{label}.{int(number)}"
        rest = rest[pre.end() :]
    elif "." not in release and describe is None:
        return Unparsed(
            raw, f"floating major tag {text!r}: tracks the newest {int(release)}.x", floating=True
        )

    suffix = lex.split_suffix(rest)
    if isinstance(suffix, str):
        return Unparsed(raw, suffix)
    build_part, variant_part, trailing_pre = suffix
    if trailing_pre is not None:  # 3.1.0-1-SNAPSHOT, 3.1.0-M1-SNAPSHOT
        pkg_pre += ".dev0" if pkg_pre else "dev0"
        pre_display = "-".join(p for p in (pre_display, trailing_pre) if p)
    if describe is not None:  # a development build after the release it describes
        pkg_pre += f".post{int(describe)}.dev0"
        pre_display = "-".join(p for p in (pre_display, describe_display) if p)

    builds = [b for b in (build_part, metadata) if b]
    variants = [v for v in (prefix_variant, variant_part) if v]
    if any(len(part) > 30 for part in release.split(".")):
        # packaging would call int() on it: over 4,300 digits Python refuses (ValueError)
        return Unparsed(raw, "a release number longer than 30 digits is not a version")
    try:
        version = Version(release + pkg_pre)
    except (InvalidVersion, ValueError):  # the regexes only let valid strings through
        return Unparsed(raw, f"not a version: {text[:60]!r}")
    return ParsedVersion(
        raw=raw,
        version=version,
        build="+".join(builds) or None,
        variant="-".join(variants) or None,
        pre_display=pre_display,
    )


def parse_tag(tag: str, pattern: str) -> ParsedVersion | Unparsed | None:
    r"""Apply a catalogue tag rule to a release (or image) tag.

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
    >>> parse_tag("cmd/ctl/v1.12.0", r"^v?(?P<version>\d.*)$") is None
    True
    >>> parse_tag("all-tests-pass", r"^v?(?P<version>\d.*)$") is None
    True
    >>> parse_tag("v2.35.0-retract", r"^v?(?P<version>\d.*)$").reason
    'retraction tag (withdrawn Go module version), not a release'

    A date is not a version by itself (:func:`parse_version`), but a tag rule that names
    one as the ``version`` group makes it a calendar version, ordered by date and time
    (minio ``RELEASE.2017-12-28T01-21-00Z``):

    >>> minio = r"^RELEASE\.(?P<version>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ)$"
    >>> old = parse_tag("RELEASE.2017-12-28T01-21-00Z", minio)
    >>> old.normalized, old.shape
    ('2017-12-28T01:21:00Z', 'calendar')
    >>> old.version < parse_tag("RELEASE.2024-01-16T16-07-38Z", minio).version
    True

    A version group of numbers joined only by ``_`` is dotted (postgres ``REL_16_1``,
    busybox ``1_36_1``):

    >>> parse_tag("REL_16_1", r"^REL_?(?P<version>\d+(?:_\d+)+)$").normalized
    '16.1'
    """
    match = _compile(pattern).match(tag)
    if match is None:
        return None
    text = match.group("version") or ""
    dated = lex.DATE_VERSION_RE.match(text.strip())
    if dated is not None:
        return _date_version(text, dated)
    return parse_version(text)


def _date_version(raw: str, dated: re.Match[str]) -> ParsedVersion:
    """A calendar version from an ISO date(-time) a tag rule named as the version."""
    year, month, day = (int(dated.group(k)) for k in ("y", "m", "d"))
    clock = [dated.group(k) for k in ("hh", "mm", "ss")]
    parts = [year, month, day]
    shown = f"{year:04d}-{month:02d}-{day:02d}"
    if clock[0] is not None:
        hh, mm, ss = (int(c or 0) for c in clock)
        parts.append(hh * 10000 + mm * 100 + ss)
        shown += f"T{hh:02d}:{mm:02d}:{ss:02d}" + ("Z" if dated.group("z") else "")
    return ParsedVersion(raw=raw, version=Version(".".join(map(str, parts))), display=shown)


def tag_prefix(tag: str) -> str | None:
    """The word a tag carries before its version (``rel-`` in ``rel-3.1.4``), or None.

    A leading ``v`` alone and a leading image-variant word (``alpine-v12.6.0``) are not
    prefixes: :func:`parse_version` reads those tags itself. When a catalogue entry gives
    no tag rule, the running tag's prefix picks the release stream
    (:func:`tracker.evaluate.stream.stream_pattern`).

    >>> [tag_prefix(t) for t in ("rel-3.1.4", "controller-v1.9.4", "REL_16_1", "mysql-8.0.22")]
    ['rel-', 'controller-v', 'REL_', 'mysql-']
    >>> [tag_prefix(t) for t in ("v1.2.3", "1.2.3", "alpine-v12.6.0", "latest", "")]
    [None, None, None, None, None]
    """
    match = lex.PREFIX_RE.match(tag.strip())
    if match is None:
        return None
    prefix = match.group("prefix")
    if prefix.lower() == "v" or lex.strip_variant_prefix(tag.strip().lower())[0] is not None:
        return None
    return prefix


def newer_build(candidate: ParsedVersion, current: ParsedVersion) -> bool:
    """True when ``candidate`` is a newer build or revision of ``current``'s version.

    Both must have the same comparable version and orderable builds of the same family
    (:attr:`ParsedVersion.build_rank`); anything else is not "a newer build".

    >>> newer_build(parse_version("v1.30.2+k3s2"), parse_version("v1.30.2_k3s1"))
    True
    >>> newer_build(parse_version("2.45.0-r12"), parse_version("2.45.0-r9"))
    True
    >>> newer_build(parse_version("v6.3.0-eksbuild.2"), parse_version("v6.3.0-eksbuild.1"))
    True
    >>> newer_build(parse_version("v1.30.2"), parse_version("v1.30.2+k3s1"))
    False
    >>> newer_build(parse_version("v1.30.2+rke2r2"), parse_version("v1.30.2+k3s1"))
    False
    """
    if candidate.version != current.version:
        return False
    mine, theirs = current.build_rank, candidate.build_rank
    return mine is not None and theirs is not None and mine[0] == theirs[0] and theirs[1] > mine[1]


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


def _not_a_version(raw: str, text: str) -> Unparsed | None:
    """Recognize commit SHAs, date stamps and bare build numbers (rule 6).

    >>> _not_a_version("abc1234", "abc1234").reason
    'git commit SHA, not a version'
    >>> _not_a_version("1067004", "1067004").reason
    'bare build number, not a version'
    >>> _not_a_version("1.2.3", "1.2.3") is None
    True
    """
    if lex.HEX_RE.match(text) and (
        len(text) == 40
        or (7 <= len(text) <= 40 and re.search(r"[a-f]", text) and re.search(r"\d", text))
    ):
        return Unparsed(raw, "git commit SHA, not a version")
    if lex.DATE8_RE.match(text):
        return Unparsed(raw, "date-stamped build tag, not a version")
    if text.startswith("release.") or lex.ISO_DATE_RE.match(text):
        return Unparsed(raw, "date-stamped release tag, not a version")
    if re.fullmatch(r"[0-9]{5,}", text):
        return Unparsed(raw, "bare build number, not a version")
    return None


def is_prerelease_tag(tag: str) -> bool:
    """True when a tag name marks a pre-release (for sources whose tags carry no flag).

    The tag is read by :func:`parse_version`, so every pre-release spelling it knows counts
    (semver, PEP 440 letters, Maven milestones and snapshots, early access, nightlies, dev
    builds); a tag that is not a version is not a pre-release.

    >>> [is_prerelease_tag(t) for t in ("v1.2.0-rc.1", "1.0.0beta2", "2.4.0b3")]
    [True, True, True]
    >>> is_prerelease_tag("v1.2.0"), is_prerelease_tag("release-1.2"), is_prerelease_tag("latest")
    (False, False, False)
    """
    parsed = parse_version(tag)
    return isinstance(parsed, ParsedVersion) and parsed.is_prerelease
