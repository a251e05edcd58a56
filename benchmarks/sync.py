"""Benchmark `tracker sync`: N projects against the fake GitHub server with 50 ms per request.

Prints requests and wall time for a cold sync (empty store) and a warm sync (everything
stored: goal is exactly one request per project, all 304), for each concurrency given.

Issue 14 goal 5 (150 projects x 3 sources warm, one conditional request per project and
source, all 304, under 2 s with 50 ms latency): ``--projects 150 --other-sources 2``. The
endoflife.date and advisory sources are built in parallel on other branches, so the two
other sources are stood in for by a generic conditional-GET loop through
:func:`tracker.http.send` (``If-None-Match`` -> ``304``, same 50 ms latency, same
concurrency) against a local server; the GitHub releases source is the real one.

    python benchmarks/sync.py [--concurrency 8 1] [--latency 0.05] [--projects 40]
                              [--other-sources 2]
"""

from __future__ import annotations

import argparse
import copy
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.fakes.github_api import FakeGitHub, load_release_lists  # noqa: E402
from tests.upstream.fake_store import FakeStore  # noqa: E402
from tracker.upstream.github import GitHubReleaseSource, token_key  # noqa: E402
from tracker.upstream.sync import SyncSummary, sync_projects  # noqa: E402

GOAL_SECONDS = 2.0


def conditional_loop(
    projects: list[str], latency: float, concurrency: int, label: str
) -> tuple[int, int, float]:
    """One warm conditional GET per project through ``tracker.http.send``; returns
    ``(requests, 304s, seconds)``."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tracker.http import send

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(latency)
            etag = f'"{self.path}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = b"{}"
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/{label}/"
    etags = {p: f'"/{label}/{p}"' for p in projects}  # stored from the cold sync
    try:
        with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:

            def one(project: str) -> int:
                headers = {"If-None-Match": etags[project]}
                return send(client, "GET", base + project, timeout=30, headers=headers).status_code

            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                codes = list(pool.map(one, projects))
            seconds = time.perf_counter() - start
    finally:
        server.shutdown()
        server.server_close()
    return len(codes), sum(1 for c in codes if c == 304), seconds


def other_sources(
    args: argparse.Namespace,
    store: FakeStore,
    source: GitHubReleaseSource,
    projects: list[str],
    key: str,
    now: datetime,
    concurrency: int,
    github: SyncSummary,
) -> None:
    """Goal 5: the warm GitHub sync plus ``--other-sources`` generic conditional-GET loops,
    one after another and then all at once (each source its own ``concurrency`` workers)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    labels = [f"source{n + 2}" for n in range(args.other_sources)]
    total, requests = github.seconds, github.requests
    for label in labels:
        count, not_modified, seconds = conditional_loop(projects, args.latency, concurrency, label)
        total += seconds
        requests += count
        print(
            f"concurrency {concurrency:>2} warm {label} (generic conditional GET): "
            f"{count:>4} requests ({not_modified} x 304), {seconds:6.2f} s"
        )
    sources = 1 + len(labels)
    print(f"  {sources} sources one after another: {requests} requests, {total:.2f} s")
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sources) as pool:
        warm = pool.submit(
            sync_projects, store, source, projects, token_key=key, now=now, concurrency=concurrency
        )
        loops = [
            pool.submit(conditional_loop, projects, args.latency, concurrency, label)
            for label in labels
        ]
        summary = warm.result()
        results = [f.result() for f in loops]
    seconds = time.perf_counter() - start
    requests = summary.requests + sum(r[0] for r in results)
    not_modified = summary.not_modified + sum(r[1] for r in results)
    verdict = "met" if seconds < GOAL_SECONDS else "NOT met"
    print(
        f"  {sources} sources at once: {requests} requests ({not_modified} x 304), "
        f"{seconds:.2f} s   goal < {GOAL_SECONDS:.0f} s: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 1])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument(
        "--other-sources", type=int, default=0, help="generic conditional-GET sources to add"
    )
    parser.add_argument(
        "--realdata", type=Path, default=ROOT / "tests" / "data" / "realdata" / "releases"
    )
    args = parser.parse_args()
    lists = load_release_lists(args.realdata)
    names = sorted(lists)
    data = {}
    for i in range(args.projects):
        project = names[i % len(names)]
        data[f"bench{i:02d}/{project.split('/')[1]}"] = copy.deepcopy(lists[project])
    projects = sorted(data)
    releases = sum(len(v) for v in data.values())
    print(
        f"{len(projects)} projects, {releases} releases, "
        f"{args.latency * 1000:.0f} ms latency per request, per_page=100"
    )
    for concurrency in args.concurrency:
        fake = FakeGitHub(data, latency=args.latency, rate_limit=100_000)
        store = FakeStore()
        with fake.serve() as base, httpx.Client(timeout=30) as client:
            source = GitHubReleaseSource(client, base, "bench-token")
            key = token_key("bench-token")
            now = datetime.now(UTC)
            for label in ("cold", "warm"):
                summary = sync_projects(
                    store, source, projects, token_key=key, now=now, concurrency=concurrency
                )
                assert summary.ok, summary.failures
                print(
                    f"concurrency {concurrency:>2} {label}: {summary.requests:>4} requests "
                    f"({summary.not_modified} x 304), {summary.new_releases:>5} new releases, "
                    f"{summary.seconds:6.2f} s"
                )
            if args.other_sources:
                other_sources(args, store, source, projects, key, now, concurrency, summary)


if __name__ == "__main__":
    main()
