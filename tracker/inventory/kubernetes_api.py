"""Live inventory from a cluster's API server, read-only, with the official client.

Requests (all ``GET``; the RBAC needed is ``get``/``list`` on nodes, pods and namespaces,
e.g. the built-in ``view`` ClusterRole plus ``list nodes``):

* ``/version`` -> server ``gitVersion``;
* ``/api/v1/nodes`` and ``/api/v1/pods``, paged with ``limit``/``continue``
  (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks);
* when the cluster-wide pod list is forbidden (403): ``/api/v1/namespaces`` and then
  ``/api/v1/namespaces/{ns}/pods`` each; a forbidden namespace becomes a warning (partial
  scan), not a failure. A forbidden node list is a warning too.

Responses are parsed as plain JSON (``_preload_content=False`` then ``json.loads``), never
through the client's model classes, which take minutes on 10,000 pods (design.md §6
item 10); every page goes through :mod:`tracker.inventory.parse`.

Configuration: in-cluster (service account) when ``KUBERNETES_SERVICE_HOST`` is set and
neither a kubeconfig nor a context is given; else the kubeconfig (``--kubeconfig``, else
``$KUBECONFIG``, else ``~/.kube/config``) and its current context or ``--context``. The
kubeconfig is never written back (``persist_config=False``). urllib3 retries are limited
(one connect retry, no read retries) and the connect timeout is at most 5 s, so an
unreachable server fails in seconds.

The inventory's ``server`` is that same ``host:port`` (the store uses it to tell two
clusters claiming one name apart). Error messages name the server as ``host:port`` only;
tokens, client certificates and exec-plugin output never appear in them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as _k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from tracker.errors import ClusterAPIError, ConfigError
from tracker.inventory.parse import InventoryBuilder, ObjectError, parse_server_version
from tracker.models import Inventory, Source

__all__ = ["KubernetesAPI"]

k8s_config: Any = _k8s_config  # its loader functions are untyped

_CONNECT_TIMEOUT_MAX = 5.0
_HINT_UNREACHABLE = "check the cluster is running and the kubeconfig server URL is reachable"
_HINT_401 = "refresh your kubeconfig credentials (e.g. your cloud's get-credentials command)"
_HINT_403 = "grant get/list on nodes, pods and namespaces (e.g. the view ClusterRole)"


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


def _status_message(exc: ApiException) -> str:
    """The ``message`` of the Status object in an error response body, if any."""
    try:
        body = json.loads(exc.body or "")
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return _first_line(message) if isinstance(message, str) else ""


class KubernetesAPI:
    """An :class:`~tracker.inventory.base.InventorySource` reading a live cluster.

    Args:
        kubeconfig: kubeconfig file; None: ``$KUBECONFIG`` or ``~/.kube/config`` (or the
            in-cluster service account, see the module docstring).
        context: kubeconfig context; None: the current context.
        cluster: the cluster name; default the context name (``in-cluster`` in a pod).
        page_size: ``limit`` per list request (items).
        timeout_seconds: read timeout per request, in seconds (connect: at most 5 s).

    Raises:
        ConfigError: (constructor) ``page_size`` < 1 or ``timeout_seconds`` <= 0.
        ClusterAPIError: (:meth:`collect`) kubeconfig missing, invalid or without the
            context; server unreachable or timing out; credentials rejected (401); pods
            forbidden cluster-wide and in every namespace; a malformed response.
    """

    def __init__(
        self,
        kubeconfig: Path | None = None,
        context: str | None = None,
        cluster: str | None = None,
        page_size: int = 500,
        timeout_seconds: float = 30,
    ) -> None:
        if page_size < 1:
            raise ConfigError(f"page size {page_size} is not a positive number of items", "")
        if timeout_seconds <= 0:
            raise ConfigError(f"timeout {timeout_seconds} s is not positive", "")
        self.kubeconfig = kubeconfig
        self.context = context
        self.cluster = cluster
        self.page_size = page_size
        self.timeout_seconds = timeout_seconds
        self._server = "the API server"

    # -- configuration -------------------------------------------------------------

    def _configure(self) -> tuple[Any, str]:
        """A client Configuration and the context name; raises ClusterAPIError."""
        cfg = k8s_client.Configuration()
        in_cluster = (
            self.kubeconfig is None
            and self.context is None
            and bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        )
        try:
            if in_cluster:
                k8s_config.load_incluster_config(client_configuration=cfg)
                name = "in-cluster"
            else:
                name = self._load_kubeconfig(cfg)
        except ConfigException as exc:
            where = "in-cluster config" if in_cluster else f"kubeconfig {self._kubeconfig_label()}"
            raise ClusterAPIError(
                f"{where}: {_first_line(str(exc))}",
                "pass --kubeconfig/--context for a valid context, or use --from-dump",
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark else ""
            raise ClusterAPIError(
                f"kubeconfig {self._kubeconfig_label()} is not valid YAML{line}",
                "fix or regenerate the kubeconfig",
            ) from None
        cfg.retries = urllib3.Retry(
            total=1, connect=1, read=0, status=0, redirect=0, backoff_factor=0.2
        )
        parts = urlsplit(cfg.host or "")
        host = parts.hostname or "?"
        self._server = f"{host}:{parts.port}" if parts.port else host
        return cfg, name

    def _kubeconfig_label(self) -> str:
        if self.kubeconfig is not None:
            return str(self.kubeconfig)
        return os.environ.get("KUBECONFIG") or "~/.kube/config"

    def _load_kubeconfig(self, cfg: Any) -> str:
        if self.kubeconfig is not None:
            if not self.kubeconfig.is_file():
                raise ClusterAPIError(
                    f"kubeconfig {self.kubeconfig} not found", "pass an existing --kubeconfig"
                )
            path = str(self.kubeconfig)
        else:
            path = os.environ.get("KUBECONFIG") or "~/.kube/config"
            if not any(Path(p).expanduser().is_file() for p in path.split(os.pathsep) if p):
                raise ClusterAPIError(
                    f"no kubeconfig found at {path} and not running in a pod",
                    "pass --kubeconfig FILE, or scan offline with --from-dump FILE",
                )
        contexts, current = k8s_config.list_kube_config_contexts(config_file=path)
        if self.context is not None:
            names = [c.get("name") for c in contexts or [] if isinstance(c, dict)]
            if self.context not in names:
                raise ClusterAPIError(
                    f"kubeconfig {self._kubeconfig_label()} has no context {self.context!r}",
                    f"known contexts: {', '.join(str(n) for n in names) or 'none'}",
                )
        k8s_config.load_kube_config(
            config_file=path,
            context=self.context,
            client_configuration=cfg,
            persist_config=False,
        )
        if self.context is not None:
            return self.context
        return str((current or {}).get("name") or "default")

    # -- requests --------------------------------------------------------------------

    def _timeout(self) -> tuple[float, float]:
        return (min(self.timeout_seconds, _CONNECT_TIMEOUT_MAX), self.timeout_seconds)

    def _get_json(self, call: Callable[..., Any], what: str, **kwargs: Any) -> Any:
        """Call one client method raw and decode its JSON body; map errors."""
        try:
            response = call(_preload_content=False, _request_timeout=self._timeout(), **kwargs)
            try:
                data = response.data
            finally:
                response.release_conn()
        except ApiException:
            raise
        except urllib3.exceptions.HTTPError as exc:
            raise self._network_error(exc, what) from None
        try:
            return json.loads(data)
        except ValueError:
            raise ClusterAPIError(
                f"API server {self._server} sent a response that is not JSON while {what}",
                "check the kubeconfig server URL points at a Kubernetes API server",
            ) from None

    def _network_error(self, exc: Exception, what: str) -> ClusterAPIError:
        reason: Any = getattr(exc, "reason", None) or exc
        # NewConnectionError subclasses ConnectTimeoutError in urllib3 2.x: test it first.
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            detail = _first_line(str(reason).rpartition(": ")[2]) or "connection failed"
        elif isinstance(reason, urllib3.exceptions.TimeoutError):
            detail = "timed out"
        else:
            detail = type(reason).__name__
        return ClusterAPIError(
            f"cannot reach API server {self._server} while {what}: {detail}", _HINT_UNREACHABLE
        )

    def _api_error(self, exc: ApiException, what: str) -> ClusterAPIError:
        status = exc.status
        if status == 401:
            return ClusterAPIError(
                f"API server {self._server} rejected the credentials (401 Unauthorized) "
                f"while {what}",
                _HINT_401,
            )
        if status == 403:
            detail = _status_message(exc) or "403 Forbidden"
            return ClusterAPIError(f"forbidden while {what}: {detail}", _HINT_403)
        if status == 0:
            return ClusterAPIError(
                f"TLS error talking to API server {self._server} while {what}",
                "check certificate-authority / insecure-skip-tls-verify in the kubeconfig",
            )
        detail = _status_message(exc) or str(exc.reason or "")
        return ClusterAPIError(
            f"API server {self._server} answered {status} while {what}: {detail}".rstrip(": "),
            "retry later; check the API server's health",
        )

    def _pages(self, call: Callable[..., Any], what: str, **kwargs: Any) -> Iterator[list[Any]]:
        """Yield the ``items`` of each page of a list call, following ``continue``.

        A 410 Gone (the continue token expired between pages) restarts the list once.
        """
        restarted = False
        token: str | None = None
        while True:
            try:
                extra = {"_continue": token} if token else {}
                page = self._get_json(call, what, limit=self.page_size, **kwargs, **extra)
            except ApiException as exc:
                if exc.status == 410 and token and not restarted:
                    restarted, token = True, None
                    continue
                raise
            if not isinstance(page, dict) or not isinstance(page.get("items"), list | None):
                raise ClusterAPIError(
                    f"API server {self._server} sent a malformed list while {what}", ""
                )
            yield page.get("items") or []
            metadata = page.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, dict) else None
            if not token:
                return

    # -- collect ---------------------------------------------------------------------

    def collect(self) -> Inventory:
        """Read ``/version``, all nodes and all pods, and return the inventory.

        Raises:
            ClusterAPIError: see the class docstring.
        """
        cfg, context_name = self._configure()
        builder = InventoryBuilder()
        with k8s_client.ApiClient(configuration=cfg) as api_client:
            core = k8s_client.CoreV1Api(api_client)
            version_api = k8s_client.VersionApi(api_client)
            self._read_version(version_api, builder)
            self._read_nodes(core, builder)
            self._read_pods(core, builder)
        inventory = builder.build(self.cluster or context_name, Source.API)
        return replace(inventory, server=self._server)

    def _read_version(self, version_api: Any, builder: InventoryBuilder) -> None:
        what = "reading /version"
        try:
            body = self._get_json(version_api.get_code, what)
        except ApiException as exc:
            if exc.status == 403:
                builder.warn("reading /version is forbidden; server version unknown")
                return
            raise self._api_error(exc, what) from None
        try:
            builder.set_server_version(parse_server_version(body if isinstance(body, dict) else {}))
        except ObjectError:
            builder.warn("/version has no gitVersion; server version unknown")

    def _read_nodes(self, core: Any, builder: InventoryBuilder) -> None:
        what = "listing nodes"
        try:
            for items in self._pages(core.list_node, what):
                for obj in items:
                    self._add(builder.add_node, obj, what)
        except ApiException as exc:
            if exc.status == 403:
                builder.warn("listing nodes is forbidden; kubelet versions unknown")
                return
            raise self._api_error(exc, what) from None

    def _read_pods(self, core: Any, builder: InventoryBuilder) -> None:
        what = "listing pods in all namespaces"
        try:
            for items in self._pages(core.list_pod_for_all_namespaces, what):
                for obj in items:
                    self._add(builder.add_pod, obj, what)
            return
        except ApiException as exc:
            if exc.status != 403:
                raise self._api_error(exc, what) from None
        self._read_pods_per_namespace(core, builder)

    def _read_pods_per_namespace(self, core: Any, builder: InventoryBuilder) -> None:
        what = "listing namespaces (pods are forbidden cluster-wide)"
        namespaces: list[str] = []
        try:
            for items in self._pages(core.list_namespace, what):
                for obj in items:
                    meta = obj.get("metadata") if isinstance(obj, dict) else None
                    name = meta.get("name") if isinstance(meta, dict) else None
                    if isinstance(name, str) and name:
                        namespaces.append(name)
        except ApiException as exc:
            raise self._api_error(exc, what) from None
        forbidden: list[str] = []
        for ns in namespaces:
            ns_what = f"listing pods in namespace {ns}"
            try:
                for items in self._pages(core.list_namespaced_pod, ns_what, namespace=ns):
                    for obj in items:
                        self._add(builder.add_pod, obj, ns_what)
            except ApiException as exc:
                if exc.status != 403:
                    raise self._api_error(exc, ns_what) from None
                forbidden.append(ns)
                builder.warn(f"namespace {ns}: listing pods is forbidden; not scanned")
        if namespaces and len(forbidden) == len(namespaces):
            raise ClusterAPIError(
                f"forbidden to list pods in every namespace of API server {self._server}",
                _HINT_403,
            )

    def _add(self, add: Callable[[Any], object], obj: Any, what: str) -> None:
        if not isinstance(obj, dict):
            raise ClusterAPIError(
                f"API server {self._server} sent a list item that is not an object while {what}",
                "",
            )
        try:
            add(obj)
        except ObjectError as exc:
            raise ClusterAPIError(
                f"API server {self._server} sent a malformed object while {what}: {exc}",
                "report this with the object's kubectl get -o json output",
            ) from None
