"""The fields of Kubernetes objects that tracker reads, as a msgspec schema.

Dumps (:mod:`tracker.inventory.kubectl_dump`) and the live API's pages
(:mod:`tracker.inventory.kubernetes_api`) decode through :func:`decode_reduced`, so the
fields no parser reads (``managedFields``, env, volumes, Secret data other than a Helm
release's) are never built as Python objects: a 500-pod page decodes in a fraction of a
full ``orjson.loads``, with a fraction of its memory. Names are the Kubernetes API's own
(camelCase, https://kubernetes.io/docs/reference/kubernetes-api/); values are kept exactly as
decoded (``Any``), and absent fields stay absent.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

__all__ = ["decode_reduced"]


# The fields tracker.inventory.parse reads, in the Kubernetes API's own (camelCase) names.
class _Owner(Struct):
    kind: Any = UNSET
    name: Any = UNSET
    controller: Any = UNSET


class _Container(Struct):
    name: Any = UNSET
    image: Any = UNSET
    restartPolicy: Any = UNSET


class _ContainerStatus(Struct):
    name: Any = UNSET
    imageID: Any = UNSET


class _NodeInfo(Struct):
    kubeletVersion: Any = UNSET
    kubeProxyVersion: Any = UNSET
    containerRuntimeVersion: Any = UNSET
    osImage: Any = UNSET
    kernelVersion: Any = UNSET
    architecture: Any = UNSET


class _Metadata(Struct):
    name: Any = UNSET
    namespace: Any = UNSET
    labels: Any = UNSET
    annotations: Any = UNSET
    ownerReferences: list[_Owner] | UnsetType = UNSET
    # a list's own metadata: the token of the next page (API concepts, "Retrieving large
    # results sets in chunks")
    continue_: Any = msgspec.field(default=UNSET, name="continue")


class _Spec(Struct):
    containers: list[_Container] | UnsetType = UNSET
    initContainers: list[_Container] | UnsetType = UNSET
    nodeName: Any = UNSET
    providerID: Any = UNSET


class _Status(Struct):
    phase: Any = UNSET
    containerStatuses: list[_ContainerStatus] | UnsetType = UNSET
    initContainerStatuses: list[_ContainerStatus] | UnsetType = UNSET
    nodeInfo: _NodeInfo | UnsetType = UNSET


class _Object(Struct):
    kind: Any = UNSET
    apiVersion: Any = UNSET
    metadata: _Metadata | UnsetType = UNSET
    spec: _Spec | UnsetType = UNSET
    status: _Status | UnsetType = UNSET
    type: Any = UNSET  # Helm release Secrets (type helm.sh/release.v1) carry their record
    data: Any = UNSET  # in data.release


class _Document(_Object):
    items: list[_Object] | UnsetType = UNSET
    gitVersion: Any = UNSET
    serverVersion: Any = UNSET
    clientVersion: Any = UNSET


_DECODER = msgspec.json.Decoder(_Document)


def decode_reduced(data: bytes) -> Any:
    """The JSON object ``data`` reduced to the fields tracker reads (plain dicts and lists),
    or None when the caller must take a full decode.

    msgspec decodes straight into the typed schema above, so fields no parser reads
    (``managedFields``, volumes, env, Secret data…) are never built: 3 to 4 times less memory
    than a full decode and faster. The schema names every field ``tracker.inventory.parse``
    reads (keep them in step: ``tests/inventory/test_kubectl_dump.py`` compares both paths);
    values are kept exactly as decoded (``Any``), absent fields stay absent. A document the
    schema does not fit (a field of an unexpected type, invalid JSON, too deep) returns None:
    the caller decodes it in full (a dump through :meth:`InputFile.parse_json`, whose errors
    name the file; a live page through orjson) and gets the same result. Numbers in
    skipped fields are checked for syntax only, so a number beyond a double's range there is
    accepted (orjson refuses it: the full path would). UTF-8 is NOT checked in skipped
    fields: the caller checks non-ASCII data first.
    """
    try:
        document = _DECODER.decode(data)
    except (msgspec.MsgspecError, RecursionError, ValueError, MemoryError):
        return None
    return msgspec.to_builtins(document)
