"""The Kubernetes manifests under deploy/: schema-valid, least privilege, hardened, no secrets.

Every kustomization a user may apply (the base and the example overlays) is built with the
test-side reader in conftest.py, then each object is validated offline against the Kubernetes
JSON schemas bundled with kubernetes-validate, strictly (unknown fields are errors), for the
oldest and the newest Kubernetes version the manifests support.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from tracker.config import Settings, env_name, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
BASE = DEPLOY / "kubernetes"

#: Every kustomization a user may apply: the base and the example overlays.
KUSTOMIZATIONS = ("kubernetes", "overlays/fleet-member", "overlays/single-cluster")

#: CronJob spec.timeZone is GA since Kubernetes 1.27; the newest is what the validator bundles.
KUBERNETES_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())

#: The verbs a read-only role may grant (Kubernetes RBAC docs, "read" verbs).
READ_VERBS = {"get", "list", "watch"}

#: Where every config key is documented (design.md §3: "every key also documented in
#: config.example.toml"); its commented `[components.<id>]` block takes these keys.
CONFIG_EXAMPLE = REPO_ROOT / "config.example.toml"
COMPONENT_KEYS = {"images", "project", "tag_pattern", "name"}

Obj = dict[str, Any]
Build = Callable[[Path], list[Obj]]


def _objects(build: Build, name: str, kind: str | None = None) -> list[Obj]:
    objects = build(DEPLOY / name)
    return [o for o in objects if kind is None or o["kind"] == kind]


def _cronjob(build: Build, name: str) -> Obj:
    (cronjob,) = _objects(build, name, "CronJob")
    return cronjob


def _pod_spec(cronjob: Obj) -> Obj:
    spec: Obj = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def _containers(pod: Obj) -> Iterator[Obj]:
    yield from pod.get("initContainers", [])
    yield from pod["containers"]


def _env(container: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in container.get("env", [])}


def _manifest_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*.yaml") if p.is_file())


# --- parsing and schema validation ------------------------------------------------------------


@pytest.mark.parametrize("path", _manifest_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_manifest_file_is_yaml_mappings_with_kind(path: Path) -> None:
    documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert documents, f"{path} is empty"
    for doc in documents:
        assert isinstance(doc, dict), f"{path}: a document is not a mapping"
        assert {"apiVersion", "kind"} <= doc.keys(), f"{path}: a document lacks apiVersion/kind"


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_built_objects_validate_against_kubernetes_schemas(
    build: Build, name: str, version: str
) -> None:
    objects = _objects(build, name)
    assert len(objects) >= 6
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            where = ".".join(str(p) for p in e.path)
            pytest.fail(f"{name}: {obj['kind']}/{obj['metadata']['name']} at {where}: {e.message}")


def test_schema_validation_catches_a_misspelled_field(build: Build) -> None:
    cronjob = _cronjob(build, "kubernetes")
    kubernetes_validate.validate(cronjob, KUBERNETES_VERSIONS[-1], strict=True)
    cronjob["spec"]["concurrencypolicy"] = cronjob["spec"].pop("concurrencyPolicy")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cronjob, KUBERNETES_VERSIONS[-1], strict=True)


def test_schema_validation_catches_a_wrongly_typed_value(build: Build) -> None:
    cronjob = _cronjob(build, "kubernetes")
    cronjob["spec"]["jobTemplate"]["spec"]["backoffLimit"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cronjob, KUBERNETES_VERSIONS[-1], strict=True)


def _normalize(value: Any) -> Any:
    """Order-insensitive form of lists of named items (kustomize may reorder merged lists)."""
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalize(v) for v in value]
        if items and all(isinstance(i, dict) and ("name" in i or "mountPath" in i) for i in items):
            return sorted(items, key=lambda i: str(i.get("name", i.get("mountPath"))))
        return items
    return value


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize) not found")
@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_reader_agrees_with_kubectl_kustomize(build: Build, name: str) -> None:
    result = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY / name)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    expected = [d for d in yaml.safe_load_all(result.stdout) if d]

    def key(obj: Obj) -> tuple[str, str, str]:
        return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])

    ours = {key(o): _normalize(o) for o in _objects(build, name)}
    theirs = {key(o): _normalize(o) for o in expected}
    assert ours.keys() == theirs.keys()
    for identity, obj in ours.items():
        assert obj == theirs[identity], f"{name}: {identity} differs from kubectl kustomize"


# --- RBAC: read-only, no secrets --------------------------------------------------------------


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_cluster_roles_grant_only_read_verbs_and_no_secrets(build: Build, name: str) -> None:
    roles = _objects(build, name, "ClusterRole")
    assert roles, f"{name}: no ClusterRole"
    for role in roles:
        for rule in role["rules"]:
            assert set(rule["verbs"]) <= READ_VERBS, f"{role['metadata']['name']}: {rule}"
            assert "*" not in rule.get("resources", []), rule
            assert "*" not in rule.get("apiGroups", []), rule
            assert "secrets" not in rule.get("resources", []), rule
            assert not rule.get("resourceNames"), rule


def test_base_cluster_role_reads_exactly_what_the_scan_needs(build: Build) -> None:
    (role,) = _objects(build, "kubernetes", "ClusterRole")
    resource_rules = [r for r in role["rules"] if "resources" in r]
    url_rules = [r for r in role["rules"] if "nonResourceURLs" in r]
    granted = {(g, res) for r in resource_rules for g in r["apiGroups"] for res in r["resources"]}
    assert granted == {("", "nodes"), ("", "pods"), ("", "namespaces")}
    assert {v for r in resource_rules for v in r["verbs"]} == {"get", "list"}
    assert {u for r in url_rules for u in r["nonResourceURLs"]} <= {"/version", "/version/"}
    assert {v for r in url_rules for v in r["verbs"]} == {"get"}


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_no_namespaced_role_or_secret_access_unless_opted_in(build: Build, name: str) -> None:
    # The Helm-release Role lives in an opt-in component; no example kustomization includes it.
    assert not _objects(build, name, "Role")
    assert not _objects(build, name, "RoleBinding")


def test_helm_release_component_is_a_namespaced_read_only_role() -> None:
    component = DEPLOY / "components" / "helm-releases"
    (role,) = yaml.safe_load_all((component / "role.yaml").read_text(encoding="utf-8"))
    (binding,) = yaml.safe_load_all((component / "rolebinding.yaml").read_text(encoding="utf-8"))
    assert role["kind"] == "Role"
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}
    ]
    assert binding["kind"] == "RoleBinding"
    assert binding["metadata"]["namespace"] == role["metadata"]["namespace"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_binding_ties_the_cluster_role_to_the_cronjob_service_account(
    build: Build, name: str
) -> None:
    (binding,) = _objects(build, name, "ClusterRoleBinding")
    (role,) = _objects(build, name, "ClusterRole")
    (account,) = _objects(build, name, "ServiceAccount")
    cronjob = _cronjob(build, name)
    assert binding["roleRef"]["kind"] == "ClusterRole"
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {
            "kind": "ServiceAccount",
            "name": account["metadata"]["name"],
            "namespace": account["metadata"]["namespace"],
        }
    ]
    assert _pod_spec(cronjob)["serviceAccountName"] == account["metadata"]["name"]
    assert cronjob["metadata"]["namespace"] == account["metadata"]["namespace"]


# --- the CronJob ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_cronjob_runs_nightly_one_at_a_time(build: Build, name: str) -> None:
    spec = _cronjob(build, name)["spec"]
    minute, hour, day, month, weekday = spec["schedule"].split()
    assert minute.isdigit() and hour.isdigit(), "one fixed time of day"
    assert (day, month, weekday) == ("*", "*", "*"), "every night"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert 0 < spec["startingDeadlineSeconds"] <= 6 * 3600
    job = spec["jobTemplate"]["spec"]
    assert 0 <= job["backoffLimit"] <= 3
    assert 0 < job["activeDeadlineSeconds"] <= 24 * 3600
    assert job["template"]["spec"]["restartPolicy"] == "Never"


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_container_has_resource_requests_and_limits(build: Build, name: str) -> None:
    for container in _containers(_pod_spec(_cronjob(build, name))):
        resources = container["resources"]
        for field in ("requests", "limits"):
            assert {"cpu", "memory"} <= resources[field].keys(), (container["name"], field)


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_pod_and_containers_are_hardened(build: Build, name: str) -> None:
    pod = _pod_spec(_cronjob(build, name))
    pod_context = pod["securityContext"]
    assert pod_context["runAsNonRoot"] is True
    assert pod_context["runAsUser"] > 0
    assert pod_context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC")
    for container in _containers(pod):
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert context.get("privileged", False) is False, container["name"]
        assert context.get("runAsNonRoot", True) is True, container["name"]
        assert context.get("runAsUser", pod_context["runAsUser"]) > 0, container["name"]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_only_the_scanner_gets_an_api_token(build: Build, name: str) -> None:
    (account,) = _objects(build, name, "ServiceAccount")
    assert account["automountServiceAccountToken"] is False
    pod = _pod_spec(_cronjob(build, name))
    assert pod["automountServiceAccountToken"] is False
    token_volumes = {
        v["name"]
        for v in pod["volumes"]
        if any("serviceAccountToken" in s for s in v.get("projected", {}).get("sources", []))
    }
    assert len(token_volumes) == 1
    holders = {
        c["name"]
        for c in _containers(pod)
        for m in c.get("volumeMounts", [])
        if m["name"] in token_volumes
    }
    assert holders == {"tracker"}
    (tracker,) = [c for c in pod["containers"] if c["name"] == "tracker"]
    (mount,) = [m for m in tracker["volumeMounts"] if m["name"] in token_volumes]
    # Where the kubernetes client's in-cluster config looks for the token and CA bundle.
    assert mount["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount"
    assert mount["readOnly"] is True
    (volume,) = [v for v in pod["volumes"] if v["name"] in token_volumes]
    paths = {
        item["path"]
        for source in volume["projected"]["sources"]
        for item in ([source["serviceAccountToken"]] if "serviceAccountToken" in source else [])
        + next(iter(source.values())).get("items", [])
    }
    assert paths == {"token", "ca.crt", "namespace"}


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_schema_is_upgraded_before_the_run(build: Build, name: str) -> None:
    pod = _pod_spec(_cronjob(build, name))
    (init,) = pod["initContainers"]
    (main,) = pod["containers"]
    assert init["args"] == ["db", "upgrade"]
    assert main["args"][0] == "run"
    assert init["image"] == main["image"]
    # Both must see the same database and configuration.
    for variable in ("TRACKER_DATABASE_URL", "TRACKER_CONFIG", "XDG_DATA_HOME"):
        assert _env(init)[variable] == _env(main)[variable], variable


def _writable_mounts(container: Obj) -> list[str]:
    return [m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")]


def _under(path: str, mounts: list[str]) -> bool:
    return any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts)


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_path_tracker_writes_is_a_writable_volume(build: Build, name: str) -> None:
    pod = _pod_spec(_cronjob(build, name))
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in _containers(pod):
        writable = _writable_mounts(container)
        env = _env(container)
        for variable in ("XDG_DATA_HOME", "HOME"):
            assert _under(env[variable]["value"], writable), (container["name"], variable)
        assert _under("/tmp", writable), container["name"]
        for mount in container["volumeMounts"]:
            assert mount["name"] in volumes, mount
    (main,) = pod["containers"]
    report_dir = _env(main)["TRACKER_REPORT_DIR"]["value"]
    assert _under(report_dir, _writable_mounts(main))


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_config_file_is_mounted_where_tracker_config_points(build: Build, name: str) -> None:
    pod = _pod_spec(_cronjob(build, name))
    (config_map,) = _objects(build, name, "ConfigMap")
    (config_volume,) = [v for v in pod["volumes"] if "configMap" in v]
    assert config_volume["configMap"]["name"] == config_map["metadata"]["name"]
    for container in _containers(pod):
        (mount,) = [m for m in container["volumeMounts"] if m["name"] == config_volume["name"]]
        assert mount["readOnly"] is True
        path = _env(container)["TRACKER_CONFIG"]["value"]
        directory, _, key = path.rpartition("/")
        assert directory == mount["mountPath"] and key in config_map["data"]


def test_fleet_member_requires_the_shared_database_and_names_its_cluster(build: Build) -> None:
    pod = _pod_spec(_cronjob(build, "overlays/fleet-member"))
    for container in _containers(pod):
        ref = _env(container)["TRACKER_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "tracker-database", "key": "url", "optional": False}
    (main,) = pod["containers"]
    assert _env(main)["TRACKER_CLUSTER_NAME"]["value"]


def test_base_falls_back_to_sqlite_when_no_database_secret(build: Build) -> None:
    pod = _pod_spec(_cronjob(build, "kubernetes"))
    for container in _containers(pod):
        ref = _env(container)["TRACKER_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref["optional"] is True
    data = next(v for v in pod["volumes"] if v["name"] == "data")
    assert "emptyDir" in data


def test_single_cluster_keeps_sqlite_on_a_claim(build: Build) -> None:
    objects = _objects(build, "overlays/single-cluster")
    (claim,) = [o for o in objects if o["kind"] == "PersistentVolumeClaim"]
    pod = _pod_spec(_cronjob(build, "overlays/single-cluster"))
    data = next(v for v in pod["volumes"] if v["name"] == "data")
    assert data == {
        "name": "data",
        "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]},
    }


# --- secrets: references only -----------------------------------------------------------------

SECRET_VARIABLE = re.compile(r"TOKEN|SECRET|PASSWORD|WEBHOOK|DATABASE_URL|API_KEY", re.I)
SECRET_VALUE = re.compile(
    r"gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|hooks\.slack\.com/services/"  # Slack webhook URLs
    r"|://[^/\s:@]+:[^/\s@]+@"  # URLs with a password
)


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_no_secret_objects_and_secret_variables_come_from_references(
    build: Build, name: str
) -> None:
    objects = _objects(build, name)
    assert not [o for o in objects if o["kind"] == "Secret"], "secrets are created out of band"
    pod = _pod_spec(_cronjob(build, name))
    referenced = set()
    for container in _containers(pod):
        assert "envFrom" not in container, "name each secret key explicitly"
        for variable, entry in _env(container).items():
            if SECRET_VARIABLE.search(variable):
                assert "value" not in entry, f"{variable} must come from a secretKeyRef"
                ref = entry["valueFrom"]["secretKeyRef"]
                assert set(ref) <= {"name", "key", "optional"}
                referenced.add(variable)
    assert {"TRACKER_DATABASE_URL", "GITHUB_TOKEN", "TRACKER_SLACK_WEBHOOK_URL"} <= referenced


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(DEPLOY.rglob("*")) if p.suffix in {".yaml", ".toml"}],
    ids=lambda p: str(p.relative_to(DEPLOY)),
)
def test_no_secret_values_in_any_deploy_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not SECRET_VALUE.search(text), f"{path} looks like it holds a secret value"


def test_secret_value_pattern_catches_real_shapes() -> None:
    fake_token = "ghp_" + "x" * 36
    assert SECRET_VALUE.search(f"value: {fake_token}")
    assert SECRET_VALUE.search("url: https://hooks.slack.com/services/T0/B0/abc")
    assert SECRET_VALUE.search("postgresql+psycopg://tracker:hunter2@db:5432/tracker")
    assert not SECRET_VALUE.search("postgresql+psycopg://tracker@db:5432/tracker")


# --- the configuration file -------------------------------------------------------------------


def _key_paths(table: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Leaf key paths of a parsed TOML document; ``components.<id>.key`` -> ``components.*.key``."""
    for key, value in table.items():
        path = (*prefix, "*" if prefix == ("components",) else key)
        if isinstance(value, dict):
            yield from _key_paths(value, path)
        else:
            yield path


