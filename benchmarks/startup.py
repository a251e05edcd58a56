"""Start-up cost of the ``tracker`` command (issue 8).

Prints the median wall time over N runs (default 10) of:

- ``python -c pass`` (the interpreter alone: the yardstick);
- ``tracker --help``;
- ``tracker report`` on a stored scan (the bundled demo cluster and its releases, imported
  into a temporary SQLite store first; the store is already at the schema head, so the
  timing is start-up + read + evaluate + format).

Goals: ``tracker --help`` <= 0.35 s and <= 8x ``python -c pass``.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tracker" / "demo"
GOAL_SECONDS = 0.35
GOAL_RATIO = 8.0


def tracker_command() -> list[str]:
    """The installed ``tracker`` script next to this interpreter, else ``python -m tracker``."""
    script = Path(sys.executable).with_name("tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker"]


def median_seconds(cmd: list[str], env: dict[str, str], runs: int) -> float:
    """The median wall time of ``runs`` runs of ``cmd`` (output discarded; must exit 0)."""
    times: list[float] = []
    for _ in range(runs):
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

        baseline = median_seconds([sys.executable, "-c", "pass"], env, args.runs)
        help_ = median_seconds([*tracker, "--help"], env, args.runs)
        report = median_seconds([*tracker, "report"], env, args.runs)

    print(f"median of {args.runs} runs (wall time)")
    print(f"  python -c pass          {baseline:6.3f} s")
    print(f"  tracker --help          {help_:6.3f} s  ({help_ / baseline:.1f}x python -c pass)")
    print(f"  tracker report (stored) {report:6.3f} s")
    ok = help_ <= GOAL_SECONDS and help_ <= GOAL_RATIO * baseline
    print(
        f"goal tracker --help <= {GOAL_SECONDS} s and <= {GOAL_RATIO:.0f}x python -c pass: "
        f"{'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
