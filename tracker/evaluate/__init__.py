"""Evaluate: compare what runs with what upstream released, and say what needs attention.

Entry point: :func:`tracker.evaluate.engine.evaluate`, re-exported here. The names below are
imported from :mod:`tracker.evaluate.engine` on first use (PEP 562), so importing a light
submodule such as :mod:`tracker.evaluate.policy` (the CLI's ``--fail-on`` choices) does not load
every check at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.evaluate.engine import (
        DEFAULT_CHECKS,
        DEFAULT_CLUSTER_CHECKS,
        Check,
        ClusterCheck,
        ClusterEvaluation,
        ClusterFinding,
        Evaluation,
        LifecycleContext,
        ReleaseStream,
        StreamRelease,
        evaluate,
        evaluate_one,
        running_version,
    )

__all__ = [
    "DEFAULT_CHECKS",
    "DEFAULT_CLUSTER_CHECKS",
    "Check",
    "ClusterCheck",
    "ClusterEvaluation",
    "ClusterFinding",
    "Evaluation",
    "LifecycleContext",
    "ReleaseStream",
    "StreamRelease",
    "evaluate",
    "evaluate_one",
    "running_version",
]


def __getattr__(name: str) -> Any:
    """Load :mod:`tracker.evaluate.engine` on first use of one of its names.

    Raises:
        AttributeError: for a name this package does not export.
    """
    if name in __all__:
        return getattr(import_module("tracker.evaluate.engine"), name)
    raise AttributeError(f"module 'tracker.evaluate' has no attribute {name!r}")
