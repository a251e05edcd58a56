"""Support windows from endoflife.date, validated once at the boundary.

Shape: endoflife.date API v1, ``GET /api/v1/products/{product}`` (``api_v1/openapi.yml``,
``ProductResponse``): an envelope ``{schema_version, generated_at, last_modified, result}``
whose ``result.releases[]`` are the product's release cycles, newest first. Each cycle gives,
for every support column the product has (``eoas``: end of active support, ``eol``: end of
life, ``eoes``: end of extended support), either a date (``eolFrom``) or only a boolean
(``isEol``) when upstream gives no date. endoflife.date computes ``is*`` as "today is
strictly after the date", so a date is re-evaluated against the day tracker is asked about
(never the day the data was built); a boolean alone is taken as given.

``labels`` say what a column means for that product: EKS's ``eol`` is "End of Support"
(standard support) and its ``eoes`` "Extended Support"; AKS's ``eoes`` is "LTS Support";
OpenShift's ``eoes`` is "Extended Update Support".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.errors import UpstreamError

__all__ = [
    "EndOfLifeFormatError",
    "EndOfLifeUnreachable",
    "Product",
    "ProductFetch",
    "SupportCycle",
    "fetch_product",
    "parse_product",
]

API_URL = "https://endoflife.date"
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


class EndOfLifeFormatError(UpstreamError):
    """An endoflife.date answer that is not a v1 product response (names product and field)."""


@dataclass(frozen=True)
class SupportCycle:
    """One release cycle of a product (``result.releases[]``).

    Each support end is a date, or None with ``*_flag`` holding upstream's boolean when it
    gives no date (``True``: already ended; ``False``: no end announced; None: no such column).

    Attributes:
        name: the cycle (``1.30``, ``2``, ``4.22``), as endoflife.date names it.
        release_date: when the cycle's first release came out, or None.
        lts: True for a long-term-support cycle.
        eoas, eol, eoes: end of active support, end of life, end of extended support.
        latest: the newest release of the cycle (``1.30.3``; EKS writes ``1.36-eks-6``).
        link: the release notes of ``latest``, or None.
        custom: product-specific fields (Istio: ``supportedKubernetesVersions``: ``1.32 - 1.36``).
    """

    name: str
    release_date: date | None = None
    lts: bool = False
    eoas: date | None = None
    eoas_flag: bool | None = None
    eol: date | None = None
    eol_flag: bool | None = None
    eoes: date | None = None
    eoes_flag: bool | None = None
    latest: str | None = None
    link: str | None = None
    custom: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Product:
    """A product's support calendar (``result``), cycles newest first.

    Attributes:
        name: the endoflife.date product id (``kubernetes``, ``amazon-eks``).
        label: the product's display name.
        labels: what each support column means for it (``{"eol": "End of Support", ...}``).
        cycles: the release cycles, newest first as upstream lists them.
        url: the product's page (``https://endoflife.date/<name>``), cited by findings.
        last_modified: when upstream last changed the product's data, as given (a string).
    """

    name: str
    label: str
    labels: Mapping[str, str]
    cycles: tuple[SupportCycle, ...]
    url: str
    last_modified: str | None = None


def _date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise EndOfLifeFormatError(f"{where} must be a date string or null")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise EndOfLifeFormatError(f"{where} {value[:20]!r} is not a YYYY-MM-DD date") from None


def _flag(value: Any, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise EndOfLifeFormatError(f"{where} must be true, false or null")


def _text(value: Any, limit: int = 200) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _cycle(item: Any, where: str) -> SupportCycle:
    if not isinstance(item, Mapping):
        raise EndOfLifeFormatError(f"{where} is not an object")
    name = item.get("name")
    if not isinstance(name, str) or not name or len(name) > 50:
        raise EndOfLifeFormatError(f"{where}.name is missing")
    latest = item.get("latest")
    custom = item.get("custom")
    return SupportCycle(
        name=name,
        release_date=_date(item.get("releaseDate"), f"{where}.releaseDate"),
        lts=bool(item.get("isLts")),
        eoas=_date(item.get("eoasFrom"), f"{where}.eoasFrom"),
        eoas_flag=_flag(item.get("isEoas"), f"{where}.isEoas"),
        eol=_date(item.get("eolFrom"), f"{where}.eolFrom"),
        eol_flag=_flag(item.get("isEol"), f"{where}.isEol"),
        eoes=_date(item.get("eoesFrom"), f"{where}.eoesFrom"),
        eoes_flag=_flag(item.get("isEoes"), f"{where}.isEoes"),
        latest=_text(latest.get("name"), 60) if isinstance(latest, Mapping) else None,
        link=_text(latest.get("link"), 500) if isinstance(latest, Mapping) else None,
        custom={
            str(k)[:60]: str(v)[:200]
            for k, v in (custom.items() if isinstance(custom, Mapping) else ())
            if isinstance(v, str | int | float)
        },
    )


def parse_product(data: Any, *, product: str) -> Product:
    """Validate one ``GET /api/v1/products/{product}`` answer (decoded JSON).

    Args:
        data: the decoded envelope (``{"result": {...}}``) or its ``result`` alone.
        product: the product asked for, for messages and the page URL.

    Raises:
        EndOfLifeFormatError: not an object, no ``releases`` list, or a cycle with a missing
            name or a malformed date/flag; the message names the product and the field.

    >>> p = parse_product({"result": {"name": "x", "label": "X", "labels": {"eol": "EOL"},
    ...     "releases": [{"name": "1.2", "isEol": True, "eolFrom": "2024-01-31"}]}},
    ...     product="x")
    >>> p.cycles[0].eol, p.url
    (datetime.date(2024, 1, 31), 'https://endoflife.date/x')
    """
    if not _NAME_RE.match(product):
        raise EndOfLifeFormatError(f"{product[:60]!r} is not an endoflife.date product id")
    result = data.get("result", data) if isinstance(data, Mapping) else None
    if not isinstance(result, Mapping):
        raise EndOfLifeFormatError(f"endoflife.date {product}: the answer is not a JSON object")
    releases = result.get("releases")
    if not isinstance(releases, list):
        raise EndOfLifeFormatError(f"endoflife.date {product}: result.releases is not a list")
    labels = result.get("labels")
    return Product(
        name=product,
        label=_text(result.get("label")) or product,
        labels={
            k: v[:60]
            for k, v in (labels.items() if isinstance(labels, Mapping) else ())
            if isinstance(v, str)
        },
        cycles=tuple(
            _cycle(item, f"endoflife.date {product}: releases[{i}]")
            for i, item in enumerate(releases)
        ),
        url=f"{API_URL}/{product}",
        last_modified=_text(data.get("last_modified"), 40) if isinstance(data, Mapping) else None,
    )


# ---------------------------------------------------------------------------- HTTP source


@dataclass(frozen=True)
class ProductFetch:
    """One conditional ``GET {api}/api/v1/products/{product}``.

    Attributes:
        product: the product asked for.
        name: the product's current name (differs from ``product`` after a 301 rename).
        data: the decoded answer (``{"result": ...}``), or None when unchanged (304).
        etag: the validator to send next time (the stored one when unchanged).
        requests: request attempts made (retries and the redirect included).
    """

    product: str
    name: str
    data: Any
    etag: str | None
    requests: int

    @property
    def unchanged(self) -> bool:
        """True for a 304: the stored data is still current."""
        return self.data is None


class EndOfLifeUnreachable(UpstreamError):
    """No connection to the endoflife.date API at all: every product would fail alike, so a
    sync stops at the first one (not retried)."""


class _Retry(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


_RENAMED_RE = re.compile(r"/api/v1/products/([a-z0-9][a-z0-9._-]{0,99})/?$")


def fetch_product(
    client: Any,
    product: str,
    *,
    api_url: str = API_URL,
    etag: str | None = None,
    timeout: float = 30.0,
    max_attempts: int = 4,
    max_retry_after: float = 120.0,
    sleep: Any = None,
) -> ProductFetch:
    """Fetch one product's calendar, conditionally.

    Sends ``If-None-Match: etag`` (a ``304`` costs nothing and returns ``data=None``); retries
    5xx, timeouts and ``429`` (waiting ``Retry-After`` seconds, else exponential backoff) with
    tenacity, at most ``max_attempts`` attempts; follows one ``301`` to another product of the
    same API (a rename: ``name`` is the new product). Each request is bounded as a whole
    (:func:`tracker.http.send`, ``timeout`` seconds) and in size (8 MiB).

    Args:
        client: an ``httpx.Client``.
        sleep: the sleep function (seconds); tests pass a recorder. Default ``time.sleep``.

    Raises:
        EndOfLifeUnreachable: no connection could be made (not retried).
        EndOfLifeFormatError: the product id is malformed or the answer is not JSON.
        UpstreamError: 404 (unknown product), a redirect elsewhere, any other status, or still
            failing after ``max_attempts`` (one line naming the product).
    """
    import time

    import httpx
    from tenacity import Retrying, retry_if_exception_type, wait_exponential_jitter

    from tracker.http import host, parse_json, send

    if not _NAME_RE.match(product):
        raise EndOfLifeFormatError(f"{product[:60]!r} is not an endoflife.date product id")
    base = api_url.rstrip("/")
    backoff = wait_exponential_jitter(initial=1.0, max=30.0)
    attempts = 0
    name = product

    def wait(state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.retry_after is not None:
            return exc.retry_after
        return float(backoff(state))

    def once(url: str) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        headers = {"Accept": "application/json", "User-Agent": "tracker"}
        if etag:
            headers["If-None-Match"] = etag
        try:
            response = send(client, "GET", url, timeout=timeout, headers=headers, max_bytes=8 << 20)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError) as exc:
            raise EndOfLifeUnreachable(
                f"cannot connect to endoflife.date at {host(url)}: {type(exc).__name__}",
                "check lifecycle.api_url or the network; stored support data is kept",
            ) from None
        except httpx.TimeoutException:
            raise _Retry(f"timed out after {timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise _Retry(f"failed: {type(exc).__name__}") from None
        status = response.status_code
        if status >= 500:
            raise _Retry(f"answered HTTP {status}")
        if status == 429:
            header = response.headers.get("retry-after", "").strip()
            after = float(header) if header.isdigit() else 60.0
            if after > max_retry_after:
                raise UpstreamError(
                    f"endoflife.date {product}: rate limited, asked to wait {after:.0f} s",
                    "run `tracker sync` again later",
                )
            raise _Retry("rate limited (HTTP 429)", after)
        return response

    def get(url: str) -> httpx.Response:
        retrying = Retrying(
            stop=lambda state: state.attempt_number >= max_attempts,
            wait=wait,
            retry=retry_if_exception_type(_Retry),
            sleep=sleep or time.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return once(url)
        except _Retry as exc:
            raise UpstreamError(
                f"endoflife.date {product}: {exc} (after {attempts} attempts)",
                "endoflife.date may be having trouble; stored support data is kept",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    response = get(f"{base}/api/v1/products/{product}")
    if response.status_code in (301, 308):
        target = httpx.URL(response.headers.get("location", "")).path
        match = _RENAMED_RE.search(target)
        location = response.url.join(response.headers.get("location", ""))
        if match is None or host(location) != host(base):
            raise UpstreamError(
                f"endoflife.date {product}: redirected somewhere that is not a product",
                "check lifecycle.api_url and the catalogue's eol_product",
            )
        name = match.group(1)
        response = get(f"{base}/api/v1/products/{name}")
    status = response.status_code
    if status == 304:
        return ProductFetch(product, name, None, etag, attempts)
    if status == 404:
        raise UpstreamError(
            f"endoflife.date has no product {product!r} (HTTP 404)",
            "fix eol_product in the component catalogue (see https://endoflife.date)",
        )
    if status != 200:
        raise UpstreamError(
            f"endoflife.date {product}: unexpected HTTP {status}", "check lifecycle.api_url"
        )
    try:
        data = parse_json(response.content)
    except ValueError as exc:
        raise EndOfLifeFormatError(f"endoflife.date {product}: {exc}") from None
    parse_product(data, product=name)  # validate before anything is stored
    return ProductFetch(product, name, data, response.headers.get("etag"), attempts)
