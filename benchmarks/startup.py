"""Start-up cost of the ``tracker`` command (issue 8).

Prints the median wall time over N runs (default 10) of:

- ``python -c pass`` (the interpreter alone: the yardstick);
- ``tracker --help``;
- ``tracker report`` on a stored scan (the bundled demo cluster and its releases, imported
  into a temporary SQLite store first; the store is already at the schema head, so the
  timing is start-up + read + evaluate + format);
- ``tracker query`` on that stored scan (the evaluated rows ``tracker report`` stored);
- ``tracker releases import`` of a 500-release file (real releases taken in turn from the 5
  projects in ``tests/data/realdata/releases``) into a fresh store at the schema head (a copy
  made before each run, outside the timing).

Goals: ``tracker --help`` <= 0.35 s and <= 8x ``python -c pass`` (issue 8); ``tracker report``
and ``tracker query`` <= 0.5 s end to end, and ``releases import`` of 500 releases <= 0.5 s
(issue 14).

Usage:
    python benchmarks/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tracker" / "demo"
REALDATA = ROOT / "tests" / "data" / "realdata" / "releases"
GOAL_SECONDS = 0.35
GOAL_RATIO = 8.0
GOAL_COMMAND_SECONDS = 0.5


def write_release_file(path: Path, total: int = 500) -> int:
    """Write a release file of ``total`` real releases, taken in turn from each realdata
    project (5 projects, so 5 bulk upserts)."""
    import json

    lists = {
        file.stem.replace("__", "/"): json.loads(file.read_text(encoding="utf-8"))
        for file in sorted(REALDATA.glob("*.json"))
    }
    data: dict[str, list[object]] = {project: [] for project in lists}
    index = 0
    while sum(len(v) for v in data.values()) < total:
        for project, releases in lists.items():
            if index < len(releases) and sum(len(v) for v in data.values()) < total:
                data[project].append(releases[index])
        index += 1
    path.write_text(json.dumps(data), encoding="utf-8")
    return sum(len(v) for v in data.values())


def tracker_command() -> list[str]:
    """The installed ``tracker`` script next to this interpreter, else ``python -m tracker``."""
    script = Path(sys.executable).with_name("tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


def median_seconds(
    cmd: list[str], env: dict[str, str], runs: int, before: Callable[[], None] | None = None
) -> float:
    """The median wall time of ``runs`` runs of ``cmd`` (output discarded; must exit 0);
    ``before`` runs ahead of each, untimed."""
    times: list[float] = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        subprocess.run(
            cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    tracker = tracker_command()
    with tempfile.TemporaryDirectory(prefix="tracker-startup-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        # An installed tracker runs from bytecode (pip compiles it); a machine that sets
        # PYTHONDONTWRITEBYTECODE would recompile every module on every run instead.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["TRACKER_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'startup.db'}"
        env["PYTHONPATH"] = str(ROOT)
        for name in ("cluster.json", "version.json", "releases.json"):
            shutil.copy(DEMO / name, Path(tmp) / name)
        setup = [
            [*tracker, "releases", "import", str(Path(tmp) / "releases.json")],
            [*tracker, "scan", "--cluster", "demo", "--from-dump", str(Path(tmp) / "cluster.json"),
             "--from-dump", str(Path(tmp) / "version.json")],
        ]  # fmt: skip
        for cmd in setup:
            subprocess.run(cmd, env=env, check=True, capture_output=True)
        subprocess.run([*tracker, "report"], env=env, check=True, capture_output=True)

        releases = Path(tmp) / "releases-500.json"
        n_releases = write_release_file(releases)
        empty = Path(tmp) / "empty.db"
        fresh = Path(tmp) / "import.db"
        import_env = {**env, "TRACKER_DATABASE_URL": f"sqlite:///{fresh}"}
        subprocess.run([*tracker, "db", "upgrade"], env={**env, "TRACKER_DATABASE_URL":
                       f"sqlite:///{empty}"}, check=True, capture_output=True)  # fmt: skip

        def fresh_store() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{fresh}{suffix}").unlink(missing_ok=True)
            shutil.copy(empty, fresh)

        baseline = median_seconds([sys.executable, "-c", "pass"], env, args.runs)
        help_ = median_seconds([*tracker, "--help"], env, args.runs)
        report = median_seconds([*tracker, "report"], env, args.runs)
        query = median_seconds([*tracker, "query", "--component", "istio"], env, args.runs)
        imported = median_seconds(
            [*tracker, "releases", "import", str(releases)], import_env, args.runs, fresh_store
        )

    print(f"median of {args.runs} runs (wall time)")
    print(f"  python -c pass          {baseline:6.3f} s")
    print(f"  tracker --help          {help_:6.3f} s  ({help_ / baseline:.1f}x python -c pass)")
    print(f"  tracker report (stored) {report:6.3f} s  (goal <= {GOAL_COMMAND_SECONDS} s)")
    print(f"  tracker query (stored)  {query:6.3f} s  (goal <= {GOAL_COMMAND_SECONDS} s)")
    print(f"  releases import ({n_releases}) {imported:6.3f} s  (goal <= {GOAL_COMMAND_SECONDS} s)")
    ok = help_ <= GOAL_SECONDS and help_ <= GOAL_RATIO * baseline
    print(
        f"goal tracker --help <= {GOAL_SECONDS} s and <= {GOAL_RATIO:.0f}x python -c pass: "
        f"{'met' if ok else 'NOT met'}"
    )
    for name, seconds in (("report", report), ("query", query), ("releases import", imported)):
        verdict = "met" if seconds <= GOAL_COMMAND_SECONDS else "NOT met"
        print(f"goal tracker {name} <= {GOAL_COMMAND_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
