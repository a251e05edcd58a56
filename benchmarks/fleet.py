"""Benchmark the fleet store: 100 clusters x 30 nightly scans in PostgreSQL, then read it.

Builds a fresh database of its own (created and dropped on the server given by ``--url`` or
``TRACKER_TEST_POSTGRES_URL``), imports the real release lists, and stores for every cluster
30 nightly scans of the real GKE 1.18 cluster plus the real Istio 1.12.1 pod (26 components
and 71 unidentified images per scan), each evaluated and saved with ``save_report_rows``
like a nightly ``tracker run``. Then it times, best of ``--repeat``:

* ``report --all-clusters`` from stored rows: ``Store.latest_report_rows()`` +
  ``Store.latest_scans()`` summaries -> ``Report`` -> ``format_fleet``;
* ``report --all-clusters`` re-evaluated: ``evaluate_report`` + ``save_report`` of
  ``tracker.workflows.report`` (latest scans + evaluate + save rows) -> ``format_fleet``;
* a typical query: ``Store.latest_report_rows(component="istio")``.

    python benchmarks/fleet.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--clusters 100] [--nights 30] [--repeat 5] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tracker.evaluate import evaluate  # noqa: E402
from tracker.identify.catalogue import load_catalogue  # noqa: E402
from tracker.identify.registry import identify  # noqa: E402
from tracker.inventory.kubectl_dump import KubectlDump  # noqa: E402
from tracker.models import Report  # noqa: E402
from tracker.report.fleet import format_fleet  # noqa: E402
from tracker.store import Store  # noqa: E402
from tracker.upstream.release_file import import_releases  # noqa: E402
from tracker.workflows.report import evaluate_report, save_report  # noqa: E402

REALDATA = ROOT / "tests" / "data" / "realdata"
DUMPS = (
    "pods/gke-v1.18.19-kubevious-samples.podlist.json",
    "pods/docker-desktop-istio-1.12.1.httpbin.pod.json",
    "nodes/gke-v1.18.19-gke.1701.nodelist.json",
)
RELEASES = {
    "istio/istio": "releases/istio__istio.json",
    "kubernetes/kubernetes": "releases/kubernetes__kubernetes.json",
    "cert-manager/cert-manager": "releases/cert-manager__cert-manager.json",
    "prometheus/prometheus": "releases/prometheus__prometheus.json",
}
TODAY = date(2024, 6, 1)
T = TypeVar("T")


def best_of(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    """Run ``fn`` ``repeat`` times; return the best wall time (seconds) and the last result."""
    best = float("inf")
    result: T
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def fill(store: Store, realdata: Path, clusters: int, nights: int) -> None:
    """Import releases; store ``clusters`` x ``nights`` evaluated scans (oldest night first)."""
    for project, path in RELEASES.items():
        import_releases(store, realdata / path, project=project)
    catalogue = load_catalogue()
    base = KubectlDump([realdata / d for d in DUMPS], cluster="base").collect()
    found = identify(base, catalogue)
    rows = evaluate("base", found.components, catalogue, store.all_releases(), TODAY)
    first = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    start = time.perf_counter()
    for night in range(nights):
        for n in range(clusters):
            name = f"cluster-{n:03d}"
            inventory = replace(
                base,
                cluster=name,
                scanned_at=first + timedelta(days=night, seconds=n),
                server=f"10.0.{n // 250}.{n % 250}:6443",
            )
            scan_id = store.save_scan(inventory, found)
            store.save_report_rows(scan_id, [replace(r, cluster=name) for r in rows])
    elapsed = time.perf_counter() - start
    total = clusters * nights
    print(
        f"stored {total} scans ({len(found.components)} components, "
        f"{len(found.unidentified)} unidentified, {len(rows)} report rows each) in "
        f"{elapsed:.1f} s ({1000 * elapsed / total:.1f} ms per scan + rows)"
    )


def stored_report(store: Store) -> Report:
    """The fleet report from each cluster's latest evaluated rows (no re-evaluation)."""
    rows = store.latest_report_rows()
    summaries = tuple(s.summary for s in store.latest_scans())
    return Report(datetime.now(UTC), summaries, tuple(rows), ())


