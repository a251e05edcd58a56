"""A fake endoflife.date API v1 serving the recorded products of tests/data/realdata/eol.

``FakeEndOfLife`` answers ``GET /api/v1/products/{product}`` like endoflife.date does:

- ``200`` with the recorded answer and a strong ``ETag`` (sha256 of the body);
- ``304 Not Modified`` on a matching ``If-None-Match``;
- ``404`` for an unknown product;
- ``301`` to ``/api/v1/products/{new}`` for a product in :attr:`renamed`;
- faults per product (``"*"``: all): ``5xx`` and ``429`` with ``Retry-After``, for ``times``
  requests (None: forever), then healed.

It also answers ``GET /repos/{owner}/{repo}`` (GitHub's repository object, only
``full_name`` and ``archived``, with an ETag and 304) for the archived flag.

Front: :meth:`FakeEndOfLife.mock_transport` (``httpx.MockTransport``); every request is
logged in :attr:`requests` as ``(path, status)``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


def load_products(directory: Path) -> dict[str, Any]:
    """Every recorded ``{product}.json`` of ``directory`` (not the purl identifiers map)."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
        if path.stem != "identifiers-purl"
    }


@dataclass
class Fault:
    """Answer ``status`` (with ``Retry-After: retry_after`` when given) ``times`` times."""

    status: int
    retry_after: int | None = None
    times: int | None = 1


@dataclass
class FakeEndOfLife:
    """The fake API's state: products served, renames, faults, archived repositories."""

    products: dict[str, Any]
    renamed: dict[str, str] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    archived: dict[str, bool] = field(default_factory=dict)
    requests: list[tuple[str, int]] = field(default_factory=list)

    def fail(
        self, product: str, status: int, *, retry_after: int | None = None, times: int | None = 1
    ) -> None:
        """Make ``product`` (``"*"``: every product) fail with ``status``."""
        self.faults[product] = Fault(status, retry_after, times)

    def _fault(self, product: str) -> Fault | None:
        for key in (product, "*"):
            fault = self.faults.get(key)
            if fault is not None and (fault.times is None or fault.times > 0):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        response = self._answer(request)
        self.requests.append((request.url.path, response.status_code))
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        repo = re.fullmatch(r"/repos/([^/]+/[^/]+)", path)
        if repo:
            name = repo.group(1)
            if name not in self.archived:
                return httpx.Response(404, json={"message": "Not Found"})
            body = {"full_name": name, "archived": self.archived[name]}
            return self._conditional(request, json.dumps(body).encode())
        match = re.fullmatch(r"/api/v1/products/([^/]+)/?", path)
        if not match:
            return httpx.Response(404, json={"message": "Not Found"})
        product = match.group(1)
        fault = self._fault(product)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return httpx.Response(fault.status, headers=headers, text="fault")
        if product in self.renamed:
            return httpx.Response(
                301, headers={"Location": f"/api/v1/products/{self.renamed[product]}"}
            )
        if product not in self.products:
            return httpx.Response(404, json={"message": "Product not found"})
        return self._conditional(request, json.dumps(self.products[product]).encode())

    @staticmethod
    def _conditional(request: httpx.Request, body: bytes) -> httpx.Response:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(
            200, headers={"ETag": etag, "Content-Type": "application/json"}, content=body
        )

    def mock_transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` answering as this fake."""
        return httpx.MockTransport(self.handle)

    def client(self, base_url: str = "https://endoflife.test") -> httpx.Client:
        """An ``httpx.Client`` talking to this fake."""
        return httpx.Client(transport=self.mock_transport(), base_url=base_url)
