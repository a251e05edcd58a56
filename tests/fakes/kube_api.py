"""A local fake Kubernetes API server for driving the real ``kubernetes`` client in tests.

It listens on 127.0.0.1 on an ephemeral port (a thread running ``http.server``) and serves,
read-only, what a real API server returns for:

* ``GET /version``
* ``GET /api/v1/nodes``, ``/api/v1/pods``, ``/api/v1/namespaces``,
  ``/api/v1/namespaces/{ns}/pods`` as typed lists (``NodeList``, ``PodList``,
  ``NamespaceList``; items without ``kind``/``apiVersion``, like the real server), with
  ``limit``/``continue`` paging: ``metadata.continue`` (an opaque token bound to the
  path) and ``metadata.remainingItemCount`` while more items remain; a bad token is a 400,
  an "expired" one (see ``expire_continue``) a 410 ``Expired`` Status.

Errors are real-shaped ``Status`` objects: 401 when ``unauthorized`` is set or the bearer
token differs from ``token``; 403 for the cluster-wide pod list when
``forbid_cluster_pods`` is set, and for ``/api/v1/namespaces/{ns}/pods`` of each namespace
in ``forbidden_namespaces``; 405 for any method but GET. Every request is recorded in
``requests`` (method, path, query, Authorization header) so tests can assert paging and
read-only use.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeKubeAPI", "RecordedRequest", "write_kubeconfig"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake server received."""

    method: str
    path: str
    query: Mapping[str, str]
    authorization: str | None


def _status(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }


