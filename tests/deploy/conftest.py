"""Fixtures for the deployment tests, and a small test-side kustomize reader.

The tests build the kustomizations under ``deploy/`` without a kustomize binary, with
:func:`kustomize_build` below. It implements only the kustomize features the manifests use
(``resources``, ``components``, ``configMapGenerator``, ``generatorOptions``, strategic merge
``patches`` and ``images``) and raises :class:`UnsupportedKustomization` for anything else, so a
manifest that starts using another feature fails the tests instead of being built wrongly.
Where ``kubectl`` is installed, ``test_manifests.py`` checks that this reader and
``kubectl kustomize`` give the same objects.

Reference: https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

Obj = dict[str, Any]

_KUSTOMIZATION_KEYS = {
    "apiVersion",
    "kind",
    "resources",
    "components",
    "configMapGenerator",
    "generatorOptions",
    "patches",
    "images",
}
_GENERATOR_KEYS = {"name", "namespace", "files", "literals", "behavior"}
_GENERATOR_OPTION_KEYS = {"disableNameSuffixHash", "labels", "annotations"}
_PATCH_KEYS = {"path", "patch"}
_IMAGE_KEYS = {"name", "newName", "newTag", "digest"}

#: Strategic-merge keys of the Kubernetes list fields these manifests patch (from the API's
#: ``x-kubernetes-patch-merge-key``); every other list is replaced whole, as in kustomize.
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
}


class UnsupportedKustomization(Exception):
    """A kustomization uses a feature this test-side reader does not implement."""


def load_yaml_documents(path: Path) -> list[Any]:
    """Every non-empty YAML document of ``path``, parsed with PyYAML's safe loader."""
    with path.open(encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def _check_keys(where: Path, what: str, given: Obj, allowed: set[str]) -> None:
    unknown = set(given) - allowed
    if unknown:
        raise UnsupportedKustomization(f"{where}: {what} uses {sorted(unknown)}")


def _identity(obj: Obj) -> tuple[str, str, str]:
    meta = obj.get("metadata", {})
    return (obj["kind"], meta.get("namespace", ""), meta["name"])


def strategic_merge(base: Any, patch: Any, field: str = "") -> Any:
    """Merge ``patch`` into ``base`` like a Kubernetes strategic merge patch, for plain data.

    Mappings merge recursively and a ``None`` value deletes the key; lists named in
    ``_MERGE_KEYS`` merge item by item on that key (new items are appended); any other value
    replaces the old one. ``$patch`` directives are not supported.
    """
    if isinstance(patch, dict):
        if any(key.startswith("$") for key in patch):
            raise UnsupportedKustomization(f"patch directive in {field or 'patch'}")
        merged = dict(base) if isinstance(base, dict) else {}
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = strategic_merge(merged.get(key), value, key)
        return merged
    if isinstance(patch, list) and field in _MERGE_KEYS and isinstance(base, list):
        key = _MERGE_KEYS[field]
        merged_list = [copy.deepcopy(item) for item in base]
        for item in patch:
            for i, old in enumerate(merged_list):
                if old.get(key) == item.get(key):
                    merged_list[i] = strategic_merge(old, item, field)
                    break
            else:
                merged_list.append(copy.deepcopy(item))
        return merged_list
    return copy.deepcopy(patch)


def _pod_specs(obj: Obj) -> list[Obj]:
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        return [spec["jobTemplate"]["spec"]["template"]["spec"]]
    if "template" in spec:
        return [spec["template"]["spec"]]
    return []


def _set_images(objects: list[Obj], images: list[Obj], where: Path) -> None:
    for image in images:
        _check_keys(where, "images", image, _IMAGE_KEYS)
        for obj in objects:
            for pod in _pod_specs(obj):
                for container in pod.get("initContainers", []) + pod.get("containers", []):
                    name = container["image"].split("@")[0].rsplit(":", 1)[0]
                    if name != image["name"]:
                        continue
                    new = image.get("newName", name)
                    if "digest" in image:
                        new += "@" + image["digest"]
                    elif "newTag" in image:
                        new += ":" + str(image["newTag"])
                    container["image"] = new


def _generate_config_maps(directory: Path, kustomization: Obj, objects: list[Obj]) -> None:
    options = kustomization.get("generatorOptions", {})
    _check_keys(directory, "generatorOptions", options, _GENERATOR_OPTION_KEYS)
    for generator in kustomization.get("configMapGenerator", []):
        _check_keys(directory, "configMapGenerator", generator, _GENERATOR_KEYS)
        if not options.get("disableNameSuffixHash"):
            raise UnsupportedKustomization(f"{directory}: hashed ConfigMap names")
        data: dict[str, str] = {}
        for entry in generator.get("files", []):
            key, _, file_name = entry.rpartition("=")
            data[key or Path(file_name).name] = (directory / file_name).read_text(encoding="utf-8")
        for literal in generator.get("literals", []):
            key, _, value = literal.partition("=")
            data[key] = value
        metadata: Obj = {"name": generator["name"]}
        if "namespace" in generator:
            metadata["namespace"] = generator["namespace"]
        if "labels" in options:
            metadata["labels"] = dict(options["labels"])
        if "annotations" in options:
            metadata["annotations"] = dict(options["annotations"])
        config_map: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}
        config_map["data"] = data
        behavior = generator.get("behavior", "create")
        existing = [i for i, o in enumerate(objects) if _identity(o) == _identity(config_map)]
        if behavior == "create" and not existing:
            objects.append(config_map)
        elif behavior == "replace" and existing:
            objects[existing[0]] = config_map
        elif behavior == "merge" and existing:
            objects[existing[0]] = strategic_merge(objects[existing[0]], config_map)
        else:
            raise UnsupportedKustomization(f"{directory}: configMapGenerator behavior {behavior}")


