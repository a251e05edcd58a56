"""KubectlDump on every real dump, on merged files, and on malformed input."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.errors import DumpError
from tracker.inventory.base import InventorySource
from tracker.inventory.kubectl_dump import KubectlDump, default_cluster_name
from tracker.models import Source

GKE_PODS = "pods/gke-v1.18.19-kubevious-samples.podlist.json"
GKE_NODES = "nodes/gke-v1.18.19-gke.1701.nodelist.json"


def _files(realdata: Path) -> list[Path]:
    return sorted(
        p for d in ("pods", "nodes", "version") for p in (realdata / d).iterdir() if p.is_file()
    )


def test_is_an_inventory_source() -> None:
    assert isinstance(KubectlDump([Path("x.json")]), InventorySource)


def test_every_real_dump_parses(realdata: Path) -> None:
    files = _files(realdata)
    assert len(files) == 13
    for path in files:
        inv = KubectlDump([path]).collect()
        assert inv.source is Source.DUMP
        assert inv.pods or inv.nodes or inv.server_version, path


def test_gke_pod_list(realdata: Path) -> None:
    inv = KubectlDump([realdata / GKE_PODS]).collect()
    assert inv.cluster == "gke-v1.18.19-kubevious-samples"
    assert len(inv.pods) == 80  # 81 minus the Succeeded CronJob pod
    assert inv.server_version is None and inv.nodes == ()
    assert len({p.namespace for p in inv.pods}) >= 7
    images = {c.image.raw for p in inv.pods for c in p.containers}
    assert "quay.io/jetstack/cert-manager-controller:v0.10.1" in images
    assert "prom/prometheus:v2.11.0" in images and "prom/prometheus:v2.11.1" in images


def test_files_merge_into_one_inventory(realdata: Path) -> None:
    inv = KubectlDump(
        [
            realdata / GKE_PODS,
            realdata / GKE_NODES,
            realdata / "version/k3s-rancher-desktop-v1.29.6+k3s1.version.json",
        ],
        cluster="prod",
    ).collect()
    assert inv.cluster == "prod"
    assert len(inv.pods) == 80 and len(inv.nodes) == 2
    assert {n.kubelet_version for n in inv.nodes} == {"v1.18.19-gke.1701"}
    assert inv.server_version == "v1.29.6+k3s1"


@pytest.mark.parametrize(
    ("file", "version"),
    [
        ("version/eks-v1.16.15-eks-ad4801.kubectl-version.json", "v1.16.15-eks-ad4801"),
        ("version/k3s-rancher-desktop-v1.29.6+k3s1.version.json", "v1.29.6+k3s1"),
    ],
)
def test_version_files(realdata: Path, file: str, version: str) -> None:
    assert KubectlDump([realdata / file]).collect().server_version == version


@pytest.mark.parametrize(
    ("file", "kubelet"),
    [
        (GKE_NODES, "v1.18.19-gke.1701"),
        ("nodes/eks-v1.16.13-eks-ec92d4.nodelist.json", "v1.16.13-eks-ec92d4"),
        ("nodes/doks-v1.18.10.nodelist.json", "v1.18.10"),
        ("nodes/kind-v1.24.0.node.yaml", "v1.24.0"),
    ],
)
def test_node_files(realdata: Path, file: str, kubelet: str) -> None:
    inv = KubectlDump([realdata / file]).collect()
    assert inv.nodes and {n.kubelet_version for n in inv.nodes} == {kubelet}


def test_multi_document_yaml_with_trailing_empty_document(realdata: Path) -> None:
    path = realdata / "pods/istio-injector-golden.native-sidecar.pod.yaml"
    assert path.read_text().rstrip().endswith("---")
    inv = KubectlDump([path]).collect()
    (pod,) = inv.pods
    assert any(c.name == "istio-proxy" and c.sidecar for c in pod.containers)
    assert inv.warnings == ()


def test_yaml_and_json_give_the_same_pods(realdata: Path, tmp_path: Path) -> None:
    data = json.loads((realdata / GKE_PODS).read_text())
    yaml_path = tmp_path / "gke.yaml"
    yaml_path.write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)))
    from_json = KubectlDump([realdata / GKE_PODS]).collect()
    from_yaml = KubectlDump([yaml_path]).collect()
    assert from_yaml.pods == from_json.pods


def test_typed_pod_list_without_item_kinds(realdata: Path, tmp_path: Path) -> None:
    data = json.loads((realdata / GKE_PODS).read_text())
    items = [{k: v for k, v in i.items() if k not in ("kind", "apiVersion")} for i in data["items"]]
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"kind": "PodList", "apiVersion": "v1", "items": items}))
    assert len(KubectlDump([path]).collect().pods) == 80


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _pod(name: str = "p", **spec: Any) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": spec or {"containers": [{"name": "a", "image": "a:1"}]},
    }


def test_other_kinds_are_skipped_and_counted_and_secrets_never_read(tmp_path: Path) -> None:
    secret_value = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"
    path = _write(
        tmp_path,
        "mixed.json",
        {
            "kind": "List",
            "items": [
                _pod(),
                {"kind": "Service", "metadata": {"name": "s"}},
                {"kind": "ConfigMap", "metadata": {"name": "c"}},
                {"kind": "Secret", "metadata": {"name": "db"}, "data": {"pw": secret_value}},
                {"kind": "Secret", "metadata": {"name": "tls"}, "data": {"key": secret_value}},
            ],
        },
    )
    inv = KubectlDump([path]).collect()
    assert len(inv.pods) == 1
    assert inv.warnings == (
        "mixed.json: skipped 4 object(s) of other kinds (ConfigMap 1, Secret 2, Service 1)",
    )
    assert secret_value not in repr(inv)


def test_helm_secret_list_alone_gives_the_helm_releases(realdata: Path) -> None:
    path = realdata / "helm/kubevious-mock-data.helm-release-secrets.yaml"
    inv = KubectlDump([path]).collect()
    assert not inv.pods and not inv.nodes and inv.warnings == ()
    assert [
        (r.namespace, r.name, r.revision, r.status, r.chart_version) for r in inv.helm_releases
    ] == [
        ("kubevious", "kubevious", 109, "deployed", "1.0.13"),  # v110 pending-upgrade is not it
        ("traefik-samples", "traefik-samples", 1, "deployed", "0.0.1"),
    ]


def test_other_secrets_are_skipped_unread(tmp_path: Path) -> None:
    secret = {"kind": "Secret", "type": "Opaque", "metadata": {"name": "s"}, "data": {"k": "!!"}}
    path = _write(tmp_path, "s.json", {"kind": "List", "items": [secret]})
    with pytest.raises(DumpError, match=r"holds no Pod, Node, Helm release Secret or version"):
        KubectlDump([path]).collect()


def test_multi_document_yaml_skips_other_kinds(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "m.yaml",
        "---\nkind: Service\nmetadata: {name: s}\n---\n" + yaml.safe_dump(_pod()) + "---\n",
    )
    inv = KubectlDump([path]).collect()
    assert len(inv.pods) == 1 and "Service 1" in inv.warnings[0]


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.json", "", "is empty"),
        ("blank.yaml", "  \n\n", "is empty"),
        ("broken.json", '{\n  "kind": "List",\n  "items": [\n}', "invalid JSON at line 4"),
        ("broken.yaml", "kind: Pod\nmetadata:\n  name: [a\n", r"invalid YAML at line \d+"),
        ("array.json", "[1, 2]", "top level is a list, not an object"),
        ("scalar.yaml", "just text\n", "top level is a str, not an object"),
        (
            "deploy.json",
            {"kind": "Deployment", "metadata": {"name": "d"}},
            "kind Deployment is not supported",
        ),
        ("nokind.json", {"metadata": {"name": "x"}}, "has no kind"),
        ("emptylist.json", {"kind": "List", "items": []}, "holds no Pod, Node, Helm release"),
        ("client.json", {"clientVersion": {"gitVersion": "v1.30.0"}}, "no serverVersion"),
        ("item.json", {"kind": "List", "items": [_pod(), "x"]}, r"items\[1\] is not an object"),
        (
            "nocontainers.json",
            {"kind": "List", "items": [_pod(), _pod("bad", containers=[])]},
            r"items\[1\]: Pod ns/bad has no spec.containers",
        ),
        ("doc.yaml", yaml.safe_dump(_pod()) + "---\n- a\n", "document 2 is a list"),
    ],
)
def test_malformed_files(tmp_path: Path, name: str, content: Any, match: str) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(DumpError, match=match) as info:
        KubectlDump([path]).collect()
    assert str(path) in info.value.message
    assert "\n" not in str(info.value)
    assert info.value.hint


def test_missing_file_and_no_file(tmp_path: Path) -> None:
    with pytest.raises(DumpError, match="not found"):
        KubectlDump([tmp_path / "nope.json"]).collect()
    with pytest.raises(DumpError, match="no dump file given"):
        KubectlDump([]).collect()
    with pytest.raises(DumpError, match="is a directory"):
        KubectlDump([tmp_path]).collect()


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DumpError, match="not UTF-8"):
        KubectlDump([path]).collect()


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("gke-v1.18.19-kubevious-samples.podlist.json", "gke-v1.18.19-kubevious-samples"),
        ("istio-injector-golden.native-sidecar.pod.yaml", "istio-injector-golden.native-sidecar"),
        ("eks-v1.16.15-eks-ad4801.kubectl-version.json", "eks-v1.16.15-eks-ad4801"),
        ("prod.yml", "prod"),
        ("prod-cluster", "prod-cluster"),
        ("pods.json", "pods"),
    ],
)
def test_default_cluster_name(file: str, name: str) -> None:
    assert default_cluster_name(Path(file)) == name


# -- hostile files (issue 13 §3): one line naming the file, never a traceback or a hang ------

REPO = Path(__file__).resolve().parents[2]


def _one_line_error(paths: list[Path], **kwargs: Any) -> DumpError:
    with pytest.raises(DumpError) as info:
        KubectlDump(paths, **kwargs).collect()
    assert "\n" not in str(info.value), str(info.value)
    return info.value


def _returns_promptly(fn: Any) -> Any:
    """Run ``fn`` in a daemon thread; fail (instead of hanging the suite) if it blocks."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "blocked: the call did not return"
    return outcome[0]


