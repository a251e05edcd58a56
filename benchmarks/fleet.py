"""Benchmark the fleet store (issue 14 goal 6): N clusters x 30 nightly scans on PostgreSQL.

How the fleet is built (``--clusters N --nights D``, in a database of its own, created on the
server of ``--url`` / ``TRACKER_TEST_POSTGRES_URL`` and dropped afterwards unless ``--keep``):

1. Upstream data through tracker's own importers: the bundled demo's releases, support
   windows (endoflife.date) and advisories (OSV), then the real release lists of
   ``tests/data/realdata/releases``.
2. **Templates, through the real write path.** Nine cluster shapes: the eight real fleet
   members of ``tests/fleet/conftest.py`` (real GKE, Docker Desktop/Istio, Istio injector,
   minikube pod dumps on GKE, EKS, DOKS, kind nodes) and the bundled demo EKS cluster
   (Istio revisions, ingress-nginx under IngressNightmare, EOL Kubernetes, waivers). The
   first nine clusters (``cluster-0000`` .. ``cluster-0008``) get D nightly runs each through
   ``tracker.workflows.nightly.nightly`` itself (scan saved, evaluated, rows saved, the run
   finished as the baseline; sync off, no notifier), one run per night.
3. **Replicas, copied in bulk.** Every other cluster ``cluster-NNNN`` is template
   ``NNNN mod 9``: one ``INSERT ... SELECT`` per table and night copies the template's rows of
   that night into the same tables (``clusters``, ``scans``, ``scan_components``,
   ``scan_unidentified``, ``report_rows``), with the cluster's own id and name, its own
   API server, scan times shifted by NNNN seconds and new scan ids in night order (ids
   grow with time, as nightly runs write them). The rows are byte for byte what the real
   path wrote for the template, so shapes and sizes are real. Then ``VACUUM ANALYZE`` (what
   autovacuum does to a store that grew over 30 nights).

Then it times, on that store (best and median of ``--repeat``):

* ``report --all-clusters`` from stored rows: ``tracker.workflows.report.fleet_report`` +
  ``format_fleet`` (the table), and the same data as JSON and Markdown;
* a typical query, ``tracker query --component istio --older-than 1.22``
  (``tracker.workflows.query.query_rows``), and a one-cluster query (``--cluster``);
* one cluster's nightly run, store part: ``nightly()`` for an existing cluster with a warm
  catalogue (every tracked project synced within ``sync.min_interval``, so the sync is
  skipped) and the inventory already read (the fetch is goal 1, ``benchmarks/live_scan.py``);
* ``tracker report --all-clusters`` and the typical query end to end (a new process per run:
  start-up included), on which the goals are judged (median of ``--repeat``);
* the store size per scan (``pg_total_relation_size`` of each table over the scans).

    python benchmarks/fleet.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--clusters 1000] [--nights 30] [--repeat 5] [--keep] [--database NAME]

``--database NAME`` times an existing database kept by an earlier ``--keep`` run (no fill).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tracker.evaluate.waivers import Waiver, parse_waivers  # noqa: E402
from tracker.identify.catalogue import load_catalogue  # noqa: E402
from tracker.inventory.kubectl_dump import KubectlDump  # noqa: E402
from tracker.models import CatalogueEntry, Inventory  # noqa: E402
from tracker.report.fleet import format_fleet, format_fleet_json  # noqa: E402
from tracker.report.listings import fleet_markdown  # noqa: E402
from tracker.store import Store  # noqa: E402
from tracker.store import tables as t  # noqa: E402
from tracker.upstream.advisory_file import import_advisories  # noqa: E402
from tracker.upstream.cycle_file import import_cycles  # noqa: E402
from tracker.upstream.release_file import import_releases  # noqa: E402
from tracker.workflows.nightly import nightly  # noqa: E402
from tracker.workflows.query import RowFilter, query_rows  # noqa: E402
from tracker.workflows.report import fleet_report, fleet_view  # noqa: E402
from tracker.workflows.sync import SyncOptions, tracked_projects  # noqa: E402

REALDATA = ROOT / "tests" / "data" / "realdata"
DEMO = ROOT / "tracker" / "demo"
_GKE_PODS = "pods/gke-v1.18.19-kubevious-samples.podlist.json"
_ISTIO_POD = "pods/docker-desktop-istio-1.12.1.httpbin.pod.json"
_GKE_NODES = "nodes/gke-v1.18.19-gke.1701.nodelist.json"
_EKS_NODES = "nodes/eks-v1.16.13-eks-ec92d4.nodelist.json"
_DOKS_NODES = "nodes/doks-v1.18.10.nodelist.json"
_KIND_NODE = "nodes/kind-v1.24.0.node.yaml"
SHAPES: tuple[tuple[str, ...], ...] = (
    (_GKE_PODS, _GKE_NODES),
    (_ISTIO_POD, _KIND_NODE),
    ("pods/istio-injector-golden.native-sidecar.pod.yaml", _DOKS_NODES),
    ("pods/istio-injector-golden.classic-sidecar.pod.yaml", _EKS_NODES),
    ("pods/minikube-kubectl-neat.pod1-raw.json", _KIND_NODE),
    (_GKE_PODS, _EKS_NODES),
    (_ISTIO_POD, _DOKS_NODES),
    (_GKE_NODES,),
    ("DEMO/cluster.json", "DEMO/version.json"),
)
"""The template clusters' dump files (tests/fleet/conftest.py's eight, then the demo)."""
LAST_NIGHT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
T = TypeVar("T")


def name_of(n: int) -> str:
    return f"cluster-{n:04d}"


def server_of(n: int) -> str:
    return f"10.{n // 62500}.{n // 250 % 250}.{n % 250}:6443"


@dataclass
class Timing:
    best: float
    median: float

    def __str__(self) -> str:
        return f"{1000 * self.best:8.1f} ms (median {1000 * self.median:.1f} ms)"


def timed(repeat: int, fn: Callable[[], T]) -> tuple[Timing, T]:
    """Run ``fn`` ``repeat`` times: best and median wall time (seconds), the last result."""
    times: list[float] = []
    result: T
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return Timing(min(times), statistics.median(times)), result


class FixedSource:
    """An inventory source that returns an inventory already read (the fetch not timed)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory

    def collect(self) -> Inventory:
        return self.inventory