def _apply_patches(directory: Path, patches: list[Obj], objects: list[Obj]) -> None:
    for entry in patches:
        _check_keys(directory, "patches", entry, _PATCH_KEYS)
        if "path" in entry:
            documents = load_yaml_documents(directory / entry["path"])
        else:
            documents = list(yaml.safe_load_all(entry["patch"]))
        for patch in documents:
            if not isinstance(patch, dict):
                raise UnsupportedKustomization(f"{directory}: only strategic merge patches")
            targets = [i for i, o in enumerate(objects) if _identity(o) == _identity(patch)]
            if len(targets) != 1:
                raise UnsupportedKustomization(f"{directory}: patch target {_identity(patch)}")
            objects[targets[0]] = strategic_merge(objects[targets[0]], patch)


def _accumulate(directory: Path, objects: list[Obj], expected_kind: str) -> list[Obj]:
    file = directory / "kustomization.yaml"
    kustomization = yaml.safe_load(file.read_text(encoding="utf-8"))
    _check_keys(file, "kustomization", kustomization, _KUSTOMIZATION_KEYS)
    if kustomization.get("kind", "Kustomization") != expected_kind:
        raise UnsupportedKustomization(f"{file}: expected kind {expected_kind}")
    # The order kustomize uses: resources, components, generators, then transformers.
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            objects.extend(_accumulate(path, [], "Kustomization"))
        else:
            objects.extend(load_yaml_documents(path))
    for entry in kustomization.get("components", []):
        objects = _accumulate((directory / entry).resolve(), objects, "Component")
    _generate_config_maps(directory, kustomization, objects)
    _apply_patches(directory, kustomization.get("patches", []), objects)
    _set_images(objects, kustomization.get("images", []), file)
    identities = [_identity(o) for o in objects]
    duplicates = {i for i in identities if identities.count(i) > 1}
    if duplicates:
        raise UnsupportedKustomization(f"{file}: duplicate objects {sorted(duplicates)}")
    return objects


def kustomize_build(directory: Path) -> list[Obj]:
    """Build the kustomization in ``directory`` into a list of Kubernetes objects (dicts).

    Raises :class:`UnsupportedKustomization` for a feature this reader does not implement.
    """
    return _accumulate(directory.resolve(), [], "Kustomization")


@pytest.fixture(scope="session")
def build() -> Callable[[Path], list[Obj]]:
    """The test-side ``kustomize build``: ``build(directory) -> [object, ...]``.

    Each directory is built once per session; callers get their own deep copy.
    """
    cache: dict[Path, list[Obj]] = {}

    def _build(directory: Path) -> list[Obj]:
        if directory not in cache:
            cache[directory] = kustomize_build(directory)
        return copy.deepcopy(cache[directory])

    return _build
