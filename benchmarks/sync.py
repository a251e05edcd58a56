"""Benchmark `tracker sync`: 40 projects against the fake GitHub server with 50 ms per request.

Prints requests and wall time for a cold sync (empty store) and a warm sync (everything
stored: goal is exactly one request per project, all 304), for each concurrency given.

    python benchmarks/sync.py [--concurrency 8 1] [--latency 0.05] [--projects 40]
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
from tracker.upstream.sync import sync_projects  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 1])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--projects", type=int, default=40)
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


if __name__ == "__main__":
    main()
