"""The one parser both inventory sources share: plain Kubernetes JSON -> domain objects.

Input is what ``json.loads`` (or a YAML safe loader) makes of Kubernetes objects: dicts,
lists and strings, exactly as ``kubectl get -o json`` prints them or as the API server
returns them. The client's model classes are never used (design.md §6 item 10).

Rules (each documented where it is applied):

* **Owner resolution** (:func:`resolve_workload`): a pod owned by a ReplicaSet named
  ``<name>-<pod-template-hash>`` belongs to Deployment ``<name>`` (the hash is the pod's
  ``pod-template-hash`` label, set by the Deployment controller); a pod owned by a Job named
  ``<name>-<8 or more digits>`` belongs to CronJob ``<name>`` (the CronJob controller names
  its Jobs after the scheduled time, in minutes since ``batch/v1`` CronJob v2 and in seconds
  before); DaemonSet, StatefulSet and other owners are used directly; a mirror pod of a
  static manifest (owner kind ``Node``) is ``StaticPod/<name without -<nodeName>>`` so the
  same manifest on several nodes is one workload; a pod without owner is ``Pod/<name>``.
* **Containers**: ``spec.containers`` then ``spec.initContainers``; an init container with
  ``restartPolicy: Always`` is a native sidecar (KEP-753, Kubernetes 1.28+).
  ``spec.ephemeralContainers`` (``kubectl debug``) are not inventoried. ``image_id`` comes
  from ``status.containerStatuses`` / ``initContainerStatuses`` matched by container name.
* **Finished pods** (phase ``Succeeded`` or ``Failed``: completed Job pods, evicted pods)
  run nothing, so they are left out; :class:`InventoryBuilder` counts them in one warning.
* **Unparseable image references** never abort a scan: the container is kept with an
  "unparsed" :class:`~tracker.models.ImageReference` (``registry == repository == ""``,
  ``raw`` = the reference as given; test with :func:`is_unparsed`) and a warning naming
  pod and container is recorded, so identify can list it as unidentified.
* **Nodes**: ``status.nodeInfo`` versions; ``control_plane`` from the
  ``node-role.kubernetes.io/control-plane`` or ``node-role.kubernetes.io/master`` label.
* A pod without ``metadata.namespace`` (a manifest rather than a dump) is in ``default``,
  as the API server would place it.
* **Objects without** ``kind`` (:func:`object_kind`): items of a typed list
  (``kubectl get --raw /api/v1/pods``, the kubelet's ``/pods``: ``PodList`` items carry no
  ``kind``) take it from the list; anything else pasted without ``kind``/``apiVersion`` is
  read by its shape (``spec.containers`` -> Pod, ``status.nodeInfo`` -> Node, ``items`` ->
  a List), and the reader says so in a warning (:func:`kindless_warning`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from tracker.models import Container, ImageReference, Inventory, Node, Pod, Source, Workload

__all__ = [
    "CONTROL_PLANE_LABELS",
    "FINISHED_PHASES",
    "InventoryBuilder",
    "ObjectError",
    "is_unparsed",
    "is_version_object",
    "kindless_warning",
    "object_kind",
    "parse_image",
    "parse_node",
    "parse_pod",
    "parse_server_version",
    "resolve_workload",
]

FINISHED_PHASES = frozenset({"Succeeded", "Failed"})
"""Pod phases whose containers no longer run; such pods are left out of the inventory."""

CONTROL_PLANE_LABELS = (
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
)
"""Node labels that mark a control-plane node (``master`` before Kubernetes 1.20)."""

_CRONJOB_JOB_RE = re.compile(r"^(?P<cronjob>.+)-(?P<time>\d{8,})$")


class ObjectError(ValueError):
    """A Kubernetes object lacks a required field or has one of the wrong type.

    The message names the object (``Pod gitlab/foo``) and the field
    (``spec.containers``); callers add the file or request and raise a ``TrackerError``.
    Names come from the cluster (untrusted): control characters, escape sequences and
    bidirectional overrides in the message are shown escaped (:func:`tracker.text.for_terminal`),
    so the message stays one line.
    """

    def __init__(self, message: str) -> None:
        from tracker.text import for_terminal

        super().__init__(for_terminal(message))


def _str_map(value: Any) -> dict[str, str]:
    """A labels/annotations mapping with string values (YAML may give ints/bools)."""
    if not isinstance(value, dict):
        return {}
    if all(isinstance(v, str) for v in value.values()):
        return value
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@lru_cache(maxsize=16384)
def _parse_image_cached(raw: str) -> ImageReference | str:
    try:
        return ImageReference.parse(raw)
    except ValueError as exc:
        return str(exc)


def parse_image(raw: str) -> tuple[ImageReference, str | None]:
    """Parse an image reference without ever raising.

    Returns:
        ``(reference, None)`` when ``raw`` parses, else ``(unparsed, reason)`` where
        ``unparsed`` has ``raw`` set and empty ``registry``/``repository`` (see
        :func:`is_unparsed`) and ``reason`` is ImageReference.parse's message.

    >>> parse_image("nginx")[0].name
    'docker.io/library/nginx'
    >>> ref, reason = parse_image("bad image")
    >>> is_unparsed(ref), ref.raw, reason
    (True, 'bad image', "image reference 'bad image' is empty or contains spaces")
    """
    result = _parse_image_cached(raw)
    if isinstance(result, ImageReference):
        return result, None
    return ImageReference(raw=raw, registry="", repository=""), result


def is_unparsed(ref: ImageReference) -> bool:
    """True for the placeholder :func:`parse_image` returns for an unparseable reference."""
    return not ref.repository


LIST_ITEM_KINDS = {"PodList": "Pod", "NodeList": "Node"}
"""Typed list kinds whose items the API server sends without ``kind``."""


def object_kind(
    obj: Mapping[str, Any], list_kind: str | None = None
) -> tuple[str | None, str | None]:
    """The kind of a Kubernetes object, and where it came from when the object has none.

    Args:
        obj: the object as decoded.
        list_kind: the ``kind`` of the list holding it (``PodList``), if any.

    Returns:
        ``(kind, None)`` when ``obj`` carries its own ``kind``; ``(kind, how)`` when it was
        taken from the list or from the object's shape (``how`` is a phrase for the
        warning); ``(None, None)`` when neither tells.

    >>> object_kind({"kind": "Pod", "spec": {}})
    ('Pod', None)
    >>> object_kind({"metadata": {"name": "x"}}, "PodList")
    ('Pod', 'from its list PodList')
    >>> object_kind({"metadata": {}, "spec": {"containers": []}})
    ('Pod', 'from its shape (spec.containers)')
    >>> object_kind({"metadata": {}, "status": {"nodeInfo": {"kubeletVersion": "v1.29.3"}}})
    ('Node', 'from its shape (status.nodeInfo)')
    >>> object_kind({"metadata": {}, "items": []})
    ('List', 'from its shape (items)')
    >>> object_kind({"data": {"a": "b"}})
    (None, None)
    """
    kind = obj.get("kind")
    if isinstance(kind, str) and kind:
        return kind, None
    if list_kind in LIST_ITEM_KINDS:
        return LIST_ITEM_KINDS[list_kind], f"from its list {list_kind}"
    spec, status = obj.get("spec"), obj.get("status")
    if isinstance(spec, dict) and isinstance(spec.get("containers"), list):
        return "Pod", "from its shape (spec.containers)"
    if isinstance(status, dict) and isinstance(status.get("nodeInfo"), dict):
        return "Node", "from its shape (status.nodeInfo)"
    if isinstance(obj.get("items"), list):
        return "List", "from its shape (items)"
    return None, None


def kindless_warning(source: str, counts: Mapping[tuple[str, str], int]) -> str:
    """One warning line for the objects of ``source`` whose kind was inferred.

    Args:
        source: the file or request (``prod.json``).
        counts: ``(kind, how) -> number of objects`` from :func:`object_kind`.

    >>> kindless_warning("pods.json", {("Pod", "from its shape (spec.containers)"): 3})
    'pods.json: 3 object(s) without kind: read as Pod from its shape (spec.containers)'
    """
    total = sum(counts.values())
    parts = "; ".join(
        f"{kind} {how}" if n == total else f"{n} as {kind} {how}"
        for (kind, how), n in sorted(counts.items())
    )
    return f"{source}: {total} object(s) without kind: read as {parts}"


def is_version_object(obj: Mapping[str, Any]) -> bool:
    """True for a ``/version`` response or ``kubectl version -o json`` output.

    >>> is_version_object({"major": "1", "minor": "29", "gitVersion": "v1.29.6+k3s1"})
    True
    >>> is_version_object({"clientVersion": {}, "serverVersion": {}})
    True
    >>> is_version_object({"kind": "Pod"})
    False
    """
    if "kind" in obj:
        return False
    return "gitVersion" in obj or "serverVersion" in obj or "clientVersion" in obj


def parse_server_version(obj: Mapping[str, Any]) -> str:
    """The server's raw ``gitVersion`` from ``/version`` or ``kubectl version -o json``.

    Raises:
        ObjectError: no server ``gitVersion`` (e.g. ``kubectl version --client`` output).

    >>> parse_server_version({"gitVersion": "v1.29.6+k3s1"})
    'v1.29.6+k3s1'
    >>> parse_server_version({"serverVersion": {"gitVersion": "v1.16.15-eks-ad4801"}})
    'v1.16.15-eks-ad4801'
    """
    if "serverVersion" in obj or "clientVersion" in obj:
        server = obj.get("serverVersion")
        if not isinstance(server, dict):
            raise ObjectError("kubectl version output has no serverVersion (client-only output)")
        obj = server
    version = obj.get("gitVersion")
    if not isinstance(version, str) or not version.strip():
        raise ObjectError("version object has no gitVersion string")
    return version.strip()


def _name(obj: Mapping[str, Any], kind: str) -> tuple[dict[str, Any], str]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        raise ObjectError(f"{kind} has no metadata object")
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise ObjectError(f"{kind} has no metadata.name")
    return metadata, name


def parse_node(obj: Mapping[str, Any]) -> tuple[Node, str | None]:
    """Turn a Node object into a :class:`~tracker.models.Node`.

    Returns:
        ``(node, warning)``; ``warning`` is set when ``status.nodeInfo.kubeletVersion`` is
        missing (``kubectl neat`` output, a node still registering): the node is kept with
        ``kubelet_version == ""``.

    Raises:
        ObjectError: no ``metadata.name``.
    """
    metadata, name = _name(obj, "Node")
    labels = _str_map(metadata.get("labels"))
    info = _dict(_dict(obj.get("status")).get("nodeInfo"))
    kubelet = info.get("kubeletVersion")
    warning = None
    if not isinstance(kubelet, str) or not kubelet:
        kubelet = ""
        warning = f"Node {name}: no status.nodeInfo.kubeletVersion; kubelet version unknown"
    node = Node(
        name=name,
        kubelet_version=kubelet,
        kube_proxy_version=_opt_str(info.get("kubeProxyVersion")),
        container_runtime=_opt_str(info.get("containerRuntimeVersion")),
        os_image=_opt_str(info.get("osImage")),
        kernel_version=_opt_str(info.get("kernelVersion")),
        architecture=_opt_str(info.get("architecture")),
        labels=labels,
        control_plane=any(label in labels for label in CONTROL_PLANE_LABELS),
        provider_id=_opt_str(_dict(obj.get("spec")).get("providerID")),
    )
    return node, warning


def _controller_ref(metadata: Mapping[str, Any]) -> dict[str, Any] | None:
    refs = metadata.get("ownerReferences")
    if not isinstance(refs, list):
        return None
    owners: list[dict[str, Any]] = [
        r for r in refs if isinstance(r, dict) and r.get("kind") and r.get("name")
    ]
    for ref in owners:
        if ref.get("controller") is True:
            return ref
    return owners[0] if owners else None


def resolve_workload(
    metadata: Mapping[str, Any],
    namespace: str,
    name: str,
    node_name: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Workload:
    """The workload a pod belongs to, following the owner rules in the module docstring.

    ``labels`` are the pod's labels when already converted (else read from ``metadata``).

    >>> meta = {"labels": {"pod-template-hash": "5ffcc7f99f"}, "ownerReferences": [
    ...     {"kind": "ReplicaSet", "name": "gitlab-cert-manager-5ffcc7f99f", "controller": True}]}
    >>> str(resolve_workload(meta, "gitlab", "gitlab-cert-manager-5ffcc7f99f-2kr6b"))
    'Deployment/gitlab-cert-manager'
    >>> meta = {"ownerReferences": [{"kind": "Job", "name": "github-stargazers-1645570800"}]}
    >>> str(resolve_workload(meta, "marketing", "github-stargazers-1645570800-2vrk4"))
    'CronJob/github-stargazers'
    >>> str(resolve_workload({}, "default", "hellopod"))
    'Pod/hellopod'
    """
    ref = _controller_ref(metadata)
    if ref is None:
        return Workload("Pod", name, namespace)
    kind, owner = str(ref["kind"]), str(ref["name"])
    if kind == "ReplicaSet":
        if labels is None:
            labels = _str_map(metadata.get("labels"))
        template_hash = labels.get("pod-template-hash")
        if template_hash and owner.endswith(f"-{template_hash}"):
            return Workload("Deployment", owner[: -len(template_hash) - 1], namespace)
    elif kind == "Job":
        match = _CRONJOB_JOB_RE.match(owner)
        if match:
            return Workload("CronJob", match["cronjob"], namespace)
    elif kind == "Node":
        base = name
        for suffix in (node_name, owner):
            if suffix and name.endswith(f"-{suffix}"):
                base = name[: -len(suffix) - 1]
                break
        return Workload("StaticPod", base, namespace)
    return Workload(kind, owner, namespace)


def _image_ids(status: Mapping[str, Any], key: str) -> dict[str, str]:
    statuses = status.get(key)
    if not isinstance(statuses, list):
        return {}
    out: dict[str, str] = {}
    for s in statuses:
        if isinstance(s, dict) and isinstance(s.get("name"), str):
            image_id = s.get("imageID")
            if isinstance(image_id, str) and image_id:
                out[s["name"]] = image_id
    return out


def _containers(
    specs: Any, field: str, ids: Mapping[str, str], where: str, warnings: list[str]
) -> list[Container]:
    if specs is None:
        return []
    if not isinstance(specs, list):
        raise ObjectError(f"{where}: {field} is not a list")
    out: list[Container] = []
    init = field == "spec.initContainers"
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise ObjectError(f"{where}: {field}[{i}] is not an object")
        cname = spec.get("name")
        if not isinstance(cname, str) or not cname:
            raise ObjectError(f"{where}: {field}[{i}] has no name")
        raw = spec.get("image")
        if not isinstance(raw, str) or not raw:
            raise ObjectError(f"{where}: container {cname} has no image")
        image, reason = parse_image(raw)
        if reason is not None:
            warnings.append(
                f"{where} container {cname}: unparseable image reference {raw!r} ({reason}); "
                "listed as unidentified"
            )
        out.append(
            Container(
                name=cname,
                image=image,
                image_id=ids.get(cname),
                init=init,
                sidecar=init and spec.get("restartPolicy") == "Always",
            )
        )
    return out


def parse_pod(obj: Mapping[str, Any]) -> tuple[Pod, list[str]]:
    """Turn a Pod object into a :class:`~tracker.models.Pod`.

    Returns:
        ``(pod, warnings)``; warnings name the pod and container of each unparseable image
        reference (the container is kept, see :func:`parse_image`).

    Raises:
        ObjectError: no ``metadata.name``, no ``spec``, ``spec.containers`` missing or
            empty, or a container without name or image.
    """
    metadata, name = _name(obj, "Pod")
    namespace = metadata.get("namespace")
    if not isinstance(namespace, str) or not namespace:
        namespace = "default"
    where = f"Pod {namespace}/{name}"
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise ObjectError(f"{where} has no spec")
    if not spec.get("containers"):
        raise ObjectError(f"{where} has no spec.containers")
    status = _dict(obj.get("status"))
    node_name = _opt_str(spec.get("nodeName"))
    labels = _str_map(metadata.get("labels"))
    warnings: list[str] = []
    containers = _containers(
        spec["containers"],
        "spec.containers",
        _image_ids(status, "containerStatuses"),
        where,
        warnings,
    )
    containers += _containers(
        spec.get("initContainers"),
        "spec.initContainers",
        _image_ids(status, "initContainerStatuses"),
        where,
        warnings,
    )
    pod = Pod(
        namespace=namespace,
        name=name,
        workload=resolve_workload(metadata, namespace, name, node_name, labels),
        containers=tuple(containers),
        labels=labels,
        annotations=_str_map(metadata.get("annotations")),
        node_name=node_name,
        phase=_opt_str(status.get("phase")),
    )
    return pod, warnings


class InventoryBuilder:
    """Collects parsed nodes, pods, the server version and warnings into one Inventory.

    Both sources feed objects one at a time (a page or a file at a time), so memory stays
    proportional to the parsed result, not to the raw JSON. Duplicates (the same pod or
    node in two dump files) are kept once and counted in one warning.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, Node] = {}
        self._pods: dict[tuple[str, str], Pod] = {}
        self._warnings: list[str] = []
        self._server_version: str | None = None
        self._finished = 0
        self._duplicates = 0

    @property
    def server_version(self) -> str | None:
        """The server ``gitVersion`` recorded so far, or None."""
        return self._server_version

    def warn(self, line: str) -> None:
        """Record one warning line."""
        self._warnings.append(line)

    def add_node(self, obj: Mapping[str, Any]) -> None:
        """Parse and add a Node object. Raises :class:`ObjectError` (see :func:`parse_node`)."""
        node, warning = parse_node(obj)
        if warning:
            self._warnings.append(warning)
        if node.name in self._nodes:
            self._duplicates += 1
            return
        self._nodes[node.name] = node

    def add_pod(self, obj: Mapping[str, Any]) -> bool:
        """Parse and add a Pod object; False when it was left out as finished.

        Raises:
            ObjectError: see :func:`parse_pod` (checked for finished pods too).
        """
        pod, warnings = parse_pod(obj)
        if pod.phase in FINISHED_PHASES:
            self._finished += 1
            return False
        self._warnings.extend(warnings)
        key = (pod.namespace, pod.name)
        if key in self._pods:
            self._duplicates += 1
            return True
        self._pods[key] = pod
        return True

    def set_server_version(self, version: str, where: str = "") -> None:
        """Record the server ``gitVersion``; a different second value is kept out with a warning."""
        if self._server_version is None:
            self._server_version = version
        elif version != self._server_version:
            self._warnings.append(
                f"{where or 'version'}: server version {version} differs from "
                f"{self._server_version}; kept {self._server_version}"
            )

    @property
    def counts(self) -> tuple[int, int]:
        """``(nodes, pods)`` added so far (finished pods and duplicates not included)."""
        return len(self._nodes), len(self._pods)

    def namespaces(self) -> list[str]:
        """The namespaces of the pods added so far, sorted."""
        return sorted({namespace for namespace, _ in self._pods})

    def build(self, cluster: str, source: Source, scanned_at: datetime | None = None) -> Inventory:
        """The Inventory of everything added; ``scanned_at`` defaults to now (UTC)."""
        warnings = list(self._warnings)
        if self._finished:
            plural = "pod" if self._finished == 1 else "pods"
            warnings.append(
                f"left out {self._finished} finished {plural} (phase Succeeded/Failed: "
                "containers not running)"
            )
        if self._duplicates:
            warnings.append(f"ignored {self._duplicates} duplicate node/pod objects")
        return Inventory(
            cluster=cluster,
            source=source,
            scanned_at=scanned_at or datetime.now(UTC),
            server_version=self._server_version,
            nodes=tuple(self._nodes.values()),
            pods=tuple(self._pods.values()),
            warnings=tuple(warnings),
        )