def _contract_keys() -> set[tuple[str, ...]]:
    example = tomllib.loads(CONFIG_EXAMPLE.read_text(encoding="utf-8"))
    return set(_key_paths(example)) | {("components", "*", key) for key in COMPONENT_KEYS}


def test_config_toml_is_valid_toml_with_only_contract_keys(build: Build) -> None:
    text = (BASE / "config.toml").read_text(encoding="utf-8")
    config = tomllib.loads(text)
    contract = _contract_keys()
    for path in _key_paths(config):
        assert path in contract, f"{'.'.join(path)} is not a documented config key"
    assert config["github"]["token_env"] == "GITHUB_TOKEN"
    assert config["notify"]["slack"]["webhook_url_env"] == "TRACKER_SLACK_WEBHOOK_URL"
    assert "database" not in config, "the URL comes from TRACKER_DATABASE_URL or the default"
    (config_map,) = _objects(build, "kubernetes", "ConfigMap")
    assert config_map["data"] == {"config.toml": text}


def test_contract_key_check_rejects_an_unknown_key() -> None:
    contract = _contract_keys()
    assert ("github", "token_env") in contract
    assert ("components", "*", "project") in contract
    config = tomllib.loads('[github]\ntoken = "x"\n[components.a]\nimage = "b"\n')
    assert not set(_key_paths(config)) & contract


