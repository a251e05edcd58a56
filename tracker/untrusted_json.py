"""Untrusted JSON (upstream APIs, release and advisory files), parsed with limits.

Kept apart from :mod:`tracker.http` so that reading a file needs no HTTP client at start-up.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["parse_json"]


def parse_json(body: bytes | str) -> Any:
    """Parse untrusted JSON: UTF-8, nesting at most 1024 deep, integers within 64 bits.

    >>> parse_json(b'{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> parse_json(b"[" * 2000)
    Traceback (most recent call last):
    ValueError: not valid JSON: depth limit exceeded: line 1 column 1026 (char 1025)

    Raises:
        ValueError: one line saying why (bad syntax, too deep, integer too large, not UTF-8).
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
