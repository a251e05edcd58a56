"""The words and patterns :mod:`tracker.versions` reads tags with (its lexicon).

Kept apart so the normalizer stays one readable module; nothing here decides anything on
its own. :func:`strip_variant_prefix` and :func:`split_suffix` are the two lexical steps
of :func:`tracker.versions.parse_version` (rules 5 and 9 of its module docstring).
"""

from __future__ import annotations

import re

# packaging's pre-release letters -> the semver label shown to people.
PACKAGING_LABELS = {"a": "alpha", "b": "beta", "rc": "rc"}
# Pre-release words as found in tags -> packaging's spelling (sets the order). Maven
# milestones order like betas; snapshots, nightlies, dev and early-access builds order
# before alpha (packaging's ``.dev``).
PRE_LABELS = {
    "alpha": "a",
    "a": "a",
    "beta": "b",
    "b": "b",
    "milestone": "b",
    "m": "b",
    "rc": "rc",
    "cr": "rc",
    "pre": "rc",
    "preview": "rc",
    "snapshot": ".dev",
    "dev": ".dev",
    "nightly": ".dev",
    "ea": ".dev",
}
# Pre-release words that may also come after an image revision (``3.1.0-1-SNAPSHOT``).
TRAILING_PRE = frozenset({"snapshot", "nightly", "dev", "ea"})
FLOATING = frozenset(
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
VENDORS = frozenset({"eks", "gke", "aks", "do", "kind", "eksbuild", "k3s", "rke2", "gk3"})
ARCHES = frozenset(
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
VARIANT_RE = re.compile(
    r"^(?:alpine|debian|bullseye|bookworm|buster|stretch|jessie|trixie|ubuntu|focal|jammy"
    r"|noble|bionic|xenial|slim|distroless|ubi|ubi-?minimal|rhel|centos|rocky|scratch|busybox"
    r"|static|nonroot|rootless|debug|fips|ltsc|nanoserver|servercore|windowsservercore|jdk|jre"
    r"|temurin|openjdk|glibc|musl|minimal|full|headless|chainguard|wolfi|amazonlinux|al)\d*$"
)
HEX_RE = re.compile(r"^[0-9a-f]+$", re.ASCII)
REVISION_RE = re.compile(r"^r?\d+$", re.ASCII)
DATE8_RE = re.compile(
    r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:$|[-._T])", re.ASCII
)
ISO_DATE_RE = re.compile(r"(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])", re.ASCII)
RELEASE_RE = re.compile(r"^(?P<release>\d+(?:\.\d+)*)(?P<rest>.*)$", re.ASCII)
PRE_RE = re.compile(
    r"^[-._]?(?:(?P<label>alpha|beta|milestone|rc|cr|preview|pre|snapshot|dev|nightly|ea)"
    r"(?:[-._]?(?P<number>\d+))?|(?P<letter>a|b|m)(?P<lnumber>\d+))(?=$|[-._])",
    re.ASCII,
)
DESCRIBE_RE = re.compile(r"[-._](?P<count>\d+)[-._]g(?P<sha>[0-9a-f]{7,40})(?=$|[-._+])", re.ASCII)
UNDERSCORE_RELEASE_RE = re.compile(r"^v?\d+(?:_\d+)+$", re.ASCII)
UNDERSCORE_BUILD_RE = re.compile(r"^(?P<version>v?\d+(?:\.\d+)+[^_]*)_(?P<build>.+)$", re.ASCII)
HASH_TOKEN_RE = re.compile(r"^(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{6,40}$", re.ASCII)
RANK_RE = re.compile(r"^(?P<family>.*?)(?P<number>\d+)$", re.ASCII)
PREFIX_RE = re.compile(r"^(?P<prefix>[A-Za-z]+(?:[-_./][A-Za-z]+)*[-_./]?v?)\d")
DATE_VERSION_RE = re.compile(
    r"^(?P<y>(?:19|20)\d\d)[-.]?(?P<m>0[1-9]|1[0-2])[-.]?(?P<d>0[1-9]|[12]\d|3[01])"
    r"(?:[T_-](?P<hh>[01]\d|2[0-3])[-:.]?(?P<mm>[0-5]\d)(?:[-:.]?(?P<ss>[0-5]\d))?(?P<z>Z)?)?$",
    re.ASCII,
)
CALENDAR_FROM = 1000
SEMVER_PARTS = 3
TOKEN_RE = re.compile(r"[-._]*[^-._]+", re.ASCII)


def strip_variant_prefix(text: str) -> tuple[str | None, str]:
    """Move a leading variant word (``alpine-v12.6.0``) out of the way.

    >>> strip_variant_prefix("alpine-v12.6.0")
    ('alpine', 'v12.6.0')
    >>> strip_variant_prefix("controller-v1.9.4")
    (None, 'controller-v1.9.4')
    """
    match = re.match(r"^([a-z][a-z0-9]*)[-_](?=v?\d)", text)
    if match is not None and VARIANT_RE.match(match.group(1)):
        return match.group(1), text[match.end() :]
    return None, text


def split_suffix(rest: str) -> tuple[str, str, str | None] | str:
    """Split what follows the release/pre-release into ``(build, variant, trailing_pre)``
    (rule 8); ``trailing_pre`` is a pre-release word after an image revision
    (``-1-SNAPSHOT``), else None.

    Returns a reason string instead when the suffix makes the tag a non-release.

    >>> split_suffix("-1-gke.2-amd64")
    ('1-gke.2', 'amd64', None)
    >>> split_suffix("-eks-ab12cd3")
    ('eks-ab12cd3', '', None)
    >>> split_suffix("-1-snapshot")
    ('1', '', 'snapshot')
    >>> split_suffix("-retract")
    'retraction tag (withdrawn Go module version), not a release'
    """
    build: list[str] = []
    variant: list[str] = []
    trailing_pre: str | None = None
    current = build
    for token in TOKEN_RE.findall(rest):
        word = token.lstrip("-._")
        if word == "retract":
            return "retraction tag (withdrawn Go module version), not a release"
        if word in TRAILING_PRE:
            trailing_pre = trailing_pre or word
            continue
        if word in VENDORS or re.match(r"^(?:k3s|rke2r)\d+$", word):
            current = build
        elif word in ARCHES:
            current = variant
        elif REVISION_RE.match(word):
            # A number continues the group before it (``gke.2``, ``debian-12``);
            # ``r3`` or a leading number is an image revision.
            if word.startswith("r") or not (build or variant):
                current = build
        elif current is build and build and HEX_RE.match(word):
            pass  # a vendor id such as ``eks-ec92d4``
        elif HEX_RE.match(word) and len(word) >= 7 and re.search(r"\d", word):
            current = build  # a commit hash
        else:
            current = variant  # OS base, architecture, or any other flavour word
        current.append(token if current else word)
    return "".join(build), "".join(variant), trailing_pre
