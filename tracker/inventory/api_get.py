"""The read-only GETs of a live scan, sent through the official client's ``ApiClient``.

tracker reads every response as raw JSON (:mod:`tracker.inventory.kubernetes_api`), so the
client's generated API classes add nothing but their import: on kubernetes 37,
``CoreV1Api`` pulls in the pydantic models of every type it names, about 0.6 s of a scan's
start (``benchmarks/live_scan.py``). :class:`CoreReads` offers the same calls
(``list_node``, ``list_pod_for_all_namespaces``, ...; same keyword arguments, same
``_preload_content=False`` result, an ``ApiException`` for a non-2xx answer) over the
client's own request path: its ``ApiClient`` signs the request (``BearerToken`` auth
settings, client certificates, exec plugins, proxies: all from the loaded configuration)
and its REST layer sends it.

Paths and query parameters are those of the Kubernetes API reference
(https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#list-list-or-watch-objects-of-kind-pod):
``limit``, ``continue``, ``labelSelector``.

Two client generations exist: kubernetes 37 and later (``ApiClient.param_serialize`` then
``call_api``) and the ones before (``ApiClient.call_api`` with the resource path); both are
supported.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from kubernetes.client.exceptions import ApiException

__all__ = ["CoreReads"]

_ACCEPT = {"Accept": "application/json"}
_AUTH = ["BearerToken"]


class CoreReads:
    """The core/v1 list calls and ``/version``, raw, on one ``kubernetes.client.ApiClient``.

    Every method takes the generated client's keyword arguments (``limit``, ``_continue``,
    ``label_selector``, ``_request_timeout``, ``_preload_content`` which must be False) and
    returns the urllib3 response (read ``.data``, then ``.release_conn()``).

    Raises (from each call):
        ApiException: the server answered outside 2xx (``.status``, ``.body`` as the
            generated client gives them).
        urllib3.exceptions.HTTPError: the request failed on the network.
    """

    def __init__(self, api_client: Any) -> None:
        self._api = api_client

    def get_code(self, **kwargs: Any) -> Any:
        """``GET /version``."""
        return self._get("/version", **kwargs)

    def list_node(self, **kwargs: Any) -> Any:
        """``GET /api/v1/nodes``."""
        return self._get("/api/v1/nodes", **kwargs)

    def list_namespace(self, **kwargs: Any) -> Any:
        """``GET /api/v1/namespaces``."""
        return self._get("/api/v1/namespaces", **kwargs)

    def list_pod_for_all_namespaces(self, **kwargs: Any) -> Any:
        """``GET /api/v1/pods``."""
        return self._get("/api/v1/pods", **kwargs)

    def list_namespaced_pod(self, namespace: str, **kwargs: Any) -> Any:
        """``GET /api/v1/namespaces/{namespace}/pods``."""
        return self._get(f"/api/v1/namespaces/{quote(namespace, safe='')}/pods", **kwargs)

    def list_secret_for_all_namespaces(self, **kwargs: Any) -> Any:
        """``GET /api/v1/secrets``."""
        return self._get("/api/v1/secrets", **kwargs)

    def list_namespaced_secret(self, namespace: str, **kwargs: Any) -> Any:
        """``GET /api/v1/namespaces/{namespace}/secrets``."""
        return self._get(f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets", **kwargs)

    def _get(
        self,
        path: str,
        *,
        _preload_content: bool = False,
        _request_timeout: Any = None,
        limit: int | None = None,
        _continue: str | None = None,
        label_selector: str | None = None,
    ) -> Any:
        if _preload_content:
            raise ValueError("CoreReads returns raw responses only (_preload_content=False)")
        query: list[tuple[str, Any]] = []
        if _continue is not None:
            query.append(("continue", _continue))
        if label_selector is not None:
            query.append(("labelSelector", label_selector))
        if limit is not None:
            query.append(("limit", limit))
        api = self._api
        if not hasattr(api, "param_serialize"):  # kubernetes < 37: the REST layer raises
            return api.call_api(
                path,
                "GET",
                path_params={},
                query_params=query,
                header_params=dict(_ACCEPT),
                auth_settings=_AUTH,
                _return_http_data_only=True,
                _preload_content=False,
                _request_timeout=_request_timeout,
            )
        method, url, headers, _, _ = api.param_serialize(
            method="GET",
            resource_path=path,
            query_params=query,
            header_params=dict(_ACCEPT),
            auth_settings=_AUTH,
        )
        response = api.call_api(
            method, url, header_params=headers, _request_timeout=_request_timeout
        )
        if not 200 <= response.status <= 299:
            response.read()
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return response.response