def _deep_list(depth: int) -> str:
    return '{"kind": "List", "items": [' + "[" * depth + "]" * depth + "]}"


def test_json_nested_100000_levels_deep(tmp_path: Path) -> None:
    path = _write(tmp_path, "deep.json", _deep_list(100_000))
    error = _one_line_error([path])
    assert error.message == (
        f"dump file {path}: invalid JSON at line 1 column 1051: nested more than 1024 levels deep"
    )


def test_json_nesting_that_real_objects_use_is_fine(tmp_path: Path) -> None:
    deep: Any = "x"
    for _ in range(500):
        deep = {"a": deep}
    pod = _pod()
    pod["metadata"]["annotations"] = {"note": json.dumps(deep)}
    pod["status"] = {"deep": deep}
    path = _write(tmp_path, "ok.json", {"kind": "List", "items": [pod]})
    assert len(KubectlDump([path]).collect().pods) == 1


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # flow: libyaml's composer would crash the process
        "- " * 100_000 + "x\n",  # block sequences, two bytes a level
        "a: " + "{b: " * 100_000 + "}" * 100_000 + "\n",
    ],
    ids=["flow", "block", "flow-mapping"],
)
def test_yaml_nested_100000_levels_deep(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, "deep.yaml", text)
    error = _one_line_error([path])
    # refused by tracker's own check, or by libyaml >= 0.2.5 itself (limit 1000 too)
    assert re.fullmatch(
        rf"dump file {re.escape(str(path))}: (YAML nested more than 1000 levels deep|"
        r"invalid YAML) at line 1 column \d+(: exceeded maximum nesting depth)?",
        error.message,
    ), error.message


