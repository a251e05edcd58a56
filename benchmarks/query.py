"""Query speed on a store of N clusters x D days of history (default 100 x 90).

Every cluster's history is the real GKE scan of tests/data/realdata (pods + nodes, 28
evaluated rows, 11 unidentified images) stored once per day through the Store APIs
(``save_scan`` + ``save_report_rows``); every 7th cluster runs Istio 1.12.1 sidecars
(the real docker-desktop pod) so the typical question has answers. Then it times:

- ``query_rows``: ``--component istio --older-than 1.22`` and ``--behind minor``;
- ``cluster_history(limit=10)`` of one cluster;
- ``evaluate_report`` + ``save_report`` over the latest scans of all clusters;
- ``latest_report_rows()`` alone (the store query under ``tracker query``).

Usage:
    python benchmarks/query.py [--clusters 100] [--days 90] [--url sqlite:///…]
    TRACKER_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        python benchmarks/query.py --postgres
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tracker.evaluate import evaluate  # noqa: E402
from tracker.identify.catalogue import load_catalogue  # noqa: E402
from tracker.identify.registry import identify  # noqa: E402
from tracker.inventory.kubectl_dump import KubectlDump  # noqa: E402
from tracker.store import Store  # noqa: E402
from tracker.upstream.release_file import import_releases  # noqa: E402
from tracker.workflows.query import RowFilter, cluster_history, query_rows  # noqa: E402
from tracker.workflows.report import EvaluatedReport, evaluate_report, save_report  # noqa: E402

REALDATA = Path(
    os.environ.get(
        "TRACKER_REALDATA", Path(__file__).resolve().parents[1] / "tests" / "data" / "realdata"
    )
)
TODAY = date(2026, 11, 30)


def timed(label: str, fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    result: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    size = len(result) if isinstance(result, list) else "-"  # type: ignore[arg-type]
    best, median = min(times), statistics.median(times)
    print(f"  {label:<48} median {median * 1000:8.1f} ms  best {best * 1000:8.1f} ms  rows {size}")
    return median


def build(store: Store, clusters: int, days: int) -> None:
    catalogue = load_catalogue({})
    for path in sorted((REALDATA / "releases").glob("*__*.json")):
        import_releases(store, path, project=path.stem.replace("__", "/"))
    gke = KubectlDump(
        [
            REALDATA / "pods" / "gke-v1.18.19-kubevious-samples.podlist.json",
            REALDATA / "nodes" / "gke-v1.18.19-gke.1701.nodelist.json",
        ]
    ).collect()
    with_istio = KubectlDump(
        [
            REALDATA / "pods" / "gke-v1.18.19-kubevious-samples.podlist.json",
            REALDATA / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json",
            REALDATA / "nodes" / "gke-v1.18.19-gke.1701.nodelist.json",
        ]
    ).collect()
    releases = store.all_releases()
    start = time.perf_counter()
    first = datetime(2026, 11, 30, 2, 0, tzinfo=UTC) - timedelta(days=days - 1)
    for c in range(clusters):
        name = f"cluster-{c:03d}"
        base = replace(with_istio if c % 7 == 0 else gke, cluster=name)
        ident = identify(base, catalogue)
        rows = evaluate(name, ident.components, catalogue, releases, TODAY)
        for d in range(days):
            inv = replace(base, scanned_at=first + timedelta(days=d))
            scan_id = store.save_scan(inv, ident)
            store.save_report_rows(scan_id, rows)
        if c % 10 == 9:
            done = (c + 1) * days
            print(f"  stored {done} scans in {time.perf_counter() - start:.0f} s", flush=True)
    elapsed = time.perf_counter() - start
    print(
        f"  built {clusters} clusters x {days} days = {clusters * days} scans in {elapsed:.1f} s "
        f"({elapsed / (clusters * days) * 1000:.1f} ms per scan + rows)"
    )


def bench(url: str, clusters: int, days: int) -> None:
    print(f"store: {sa.make_url(url).render_as_string(hide_password=True)}")
    catalogue = load_catalogue({})
    with Store.open(url) as store:

        def saved(evaluated: EvaluatedReport) -> int:
            """Store the evaluated rows (as ``tracker report`` does); the number of rows."""
            save_report(store, evaluated)
            return len(evaluated.report.components)

        build(store, clusters, days)
        istio = RowFilter.build(component="istio", older_than="1.22")
        minor = RowFilter.build(behind="minor")
        timed("query_rows --component istio --older-than 1.22", lambda: query_rows(store, istio))
        timed("query_rows --behind minor", lambda: query_rows(store, minor))
        timed("latest_report_rows() (all clusters)", store.latest_report_rows)
        timed(
            "cluster_history(cluster-042, limit=10)", lambda: cluster_history(store, "cluster-042")
        )
        timed("latest_scans() (all clusters)", store.latest_scans)
        timed(
            "evaluate_report + save_report over the latest scans",
            lambda: saved(evaluate_report(store, catalogue, today=TODAY)),
            repeat=3,
        )
        timed(
            "evaluate_report + save_report of one cluster (as tracker run)",
            lambda: saved(evaluate_report(store, catalogue, today=TODAY, clusters=["cluster-042"])),
            repeat=3,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--url", help="store URL (default: a fresh SQLite file)")
    parser.add_argument("--postgres", action="store_true", help="use TRACKER_TEST_POSTGRES_URL")
    args = parser.parse_args()
    if args.postgres:
        admin_url = os.environ.get("TRACKER_TEST_POSTGRES_URL")
        if not admin_url:
            sys.exit("TRACKER_TEST_POSTGRES_URL is not set")
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
            bench(url, args.clusters, args.days)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    if args.url:
        bench(args.url, args.clusters, args.days)
        return
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/bench.db", args.clusters, args.days)


if __name__ == "__main__":
    main()
