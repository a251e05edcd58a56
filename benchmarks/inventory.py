"""Inventory speed: a 10,000-pod cluster read from a dump file and from the (fake) API.

Builds N pods (default 10,000) by cycling through the 81 real GKE pods of
``tests/data/realdata`` (renamed and spread over namespaces, so they are as large as real
pods: ~10 KB of JSON each), then times:

* ``KubectlDump`` on the JSON ``List`` file (and on YAML with ``--yaml``);
* ``KubernetesAPI`` through the real ``kubernetes`` client against the local fake API server
  in ``tests/fakes/kube_api.py``, paged with ``limit`` (default 500).

Usage::

    python benchmarks/inventory.py [--pods 10000] [--page-size 500] [--yaml]

Not a unit test; prints figures (seconds, MB).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.kube_api import FakeKubeAPI, write_kubeconfig  # noqa: E402
from tracker.inventory.kubectl_dump import KubectlDump  # noqa: E402
from tracker.inventory.kubernetes_api import KubernetesAPI  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--yaml", action="store_true", help="also time a YAML dump")
    args = parser.parse_args()

    pods = make_pods(args.pods)
    finished = sum(1 for p in pods if p["status"].get("phase") in ("Succeeded", "Failed"))
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "bench.pods.json"
        dump.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
        size = dump.stat().st_size / 1e6
        print(f"{args.pods} pods ({finished} finished), JSON dump {size:.1f} MB")

        inv = timed("KubectlDump (JSON)", lambda: KubectlDump([dump]).collect())
        assert len(inv.pods) == args.pods - finished, len(inv.pods)
        # Untraced timing too: tracemalloc slows allocation-heavy code down.
        start = time.perf_counter()
        KubectlDump([dump]).collect()
        print(f"{'KubectlDump (JSON), untraced':<48} {time.perf_counter() - start:7.2f} s")

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

        with FakeKubeAPI(pods=pods, token="bench-token") as fake:
            kubeconfig = write_kubeconfig(Path(tmp) / "kubeconfig", fake.url, "bench-token")
            source = KubernetesAPI(kubeconfig=kubeconfig, page_size=args.page_size)
            # Warm-up: the client builds its pydantic validators on first use.
            KubernetesAPI(kubeconfig=kubeconfig, page_size=args.page_size).collect()
            fake.requests.clear()
            start = time.perf_counter()
            inv = source.collect()
            elapsed = time.perf_counter() - start
            pages = sum(1 for r in fake.requests if r.path == "/api/v1/pods")
            label = f"KubernetesAPI (fake server, pages of {args.page_size})"
            print(f"{label:<48} {elapsed:7.2f} s   {pages} pod pages")
            assert pages == math.ceil(args.pods / args.page_size)
            assert len(inv.pods) == args.pods - finished


if __name__ == "__main__":
    main()