def demo_waivers() -> tuple[Waiver, ...]:
    raw = tomllib.loads((DEMO / "waivers.toml").read_text("utf-8"))["waivers"]
    return parse_waivers(raw, source="tracker/demo/waivers.toml")


def import_upstream(store: Store, realdata: Path, now: datetime) -> None:
    import_releases(store, DEMO / "releases.json")
    import_cycles(store, DEMO / "eol.json", now=now)
    import_advisories(store, [DEMO / "advisories"], now=now)
    for path in sorted((realdata / "releases").glob("*.json")):
        import_releases(store, path, project=path.stem.replace("__", "/"))


def inventories(realdata: Path) -> list[Inventory]:
    out = []
    for files in SHAPES:
        paths = [DEMO / f[5:] if f.startswith("DEMO/") else realdata / f for f in files]
        out.append(KubectlDump(paths, cluster="template").collect())
    return out


def run_night(
    store: Store,
    catalogue: dict[str, CatalogueEntry],
    inventory: Inventory,
    n: int,
    at: datetime,
    waivers: tuple[Waiver, ...],
    sync: SyncOptions,
) -> None:
    """One nightly ``tracker run`` of cluster ``n`` at ``at`` (notifications off)."""
    name = name_of(n)
    inv = replace(inventory, cluster=name, scanned_at=at, server=server_of(n))
    result = nightly(
        store,
        catalogue,
        FixedSource(inv),
        cluster=name,
        today=at.date(),
        now=at + timedelta(minutes=1),
        sync=sync,
        notifiers={},
        notify_when="never",
        waivers=waivers,
    )
    if result.errors:
        raise SystemExit(f"nightly run of {name} failed: {result.errors}")