def nightly_store_part(store: Store, realdata: Path, catalogue: object, repeat: int) -> float:
    """Best time of what a nightly ``tracker run`` of one cluster does in the store with a warm
    catalogue (releases stored): save a new scan, evaluate it against the stored releases
    and save its rows. The cluster's fetch (see ``benchmarks/live_scan.py``) is not included."""
    base = KubectlDump([realdata / d for d in DUMPS], cluster="cluster-000").collect()
    found = identify(base, catalogue)  # type: ignore[arg-type]

    def one() -> None:
        inventory = replace(base, scanned_at=datetime.now(UTC))
        scan_id = store.save_scan(inventory, found)
        rows = evaluate(
            "cluster-000",
            found.components,
            catalogue,  # type: ignore[arg-type]
            store.all_releases(),
            TODAY,
        )
        store.save_report_rows(scan_id, rows)

    best, _ = best_of(repeat, one)
    return best


def size(url: str, scans: int) -> None:
    """Print the database size and the size per stored scan (PostgreSQL)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
        tables = conn.execute(
            sa.text(
                "SELECT relname, pg_total_relation_size(relid)"
                " FROM pg_catalog.pg_statio_user_tables"
                " ORDER BY 2 DESC LIMIT 5"
            )
        ).all()
    engine.dispose()
    print(f"database size {total / 1e6:.1f} MB, {total / scans / 1e3:.1f} kB per scan ({scans})")
    for name, nbytes in tables:
        print(f"  {name:<20} {nbytes / 1e6:8.1f} MB  {nbytes / scans / 1e3:6.1f} kB per scan")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("TRACKER_TEST_POSTGRES_URL"))
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--realdata", type=Path, default=REALDATA)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url or set TRACKER_TEST_POSTGRES_URL (a PostgreSQL server URL)")
    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        with Store.open(url) as store:
            fill(store, args.realdata, args.clusters, args.nights)
            catalogue = load_catalogue()

            def stored() -> str:
                return format_fleet(stored_report(store))

            def fresh() -> str:
                evaluated = evaluate_report(store, catalogue, today=TODAY)
                save_report(store, evaluated)
                return format_fleet(evaluated.report)

            def query() -> int:
                return len(store.latest_report_rows(component="istio"))

            t_rows, _ = best_of(args.repeat, store.latest_report_rows)
            t_stored, text = best_of(args.repeat, stored)
            t_fresh, _ = best_of(args.repeat, fresh)
            t_query, hits = best_of(args.repeat, query)
            print(f"latest_report_rows() alone:                 {1000 * t_rows:7.1f} ms")
            print(f"report --all-clusters, stored rows:         {1000 * t_stored:7.1f} ms")
            print(f"report --all-clusters, re-evaluated+saved:  {1000 * t_fresh:7.1f} ms")
            print(f"query latest_report_rows(component=istio):  {1000 * t_query:7.1f} ms")
            print(f"  ({hits} istio rows; fleet table {len(text.splitlines())} lines)")
            t_night = nightly_store_part(store, args.realdata, catalogue, args.repeat)
            print(
                f"one cluster's nightly store+evaluate (save_scan + evaluate + save rows, "
                f"warm catalogue): {1000 * t_night:7.1f} ms"
            )
            print(f"goal report --all-clusters < 1 s: {'met' if t_stored < 1 else 'NOT met'}")
            print(f"goal typical query < 1 s: {'met' if t_query < 1 else 'NOT met'}")
        size(url, args.clusters * args.nights + args.repeat)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"kept database {name}")
        admin.dispose()


if __name__ == "__main__":
    main()