def test_yaml_alias_expansion_is_refused(tmp_path: Path) -> None:
    pod = yaml.safe_dump(_pod()).replace("\n", "\n  ")
    text = "kind: List\nx: &p\n  " + pod + "\nitems: [" + ", ".join(["*p"] * 1001) + "]\n"
    path = _write(tmp_path, "laughs.yaml", text)
    error = _one_line_error([path])
    assert "more than 1000 YAML aliases (*name) at line" in error.message
    # a few aliases (hand-written manifests) are fine
    small = _write(tmp_path, "few.yaml", text.replace(", ".join(["*p"] * 1001), "*p, *p"))
    assert len(KubectlDump([small]).collect().pods) == 1


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        (
            "bigint.json",
            '{"kind": "Pod", "metadata": {"name": ' + "9" * 100_000 + "}}",
            r"invalid JSON at line 1 column 38: number is infinity when parsed as double$",
        ),
        (
            "inf.json",
            '{"kind": "Pod", "metadata": {"name": -1e999}}',
            r"invalid JSON at line 1 column 38: number is",
        ),
        (
            "bigint.yaml",
            "kind: Pod\nmetadata: {name: p, generation: " + "9" * 100_000 + "}\n",
            r"invalid YAML value: Exceeds the limit \(4300 digits\)",
        ),
        ("date.yaml", "kind: Pod\nwhen: 2024-02-30\n", r"invalid YAML value: day is out of range"),
        ("tag.yaml", "kind: !!python/object:os.system {}\n", r"invalid YAML at line 1 column 7"),
        (
            "nul.json",
            '{"kind": "Pod\x00"}',
            r"invalid JSON at line 1 column 14: unexpected control",
        ),
        ("surrogate.json", '{"kind": "\\ud800"}', r"invalid JSON at line 1 column 11: no low"),
        (
            "trailing.json",
            '{"kind": "Pod"} {}',
            r"invalid JSON at line 1 column 17: unexpected content after document",
        ),
    ],
)
def test_values_json_and_yaml_cannot_hold(
    tmp_path: Path, name: str, content: str, match: str
) -> None:
    path = _write(tmp_path, name, content)
    error = _one_line_error([path])
    assert error.message.startswith(f"dump file {path}: ")
    assert re.search(match, error.message), error.message