def copy_night(conn: sa.Connection, night: int, templates: int, clusters: int) -> int:
    """Copy night ``night`` of the templates to every replica (module docstring, step 3)."""
    scans = conn.execute(
        sa.text(
            """
            SELECT s.id, c.name FROM scans s JOIN clusters c ON c.id = s.cluster_id
            WHERE c.name = ANY(:names)
            ORDER BY c.name, s.scanned_at, s.id
            """
        ),
        {"names": [name_of(k) for k in range(templates)]},
    ).all()
    by_template: dict[str, list[int]] = {}
    for scan_id, name in scans:
        by_template.setdefault(name, []).append(scan_id)
    base = conn.execute(sa.text("SELECT max(id) FROM scans")).scalar_one()
    mapping = [
        {
            "old_id": by_template[name_of(n % templates)][night],
            "new_id": base + 1 + i,
            "cluster": name_of(n),
            "shift": n,
        }
        for i, n in enumerate(range(templates, clusters))
    ]
    conn.execute(sa.text("CREATE TEMP TABLE IF NOT EXISTS copy_map (old_id int, new_id int, "
                         "cluster varchar(255), shift int)"))  # fmt: skip
    conn.execute(sa.text("TRUNCATE copy_map"))
    conn.execute(
        sa.text("INSERT INTO copy_map VALUES (:old_id, :new_id, :cluster, :shift)"), mapping
    )
    m = sa.table("copy_map", *(sa.column(c) for c in ("old_id", "new_id", "cluster", "shift")))
    shift = sa.func.make_interval(0, 0, 0, 0, 0, 0, m.c.shift)
    cluster_id = (
        sa.select(t.clusters.c.id).where(t.clusters.c.name == m.c.cluster).scalar_subquery()
    )
    scan_cols = {c.name: c for c in t.scans.c}
    overrides: dict[str, Any] = {
        "id": m.c.new_id,
        "cluster_id": cluster_id,
        "scanned_at": scan_cols["scanned_at"] + shift,
        "job_run_at": scan_cols["job_run_at"] + shift,
    }
    _copy(conn, t.scans, m, t.scans.c.id, overrides)
    for table in (t.scan_components, t.scan_unidentified, t.report_rows):
        extra = {"scan_id": m.c.new_id}
        if "cluster" in table.c:
            extra["cluster"] = m.c.cluster
        _copy(conn, table, m, table.c.scan_id, extra)
    conn.execute(
        sa.text("SELECT setval(pg_get_serial_sequence('scans', 'id'), max(id)) FROM scans")
    )
    return len(mapping)


def _copy(
    conn: sa.Connection, table: sa.Table, m: Any, key: sa.Column[Any], overrides: dict[str, Any]
) -> None:
    """INSERT INTO table (every column but id) SELECT the template's rows with ``overrides``."""
    columns = [c for c in table.c if c.name != "id" or c.name in overrides]
    select = sa.select(*(overrides.get(c.name, c) for c in columns)).join_from(
        table, m, m.c.old_id == key
    )
    conn.execute(table.insert().from_select([c.name for c in columns], select))


