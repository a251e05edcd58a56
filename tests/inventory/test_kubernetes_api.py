"""KubernetesAPI through the real kubernetes client against the local fake API server."""

from __future__ import annotations

import json
import logging
import math
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fakes.kube_api import FakeKubeAPI, write_kubeconfig
from tracker.errors import ClusterAPIError, ConfigError
from tracker.inventory.base import InventorySource
from tracker.inventory.kubernetes_api import KubernetesAPI
from tracker.models import Source

TOKEN = "sekret-bearer-token-do-not-print"


@pytest.fixture
def fake(realdata: Path) -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI.from_realdata(realdata, token=TOKEN) as server:
        yield server


@pytest.fixture
def kubeconfig(fake: FakeKubeAPI, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", fake.url, TOKEN, ("fake-ctx", "other"))


def test_is_an_inventory_source() -> None:
    assert isinstance(KubernetesAPI(), InventorySource)


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="page size 0"):
        KubernetesAPI(page_size=0)
    with pytest.raises(ConfigError, match="timeout"):
        KubernetesAPI(timeout_seconds=0)


def test_reads_real_data_paged_and_read_only(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    inv = KubernetesAPI(kubeconfig=kubeconfig, page_size=20).collect()
    assert inv.source is Source.API
    assert inv.cluster == "fake-ctx"
    assert inv.server_version == "v1.29.6+k3s1"
    assert {n.kubelet_version for n in inv.nodes} == {"v1.18.19-gke.1701"}
    assert len(inv.pods) == 80
    pod = next(p for p in inv.pods if p.name == "gitlab-cert-manager-5ffcc7f99f-2kr6b")
    assert str(pod.workload) == "Deployment/gitlab-cert-manager"
    assert pod.containers[0].image.raw == "quay.io/jetstack/cert-manager-controller:v0.10.1"
    assert inv.warnings == (
        "left out 1 finished pod (phase Succeeded/Failed: containers not running)",
    )

    assert {r.method for r in fake.requests} == {"GET"}
    assert {r.authorization for r in fake.requests} == {f"Bearer {TOKEN}"}
    pod_requests = [r for r in fake.requests if r.path == "/api/v1/pods"]
    assert len(pod_requests) == math.ceil(81 / 20)
    assert all(r.query["limit"] == "20" for r in pod_requests)
    assert "continue" not in pod_requests[0].query
    assert all("continue" in r.query for r in pod_requests[1:])


def test_same_pods_as_the_dump(fake: FakeKubeAPI, kubeconfig: Path, realdata: Path) -> None:
    from tracker.inventory.kubectl_dump import KubectlDump

    live = KubernetesAPI(kubeconfig=kubeconfig, page_size=7).collect()
    dump = KubectlDump([realdata / "pods/gke-v1.18.19-kubevious-samples.podlist.json"]).collect()
    key = lambda p: (p.namespace, p.name)  # noqa: E731
    assert sorted(live.pods, key=key) == sorted(dump.pods, key=key)


def test_context_and_cluster_name(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    assert KubernetesAPI(kubeconfig=kubeconfig, context="other").collect().cluster == "other"
    assert KubernetesAPI(kubeconfig=kubeconfig, cluster="prod").collect().cluster == "prod"


def test_default_kubeconfig_from_env(
    fake: FakeKubeAPI, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    assert KubernetesAPI().collect().cluster == "fake-ctx"


def test_forbidden_cluster_pods_fall_back_per_namespace(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    fake.forbid_cluster_pods = True
    fake.forbidden_namespaces = frozenset({"gitlab", "kube-system"})
    inv = KubernetesAPI(kubeconfig=kubeconfig, page_size=10).collect()
    namespaces = {p.namespace for p in inv.pods}
    assert "gitlab" not in namespaces and "kube-system" not in namespaces
    assert "sock-shop" in namespaces
    assert "namespace gitlab: listing pods is forbidden; not scanned" in inv.warnings
    assert "namespace kube-system: listing pods is forbidden; not scanned" in inv.warnings
    paths = fake.get_paths()
    assert "/api/v1/namespaces" in paths
    assert "/api/v1/namespaces/sock-shop/pods" in paths
    # Pods of the readable namespaces are all there.
    expected = sum(
        1
        for p in fake.pods
        if p["metadata"]["namespace"] not in fake.forbidden_namespaces
        and p["status"].get("phase") not in ("Succeeded", "Failed")
    )
    assert len(inv.pods) == expected


def test_every_namespace_forbidden_is_an_error(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    fake.forbid_cluster_pods = True
    fake.forbidden_namespaces = frozenset(fake.namespaces())
    with pytest.raises(ClusterAPIError, match="forbidden to list pods in every namespace"):
        KubernetesAPI(kubeconfig=kubeconfig).collect()


def test_expired_continue_token_restarts_the_list(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    fake.expire_continue = True
    inv = KubernetesAPI(kubeconfig=kubeconfig, page_size=30).collect()
    assert len(inv.pods) == 80
    assert len(inv.nodes) == 2


def test_401_asks_to_refresh_credentials_without_leaking_the_token(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    fake.unauthorized = True
    with pytest.raises(ClusterAPIError) as info:
        KubernetesAPI(kubeconfig=kubeconfig).collect()
    assert "401" in info.value.message
    assert "refresh your kubeconfig credentials" in info.value.hint
    assert TOKEN not in str(info.value)


def test_wrong_token_is_401(fake: FakeKubeAPI, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kc", fake.url, "stale-token-value")
    with pytest.raises(ClusterAPIError, match="rejected the credentials") as info:
        KubernetesAPI(kubeconfig=path).collect()
    assert "stale-token-value" not in str(info.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_unreachable_server_fails_fast(tmp_path: Path) -> None:
    port = _closed_port()
    path = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}", TOKEN)
    start = time.monotonic()
    with pytest.raises(ClusterAPIError) as info:
        KubernetesAPI(kubeconfig=path).collect()
    assert time.monotonic() - start < 5
    assert f"cannot reach API server 127.0.0.1:{port}" in info.value.message
    assert "refused" in info.value.message.lower()
    assert TOKEN not in str(info.value)
    assert "\n" not in str(info.value)


def test_silent_server_times_out(tmp_path: Path) -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        path = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}", TOKEN)
        start = time.monotonic()
        with pytest.raises(ClusterAPIError, match="timed out") as info:
            KubernetesAPI(kubeconfig=path, timeout_seconds=0.5).collect()
        assert time.monotonic() - start < 4
        assert f"127.0.0.1:{port}" in info.value.message


def test_kubeconfig_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ClusterAPIError, match="not found"):
        KubernetesAPI(kubeconfig=tmp_path / "missing").collect()
    bad = tmp_path / "bad"
    bad.write_text("clusters: [oops\n")
    with pytest.raises(ClusterAPIError, match="not valid YAML at line"):
        KubernetesAPI(kubeconfig=bad).collect()
    good = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1", TOKEN)
    with pytest.raises(ClusterAPIError, match="has no context 'nope'") as info:
        KubernetesAPI(kubeconfig=good, context="nope").collect()
    assert "fake-ctx" in info.value.hint
    incomplete = tmp_path / "incomplete"
    incomplete.write_text("apiVersion: v1\nkind: Config\ncurrent-context: x\n")
    with pytest.raises(ClusterAPIError, match=r"kubeconfig .*incomplete"):
        KubernetesAPI(kubeconfig=incomplete).collect()
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    with pytest.raises(ClusterAPIError, match="no kubeconfig found"):
        KubernetesAPI().collect()


def test_in_cluster_without_service_account_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "1")
    with pytest.raises(ClusterAPIError, match="in-cluster config"):
        KubernetesAPI().collect()


def test_fake_server_paging_semantics(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    import json
    import urllib.request

    def get(url: str) -> dict[str, object]:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(req) as resp:
            body: dict[str, object] = json.loads(resp.read())
        return body

    first = get(f"{fake.url}/api/v1/pods?limit=50")
    meta = first["metadata"]
    assert isinstance(meta, dict) and meta["remainingItemCount"] == 31
    second = get(f"{fake.url}/api/v1/pods?limit=50&continue={meta['continue']}")
    assert isinstance(second["items"], list) and len(second["items"]) == 31
    assert "continue" not in second["metadata"]  # type: ignore[operator]


# -- malformed kubeconfigs: one line naming the file and the field, never a traceback ------


def _kubeconfig_doc(server: str = "http://127.0.0.1:1", user: object = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": TOKEN} if user is None else user}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }


def _with(**changes: object) -> str:
    doc = _kubeconfig_doc()
    doc.update(changes)
    return yaml.safe_dump(doc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "the top level is a YAML list, not a mapping"),
        ("just a string\n", "the top level is a YAML string, not a mapping"),
        (_with(contexts=5), "'contexts' is a number, not a list"),
        (
            _with(contexts=[{"name": "x", "token": TOKEN}]),  # token in the wrong place
            r"contexts\[0\] \(x\) has no 'context:' mapping",
        ),
        (_with(contexts=[{"name": "x", "context": "c"}]), r"'context' is a string, not a mapping"),
        (_with(users=5), "'users' is a number, not a list"),
        (_with(users=[7]), r"users\[0\] is a number, not a mapping"),
        (_with(users=[{"name": "u", "token": TOKEN}]), r"users\[0\] \(u\) has no 'user:' mapping"),
        (_with(users=[{"name": "u", "user": 7}]), r"users\[0\] \(u\): 'user' is a number"),
        (_with(users=[{"user": {"token": TOKEN}}]), r"users\[0\] has no 'name' string"),
        (
            _with(users=[{"name": "u", "user": {"token": 12345}}]),
            r"users\[0\] \(u\): 'token' is a number, not a string",
        ),
        (
            _with(users=[{"name": "u", "user": {"exec": {"apiVersion": "v1"}}}]),
            r"'exec' has no 'command' string",
        ),
        (_with(clusters=3), "'clusters' is a number, not a list"),
        (
            _with(clusters=[{"name": "c", "cluster": {"server": 5}}]),
            r"clusters\[0\] \(c\): 'server' is a number, not a string",
        ),
        (
            _with(clusters=[{"name": "c", "cluster": {"insecure-skip-tls-verify": True}}]),
            r"clusters\[0\] \(c\) has no 'server' URL",
        ),
        (_with(**{"current-context": ["x"]}), "'current-context' is a list, not a string"),
        # Not in our shape check: the client's own TypeError, reported without its text.
        (
            _with(users=[{"name": "u", "user": {"auth-provider": 5, "token": TOKEN}}]),
            r"has an unexpected structure \(the kubernetes client failed with TypeError\)",
        ),
    ],
)
def test_malformed_kubeconfig_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    with pytest.raises(ClusterAPIError, match=message) as info:
        KubernetesAPI(kubeconfig=path).collect()
    assert str(path) in info.value.message
    assert info.value.hint
    assert "\n" not in str(info.value)
    assert TOKEN not in str(info.value)


def test_client_config_errors_do_not_echo_entries(tmp_path: Path) -> None:
    # The client's ConfigException may quote a whole entry (with its token); ours does not.
    path = tmp_path / "kubeconfig"
    path.write_text(_with(contexts=[{"name": "x", "context": {"user": "u", "token": TOKEN}}]))
    with pytest.raises(
        ClusterAPIError, match=r"Expected key cluster in .*/\{\.\.\.\}/context"
    ) as info:
        KubernetesAPI(kubeconfig=path).collect()
    assert str(path) in info.value.message
    assert TOKEN not in str(info.value)


# -- exec credential plugins -------------------------------------------------------------

EXEC_API = "client.authentication.k8s.io/v1beta1"


def _exec_kubeconfig(tmp_path: Path, server: str, script: str) -> tuple[Path, Path]:
    plugin = tmp_path / "get-token"
    plugin.write_text("#!/bin/sh\n" + script)
    plugin.chmod(0o755)
    user = {"exec": {"command": str(plugin), "apiVersion": EXEC_API, "args": ["--x"]}}
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(_kubeconfig_doc(server, user)))
    return path, plugin


@contextmanager
def bare_logging() -> Iterator[logging.Logger]:
    """The root logger with no handlers (as in the CLI), restored afterwards.

    Used inside the test body: pytest adds its capture handlers for the call phase.
    """
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers.clear()
    try:
        yield root
    finally:
        root.handlers[:] = saved


def test_failing_exec_plugin_is_reported_without_its_output_or_log_noise(
    fake: FakeKubeAPI,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    path, plugin = _exec_kubeconfig(
        tmp_path, fake.url, f"echo 'login failed for token {TOKEN}' >&2\nexit 1\n"
    )
    levels = {n: logging.getLogger(n).level for n in ("urllib3", "kubernetes")}
    with bare_logging() as root, pytest.raises(ClusterAPIError) as info:
        try:
            KubernetesAPI(kubeconfig=path).collect()
        finally:
            # The logging setup is as it was: no basicConfig() handler, no filters.
            assert root.handlers == [] and root.filters == []
    assert info.value.message == (
        f"the kubeconfig's exec credential plugin '{plugin}' failed: it exited with status 1"
    )
    assert "log in again" in info.value.hint
    assert TOKEN not in str(info.value)
    assert fake.requests == []  # no misleading 401 / "cannot reach" afterwards
    out, err = capfd.readouterr()
    assert "ERROR:root" not in err and TOKEN not in out + err and err == ""
    assert {n: logging.getLogger(n).level for n in levels} == levels


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (f"echo 'not json {TOKEN}'\n", "its output is not JSON"),
        ('echo \'{"apiVersion": "x", "kind": "ExecCredential"}\'\n', "its output has no 'status'"),
        (
            f'echo \'{{"apiVersion": "{EXEC_API}", "kind": "ExecCredential", "status": {{}}}}\'\n',
            "its output has neither a token nor a client certificate",
        ),
    ],
)
def test_exec_plugin_bad_output(
    fake: FakeKubeAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture, script: str, reason: str
) -> None:
    path, plugin = _exec_kubeconfig(tmp_path, fake.url, script)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ClusterAPIError) as info:
        KubernetesAPI(kubeconfig=path).collect()
    assert info.value.message.endswith(f"plugin '{plugin}' failed: {reason}")
    assert TOKEN not in str(info.value)
    assert caplog.records == []


def test_missing_exec_plugin(fake: FakeKubeAPI, tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    user = {"exec": {"command": str(tmp_path / "no-such-plugin"), "apiVersion": EXEC_API}}
    path.write_text(yaml.safe_dump(_kubeconfig_doc(fake.url, user)))
    with pytest.raises(ClusterAPIError, match=r"could not be run \(No such file or directory\)"):
        KubernetesAPI(kubeconfig=path).collect()


def test_working_exec_plugin_token_is_used(fake: FakeKubeAPI, tmp_path: Path) -> None:
    credential = json.dumps(
        {"apiVersion": EXEC_API, "kind": "ExecCredential", "status": {"token": TOKEN}}
    )
    path, _ = _exec_kubeconfig(tmp_path, fake.url, f"echo '{credential}'\n")
    inv = KubernetesAPI(kubeconfig=path).collect()
    assert len(inv.pods) == 80
    assert {r.authorization for r in fake.requests} == {f"Bearer {TOKEN}"}


def test_urllib3_retry_warnings_are_not_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{_closed_port()}", TOKEN)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ClusterAPIError, match="cannot reach"):
        KubernetesAPI(kubeconfig=path).collect()
    assert [r.name for r in caplog.records] == []
    # Logging works again afterwards.
    logging.getLogger("urllib3.connectionpool").warning("after the scan")
    assert [r.getMessage() for r in caplog.records] == ["after the scan"]


# -- the CLI path ------------------------------------------------------------------------


def test_cli_scan_with_stale_token_is_one_line_asking_to_refresh(
    fake: FakeKubeAPI, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from tracker.cli import app

    path = write_kubeconfig(tmp_path / "kc", fake.url, "stale-token-value")
    db = f"sqlite:///{tmp_path / 't.db'}"
    result = CliRunner().invoke(app, ["--database-url", db, "scan", "--kubeconfig", str(path)])
    assert result.exit_code == 1
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in result.output
    host = fake.url.removeprefix("http://")
    assert f"API server {host} rejected the credentials (401 Unauthorized)" in err
    assert "refresh your kubeconfig credentials" in err
    assert "stale-token-value" not in result.output and "http://" not in result.output


def test_cli_scan_with_failing_exec_plugin_is_one_line(fake: FakeKubeAPI, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tracker.cli import app

    path, plugin = _exec_kubeconfig(tmp_path, fake.url, f"echo {TOKEN} >&2\nexit 3\n")
    db = f"sqlite:///{tmp_path / 't.db'}"
    result = CliRunner().invoke(app, ["--database-url", db, "scan", "--kubeconfig", str(path)])
    assert result.exit_code == 1
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in result.output
    assert f"exec credential plugin '{plugin}' failed: it exited with status 3" in err
    assert TOKEN not in result.output and "ERROR:root" not in result.output
