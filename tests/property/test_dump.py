"""Properties of the dump parser on untrusted input.

* ``parse_pod``/``parse_node`` on any JSON-like object raise only ``ObjectError`` (the
  one-line error the sources turn into a ``TrackerError``);
* ``KubectlDump`` on any JSON document, any YAML text and any bytes raises only
  ``DumpError``, and what it returns holds only well-typed pods and nodes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.property.strategies import FILE_EXAMPLES, dump_like, node_like, pod_like
from tracker.errors import DumpError
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.inventory.parse import InventoryBuilder, ObjectError, parse_node, parse_pod
from tracker.models import Inventory, Source


@given(pod_like())
def test_parse_pod_raises_only_object_error(obj: dict[str, Any]) -> None:
    try:
        pod, warnings = parse_pod(obj)
    except ObjectError as exc:
        assert "\n" not in str(exc)
        return
    assert pod.name and pod.namespace and pod.containers
    assert all(isinstance(w, str) for w in warnings)
    for container in pod.containers:
        assert isinstance(container.name, str) and container.image.raw


@given(node_like())
def test_parse_node_raises_only_object_error(obj: dict[str, Any]) -> None:
    try:
        node, _ = parse_node(obj)
    except ObjectError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(node.name, str) and node.name


@given(st.lists(st.one_of(pod_like(), node_like()), max_size=6))
def test_builder_keeps_pods_and_nodes_once(objects: list[dict[str, Any]]) -> None:
    builder = InventoryBuilder()
    for obj in objects:
        try:
            if obj.get("kind") == "Node":
                builder.add_node(obj)
            else:
                builder.add_pod(obj)
        except ObjectError:
            pass
    inv = builder.build("c", Source.DUMP)
    assert len({(p.namespace, p.name) for p in inv.pods}) == len(inv.pods)
    assert len({n.name for n in inv.nodes}) == len(inv.nodes)


def _collect(tmp: Path, name: str, data: bytes) -> Inventory | None:
    path = tmp / name
    path.write_bytes(data)
    try:
        return KubectlDump([path], cluster="c").collect()
    except DumpError as exc:
        assert "\n" not in str(exc) and exc.message.startswith(f"dump file {path}")
        return None


def _check(inv: Inventory | None) -> None:
    if inv is None:
        return
    # something was read, or a warning says why nothing was kept (finished pods only)
    assert inv.pods or inv.nodes or inv.server_version or inv.warnings
    assert all(p.containers for p in inv.pods)


@settings(max_examples=FILE_EXAMPLES)
@given(dump_like())
def test_dump_of_any_json_document(tmp_path_factory: Any, doc: Any) -> None:
    tmp = tmp_path_factory.mktemp("json")
    _check(_collect(tmp, "dump.json", json.dumps(doc).encode()))


@settings(max_examples=FILE_EXAMPLES)
@given(dump_like())
def test_dump_of_any_yaml_document(tmp_path_factory: Any, doc: Any) -> None:
    tmp = tmp_path_factory.mktemp("yaml")
    _check(_collect(tmp, "dump.yaml", yaml.safe_dump_all([doc, doc]).encode()))


@settings(max_examples=FILE_EXAMPLES)
@given(st.binary(max_size=300))
@example(b"\xef\xbb\xbf")
@example(b"\xef\xbb\xbf  {")
@example(b"- &a [*a]")
@example(b"!!binary xyz")
@example(b"x: !!timestamp 2024-02-30")
@example(b"{" * 2000)
@example(b"- " * 2000)
@example(b"%YAML 1.1\n--- !!set {a, b}")
@example(b"--- |\n  \x85")
def test_dump_of_any_bytes(tmp_path_factory: Any, data: bytes) -> None:
    tmp = tmp_path_factory.mktemp("bytes")
    _check(_collect(tmp, "dump.json", data))
    _check(_collect(tmp, "dump.yaml", data))


@settings(max_examples=FILE_EXAMPLES)
@given(dump_like(), st.data())
def test_dump_of_corrupted_json(tmp_path_factory: Any, doc: Any, data: st.DataObject) -> None:
    """A valid dump cut short or with one byte changed: still only DumpError."""
    text = bytearray(json.dumps(doc).encode())
    at = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    if data.draw(st.booleans()):
        text = text[:at]
    else:
        text[at] = data.draw(st.integers(min_value=0, max_value=255))
    tmp = tmp_path_factory.mktemp("corrupt")
    _check(_collect(tmp, "dump.json", bytes(text)))


@settings(max_examples=FILE_EXAMPLES)
@given(dump_like())
def test_fast_and_full_json_paths_agree(tmp_path_factory: Any, doc: Any) -> None:
    """The msgspec path (only the fields tracker reads) gives what the full decode gives."""
    from dataclasses import replace

    from tracker.inventory import kubectl_dump

    path = tmp_path_factory.mktemp("paths") / "dump.json"
    path.write_bytes(json.dumps(doc).encode())
    results = []
    for decode_fast in (kubectl_dump._decode_json_fast, lambda data: None):
        original = kubectl_dump._decode_json_fast
        kubectl_dump._decode_json_fast = decode_fast
        try:
            inv = KubectlDump([path], cluster="c").collect()
            results.append(replace(inv, scanned_at=None))
        except DumpError as exc:
            results.append(exc.message)
        finally:
            kubectl_dump._decode_json_fast = original
    assert results[0] == results[1]