def fill(url: str, realdata: Path, clusters: int, nights: int) -> None:
    """Build the fleet (module docstring): templates through nightly(), replicas in bulk."""
    templates = min(len(SHAPES), clusters)
    catalogue = load_catalogue()
    waivers = demo_waivers()
    first = LAST_NIGHT - timedelta(days=nights - 1)
    start = time.perf_counter()
    with Store.open(url) as store:
        import_upstream(store, realdata, first)
        bases = inventories(realdata)
        for night in range(nights):
            for k in range(templates):
                at = first + timedelta(days=night, seconds=k)
                run_night(store, catalogue, bases[k], k, at, waivers, SyncOptions(enabled=False))
    real = time.perf_counter() - start
    print(
        f"templates: {templates} clusters x {nights} nightly runs through nightly() "
        f"in {real:.1f} s ({1000 * real / (templates * nights):.0f} ms per run)"
    )
    if clusters <= templates:
        return
    start = time.perf_counter()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            t.clusters.insert(),
            [{"name": name_of(n), "server": server_of(n)} for n in range(templates, clusters)],
        )
    copied = 0
    for night in range(nights):
        with engine.begin() as conn:
            copied += copy_night(conn, night, templates, clusters)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    bulk = time.perf_counter() - start
    print(f"replicas: {copied} scans copied in bulk in {bulk:.1f} s, then VACUUM ANALYZE")


def warm_sync(store: Store, catalogue: dict[str, CatalogueEntry], now: datetime) -> SyncOptions:
    """Record every tracked project as synced at ``now``: the nightly run skips its sync."""
    for project in tracked_projects(catalogue):
        store.record_sync(project, "bench", attempted_at=now, etag='"x"', success=True)
    return SyncOptions(enabled=True, min_interval=timedelta(hours=12))