def _settings_in_pod(container: Obj, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """What the real settings loader makes of a container's environment and config file.

    The process environment is replaced by the container's (secret references get a
    placeholder value, as the kubelet would fill them in); the config file is the repository's.
    """
    for variable in list(os.environ):
        if variable.startswith("TRACKER_") or variable in {"GITHUB_TOKEN", "XDG_DATA_HOME"}:
            monkeypatch.delenv(variable)
    for entry in container["env"]:
        monkeypatch.setenv(entry["name"], entry.get("value", f"placeholder-{entry['name']}"))
    monkeypatch.setenv("TRACKER_CONFIG", str(BASE / "config.toml"))
    return load_settings()


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_tracker_loads_the_pod_configuration(
    build: Build, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = _pod_spec(_cronjob(build, name))
    (init,) = pod["initContainers"]
    assert _settings_in_pod(init, monkeypatch).database_url == "placeholder-TRACKER_DATABASE_URL"
    (main,) = pod["containers"]
    settings = _settings_in_pod(main, monkeypatch)
    assert settings.database_url == "placeholder-TRACKER_DATABASE_URL"
    assert settings.report_dir == Path(_env(main)["TRACKER_REPORT_DIR"]["value"])
    assert settings.github_token() == "placeholder-GITHUB_TOKEN"
    assert settings.slack_webhook_url() == "placeholder-TRACKER_SLACK_WEBHOOK_URL"
    assert settings.webhook_url() == "placeholder-TRACKER_WEBHOOK_URL"
    assert settings.cluster_name == _env(main).get("TRACKER_CLUSTER_NAME", {}).get("value")


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_tracker_variable_is_a_known_setting(build: Build, name: str) -> None:
    # load_settings ignores an unknown TRACKER_* variable, so a misspelt one would go unnoticed.
    config = tomllib.loads((BASE / "config.toml").read_text(encoding="utf-8"))
    example = tomllib.loads(CONFIG_EXAMPLE.read_text(encoding="utf-8"))
    known = {env_name(path) for path in _key_paths(example)} | {"TRACKER_CONFIG"}
    known |= {
        value
        for section in (example, config)
        for path in _key_paths(section)
        if path[-1].endswith("_env")
        for value in [_lookup(section, path)]
    }
    for container in _containers(_pod_spec(_cronjob(build, name))):
        for variable in _env(container):
            if variable.startswith("TRACKER_"):
                assert variable in known, f"{container['name']}: {variable} is not a setting"


def _lookup(table: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        table = table[key]
    return table


# --- the README documents what the manifests do -----------------------------------------------


def test_readme_commands_name_the_real_secret_keys(build: Build) -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    pod = _pod_spec(_cronjob(build, "kubernetes"))
    refs = {
        (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for c in _containers(pod)
        for e in c.get("env", [])
        if "valueFrom" in e
    }
    commands = [
        shlex.split(line.strip().rstrip("\\"))
        for line in readme.splitlines()
        if "create secret generic" in line
    ]
    assert commands, "README shows how to create the secrets"
    created = {c[c.index("generic") + 1] for c in commands}
    for secret, key in refs:
        assert secret in created, secret
        assert f"--from-literal={key}=" in readme or f"--from-file={key}=" in readme, key
    fleet = _pod_spec(_cronjob(build, "overlays/fleet-member"))
    (main,) = fleet["containers"]
    fleet_ref = _env(main)["TRACKER_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert fleet_ref["name"] in created
