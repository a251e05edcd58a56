"""Live scan vs ``kubectl get nodes,pods -A -o json`` on one fake API server (issue 14 goal 1).

Builds 10,000 real-shaped pods (copies of the real GKE pods, as ``benchmarks/inventory.py``
does) and 100 real-shaped nodes (copies of the real GKE nodes), serves them from the fake
API server of ``tests/fakes/kube_api.py`` running in a SEPARATE process (so the server's
JSON encoding never competes with the client for one interpreter), and alternates, in one
run, ``--rounds`` times:

* ``kubectl --kubeconfig K get nodes,pods -A -o json`` (output to /dev/null; kubectl's
  default ``--chunk-size=500``), and
* ``tracker scan --kubeconfig K --cluster bench`` (fetch + identify + store into a SQLite
  store at the schema head; nodes, pods and Helm Secrets listed concurrently, pages of 500),

each a fresh process (start-up included for both). Prints the median of each and the ratio
of the medians; goal <= 0.3x.

The server accepts any credentials (kubectl sends no bearer token over plain http). The
fake server adds to ``tests/fakes/kube_api.py`` only what kubectl needs before it lists
(discovery: ``/api``, ``/api/v1``, ``/apis``), and answers each distinct request from a
cache of its encoded body (the data never changes), so both clients are measured against
a server that costs the same and little.

Usage::

    python benchmarks/live_scan.py [--pods 10000] [--nodes 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT / "tests" / "data" / "realdata"
GOAL = 0.3
TOKEN = "bench-token"

SERVER = r"""
import json, sys, threading
from urllib.parse import parse_qs, urlsplit
sys.path.insert(0, sys.argv[1])
from benchmarks.live_scan import make_nodes, make_pods
from tests.fakes.kube_api import FakeKubeAPI

DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [
                 {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node",
         "verbs": ["get", "list"], "shortNames": ["no"]},
        {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
         "verbs": ["get", "list"], "shortNames": ["po"]},
        {"name": "secrets", "singularName": "secret", "namespaced": True, "kind": "Secret",
         "verbs": ["get", "list"]},
        {"name": "namespaces", "singularName": "namespace", "namespaced": False,
         "kind": "Namespace", "verbs": ["get", "list"], "shortNames": ["ns"]}]},
}


class Server(FakeKubeAPI):
    def _route(self, method, path, query, auth):
        if path.rstrip("/") in DISCOVERY:
            return 200, DISCOVERY[path.rstrip("/")]
        return super()._route(method, path, query, auth)

    def _handle(self, h, method):
        # Each distinct request (method, path with its query, credentials) is answered from
        # a cache of its encoded answer: the data never changes, and the continue tokens
        # carry a fixed resourceVersion, so every run after the warm-up is served from it.
        key = (method, h.path, h.headers.get("Authorization"))
        with _lock:
            hit = _cache.get(key)
        if hit is None:
            parts = urlsplit(h.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            code, body = self._route(method, parts.path, query, h.headers.get("Authorization"))
            hit = (code, json.dumps(body).encode())
            with _lock:
                _cache[key] = hit
        code, data = hit
        h.send_response(code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


_cache = {}
_lock = threading.Lock()
pods, nodes = int(sys.argv[2]), int(sys.argv[3])
server = Server(pods=make_pods(pods), nodes=make_nodes(nodes), token=sys.argv[4] or None)
server.start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""


def make_pods(count: int) -> list[dict[str, Any]]:
    """``count`` real-shaped pods: copies of the real GKE pods with unique names."""
    path = REALDATA / "pods/gke-v1.18.19-kubevious-samples.podlist.json"
    raw = [json.dumps(p) for p in json.loads(path.read_text())["items"]]
    pods = []
    for i in range(count):
        pod = json.loads(raw[i % len(raw)])
        meta = pod["metadata"]
        meta["name"] = f"{meta['name']}-{i}"
        meta["namespace"] = f"{meta['namespace']}-{i % 50}"
        meta["uid"] = f"00000000-0000-0000-0000-{i:012d}"
        pods.append(pod)
    return pods


def make_nodes(count: int) -> list[dict[str, Any]]:
    """``count`` real-shaped nodes: copies of the real GKE nodes with unique names."""
    path = REALDATA / "nodes/gke-v1.18.19-gke.1701.nodelist.json"
    raw = [json.dumps(n) for n in json.loads(path.read_text())["items"]]
    nodes = []
    for i in range(count):
        node = json.loads(raw[i % len(raw)])
        node["metadata"]["name"] = f"{node['metadata']['name']}-{i}"
        node["metadata"]["uid"] = f"10000000-0000-0000-0000-{i:012d}"
        nodes.append(node)
    return nodes


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        sys.exit("kubectl is not installed (apt-get install kubernetes-client)")
    version = subprocess.run(
        [kubectl, "version", "--client"], capture_output=True, text=True
    ).stdout.splitlines()[0]
    tracker = Path(sys.executable).with_name("tracker")
    tracker_cmd = [str(tracker)] if tracker.exists() else [sys.executable, "-m", "tracker"]

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(ROOT), str(args.pods), str(args.nodes), ""],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory(prefix="tracker-live-") as tmp:
            sys.path.insert(0, str(ROOT))
            from tests.fakes.kube_api import write_kubeconfig

            kubeconfig = write_kubeconfig(Path(tmp) / "kubeconfig", url, TOKEN)
            env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
            # An installed tracker runs from bytecode (pip compiles it); a machine that sets
            # PYTHONDONTWRITEBYTECODE would recompile every module on every run instead.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["TRACKER_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'live.db'}"
            env["KUBECACHEDIR"] = str(Path(tmp) / "kubecache")
            env["HOME"] = tmp  # kubectl's discovery cache goes under it, fresh per run
            kubectl_cmd = [kubectl, "--kubeconfig", str(kubeconfig), "get", "nodes,pods", "-A",
                           "-o", "json"]  # fmt: skip
            scan_cmd = [*tracker_cmd, "scan", "--kubeconfig", str(kubeconfig), "--cluster",
                        "bench"]  # fmt: skip
            # warm-up: the store's schema, the server's encoded pages, the OS file cache
            timed(scan_cmd, env)
            timed(kubectl_cmd, env)
            k_times: list[float] = []
            t_times: list[float] = []
            for _ in range(args.rounds):
                k_times.append(timed(kubectl_cmd, env))
                t_times.append(timed(scan_cmd, env))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)
    k, t = statistics.median(k_times), statistics.median(t_times)
    print(f"{args.pods} pods, {args.nodes} nodes; fake API server in its own process; "
          f"median of {args.rounds} alternated runs, start-up included")  # fmt: skip
    print(f"  {version}")
    print(f"  kubectl get nodes,pods -A -o json  {k:6.2f} s  (runs: "
          + ", ".join(f"{x:.2f}" for x in k_times) + ")")  # fmt: skip
    print(f"  tracker scan (fetch+identify+store) {t:6.2f} s  (runs: "
          + ", ".join(f"{x:.2f}" for x in t_times) + ")")  # fmt: skip
    ratio = t / k
    print(f"  ratio {ratio:.2f}x   goal <= {GOAL}x: {'met' if ratio <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