def _strip_kind(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


@dataclass
class FakeKubeAPI:
    """The fake server's data and behaviour; use as a context manager to run it.

    Attributes:
        pods, nodes: Kubernetes objects (as ``kubectl get -o json`` items).
        version: the ``/version`` body.
        token: the bearer token accepted (None: any or none).
        unauthorized: answer 401 to everything.
        forbid_cluster_pods: answer 403 to ``/api/v1/pods``.
        forbidden_namespaces: answer 403 to these namespaces' pod lists.
        secrets: Secret objects served by ``/api/v1/secrets`` (``labelSelector`` of the
            ``key=value`` form is applied).
        forbid_secrets: answer 403 to ``/api/v1/secrets`` (the default RBAC grants no
            Secrets) and to every namespace's Secrets but those in ``secret_namespaces``
            (the opt-in per-namespace Role).
        expire_continue: answer 410 to the first request carrying a continue token.
        requests: every request received, in order.
    """

    pods: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    version: dict[str, Any] = field(default_factory=lambda: {"gitVersion": "v1.29.6+k3s1"})
    token: str | None = None
    unauthorized: bool = False
    forbid_cluster_pods: bool = False
    forbidden_namespaces: frozenset[str] = frozenset()
    expire_continue: bool = False
    secrets: list[dict[str, Any]] = field(default_factory=list)
    forbid_secrets: bool = False
    secret_namespaces: frozenset[str] = frozenset()
    requests: list[RecordedRequest] = field(default_factory=list)
    resource_version: str = "274560999"

    def __post_init__(self) -> None:
        self.pods = sorted((_strip_kind(p) for p in self.pods), key=_key)
        self.nodes = sorted((_strip_kind(n) for n in self.nodes), key=_key)
        self.secrets = sorted((_strip_kind(s) for s in self.secrets), key=_key)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_realdata(cls, realdata: Path, **kwargs: Any) -> FakeKubeAPI:
        """Serve the real GKE pod and node lists and the k3s ``/version`` of the real data."""
        pods = json.loads(
            (realdata / "pods/gke-v1.18.19-kubevious-samples.podlist.json").read_text()
        )
        nodes = json.loads((realdata / "nodes/gke-v1.18.19-gke.1701.nodelist.json").read_text())
        version = json.loads(
            (realdata / "version/k3s-rancher-desktop-v1.29.6+k3s1.version.json").read_text()
        )
        kwargs.setdefault("version", version)
        return cls(pods=pods["items"], nodes=nodes["items"], **kwargs)

    # -- lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeKubeAPI:
        """Start serving in a daemon thread; returns self."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body in separate writes
            wbufsize = 1 << 16

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def _other(self) -> None:
                fake._handle(self, self.command)

            do_POST = do_PUT = do_PATCH = do_DELETE = _other

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeKubeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling -----------------------------------------------------------

    def namespaces(self) -> list[str]:
        """The namespaces the pods are in, plus ``default``, sorted."""
        return sorted({_key(p)[0] for p in self.pods} | {"default"})

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        auth = h.headers.get("Authorization")
        length = int(h.headers.get("Content-Length") or 0)
        if length:
            h.rfile.read(length)
        with self._lock:
            self.requests.append(RecordedRequest(method, parts.path, query, auth))
        code, body = self._route(method, parts.path, query, auth)
        data = json.dumps(body).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _route(
        self, method: str, path: str, query: Mapping[str, str], auth: str | None
    ) -> tuple[int, dict[str, Any]]:
        if self.unauthorized or (self.token is not None and auth != f"Bearer {self.token}"):
            return 401, _status(401, "Unauthorized", "Unauthorized")
        if method != "GET":
            return 405, _status(405, "MethodNotAllowed", "the server does not allow this method")
        if path in ("/version", "/version/"):
            return 200, self.version
        if path == "/api/v1/nodes":
            return self._list("NodeList", path, self.nodes, query)
        if path == "/api/v1/namespaces":
            items = [
                {
                    "metadata": {"name": ns},
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                }
                for ns in self.namespaces()
            ]
            return self._list("NamespaceList", path, items, query)
        if path == "/api/v1/secrets":
            if self.forbid_secrets:
                return 403, _status(
                    403,
                    "Forbidden",
                    'secrets is forbidden: User "system:serviceaccount:tracker:tracker" cannot '
                    'list resource "secrets" in API group "" at the cluster scope',
                    {"kind": "secrets"},
                )
            return self._list("SecretList", path, self._secrets(None, query), query)
        if path == "/api/v1/pods":
            if self.forbid_cluster_pods:
                return 403, _status(
                    403,
                    "Forbidden",
                    'pods is forbidden: User "system:serviceaccount:tracker:tracker" cannot '
                    'list resource "pods" in API group "" at the cluster scope',
                    {"kind": "pods"},
                )
            return self._list("PodList", path, self.pods, query)
        segments = path.strip("/").split("/")
        if (
            len(segments) == 5
            and segments[:3] == ["api", "v1", "namespaces"]
            and segments[4] == "secrets"
        ):
            ns = segments[3]
            if self.forbid_secrets and ns not in self.secret_namespaces:
                return 403, _status(
                    403,
                    "Forbidden",
                    'secrets is forbidden: User "system:serviceaccount:tracker:tracker" cannot '
                    f'list resource "secrets" in API group "" in the namespace "{ns}"',
                    {"kind": "secrets"},
                )
            return self._list("SecretList", path, self._secrets(ns, query), query)
        if (
            len(segments) == 5
            and segments[:3] == ["api", "v1", "namespaces"]
            and segments[4] == "pods"
        ):
            ns = segments[3]
            if ns in self.forbidden_namespaces:
                return 403, _status(
                    403,
                    "Forbidden",
                    'pods is forbidden: User "system:serviceaccount:tracker:tracker" cannot '
                    f'list resource "pods" in API group "" in the namespace "{ns}"',
                    {"kind": "pods"},
                )
            items = [p for p in self.pods if _key(p)[0] == ns]
            return self._list("PodList", path, items, query)
        return 404, _status(404, "NotFound", "the server could not find the requested resource")

    def _secrets(self, namespace: str | None, query: Mapping[str, str]) -> list[dict[str, Any]]:
        items = [s for s in self.secrets if namespace is None or _key(s)[0] == namespace]
        selector = query.get("labelSelector")
        if selector:
            key, _, value = selector.partition("=")
            items = [s for s in items if s["metadata"].get("labels", {}).get(key) == value]
        return items

    def _list(
        self, kind: str, path: str, items: list[dict[str, Any]], query: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        start = 0
        token = query.get("continue")
        if token:
            if self.expire_continue:
                self.expire_continue = False
                return 410, _status(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter.",
                )
            try:
                decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
                if decoded["path"] != path or decoded["rv"] != self.resource_version:
                    raise ValueError(token)
                start = int(decoded["start"])
            except (ValueError, KeyError, TypeError):
                return 400, _status(400, "BadRequest", "continue key is not valid")
        limit = int(query["limit"]) if query.get("limit") else 0
        end = min(len(items), start + limit) if limit > 0 else len(items)
        metadata: dict[str, Any] = {"resourceVersion": self.resource_version}
        if end < len(items):
            metadata["continue"] = base64.urlsafe_b64encode(
                json.dumps({"path": path, "rv": self.resource_version, "start": end}).encode()
            ).decode()
            metadata["remainingItemCount"] = len(items) - end
        return 200, {
            "kind": kind,
            "apiVersion": "v1",
            "metadata": metadata,
            "items": items[start:end],
        }

    def get_paths(self) -> list[str]:
        """The paths of all recorded requests, in order."""
        return [r.path for r in self.requests]


def write_kubeconfig(
    path: Path, server: str, token: str = "fake-token", contexts: Iterable[str] = ("fake-ctx",)
) -> Path:
    """Write a kubeconfig with one cluster ``server``, a bearer token user and contexts.

    The first context is the current one. Returns ``path``.
    """
    names = list(contexts)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "fake-user", "user": {"token": token}}],
        "contexts": [
            {"name": n, "context": {"cluster": "fake", "user": "fake-user"}} for n in names
        ],
        "current-context": names[0],
    }
    path.write_text(json.dumps(config))
    return path
