"""The evaluation engine: compare what runs with what upstream released, and say what needs
attention. Re-exported by :mod:`tracker.evaluate` (which imports this module only when used).

Entry point: :func:`evaluate`. Rules are in :mod:`tracker.evaluate.stream` (which releases
count, what "latest" means), severities in :mod:`tracker.evaluate.outdated` and
:mod:`tracker.evaluate.prerelease`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from packaging.version import Version

from tracker.evaluate.base import (
    Check,
    ClusterCheck,
    ClusterEvaluation,
    ClusterFinding,
    Evaluation,
    ReleaseStream,
    StreamRelease,
)
from tracker.evaluate.lifecycle_check import LifecycleCheck, LifecycleContext
from tracker.evaluate.outdated import OutdatedCheck
from tracker.evaluate.prerelease import Pre1Check, PreReleaseCheck
from tracker.evaluate.skew import (
    BUILTIN_ISTIO_SUPPORT,
    ControlPlaneSkewCheck,
    IstioKubernetesCheck,
    IstioSkewCheck,
    IstioSupport,
    NodeSkewCheck,
)
from tracker.evaluate.stream import build_stream, place, stream_pattern
from tracker.evaluate.waive import apply_waivers
from tracker.evaluate.waivers import Waiver
from tracker.identify.helm import chart_entry
from tracker.models import (
    Behind,
    CatalogueEntry,
    Component,
    ComponentReport,
    Finding,
    Flag,
    Release,
    Status,
)
from tracker.versions import ParsedVersion, Unparsed, parse_tag, parse_version

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

DEFAULT_CHECKS: tuple[Check, ...] = (OutdatedCheck(), PreReleaseCheck(), Pre1Check())
"""The checks :func:`evaluate` runs unless told otherwise, in report order."""

DEFAULT_CLUSTER_CHECKS: tuple[ClusterCheck, ...] = (
    ControlPlaneSkewCheck(),
    NodeSkewCheck(),
    IstioSkewCheck(),
    IstioKubernetesCheck(),
)
"""The cluster-level checks :func:`evaluate` runs unless told otherwise (skew and
compatibility, :mod:`tracker.evaluate.skew`); with ``istio_support`` given, the
:class:`IstioKubernetesCheck` here is replaced by one over that table."""

_DEFAULT_TAG_PATTERN: str = CatalogueEntry(id="", name="", project=None, images=()).tag_pattern


def evaluate(
    cluster: str,
    components: Sequence[Component],
    entries: Mapping[str, CatalogueEntry],
    releases: Mapping[str, Sequence[Release]],
    today: date,
    *,
    checks: Sequence[Check] = DEFAULT_CHECKS,
    cluster_checks: Sequence[ClusterCheck] = DEFAULT_CLUSTER_CHECKS,
    stream_cache: dict[tuple[str, str], ReleaseStream] | None = None,
    waivers: Sequence[Waiver] = (),
    istio_support: IstioSupport | None = None,
    lifecycle: LifecycleContext | None = None,
) -> list[ComponentReport]:
    """Evaluate every component entry of one cluster against upstream releases.

    Args:
        cluster: the cluster name, copied into each report row.
        components: what identify found (any order; output keeps it).
        entries: catalogue id -> :class:`CatalogueEntry`; an entry's ``project`` keys
            ``releases`` and its ``tag_pattern`` selects the release stream. A component
            without an entry is compared using its own ``project`` and the default tag
            pattern ``^v?(?P<version>\\d.*)$``.
        releases: GitHub ``owner/repo`` -> that project's releases, any order, no drafts.
        today: the evaluation date (UTC); ``days_behind`` counts whole days up to it.
        checks: the per-component checks to run (default :data:`DEFAULT_CHECKS`).
        cluster_checks: the checks over the whole cluster (default
            :data:`DEFAULT_CLUSTER_CHECKS`); their findings join the rows they name.
        stream_cache: pass one dict to several calls over the same ``releases`` (one per
            cluster of a report) so each project's release stream is built once.
        waivers: the config's ``[[waivers]]``, applied after every finding exists
            (:func:`tracker.evaluate.waive.apply_waivers`): waived findings stay, marked.
        istio_support: Istio minor -> supported Kubernetes range
            (:func:`tracker.evaluate.skew.istio_support_from_cycles` over the stored
            endoflife.date data); None: :data:`~tracker.evaluate.skew.BUILTIN_ISTIO_SUPPORT`.
            Used by the default :class:`IstioKubernetesCheck` only.

    Returns:
        One :class:`ComponentReport` per component, in input order.

    Raises:
        IdentifyError: a catalogue entry's tag pattern is not a valid regex or lacks the
            ``version`` group.
    """
    streams: dict[tuple[str, str], ReleaseStream] = {} if stream_cache is None else stream_cache
    memo: dict[tuple[str, str, Version, tuple[str, int] | None], Evaluation] = {}
    evaluations: list[Evaluation] = []
    for component in components:
        entry = chart_entry(entries.get(component.component), component)  # Helm: chart tags
        project = entry.project if entry is not None else component.project
        pattern = entry.tag_pattern if entry is not None else _DEFAULT_TAG_PATTERN
        current = running_version(component, entry)
        own = stream_pattern(pattern, _DEFAULT_TAG_PATTERN, component.raw_version)
        if own != pattern:  # no tag rule: the running tag's prefix picks the stream
            pattern, current = own, parse_tag(component.raw_version, own) or current
        stream, problem = _stream(component, project, pattern, releases, streams)
        if stream is not None and isinstance(current, ParsedVersion):
            # With a stream, the facts depend only on (project, pattern, version).
            memo_key = (stream.project, pattern, current.version, current.build_rank)
            facts = memo.get(memo_key)
            if facts is None:
                facts = memo[memo_key] = place(component, current, project, stream, None, today)
            evaluation = replace(facts, component=component, current=current)
        else:
            evaluation = place(component, current, project, stream, problem, today)
        evaluations.append(evaluation)
    whole = ClusterEvaluation(cluster, tuple(evaluations), today)
    attached: dict[Component, list[Finding]] = {}
    if istio_support is not None and istio_support is not BUILTIN_ISTIO_SUPPORT:
        cluster_checks = [
            IstioKubernetesCheck(istio_support) if isinstance(c, IstioKubernetesCheck) else c
            for c in cluster_checks
        ]
    for cluster_check in cluster_checks:
        for found in cluster_check.check_cluster(whole):
            attached.setdefault(found.component, []).append(found.finding)
    if lifecycle is None:
        rows = [
            evaluate_one(cluster, e, checks, extra=attached.get(e.component, ()))
            for e in evaluations
        ]
    else:
        with_lifecycle = (*checks, LifecycleCheck(lifecycle))
        rows = [
            replace(
                evaluate_one(cluster, e, with_lifecycle, extra=attached.get(e.component, ())),
                support=lifecycle.support(e),
            )
            for e in evaluations
        ]
    return apply_waivers(rows, waivers, today) if waivers else rows


def _stream(
    component: Component,
    project: str | None,
    pattern: str,
    releases: Mapping[str, Sequence[Release]],
    streams: dict[tuple[str, str], ReleaseStream],
) -> tuple[ReleaseStream | None, str | None]:
    """The component's release stream (built once per project and pattern), or why none."""
    if project is None:
        return None, f"no upstream project is tracked for {component.component!r}"
    if not releases.get(project):
        return None, f"no releases of {project} in the catalogue (run `tracker sync`)"
    key = (project, pattern)
    if key not in streams:
        streams[key] = build_stream(project, pattern, releases[project])
    return streams[key], None


