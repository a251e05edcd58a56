"""The domain objects that cross tracker's stage boundaries.

Data flows one way::

    Inventory (nodes, pods)  ->  Identification (components, unidentified)
        ->  Release catalogue  ->  ComponentReport (status, findings)  ->  Report

Every object here is a frozen dataclass: stages never mutate what they receive. The
enumerations (Role, Status, Behind, Flag, Severity, Source) live in :mod:`tracker.enums`
and are re-exported here.
Times are timezone-aware UTC ``datetime`` objects; durations are in days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from tracker.enums import Behind as Behind  # re-exported
from tracker.enums import Flag as Flag
from tracker.enums import Role as Role
from tracker.enums import Severity as Severity
from tracker.enums import Source as Source
from tracker.enums import Status as Status
from tracker.enums import severity_rank as severity_rank
from tracker.image_ref import ImageReference as ImageReference  # re-exported
from tracker.namespace_scope import EVERY_NAMESPACE as EVERY_NAMESPACE  # re-exported
from tracker.namespace_scope import NamespaceScope as NamespaceScope


@dataclass(frozen=True)
class Workload:
    """The owner of a pod: ``kind/name`` in a namespace.

    A ReplicaSet owned by a Deployment is reported as the Deployment (``pod-template-hash``
    stripped); a Job owned by a CronJob as the CronJob; a static (mirror) pod owned by its
    Node as ``StaticPod/<name without the node suffix>``; a pod without owner as ``Pod/name``.
    """

    kind: str
    name: str
    namespace: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Container:
    """One container of a pod.

    Attributes:
        name: container name, e.g. ``istio-proxy``.
        image: the image reference from the pod spec.
        image_id: the resolved ``status.containerStatuses[].imageID`` when known
            (``docker-pullable://…@sha256:…``), else None.
        init: True for ``spec.initContainers``.
        sidecar: True for a native sidecar (an init container with ``restartPolicy: Always``).
    """

    name: str
    image: ImageReference
    image_id: str | None = None
    init: bool = False
    sidecar: bool = False


@dataclass(frozen=True)
class Pod:
    """A pod as the inventory needs it: identity, owner, metadata and containers."""

    namespace: str
    name: str
    workload: Workload
    containers: tuple[Container, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    node_name: str | None = None
    phase: str | None = None


@dataclass(frozen=True)
class Node:
    """A node and what ``status.nodeInfo`` says about it.

    Attributes:
        kubelet_version: raw ``nodeInfo.kubeletVersion``, e.g. ``v1.18.19-gke.1701``.
        container_runtime: e.g. ``containerd://1.6.4``.
        control_plane: True when the node carries the control-plane/master role label.
        provider_id: ``spec.providerID`` (``aws:///us-east-2c/i-…``, ``kind://docker/…``).
    """

    name: str
    kubelet_version: str
    kube_proxy_version: str | None = None
    container_runtime: str | None = None
    os_image: str | None = None
    kernel_version: str | None = None
    architecture: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    control_plane: bool = False
    provider_id: str | None = None


@dataclass(frozen=True)
class HelmRelease:
    """One Helm 3 release, as its latest deployed revision's release Secret describes it.

    Attributes:
        name, namespace: the release and where it lives.
        revision: Helm's revision number of the chosen record.
        status: ``deployed``, or the latest revision's status when none is deployed.
        chart: the chart name (``ingress-nginx``).
        chart_version: the chart's version (``4.11.3``).
        app_version: the chart's ``appVersion`` (``1.11.3``), or None.
        updated: ``info.last_deployed`` as aware UTC, or None.
        images: image references named in the rendered manifest, sorted (links a release
            with the workloads it runs).
    """

    name: str
    namespace: str
    revision: int
    status: str
    chart: str
    chart_version: str
    app_version: str | None
    updated: datetime | None = None
    images: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inventory:
    """Everything one scan read from one cluster.

    Attributes:
        cluster: the cluster's name (``--cluster``, kubeconfig context or dump file stem).
        source: ``api`` or ``dump``.
        scanned_at: when the scan ran (UTC).
        server_version: raw ``gitVersion`` from ``/version`` (None in a dump without it).
        warnings: one line each for what could not be read (e.g. a forbidden namespace).
        server: the API server's identity, ``host:port`` from the client configuration
            (never credentials); None for a dump. The store refuses a scan whose cluster
            name is already held by another server.
        helm_releases: the Helm releases read from release Secrets (empty when none were
            read: no Secrets in a dump, or listing them is not allowed).
        namespaces: the namespaces whose pods were read (``-n/--namespace``; namespaces
            RBAC forbade are left out); default every namespace.
    """

    cluster: str
    source: Source
    scanned_at: datetime
    server_version: str | None
    nodes: tuple[Node, ...]
    pods: tuple[Pod, ...]
    warnings: tuple[str, ...] = ()
    server: str | None = None
    helm_releases: tuple[HelmRelease, ...] = ()
    namespaces: NamespaceScope = EVERY_NAMESPACE


@dataclass(frozen=True)
class CatalogueEntry:
    """One trackable component: how to recognize it and where its releases live.

    Attributes:
        id: lowercase catalogue id, e.g. ``cert-manager``.
        name: display name, e.g. ``cert-manager``.
        project: GitHub ``owner/repo`` of the upstream releases; None when untracked.
        images: image repository patterns (``short_name`` form, ``*`` wildcards allowed),
            e.g. ``quay.io/jetstack/cert-manager-controller``.
        tag_pattern: regex with a named group ``version`` that selects this component's
            release tags and extracts the version, e.g. ``^controller-v(?P<version>.+)$``.
        image_tag_pattern: same for image tags when they differ from release tags
            (None: the image tag is the version, prefixes like ``v`` handled by versions.py).
        retired: the date the project (or this release stream) stopped releasing, or None.
        successor: what replaces a retired entry (a catalogue id or a project name), or None.
        retired_source: the https URL announcing the retirement, or None.
        advisory_packages: the packages whose security advisories apply to it, as
            ``ecosystem:name`` keys (``go:k8s.io/ingress-nginx``), lower-case; () for none.
        source: the upstream source that serves ``project`` (``tracker.upstream.sources``),
            default ``github``.
        eol_product: the endoflife.date product holding its support windows, or None.
    """

    id: str
    name: str
    project: str | None
    images: tuple[str, ...]
    tag_pattern: str = r"^v?(?P<version>\d.*)$"
    image_tag_pattern: str | None = None
    retired: date | None = None
    successor: str | None = None
    retired_source: str | None = None
    source: str = "github"
    charts: tuple[str, ...] = ()
    """Helm chart names that install this component (``ingress-nginx``)."""
    chart_tag_pattern: str | None = None
    """Release tags of the chart when it has its own tag stream (``^helm-chart-(?P<version>.*)$``);
    None: the chart shares the component's ``tag_pattern``."""
    eol_product: str | None = None
    advisory_packages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Component:
    """One identified thing that runs, at one version, in one role.

    Several pods of one workload at one version are one Component with ``instances``.
    Istio sidecars are one Component per running proxy version (role ``data-plane``).

    Attributes:
        component: catalogue id (``kubernetes``, ``istio``, ``coredns``…).
        role: see :class:`Role`.
        raw_version: the version as found (image tag, ``kubeletVersion``, ``gitVersion``),
            or ``""`` when there is none (digest-only image).
        project: GitHub ``owner/repo`` whose releases this is compared with.
        namespace: where it runs; None for cluster-wide entries (control plane, kubelets).
        workload: ``Kind/name`` (``Deployment/istiod``), ``Node/a,b`` for kubelets, or None.
        image: the raw image reference, or None (kubelet, ``/version``).
        instances: how many pods/nodes run it.
        revision: Istio revision (``istio.io/rev``), else None.
        detail: free text for the report (e.g. node names).
        mirrored: True when the image comes through a mirror or pull-through cache whose
            path ends in the component's repository (``image`` keeps the raw reference).
    """

    component: str
    role: Role
    raw_version: str
    project: str | None
    namespace: str | None = None
    workload: str | None = None
    image: str | None = None
    instances: int = 1
    revision: str | None = None
    detail: str | None = None
    mirrored: bool = False


@dataclass(frozen=True)
class Unidentified:
    """A container image that no identification rule claimed, with the reason."""

    namespace: str
    workload: str
    image: str
    reason: str


@dataclass(frozen=True)
class Identification:
    """What identify made of one inventory.

    ``kubernetes_version`` is the cluster's Kubernetes version decided at scan time (the
    normalized API server version, else the control plane's), None when unknown; the
    store keeps it as given. ``distribution`` is the distribution id decided at scan time
    (:func:`tracker.identify.distribution.detect_distribution`: ``eks``, ``gke``, ...), None
    when not identified.
    """

    components: tuple[Component, ...]
    unidentified: tuple[Unidentified, ...]
    kubernetes_version: str | None = None
    distribution: str | None = None


@dataclass(frozen=True)
class Release:
    """One upstream release (or tag) of a project, as stored in the catalogue.

    Attributes:
        project: GitHub ``owner/repo``.
        tag: the tag name exactly as published (``controller-v1.9.4``, ``1.20.1``).
        published_at: when it was published (UTC); None when unknown (tags-only source).
        prerelease: GitHub's ``prerelease`` flag (or inferred for tags-only sources).
        url: the release page, for release-notes links; may be None.
        name: the release title; may be empty.
    """

    project: str
    tag: str
    published_at: datetime | None
    prerelease: bool = False
    url: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Finding:
    """One thing that needs attention about one component entry.

    ``source`` is the URL or document the rule comes from (a policy page, an advisory, the
    product's endoflife.date page), or None; ``waived`` is True when a live waiver accepts
    this finding (shown, but not counted by ``--fail-on`` nor sent to Slack).
    """

    kind: Flag
    severity: Severity
    message: str
    source: str | None = None
    waived: bool = False


@dataclass(frozen=True)
class SupportWindow:
    """The support window of the release cycle a component runs (report JSON ``support``).

    Dates are endoflife.date's: ``eoas`` end of active support, ``eol`` end of life,
    ``eoes`` end of extended support; None when upstream gives no date.
    """

    product: str
    cycle: str
    eol: date | None = None
    eoas: date | None = None
    eoes: date | None = None
    lts: bool = False


@dataclass(frozen=True)
class AdvisoryRef:
    """One advisory that affects a component (report JSON ``advisories[]``).

    ``severity`` is the advisory's word (critical/high/moderate/low/unknown), and
    ``severity_source`` where it comes from: ``advisory`` (the record's own word), ``cvss``
    (rated from the record's CVSS v3 vector), ``alias`` (from the stored alias record
    ``severity_alias``: a Go vulnerability database record takes its GHSA's) or ``unknown``.
    ``fixed_in`` the fixed versions it names, ascending; ``nearest_fix`` the fixed version
    nearest to what runs (on its line first). With a stored endoflife.date calendar for the
    component: ``nearest_fix_eol`` True when ``nearest_fix``'s line is past end of life,
    False when supported (None: not known), and ``supported_fix`` the lowest version above
    what runs, on a supported line, that the advisory does not affect (None: none known).
    ``waived`` is True when a live waiver accepts this advisory (the ``vulnerable`` finding
    is waived only when every advisory of it is).
    """

    id: str
    aliases: tuple[str, ...] = ()
    severity: str = "unknown"
    fixed_in: tuple[str, ...] = ()
    nearest_fix: str | None = None
    url: str | None = None
    cvss: str | None = None
    summary: str = ""
    severity_source: str = "advisory"
    severity_alias: str | None = None
    nearest_fix_eol: bool | None = None
    supported_fix: str | None = None
    waived: bool = False


@dataclass(frozen=True)
class WaiverRef:
    """The waiver that applies to a row (report JSON ``waiver``); ``expired`` when it no
    longer waives (the findings count again and say so)."""

    reason: str
    owner: str
    expires: date
    expired: bool = False


@dataclass(frozen=True)
class ComponentReport:
    """One component entry evaluated against upstream (a row of the report).

    Field meanings follow design.md §3 (Report JSON ``components[]``).
    ``days_behind`` is in days since the first release newer than the running one.
    """

    cluster: str
    component: Component
    current: str | None
    latest: str | None
    latest_patch: str | None
    status: Status
    behind: Behind | None
    releases_behind: int | None
    days_behind: int | None
    flags: tuple[Flag, ...]
    findings: tuple[Finding, ...]
    latest_url: str | None = None
    support: SupportWindow | None = None
    advisories: tuple[AdvisoryRef, ...] = ()
    waiver: WaiverRef | None = None

    @property
    def counted_findings(self) -> tuple[Finding, ...]:
        """The findings no live waiver accepts: what ``--fail-on`` and Slack count."""
        return tuple(f for f in self.findings if not f.waived)

    @property
    def worst_severity(self) -> Severity | None:
        """The highest severity among the findings, or None when there are none."""
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=severity_rank)


@dataclass(frozen=True)
class ClusterSummary:
    """One cluster's latest scan, as the report shows it.

    ``server`` is the API server identity (``host:port``) stored for the cluster name,
    or None when only dumps were scanned under it. ``namespaces``: what the scan read
    (:attr:`Inventory.namespaces`; every namespace for scans stored before it was kept).
    """

    name: str
    scanned_at: datetime
    kubernetes_version: str | None
    source: Source
    warnings: tuple[str, ...] = ()
    server: str | None = None
    distribution: str | None = None
    namespaces: NamespaceScope = EVERY_NAMESPACE


@dataclass(frozen=True)
class ClusterUnidentified:
    """An :class:`Unidentified` image with the cluster it was seen in."""

    cluster: str
    item: Unidentified


@dataclass(frozen=True)
class Report:
    """The evaluated state of one or more clusters; formatters turn it into text."""

    generated_at: datetime
    clusters: tuple[ClusterSummary, ...]
    components: tuple[ComponentReport, ...]
    unidentified: tuple[ClusterUnidentified, ...]
    warnings: tuple[str, ...] = ()
