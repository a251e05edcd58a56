"""The only place where strings become versions (over ``packaging``).

CONTRACT (owned by the versions/evaluate helper; signatures are stable, bodies may change):

- ``parse_version(raw) -> ParsedVersion | Unparsed``
- ``parse_tag(tag, pattern) -> ParsedVersion | Unparsed | None`` (None: tag not in this stream)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version


@dataclass(frozen=True)
class ParsedVersion:
    """A version that compares correctly, with the raw string kept.

    Attributes:
        raw: the string as found (``v1.28.3-eks-ab12cd3``).
        version: the comparable ``packaging`` version (vendor build and image variant removed).
        build: the vendor build suffix that was removed (``eks-ab12cd3``), or None.
        variant: the image variant that was removed (``alpine``), or None.
    """

    raw: str
    version: Version
    build: str | None = None
    variant: str | None = None

    @property
    def normalized(self) -> str:
        """The display form: ``1.29.3``, or ``1.30.0-beta.0`` for a pre-release."""
        return str(self.version)

    @property
    def is_prerelease(self) -> bool:
        """True for alpha, beta, rc and dev versions."""
        return self.version.is_prerelease

    @property
    def line(self) -> tuple[int, int]:
        """``(major, minor)``, the release line."""
        return (self.version.major, self.version.minor)


@dataclass(frozen=True)
class Unparsed:
    """A string that is not a version, and why (``latest``, a commit SHA, digest-only)."""

    raw: str
    reason: str


def parse_version(raw: str) -> ParsedVersion | Unparsed:
    """Parse an image tag, ``kubeletVersion`` or ``gitVersion`` into a version."""
    text = raw.strip()
    if not text:
        return Unparsed(raw, "no version (digest-only or untagged image)")
    m = re.match(r"^v?(\d+(?:\.\d+)*(?:-?(?:alpha|beta|rc)\.?\d*)?)", text)
    if not m:
        return Unparsed(raw, "not a version")
    try:
        return ParsedVersion(raw, Version(m.group(1)))
    except InvalidVersion:
        return Unparsed(raw, "not a version")


def parse_tag(tag: str, pattern: str) -> ParsedVersion | Unparsed | None:
    """Apply a catalogue tag rule to a release tag; None when the tag is not in the stream."""
    m = re.match(pattern, tag)
    if not m:
        return None
    return parse_version(m.group("version"))
