"""Advisory matching: 10,000 running components against 5,000 advisories (goal: < 1 s).

The advisories are the real OSV records of tests/data/realdata/advisories, multiplied over
150 packages (each copy renamed to its package, so every package carries ~33 advisories
with real range shapes); the components are 10,000 running versions spread over those
packages and over real version lines (many clusters run the same versions, as fleets do,
but every distinct (package, version) pair is matched for real).

    python benchmarks/advisories.py [--components 10000] [--advisories 5000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import time
from pathlib import Path

from tracker.evaluate.advisories import AdvisoryIndex
from tracker.upstream.osv import Advisory, parse_osv
from tracker.versions import ParsedVersion, parse_version

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "realdata" / "advisories"
GOAL_SECONDS = 1.0


def load() -> list[Advisory]:
    paths = sorted(DATA.glob("*.json")) + sorted((DATA / "go-vulndb").glob("*.json"))
    return [parse_osv(json.loads(p.read_text()), source=p.name) for p in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=10_000)
    parser.add_argument("--advisories", type=int, default=5_000)
    parser.add_argument("--packages", type=int, default=150)
    args = parser.parse_args()
    real = load()
    rng = random.Random(7)
    advisories: list[Advisory] = []
    for i in range(args.advisories):
        base = real[i % len(real)]
        package = f"example.com/project-{i % args.packages}"
        affected = tuple(dataclasses.replace(a, name=package) for a in base.affected)
        advisories.append(dataclasses.replace(base, id=f"{base.id}-{i}", affected=affected))
    versions: list[ParsedVersion] = []
    for _ in range(args.components):
        raw = f"v1.{rng.randrange(0, 30)}.{rng.randrange(0, 20)}"
        parsed = parse_version(raw)
        assert isinstance(parsed, ParsedVersion)
        versions.append(parsed)
    packages = [f"go:example.com/project-{rng.randrange(args.packages)}" for _ in versions]

    started = time.perf_counter()
    index = AdvisoryIndex(advisories)
    built = time.perf_counter() - started
    vulnerable = 0
    for package, version in zip(packages, versions, strict=True):
        if index.match([package], version).matches:
            vulnerable += 1
    total = time.perf_counter() - started
    print(
        f"advisories {len(advisories):,} over {args.packages} packages; components "
        f"{len(versions):,} ({vulnerable:,} vulnerable)\n"
        f"index built in {built:.3f} s; index + matching {total:.3f} s "
        f"(goal < {GOAL_SECONDS:.1f} s: {'met' if total < GOAL_SECONDS else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