def evaluate_one(
    cluster: str,
    evaluation: Evaluation,
    checks: Sequence[Check] = DEFAULT_CHECKS,
    *,
    extra: Sequence[Finding] = (),
) -> ComponentReport:
    """Run ``checks`` over one :class:`Evaluation` and build its report row.

    ``extra``: findings of cluster checks about this entry, merged with the row's own.

    ``status`` is ``unknown`` when the running version is not a version or there is no
    upstream data, ``outdated`` when it is behind the latest release that counts, else
    ``up-to-date``. ``flags`` are the finding kinds, in :class:`Flag` order, without
    repeats; findings are ordered the same way.
    """
    order = list(Flag)
    findings: list[Finding] = [f for check in checks for f in check.check(evaluation)]
    findings += extra
    findings.sort(key=lambda f: order.index(f.kind))
    flags = tuple(dict.fromkeys(f.kind for f in findings))
    current = evaluation.current
    parsed = current if isinstance(current, ParsedVersion) else None
    if parsed is None or evaluation.latest is None:
        status = Status.UNKNOWN
    elif evaluation.behind is not None:
        status = Status.OUTDATED
    else:
        status = Status.UP_TO_DATE
    latest = evaluation.latest
    build = evaluation.behind is Behind.BUILD  # builds of one version: show them (+k3s2)
    return ComponentReport(
        cluster=cluster,
        component=evaluation.component,
        current=(parsed.with_build if build else parsed.normalized) if parsed else None,
        latest=(latest.version.with_build if build else latest.version.normalized)
        if latest
        else None,
        latest_patch=evaluation.latest_patch.version.normalized
        if evaluation.latest_patch
        else None,
        status=status,
        behind=evaluation.behind,
        releases_behind=evaluation.releases_behind,
        days_behind=evaluation.days_behind,
        flags=flags,
        findings=tuple(findings),
        latest_url=latest.url if latest else None,
    )


def running_version(component: Component, entry: CatalogueEntry | None) -> ParsedVersion | Unparsed:
    """Parse a component's running version: the one place an entry's ``image_tag_pattern``
    is applied (identify keeps the image tag raw in ``raw_version``).

    The pattern is applied through :func:`tracker.versions.parse_tag` to components that
    come from an image; a tag it does not match is parsed as it is by
    :func:`tracker.versions.parse_version`. Never raises for a valid catalogue entry
    (an invalid pattern raises :class:`~tracker.errors.IdentifyError`).

    >>> from tracker.identify.catalogue import load_catalogue
    >>> from tracker.models import Role
    >>> linkerd = load_catalogue()["linkerd"]  # image_tag_pattern ^stable-(?P<version>...)$
    >>> c = Component("linkerd", Role.ADDON, "stable-2.14.10", linkerd.project,
    ...     image="cr.l5d.io/linkerd/controller:stable-2.14.10")
    >>> running_version(c, linkerd).normalized
    '2.14.10'
    >>> running_version(c, None).reason  # without the entry's rule it is not a version
    "not a version: 'stable-2.14.10' does not start with a number"
    """
    raw = component.raw_version
    if entry is not None and entry.image_tag_pattern and component.image is not None:
        parsed = parse_tag(raw, entry.image_tag_pattern)
        if parsed is not None:
            return parsed
    return parse_version(raw)
