"""Checks on the kind of version that runs: pre-releases and 0.x releases.

Severity policy (decided by :mod:`tracker.evaluate.policy`):

- ``pre-release`` (alpha, beta, rc, snapshot or dev version): ``warning``. Upstream
  projects do not support pre-releases in production, and no patch releases follow them.
- ``pre-1.0`` (major version 0): ``info``. SemVer 2.0.0 §4: "Major version zero (0.y.z) is
  for initial development. Anything MAY change at any time", so any minor upgrade may
  break; read release notes before upgrading.

Both apply whether or not upstream data exists.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.evaluate.base import Evaluation
from tracker.evaluate.policy import severity_of
from tracker.models import Finding, Flag
from tracker.versions import ParsedVersion

__all__ = ["Pre1Check", "PreReleaseCheck"]


class PreReleaseCheck:
    """Finding ``pre-release`` (warning) when the running version is a pre-release."""

    def check(self, evaluation: Evaluation) -> Sequence[Finding]:
        """Return one ``pre-release`` finding, or none for a stable or unknown version."""
        current = evaluation.current
        if not isinstance(current, ParsedVersion) or not current.is_prerelease:
            return ()
        message = f"{evaluation.label} {current.normalized} is a pre-release"
        stable = evaluation.latest_stable
        if stable is not None:
            message += f"; the latest stable release is {stable.version.normalized}"
        return (Finding(Flag.PRE_RELEASE, severity_of("pre-release"), message),)


class Pre1Check:
    """Finding ``pre-1.0`` (info) when the running major version is 0."""

    def check(self, evaluation: Evaluation) -> Sequence[Finding]:
        """Return one ``pre-1.0`` finding, or none for 1.0 and later or unknown versions."""
        current = evaluation.current
        if not isinstance(current, ParsedVersion) or current.major != 0:
            return ()
        message = (
            f"{evaluation.label} {current.normalized} is a 0.x release: "
            "any minor upgrade may break compatibility (SemVer 2.0.0 §4)"
        )
        return (Finding(Flag.PRE_1_0, severity_of("pre-1.0"), message),)
