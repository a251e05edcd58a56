"""Inventory speed: a 10,000-pod cluster read from a dump file and from the (fake) API.

Builds N pods (default 10,000) by cycling through the 81 real GKE pods of
``tests/data/realdata`` (renamed and spread over namespaces, so they are as large as real
pods: ~5 KB of JSON each), then measures:

* **dump scan vs ``json.load``** (issue 14 goal 2, goal <= 1.2x): ``KubectlDump`` on the JSON
  ``List`` file and a plain ``json.load`` of the same file, alternated ``--rounds`` times in
  one run (the machine is shared and noisy: best of each, and the ratio of the bests);
* **peak RSS vs file size** (goal 3, goal <= 3x): each in a fresh subprocess, the process's
  peak resident set (``ru_maxrss``) over the file size, and the increase over the same
  process just before reading (interpreter and imports);
* YAML with ``--yaml`` (libyaml ``CSafeLoader``);
* unless ``--no-live``: ``KubernetesAPI`` through the real ``kubernetes`` client against the
  local fake API server in ``tests/fakes/kube_api.py``, paged with ``limit`` (default 500).

Usage::

    python benchmarks/inventory.py [--pods 10000] [--rounds 3] [--page-size 500] [--yaml]
                                   [--no-live]

Not a unit test; prints figures (seconds, MB) and each goal next to its figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.inventory.kubectl_dump import KubectlDump  # noqa: E402

REALDATA = ROOT / "tests" / "data" / "realdata"


def make_pods(count: int) -> list[dict[str, Any]]:
    """``count`` real-shaped pods: copies of the real GKE pods with unique names."""
    path = REALDATA / "pods/gke-v1.18.19-kubevious-samples.podlist.json"
    templates = [p for p in json.loads(path.read_text())["items"]]
    raw = [json.dumps(t) for t in templates]
    pods: list[dict[str, Any]] = []
    for i in range(count):
        pod = json.loads(raw[i % len(raw)])
        meta = pod["metadata"]
        meta["name"] = f"{meta['name']}-{i}"
        meta["namespace"] = f"{meta['namespace']}-{i % 50}"
        meta["uid"] = f"00000000-0000-0000-0000-{i:012d}"
        pods.append(pod)
    return pods


def timed(label: str, fn: Any) -> Any:
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<48} {elapsed:7.2f} s   peak {peak / 1e6:7.1f} MB (traced)")
    return result


_RSS_CODE = """
import gc, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from tracker.inventory.kubectl_dump import KubectlDump

def hwm():  # this process's peak resident set, KiB (reset by exec, unlike ru_maxrss)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

path = Path(sys.argv[2])
gc.collect()
before = hwm()
if sys.argv[1] == "dump":
    KubectlDump([path], cluster="bench").collect()
else:
    with path.open("rb") as f:
        json.load(f)
print(before, hwm())
"""


def peak_rss(mode: str, path: Path) -> tuple[float, float]:
    """``(peak, before)`` resident set in MB of a fresh process reading ``path`` (Linux)."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_CODE, mode, str(path), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    before, after = (int(v) * 1024 / 1e6 for v in out)
    return after, before


def best_of(rounds: int, fns: dict[str, Any]) -> dict[str, float]:
    """Best wall time of each function over ``rounds`` alternated rounds."""
    best = {name: math.inf for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def dump_goals(dump: Path, rounds: int, expected_pods: int) -> None:
    """Issue 14 goals 2 and 3 for a JSON dump, figures and goals side by side."""
    size = dump.stat().st_size / 1e6

    def load_json() -> None:
        with dump.open("rb") as f:
            json.load(f)

    def load_json_no_gc() -> None:
        gc.disable()
        try:
            load_json()
        finally:
            gc.enable()

    def scan() -> None:
        inv = KubectlDump([dump], cluster="bench").collect()
        assert len(inv.pods) == expected_pods, len(inv.pods)

    best = best_of(rounds, {"json.load": load_json, "no gc": load_json_no_gc, "KubectlDump": scan})
    ratio = best["KubectlDump"] / best["json.load"]
    print(f"{'json.load of the dump (best of ' + str(rounds) + ')':<48} {best['json.load']:7.2f} s")
    print(f"{'  the same, cyclic GC paused':<48} {best['no gc']:7.2f} s")
    print(f"{'KubectlDump (JSON, best of ' + str(rounds) + ')':<48} {best['KubectlDump']:7.2f} s")
    print(f"{'  dump scan / json.load':<48} {ratio:7.2f} x   (goal <= 1.2x)")
    print(
        f"{'  dump scan / json.load, GC paused':<48} {best['KubectlDump'] / best['no gc']:7.2f} x"
    )
    for mode, label in (("json", "json.load"), ("dump", "KubectlDump")):
        peak, before = peak_rss(mode, dump)
        print(
            f"{'  peak RSS, ' + label:<48} {peak:7.1f} MB = {peak / size:4.2f} x file"
            f"   (+{peak - before:.1f} MB over {before:.1f} MB at start)"
            + ("   (goal <= 3x)" if mode == "dump" else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--yaml", action="store_true", help="also time a YAML dump")
    parser.add_argument("--no-live", action="store_true", help="skip the fake API server")
    args = parser.parse_args()

    pods = make_pods(args.pods)
    finished = sum(1 for p in pods if p["status"].get("phase") in ("Succeeded", "Failed"))
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "bench.pods.json"
        dump.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
        size = dump.stat().st_size / 1e6
        print(f"{args.pods} pods ({finished} finished), JSON dump {size:.1f} MB")

        inv = timed("KubectlDump (JSON, traced)", lambda: KubectlDump([dump]).collect())
        assert len(inv.pods) == args.pods - finished, len(inv.pods)
        dump_goals(dump, args.rounds, args.pods - finished)

        if args.yaml:
            import yaml

            ydump = Path(tmp) / "bench.pods.yaml"
            dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
            ydump.write_text(yaml.dump({"kind": "List", "items": pods}, Dumper=dumper))
            start = time.perf_counter()
            inv = KubectlDump([ydump]).collect()
            elapsed = time.perf_counter() - start
            print(f"{'KubectlDump (YAML, libyaml), untraced':<48} {elapsed:7.2f} s")
            assert len(inv.pods) == args.pods - finished

        if not args.no_live:
            live(pods, Path(tmp), args.page_size, args.pods - finished)


def live(pods: list[dict[str, Any]], tmp: Path, page_size: int, expected: int) -> None:
    """Time ``KubernetesAPI`` against the local fake API server."""
    from tests.fakes.kube_api import FakeKubeAPI, write_kubeconfig
    from tracker.inventory.kubernetes_api import KubernetesAPI

    with FakeKubeAPI(pods=pods, token="bench-token") as fake:
        kubeconfig = write_kubeconfig(tmp / "kubeconfig", fake.url, "bench-token")
        source = KubernetesAPI(kubeconfig=kubeconfig, page_size=page_size)
        # Warm-up: the client builds its pydantic validators on first use.
        KubernetesAPI(kubeconfig=kubeconfig, page_size=page_size).collect()
        fake.requests.clear()
        start = time.perf_counter()
        inv = source.collect()
        elapsed = time.perf_counter() - start
        pages = sum(1 for r in fake.requests if r.path == "/api/v1/pods")
        label = f"KubernetesAPI (fake server, pages of {page_size})"
        print(f"{label:<48} {elapsed:7.2f} s   {pages} pod pages")
        assert pages == math.ceil(len(pods) / page_size)
        assert len(inv.pods) == expected


if __name__ == "__main__":
    main()