def nightly_runs(store: Store, realdata: Path, repeat: int, clusters: int) -> Timing:
    """Time ``repeat`` nightly runs (store part) of existing clusters, the night after the last."""
    catalogue = load_catalogue()
    waivers = demo_waivers()
    bases = inventories(realdata)
    at = LAST_NIGHT + timedelta(days=1)
    sync = warm_sync(store, catalogue, at)
    n = iter(range(0, clusters, max(1, clusters // repeat)))

    def one() -> None:
        k = next(n)
        run_night(
            store, catalogue, bases[k % len(bases)], k, at + timedelta(seconds=k), waivers, sync
        )

    timing, _ = timed(repeat, one)
    return timing


def end_to_end(url: str, args: list[str], repeat: int) -> Timing:
    """Time ``tracker <args>`` as a user runs it: a new process each time (start-up, store
    open and output included), the installed ``tracker`` script next to this interpreter
    when there is one, with bytecode caches (this machine sets PYTHONDONTWRITEBYTECODE)."""
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "COLUMNS": "160"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    script = Path(sys.executable).with_name("tracker")
    tracker = [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]

    def one() -> None:
        done = subprocess.run([*tracker, *args], env=env, capture_output=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"tracker {' '.join(args)} failed: {done.stderr.decode()[:300]}")

    one()  # compile bytecode caches, warm the OS page cache
    timing, _ = timed(repeat, one)
    return timing


SCAN_TABLES = ("scans", "scan_components", "scan_unidentified", "report_rows")
"""The tables that grow with every scan (upstream data, sync state, outbox do not)."""


def size(url: str, clusters: int) -> None:
    """Print the size per stored scan (tables with their indexes and TOAST, PostgreSQL)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
        figures = {
            name: conn.execute(
                sa.text(f"SELECT pg_total_relation_size('{name}'), (SELECT count(*) FROM {name})")
            ).one()
            for name in SCAN_TABLES
        }
    engine.dispose()
    scans = figures["scans"][1]
    per_scan = sum(nbytes for nbytes, _ in figures.values()) / scans
    print(
        f"store size per scan: {per_scan / 1e3:.1f} kB ({scans} scans; database "
        f"{total / 1e6:.0f} MB in all); {clusters} clusters x 90 days (store.keep_scans) = "
        f"{per_scan * clusters * 90 / 1e9:.1f} GB"
    )
    for name, (nbytes, rows) in figures.items():
        print(
            f"  {name:<18} {nbytes / 1e6:8.1f} MB  {nbytes / scans / 1e3:6.1f} kB per scan"
            f"  ({rows / scans:.1f} rows per scan; table, indexes and TOAST)"
        )


def show(label: str, timing: Timing | float, note: str = "") -> None:
    """One figure line: the label, best (and median) in ms, a note."""
    figure = str(timing) if isinstance(timing, Timing) else f"{1000 * timing:8.1f} ms"
    print(f"{label:<46}{figure}{'  ' + note if note else ''}")


def verdict(seconds: float, goal: float = 1.0) -> str:
    """``met`` when ``seconds`` is under ``goal``, else ``NOT met``."""
    return "met" if seconds < goal else "NOT met"


def measure(url: str, realdata: Path, clusters: int, repeat: int) -> None:
    """Time the fleet view, the queries and a nightly run; print the goals and the size."""
    with Store.open(url, read_only=True) as store:
        t_report, text = timed(repeat, lambda: format_fleet(fleet_view(store), width=160))
        t_view, view = timed(repeat, lambda: fleet_view(store))
        t_md, _ = timed(repeat, lambda: fleet_markdown(fleet_view(store)))
        t_rows, report = timed(repeat, lambda: fleet_report(store))
        t_json, doc = timed(repeat, lambda: format_fleet_json(fleet_report(store)))
        istio = RowFilter.build(component="istio", older_than="1.22")
        t_query, hits = timed(repeat, lambda: query_rows(store, istio))
        one = RowFilter.build(cluster=name_of(clusters // 2))
        t_one, one_rows = timed(repeat, lambda: query_rows(store, one))
    shown = len(view.groups)
    print(f"fleet: {len(view.clusters)} clusters, {len(report.components)} latest rows")
    show("report --all-clusters (table)", t_report, f"[{len(text.splitlines())} lines]")
    show("  of which fleet_view() (store reads)", t_view, f"[{shown} groups shown]")
    show("report --all-clusters --format markdown", t_md)
    show("report --all-clusters --format json", t_json, f"[{len(doc) / 1e6:.1f} MB]")
    show("  of which fleet_report() (every row)", t_rows)
    show("query --component istio --older-than 1.22", t_query, f"[{len(hits)} rows]")
    show(f"query --cluster {name_of(clusters // 2)}", t_one, f"[{len(one_rows)} rows]")
    with Store.open(url) as store:
        t_night = nightly_runs(store, realdata, repeat, clusters)
    show("nightly run, store part (warm catalogue)", t_night)
    e2e_report = end_to_end(url, ["report", "--all-clusters"], repeat)
    show("tracker report --all-clusters, end to end", e2e_report, "(new process each run)")
    e2e_query = end_to_end(url, ["query", "--component", "istio", "--older-than", "1.22"], repeat)
    show("tracker query ... istio --older-than 1.22, e2e", e2e_query, "(new process each run)")
    # The goals are the commands as run (start-up included), judged on the median.
    print(f"goal report --all-clusters < 1 s:  {verdict(e2e_report.median)}  (end to end, median)")
    print(f"goal typical query < 1 s:          {verdict(e2e_query.median)}  (end to end, median)")
    print(f"goal nightly store part < 3 s:     {'met' if t_night.best < 3 else 'NOT met'}")
    size(url, clusters)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("TRACKER_TEST_POSTGRES_URL"))
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--realdata", type=Path, default=REALDATA)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--database", help="time this existing database (kept by --keep)")
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url or set TRACKER_TEST_POSTGRES_URL (a PostgreSQL server URL)")
    with open("/proc/loadavg") as f:
        print(f"load average before: {' '.join(f.read().split()[:3])}")
    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT")
    name = args.database or f"tracker_bench_{uuid.uuid4().hex[:8]}"
    url = sa.make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        if not args.database:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            fill(url, args.realdata, args.clusters, args.nights)
        measure(url, args.realdata, args.clusters, args.repeat)
    finally:
        if not args.keep and not args.database:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"kept database {name}")
        admin.dispose()
    with open("/proc/loadavg") as f:
        print(f"load average after: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
