"""Live inventory from a cluster's API server, read-only, with the official client.

Requests (all ``GET``; the RBAC needed is ``get``/``list`` on nodes, pods and namespaces,
e.g. the built-in ``view`` ClusterRole plus ``list nodes``):

* ``/version`` -> server ``gitVersion``;
* ``/api/v1/nodes`` and ``/api/v1/pods``, paged with ``limit``/``continue``
  (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks);
* when the cluster-wide pod list is forbidden (403): ``/api/v1/namespaces`` and then
  ``/api/v1/namespaces/{ns}/pods`` each; a forbidden namespace becomes a warning (partial
  scan), not a failure, and is left out of the inventory's ``namespaces`` (so history shows
  its findings as not scanned). A forbidden node list is a warning too.
* with ``namespaces`` (``scan -n``, as kubectl does): only ``/api/v1/namespaces/{ns}/pods``
  and ``/api/v1/namespaces/{ns}/secrets`` of those namespaces, so a Role in them is enough;
  nodes and ``/version`` are still read (cluster-scoped).
* Helm 3 release Secrets, ``/api/v1/secrets?labelSelector=owner=helm`` (opt-in RBAC: the
  ``deploy/components/helm-releases`` Role grants Secrets per namespace, so when the
  cluster-wide list is forbidden each namespace that runs pods is asked, eight at a time;
  namespaces where it is forbidden are counted in one warning). Only the latest deployed
  revision of each release is decoded (:mod:`tracker.inventory.helm`).

The lists run concurrently (``/version``, nodes, pods and Secrets each in its own thread,
pages fetched ahead while the previous page is parsed), and every page is parsed as it
arrives, so the scan costs little more than its slowest list.

Responses are parsed as plain JSON (``_preload_content=False``, then reduced to the fields
tracker reads by :mod:`tracker.inventory.schema`, else ``orjson.loads``), never through the
client's model classes, which take minutes on 10,000 pods (design.md §6
item 10); every page goes through :mod:`tracker.inventory.parse`. The requests go through
the client's ``ApiClient`` (:class:`tracker.inventory.api_get.CoreReads`), not its
generated ``CoreV1Api``, whose import alone costs about 0.6 s.

Configuration: in-cluster (service account) when ``KUBERNETES_SERVICE_HOST`` is set and
neither a kubeconfig nor a context is given; else the kubeconfig (``--kubeconfig``, else
``$KUBECONFIG``, else ``~/.kube/config``) and its current context or ``--context``. The
kubeconfig is never written back (``persist_config=False``). urllib3 retries are limited
(one connect retry, no read retries) and the connect timeout is at most 5 s, so an
unreachable server fails in seconds.

The kubeconfig's shape is checked first (:func:`kubeconfig_shape_problem`), so a malformed
file is one line naming the file and field, not a TypeError from the client. During a scan
the client's and urllib3's log records are kept off the terminal (and logging is restored
afterwards); a failing exec credential plugin, which the client only logs, is reported
itself, without the plugin's output.

The inventory's ``server`` is that same ``host:port`` (the store uses it to tell two
clusters claiming one name apart). Error messages name the server as ``host:port`` only;
tokens, client certificates and exec-plugin output never appear in them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import urllib3
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as _k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from tracker.errors import ClusterAPIError, ConfigError
from tracker.inventory.api_get import CoreReads
from tracker.inventory.helm import read_helm_releases
from tracker.inventory.kubeconfig import (
    HINT_KUBECONFIG,
    ClientLogs,
    first_line,
    kubeconfig_shape_problem,
    quiet_client_logs,
    safe_config_message,
)
from tracker.inventory.parse import InventoryBuilder, ObjectError, parse_server_version
from tracker.inventory.prefetch import Prefetch
from tracker.inventory.schema import decode_reduced
from tracker.models import Inventory, NamespaceScope, Source

__all__ = ["KubernetesAPI", "kubeconfig_shape_problem"]

k8s_config: Any = _k8s_config  # its loader functions are untyped

_CONNECT_TIMEOUT_MAX = 5.0
_HINT_UNREACHABLE = "check the cluster is running and the kubeconfig server URL is reachable"
_HINT_401 = "refresh your kubeconfig credentials (e.g. your cloud's get-credentials command)"
_HINT_403 = "grant get/list on nodes, pods and namespaces (e.g. the view ClusterRole)"
_ALL_PODS = "listing pods in all namespaces"
_HELM_WHAT = "listing Helm release Secrets"


def _status_message(exc: ApiException) -> str:
    """The ``message`` of the Status object in an error response body, if any."""
    try:
        body = json.loads(exc.body or "")
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return first_line(message) if isinstance(message, str) else ""


class KubernetesAPI:
    """An :class:`~tracker.inventory.base.InventorySource` reading a live cluster.

    Args:
        kubeconfig: kubeconfig file; None: ``$KUBECONFIG`` or ``~/.kube/config`` (or the
            in-cluster service account, see the module docstring).
        context: kubeconfig context; None: the current context.
        cluster: the cluster name; default the context name (``in-cluster`` in a pod).
        page_size: ``limit`` per list request (items).
        timeout_seconds: read timeout per request, in seconds (connect: at most 5 s).
        read_helm: also read Helm release Secrets (see the module docstring).
        namespaces: read pods and Helm Secrets of these namespaces only (empty: every one).

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
        read_helm: bool = True,
        namespaces: Iterable[str] = (),
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
        self.read_helm = read_helm
        self.namespaces = tuple(dict.fromkeys(namespaces))
        self._server = "the API server"
        self._exec_plugin = "?"

    # -- configuration -------------------------------------------------------------

    def _configure(self, logs: ClientLogs) -> tuple[Any, str]:
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
                name = self._load_kubeconfig(cfg, logs)
        except ConfigException as exc:
            where = "in-cluster config" if in_cluster else f"kubeconfig {self._kubeconfig_label()}"
            raise ClusterAPIError(
                f"{where}: {safe_config_message(str(exc))}",
                "pass --kubeconfig/--context for a valid context, or use --from-dump",
            ) from None
        except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
            # The client indexes the parsed YAML without checking types; what our shape
            # check does not catch lands here. The exception text is not shown: a
            # ValueError may quote a value (e.g. a malformed base64 certificate or token).
            where = "in-cluster config" if in_cluster else f"kubeconfig {self._kubeconfig_label()}"
            raise ClusterAPIError(
                f"{where} has an unexpected structure (the kubernetes client failed with "
                f"{type(exc).__name__})",
                HINT_KUBECONFIG,
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

    def _check_kubeconfig_files(self, path: str) -> list[Any]:
        """Parse each kubeconfig file of ``path`` (``os.pathsep``-separated) and check its
        shape; returns the parsed documents in order. Raises ClusterAPIError, or
        yaml.YAMLError for invalid YAML."""
        docs: list[Any] = []
        for part in path.split(os.pathsep):
            file = Path(part).expanduser() if part else None
            if file is None or not file.is_file():
                continue
            try:
                doc = yaml.safe_load(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
                raise ClusterAPIError(
                    f"cannot read kubeconfig {file}: {reason}", HINT_KUBECONFIG
                ) from None
            problem = kubeconfig_shape_problem(doc)
            if problem:
                raise ClusterAPIError(f"kubeconfig {file}: {problem}", HINT_KUBECONFIG)
            docs.append(doc)
        return docs

    @staticmethod
    def _exec_command(docs: list[Any], context: Any) -> str:
        """The ``exec.command`` of the context's user (first file defining it), or ``?``."""
        body = context.get("context") if isinstance(context, dict) else None
        user = body.get("user") if isinstance(body, dict) else None
        for doc in docs:
            for entry in (doc or {}).get("users") or []:
                if entry.get("name") == user:
                    plugin = entry["user"].get("exec")
                    return str(plugin["command"]) if isinstance(plugin, dict) else "?"
        return "?"

    def _exec_error(self, reason: str) -> ClusterAPIError:
        return ClusterAPIError(
            f"the kubeconfig's exec credential plugin {self._exec_plugin!r} failed: {reason}",
            "check the plugin is installed and works, or log in again "
            "(e.g. your cloud's get-credentials / login command)",
        )

    def _load_kubeconfig(self, cfg: Any, logs: ClientLogs) -> str:
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
        docs = self._check_kubeconfig_files(path)
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
        active = next(
            (c for c in contexts or [] if isinstance(c, dict) and c.get("name") == self.context),
            None,
        )
        self._exec_plugin = self._exec_command(docs, active if self.context else current)
        failure = logs.exec_failure()
        if failure:
            # The client only logs a failing plugin and goes on without credentials, which
            # ends in a misleading 401 or connection error: report the plugin instead.
            raise self._exec_error(failure)
        if self.context is not None:
            return self.context
        return str((current or {}).get("name") or "default")

    # -- requests --------------------------------------------------------------------

    def _timeout(self) -> tuple[float, float]:
        return (min(self.timeout_seconds, _CONNECT_TIMEOUT_MAX), self.timeout_seconds)

    def _get_json(self, call: Callable[..., Any], what: str, **kwargs: Any) -> Any:
        """Call one client method raw and decode its JSON body; map errors.

        The body is decoded to the fields tracker reads (:mod:`tracker.inventory.schema`),
        a 500-pod page in a fraction of a full decode; a body the schema does not fit is
        decoded in full, with the same result."""
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
            if not data.isascii():  # the reduced decode skips fields without checking UTF-8
                data.decode("utf-8")
            reduced = decode_reduced(data)
            return reduced if reduced is not None else orjson.loads(data)
        except ValueError:  # UnicodeDecodeError and orjson.JSONDecodeError are ValueErrors
            raise ClusterAPIError(
                f"API server {self._server} sent a response that is not JSON while {what}",
                "check the kubeconfig server URL points at a Kubernetes API server",
            ) from None

    def _network_error(self, exc: Exception, what: str) -> ClusterAPIError:
        reason: Any = getattr(exc, "reason", None) or exc
        # NewConnectionError subclasses ConnectTimeoutError in urllib3 2.x: test it first.
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            detail = first_line(str(reason).rpartition(": ")[2]) or "connection failed"
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
        """Read ``/version``, all nodes, the pods and Helm releases (of every namespace, or
        of ``namespaces``); return the inventory.

        Raises:
            ClusterAPIError: see the class docstring.
        """
        builder = InventoryBuilder()
        helm: tuple[list[dict[str, Any]], list[str]] = ([], [])
        forbidden: list[str] = []
        with quiet_client_logs() as logs:
            cfg, context_name = self._configure(logs)
            prefetched: list[Prefetch] = []
            try:
                with k8s_client.ApiClient(configuration=cfg) as api_client:
                    core = version_api = CoreReads(api_client)
                    nodes = Prefetch(self._pages(core.list_node, "listing nodes"))
                    prefetched.append(nodes)
                    pods = secrets = None
                    if not self.namespaces:
                        pods = Prefetch(self._pages(core.list_pod_for_all_namespaces, _ALL_PODS))
                        prefetched.append(pods)
                    if not self.namespaces and self.read_helm:
                        secrets = Prefetch(
                            self._pages(
                                core.list_secret_for_all_namespaces,
                                _HELM_WHAT,
                                label_selector="owner=helm",
                            )
                        )
                        prefetched.append(secrets)
                    self._read_version(version_api, builder)
                    self._read_nodes(nodes, builder)
                    if pods is None:  # -n: only those namespaces are asked
                        forbidden = self._read_pods_in(core, self.namespaces, builder)
                        readable = [n for n in self.namespaces if n not in forbidden]
                        helm = self._read_helm_in(core, readable) if self.read_helm else helm
                    else:
                        forbidden = self._read_pods(core, pods, builder)
                    if secrets is not None:
                        helm = self._read_helm_secrets(core, secrets, builder)
            except ClusterAPIError:
                failure = logs.exec_failure()  # the plugin re-runs when its token expires
                if failure:
                    raise self._exec_error(failure) from None
                raise
            finally:
                for fetch in prefetched:
                    fetch.close()
        inventory = builder.build(self.cluster or context_name, Source.API)
        releases, helm_warnings = read_helm_releases(helm[0])
        return replace(
            inventory,
            server=self._server,
            helm_releases=releases,
            warnings=(*inventory.warnings, *helm[1], *helm_warnings),
            namespaces=NamespaceScope.listed(n for n in self.namespaces if n not in forbidden)
            if self.namespaces
            else NamespaceScope.all_but(forbidden),
        )

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

    def _read_nodes(self, pages: Iterable[list[Any]], builder: InventoryBuilder) -> None:
        what = "listing nodes"
        try:
            for items in pages:
                for obj in items:
                    self._add(builder.add_node, obj, what)
        except ApiException as exc:
            if exc.status == 403:
                builder.warn("listing nodes is forbidden; kubelet versions unknown")
                return
            raise self._api_error(exc, what) from None

    def _read_pods(
        self, core: Any, pages: Iterable[list[Any]], builder: InventoryBuilder
    ) -> list[str]:
        """Pods of every namespace; returns the namespaces whose pods are forbidden."""
        what = _ALL_PODS
        try:
            for items in pages:
                for obj in items:
                    self._add(builder.add_pod, obj, what)
            return []
        except ApiException as exc:
            if exc.status != 403:
                raise self._api_error(exc, what) from None
        return self._read_pods_per_namespace(core, builder)

    def _read_pods_per_namespace(self, core: Any, builder: InventoryBuilder) -> list[str]:
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
        forbidden = self._read_pods_in(core, namespaces, builder)
        if namespaces and len(forbidden) == len(namespaces):
            raise ClusterAPIError(
                f"forbidden to list pods in every namespace of API server {self._server}",
                _HINT_403,
            )
        return forbidden

    def _read_pods_in(
        self, core: Any, namespaces: Iterable[str], builder: InventoryBuilder
    ) -> list[str]:
        """The pods of each of ``namespaces``; returns those whose pods are forbidden (a
        warning each). Raises ClusterAPIError when every one asked for of ``self.namespaces``
        is forbidden."""
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
        if self.namespaces and forbidden and len(forbidden) == len(self.namespaces):
            raise ClusterAPIError(
                f"forbidden to list pods in namespace{'' if len(forbidden) == 1 else 's'} "
                f"{', '.join(forbidden)} of API server {self._server}",
                _HINT_403,
            )
        return forbidden

    def _read_helm_secrets(
        self, core: Any, pages: Iterable[list[Any]], builder: InventoryBuilder
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Helm release Secrets cluster-wide, else per namespace that runs pods (opt-in RBAC).

        Returns (secrets, warnings); a forbidden list is never an error (Helm is optional).
        """
        try:
            return [s for items in pages for s in items if isinstance(s, dict)], []
        except ApiException as exc:
            if exc.status != 403:
                error = self._api_error(exc, _HELM_WHAT)
                return [], [f"Helm releases not read: {error.message}"]
        return self._read_helm_in(core, builder.namespaces())

    def _read_helm_in(
        self, core: Any, namespaces: list[str]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Helm release Secrets of each of ``namespaces``, eight at a time; returns (secrets,
        warnings): namespaces where listing them is forbidden are counted in one warning."""

        def one(ns: str) -> list[dict[str, Any]] | None:
            what = f"listing Helm release Secrets in namespace {ns}"
            try:
                pages = self._pages(
                    core.list_namespaced_secret, what, namespace=ns, label_selector="owner=helm"
                )
                return [s for items in pages for s in items if isinstance(s, dict)]
            except ApiException:
                return None  # forbidden (or refused): counted in the warning below

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(one, namespaces))
        allowed = [r for r in results if r is not None]
        secrets = [s for r in allowed for s in r]
        if len(allowed) == len(namespaces):
            return secrets, []
        hint = "grant it per namespace with deploy/components/helm-releases"
        if not allowed:
            return [], [f"Helm releases not read: listing Secrets is forbidden ({hint})"]
        return secrets, [
            f"Helm releases read in {len(allowed)} of {len(namespaces)} namespaces; "
            f"listing Secrets is forbidden in the others ({hint})"
        ]

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
