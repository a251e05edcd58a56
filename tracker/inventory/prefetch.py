"""A page iterator run ahead in a thread, so that parsing one page overlaps fetching the next
(the live inventory's lists, :mod:`tracker.inventory.kubernetes_api`)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any


class Prefetch:
    """Runs a page iterator in a daemon thread, two pages ahead; iterate to consume.

    An exception raised by the iterator (an ``ApiException``, a ``ClusterAPIError``) is
    raised again where the consumer iterates, so callers keep their ``try`` blocks.
    :meth:`close` stops the thread at its next page (always call it).
    """

    _END = object()

    def __init__(self, pages: Iterator[list[Any]]) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(pages,), daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, pages: Iterator[list[Any]]) -> None:
        try:
            for page in pages:
                if not self._put(page):
                    return
        except BaseException as exc:  # handed to the consumer, re-raised there
            self._put(exc)
            return
        self._put(self._END)

    def __iter__(self) -> Iterator[list[Any]]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        """Ask the thread to stop; it ends at its next page or at once when it is done."""
        self._stop.set()