def test_big_numbers_in_fields_tracker_does_not_read(tmp_path: Path) -> None:
    pod = _pod()
    pod["metadata"]["generation"] = 2**64 + 1
    text = json.dumps({"kind": "List", "items": [pod]})
    path = _write(tmp_path, "big.json", text)
    assert len(KubectlDump([path]).collect().pods) == 1
    # valid JSON syntax, never decoded: skipped, not refused
    path = _write(tmp_path, "huge.json", text.replace(str(2**64 + 1), "9" * 100_000))
    assert len(KubectlDump([path]).collect().pods) == 1


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b'{"kind": "Pod", "metadata": {"name": "caf\xe9"}}', 41),  # Latin-1 JSON
        (b"kind: Pod\nmetadata:\n  name: caf\xe9\n", 31),  # Latin-1 YAML
        (b"\xff\xfe{\x00}\x00", 0),  # UTF-16
    ],
    ids=["json", "yaml", "utf16"],
)
def test_not_utf8_names_the_byte(tmp_path: Path, data: bytes, offset: int) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(data)
    error = _one_line_error([path])
    assert error.message.startswith(f"dump file {path} is not UTF-8 text (byte {offset}: ")


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"kind": "List", "items": [_pod()]}).encode())
    assert len(KubectlDump([path]).collect().pods) == 1
    path.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(_pod()).encode())
    assert len(KubectlDump([path]).collect().pods) == 1


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_devices_are_refused_at_once(device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"{device} not on this system")
    error = _returns_promptly(lambda: _one_line_error([Path(device)]))
    assert error.message == f"dump file {device} is a character device, not a regular file"
    assert "regular file" in error.hint


def test_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "dump.json"
    link.symlink_to("/dev/zero")
    error = _returns_promptly(lambda: _one_line_error([link]))
    assert "is a character device" in error.message


def test_fifo_without_a_writer_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "dump.json"
    os.mkfifo(fifo)
    error = _returns_promptly(lambda: _one_line_error([fifo]))
    assert error.message == f"dump file {fifo} is a FIFO (named pipe), not a regular file"


def test_directory(tmp_path: Path) -> None:
    error = _one_line_error([tmp_path])
    assert error.message == f"dump file {tmp_path} is a directory, not a regular file"


def test_size_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, "pods.json", {"kind": "List", "items": [_pod()]})
    size = path.stat().st_size
    assert len(KubectlDump([path], max_size=size).collect().pods) == 1
    error = _one_line_error([path], max_size=size - 1)
    assert error.message == (
        f"dump file {path} is {size} bytes, over the limit of {size - 1} bytes"
    )
    assert error.hint == "raise the limit with --max-dump-size if the file is genuine"


def test_unreadable_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "secret.json", {"kind": "List", "items": [_pod()]})
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        error = _one_line_error([path])
        assert error.message == f"dump file {path} cannot be read: Permission denied"
    finally:
        path.chmod(0o600)


