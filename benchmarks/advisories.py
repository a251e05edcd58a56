"""Advisory matching: 10,000 running components against 5,000 advisories (goal: < 1 s).

The advisories are the real OSV records of tests/data/realdata/advisories, multiplied over
150 packages (each copy renamed to its package, so every package carries ~33 advisories
with real range shapes); the components are 10,000 running versions spread over those
packages and over real version lines (many clusters run the same versions, as fleets do,
but every distinct (package, version) pair is matched for real).

A second figure, outside the first: the support advice for every distinct vulnerable
(package, version) pair (:class:`tracker.evaluate.fix_support.FixAdvisor`: is each fix's line
past end of life, and the nearest fix on a supported line, for the pair's advisories together
and each alone), against the real endoflife.date calendar of Kubernetes
(tests/data/realdata/eol/kubernetes.json) on 2025-01-15, as a report does once per pair.

    python benchmarks/advisories.py [--components 10000] [--advisories 5000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import time
from datetime import date
from pathlib import Path

from tracker.evaluate.advisories import AdvisoryIndex
from tracker.upstream.osv import Advisory, parse_osv
from tracker.versions import ParsedVersion, parse_version

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "realdata" / "advisories"
CALENDAR = ROOT / "tests" / "data" / "realdata" / "eol" / "kubernetes.json"
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
    support(index, packages, versions)


def support(index: AdvisoryIndex, packages: list[str], versions: list[ParsedVersion]) -> None:
    """Time the support advice once per distinct vulnerable (package, version) pair."""
    from tracker.evaluate.fix_support import FixAdvisor
    from tracker.evaluate.lifecycle import LineCalendar
    from tracker.evaluate.vulnerable import upgrade_target
    from tracker.upstream.endoflife import parse_product

    product = parse_product(json.loads(CALENDAR.read_text()), product="kubernetes")
    started = time.perf_counter()
    advisor = FixAdvisor(index, LineCalendar.of(product, date(2025, 1, 15)))
    done: set[tuple[str, object]] = set()
    advised = 0
    for package, version in zip(packages, versions, strict=True):
        matches = index.match([package], version).matches
        if not matches or (package, version.version) in done:
            continue
        done.add((package, version.version))
        advisor.advise([package], version, matches, upgrade_target(matches))
        advised += len(matches)
    took = time.perf_counter() - started
    print(
        f"support advice for {len(done):,} distinct vulnerable (package, version) pairs "
        f"({advised:,} advisory matches): {took:.3f} s"
    )


if __name__ == "__main__":
    main()
