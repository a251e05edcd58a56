"""Istio: control plane (istiod) per revision, gateways, and sidecar proxies.

Rules (design.md §3 roles, §4 identification), checked in this order per container:

1. ``istio-init`` / ``istio-validation`` init containers (and any other non-sidecar init
   container running ``proxyv2``) are part of sidecar injection: absorbed, never reported
   on their own and never unidentified.
2. A proxy (container named ``istio-proxy``, or an Istio ``proxyv2`` image) is a
   **gateway** (role ``gateway``) when the pod carries a gateway label (``istio:
   ingressgateway|egressgateway``, ``gateway.networking.k8s.io/gateway-name``,
   ``istio.io/gateway-name``) or the proxy is the pod's only regular container (its main
   container). Gateways are grouped per workload.
3. Any other proxy is a **sidecar** (role ``data-plane``), classic (in ``containers``) or
   native (an init container with ``restartPolicy: Always``). Sidecars are grouped across
   the cluster by proxy version and revision: one entry per running version,
   ``instances`` = pod count, ``detail`` = the namespaces. The revision comes from the
   ``sidecar.istio.io/status`` annotation's ``revision`` (else the ``istio.io/rev`` label).
4. ``pilot`` images are **istiod** (role ``control-plane``), revision = the pod's
   ``istio.io/rev`` label or ``default``; ``ztunnel`` and ``install-cni`` are node agents
   (role ``data-plane``, per workload); other Istio images (``operator``) are
   ``control-plane``.

Which images are Istio's comes from the ``istio`` catalogue entry, seen through mirrors
(:mod:`tracker.identify.mirrors`: ``harbor.corp/proxy/istio/pilot`` is istiod, flagged
``mirrored``); sidecars are recognized by container name whatever their registry.
"""

from __future__ import annotations

import json

from tracker.identify.base import Absorbed, Claim, image_version
from tracker.identify.mirrors import RepositoryIndex
from tracker.models import Container, Pod, Role

__all__ = ["DEFAULT_PROJECT", "IstioDetector", "sidecar_revision"]

DEFAULT_PROJECT = "istio/istio"
_ID = "istio"
_PROXY_NAME = "istio-proxy"
_INJECTION_INIT = frozenset({"istio-init", "istio-validation"})
_GATEWAY_ISTIO_LABELS = frozenset({"ingressgateway", "egressgateway"})
_GATEWAY_LABEL_KEYS = ("gateway.networking.k8s.io/gateway-name", "istio.io/gateway-name")
_STATUS_ANNOTATION = "sidecar.istio.io/status"
_REV_LABEL = "istio.io/rev"


class IstioDetector:
    """Claims Istio's containers (see the module docstring for the rules)."""

    def __init__(self, index: RepositoryIndex, project: str | None) -> None:
        self._index = index
        self._project = project or DEFAULT_PROJECT

    def claim(self, pod: Pod, container: Container) -> Claim | Absorbed | None:
        """Return the Istio claim for ``container``, :class:`Absorbed` for injection
        init containers, or None when it is not Istio's."""
        istio_image = self._index.matches(_ID, container.image)
        base = container.image.repository.rsplit("/", 1)[-1]
        is_proxy = container.name == _PROXY_NAME or (istio_image and base == "proxyv2")
        if container.init and not container.sidecar:
            if container.name in _INJECTION_INIT or (istio_image and base == "proxyv2"):
                return Absorbed("Istio sidecar injection init container")
            is_proxy = False
        version = image_version(container.image)
        mirrored = self._index.mirrored(container.image)
        if is_proxy:
            if _is_gateway(pod, container):
                return Claim(
                    _ID,
                    Role.GATEWAY,
                    version,
                    self._project,
                    revision=_pod_revision(pod),
                    mirrored=mirrored,
                )
            return Claim(
                _ID,
                Role.DATA_PLANE,
                version,
                self._project,
                revision=sidecar_revision(pod),
                cluster_wide=True,
                mirrored=mirrored,
            )
        if not istio_image:
            return None
        if base == "pilot":
            revision = pod.labels.get(_REV_LABEL) or "default"
            return Claim(
                _ID,
                Role.CONTROL_PLANE,
                version,
                self._project,
                revision=revision,
                mirrored=mirrored,
            )
        if base in ("ztunnel", "install-cni"):
            return Claim(
                _ID,
                Role.DATA_PLANE,
                version,
                self._project,
                revision=_pod_revision(pod),
                mirrored=mirrored,
            )
        return Claim(
            _ID,
            Role.CONTROL_PLANE,
            version,
            self._project,
            revision=_pod_revision(pod),
            mirrored=mirrored,
        )


def sidecar_revision(pod: Pod) -> str | None:
    """The Istio revision that injected ``pod``'s sidecar: ``revision`` of the
    ``sidecar.istio.io/status`` annotation (JSON), else the ``istio.io/rev`` label, else None.

    >>> from tracker.models import Workload
    >>> pod = Pod("ns", "p", Workload("Pod", "p", "ns"), (),
    ...           annotations={"sidecar.istio.io/status": '{"revision":"canary"}'})
    >>> sidecar_revision(pod)
    'canary'
    """
    raw = pod.annotations.get(_STATUS_ANNOTATION)
    if raw:
        try:
            status = json.loads(raw)
        except ValueError:
            status = None
        if isinstance(status, dict):
            revision = status.get("revision")
            if isinstance(revision, str) and revision:
                return revision
    return pod.labels.get(_REV_LABEL) or None


def _pod_revision(pod: Pod) -> str | None:
    return pod.labels.get(_REV_LABEL) or sidecar_revision(pod)


def _is_gateway(pod: Pod, container: Container) -> bool:
    if pod.labels.get("istio") in _GATEWAY_ISTIO_LABELS:
        return True
    if any(key in pod.labels for key in _GATEWAY_LABEL_KEYS):
        return True
    if container.init:
        return False
    regular = [c for c in pod.containers if not c.init]
    return len(regular) == 1 and regular[0] is container
