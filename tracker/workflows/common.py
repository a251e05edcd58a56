"""What every workflow needs: the component catalogue, the store, today's date, cluster names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.errors import ReportError

if TYPE_CHECKING:
    from tracker.models import CatalogueEntry
    from tracker.store import Store


def load_components(settings: Settings) -> dict[str, CatalogueEntry]:
    """The built-in component catalogue with the config's ``[components.*]`` entries.

    Raises:
        IdentifyError: an entry of ``settings.components`` is invalid (names it).
    """
    from tracker.identify.catalogue import load_catalogue

    return load_catalogue(settings.components)


def open_store(settings: Settings) -> Store:
    """Open (and upgrade) the store at ``settings.database_url``; use it as a context manager.

    Raises:
        StoreError: the database cannot be opened or migrated.
    """
    from tracker.store import Store

    return Store.open(settings.database_url)


def today() -> date:
    """Today in UTC: findings are dated in UTC, like every stored time."""
    return datetime.now(UTC).date()


def require_clusters(store: Store, wanted: Sequence[str] | None) -> list[str]:
    """The clusters asked for (default: every stored one).

    Raises:
        ReportError: the store holds no scan, or names in ``wanted`` are not stored (the
            message names them; the hint lists the stored ones).
    """
    known = store.clusters()
    if not known:
        raise ReportError(
            "the store holds no scan yet",
            "run `tracker scan` or `tracker run` first (is --database-url the right store?)",
        )
    missing = [name for name in wanted or () if name not in known]
    if missing:
        raise ReportError(
            f"no scan of cluster {', '.join(map(repr, missing))} in the store",
            f"stored clusters: {', '.join(known[:20])}{' …' if len(known) > 20 else ''}",
        )
    return list(wanted) if wanted else known