class _Stdin(io.TextIOWrapper):
    """A stand-in for sys.stdin: not a terminal, bytes on .buffer."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))


def test_stdin_via_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps({"kind": "List", "items": [_pod("a"), _pod("b")]}).encode()
    monkeypatch.setattr(sys, "stdin", _Stdin(text))
    inv = KubectlDump([Path("-")], cluster="piped").collect()
    assert inv.cluster == "piped" and {p.name for p in inv.pods} == {"a", "b"}


def test_stdin_yaml_and_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    text = yaml.safe_dump(_pod()).encode()
    monkeypatch.setattr(sys, "stdin", _Stdin(text))
    assert len(KubectlDump([Path("-")], cluster="c").collect().pods) == 1
    monkeypatch.setattr(sys, "stdin", _Stdin(text))
    error = _one_line_error([Path("-")], cluster="c", max_size=10)
    assert error.message == "dump file stdin holds more, over the limit of 10 bytes"


def test_stdin_needs_a_cluster_and_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(b"{}"))
    assert "needs a cluster name" in _one_line_error([Path("-")]).message
    assert "more than once" in _one_line_error([Path("-"), Path("-")], cluster="c").message


def test_stdin_terminal_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(_Stdin):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(b""))
    error = _one_line_error([Path("-")], cluster="c")
    assert error.message == "dump file stdin is a terminal"


def _scan_stdin(stdin: Any, *args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; from pathlib import Path\n"
        "from tracker.errors import DumpError\n"
        "from tracker.inventory.kubectl_dump import KubectlDump\n"
        "try:\n"
        "    inv = KubectlDump([Path('-')], cluster='c', max_size=int(sys.argv[1])).collect()\n"
        "    print(len(inv.pods), 'pods')\n"
        "except DumpError as exc:\n"
        "    print(exc.message)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=True,
    )


def test_real_stdin_pipe_file_and_device(tmp_path: Path) -> None:
    path = _write(tmp_path, "pods.json", {"kind": "List", "items": [_pod()]})
    with path.open("rb") as f:  # a redirected regular file
        assert _scan_stdin(f, "1000000").stdout == "1 pods\n"
    with open("/dev/zero", "rb") as zero:  # `tracker scan --from-dump - < /dev/zero`
        out = _scan_stdin(zero, str(2 * 1024**3)).stdout
    assert out == "dump file stdin is a character device\n"
    piped = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)
    try:
        assert _scan_stdin(piped.stdout, "10").stdout == (
            "dump file stdin holds more, over the limit of 10 bytes\n"
        )
    finally:
        piped.wait(timeout=60)


# -- the typed fast path (msgspec, only the fields tracker reads) agrees with the full decode -


def _both_paths(monkeypatch: pytest.MonkeyPatch, paths: list[Path]) -> tuple[Any, Any]:
    """(fast, full): the inventory or DumpError message each path gives, scan time dropped."""
    from dataclasses import replace

    from tracker.inventory import kubectl_dump

    out = []
    for fast in (True, False):
        with monkeypatch.context() as patch:
            if not fast:
                patch.setattr(kubectl_dump, "_decode_json_fast", lambda data: None)
            try:
                inv = KubectlDump(paths, cluster="c").collect()
                out.append(replace(inv, scanned_at=None))
            except DumpError as exc:
                out.append(exc.message)
    return out[0], out[1]


def test_fast_path_reads_every_real_json_dump_as_the_full_decode(
    realdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [p for p in _files(realdata) if p.suffix == ".json"]
    assert len(files) >= 10
    for path in files:
        fast, full = _both_paths(monkeypatch, [path])
        assert fast == full, path


def test_fast_path_is_taken_for_real_dumps(realdata: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.inventory import kubectl_dump

    def refuse(data: bytes) -> Any:
        raise AssertionError("full decode used")

    monkeypatch.setattr(kubectl_dump.InputFile, "parse_json", refuse)
    assert len(KubectlDump([realdata / GKE_PODS]).collect().pods) == 80


@pytest.mark.parametrize(
    "doc",
    [
        {"kind": "List", "items": [_pod(), {"kind": "Secret", "data": {"k": "v"}}]},
        {"kind": "List", "items": None},
        {"kind": "List", "items": [_pod(), 3]},
        {"kind": "Pod", "metadata": {"name": "p", "ownerReferences": ["x"]}, "spec": {}},
        {"kind": "Pod", "metadata": {"name": "p", "labels": {"a": 1}}, "spec": {"containers": 1}},
        {**_pod(), "status": {"phase": "Succeeded", "containerStatuses": None}},
        {"gitVersion": "v1.29.0", "kind": None},
        {"serverVersion": None, "clientVersion": {"gitVersion": "v1"}},
        {"kind": "NodeList", "items": [{"metadata": {"name": "n"}, "status": {"nodeInfo": 3}}]},
    ],
)
def test_fast_path_falls_back_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, doc: dict[str, Any]
) -> None:
    path = _write(tmp_path, "odd.json", doc)
    fast, full = _both_paths(monkeypatch, [path])
    assert fast == full
