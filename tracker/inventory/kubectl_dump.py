"""Offline inventory from ``kubectl`` output files (``tracker scan --from-dump FILE``).

Accepted file contents (JSON or YAML, detected from the content, not the file name):

* ``kubectl get nodes,pods -A -o json|yaml``: a ``List`` of Pod and Node objects;
* a typed list (``PodList``, ``NodeList``: what the API server returns, items without
  ``kind``);
* a single ``Pod`` or ``Node`` object (``kubectl get pod NAME -o yaml``);
* multi-document YAML (``---`` separated; empty documents are ignored);
* ``kubectl get --raw /version`` or ``kubectl version -o json`` (``serverVersion``), so a
  dump can carry the server version;
* ``kubectl get secrets -A -l owner=helm -o json`` (alone, or in the same list as pods and
  nodes): Helm 3 release Secrets (type ``helm.sh/release.v1``) become
  ``Inventory.helm_releases`` (:mod:`tracker.inventory.helm`: the latest deployed revision of
  each release); Secrets of other types are skipped like any other kind, unread.

Objects of other kinds inside a list or multi-document file (Service, ConfigMap,
Deployment, Secret…) are skipped and counted in one warning per file; their content is
never read into the inventory. A file holding no Pod, Node or version object is an error,
and so is a single top-level object of another kind.

Several files merge into one :class:`~tracker.models.Inventory` (same pod or node twice:
kept once). Files are read through :mod:`tracker.inputfile` (regular files or ``-`` for
stdin, a size limit, no hang on a FIFO, one-line errors for bad UTF-8, JSON or YAML).

Speed and memory (``benchmarks/inventory.py``, 10,000 real-sized pods, 46 MB): a JSON dump
decodes through msgspec into a schema of only the fields tracker reads, so the rest
(``managedFields``, env, volumes, Secret data) is never built: about 0.4x the time of a plain
``json.load`` of the same file and a peak RSS of about 2.5x the file size (a full decode
needs 6-8x). A document the schema does not fit takes the full orjson decode, with the same
result. YAML goes through PyYAML's libyaml ``CSafeLoader`` when available but is still about
20 times slower than JSON, so prefer ``-o json`` for large clusters.
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from tracker.errors import DumpError
from tracker.inputfile import DEFAULT_MAX_SIZE, STDIN, InputFile
from tracker.inventory.helm import HELM_SECRET_TYPE, read_helm_releases
from tracker.inventory.parse import (
    InventoryBuilder,
    ObjectError,
    is_version_object,
    kindless_warning,
    object_kind,
)
from tracker.inventory.parse import parse_server_version as _parse_server_version
from tracker.inventory.schema import decode_reduced
from tracker.models import Inventory, Source

__all__ = ["KubectlDump", "default_cluster_name"]

_HINT_DUMP = "create it with: kubectl get nodes,pods -A -o json > FILE"
_FILE_SUFFIXES = (".json", ".yaml", ".yml")
_DUMP_WORDS = frozenset(
    {"pod", "pods", "podlist", "node", "nodes", "nodelist", "list", "dump", "version"}
    | {"kubectl-version", "inventory"}
)
# The first non-blank byte (after an optional UTF-8 byte order mark); no match: blank file.
_FIRST_CHAR_RE = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*(\S)")


def default_cluster_name(path: Path) -> str:
    """The cluster name a dump file implies: its name without extension and dump words.

    The extension (``.json``, ``.yaml``, ``.yml``) and trailing dot-separated words that
    describe the dump rather than the cluster (``pods``, ``podlist``, ``node``, ``version``…)
    are removed; dots inside the name (versions) are kept.

    >>> default_cluster_name(Path("gke-v1.18.19-kubevious-samples.podlist.json"))
    'gke-v1.18.19-kubevious-samples'
    >>> default_cluster_name(Path("/tmp/prod.yaml"))
    'prod'
    >>> default_cluster_name(Path("kind-v1.24.0.node.yaml"))
    'kind-v1.24.0'
    """
    name = path.name
    for suffix in _FILE_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    while "." in name:
        head, _, word = name.rpartition(".")
        if word.lower() not in _DUMP_WORDS or not head:
            break
        name = head
    return name or path.name


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while decoding and parsing one file.

    Decoded JSON/YAML holds no reference cycles, but the millions of containers it creates
    trigger repeated full collections: pausing them makes a 10,000-pod file ~35% faster.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _decode_json_fast(data: bytes) -> list[Any] | None:
    """The JSON document reduced to the fields tracker reads (one document), or None to
    take the full decode (:func:`tracker.inventory.schema.decode_reduced`); UTF-8 is checked
    by the caller."""
    document = decode_reduced(data)
    return None if document is None else [document]


def _load_documents(source: InputFile) -> list[Any]:
    """The file's documents (one for JSON); raises DumpError (see tracker.inputfile)."""
    data = source.read_bytes()
    first = _FIRST_CHAR_RE.match(data)
    if first is None:
        raise DumpError(f"dump file {source.label} is empty", _HINT_DUMP)
    is_yaml_name = source.path.suffix.lower() in (".yaml", ".yml")
    if first.group(1) in (b"{", b"[") and not is_yaml_name:
        if not data.isascii():  # msgspec does not check the UTF-8 of fields it skips
            source.decode(data)
        fast = _decode_json_fast(data) if first.group(1) == b"{" else None
        return fast if fast is not None else [source.parse_json(data)]
    return source.parse_yaml(data)


class _FileReader:
    """Feeds one file's objects into the builder, counting what it skips."""

    def __init__(self, source: InputFile, builder: InventoryBuilder) -> None:
        self.source = source
        self.path = source.label
        self.name = "stdin" if source.is_stdin else source.path.name
        self.builder = builder
        self.found = 0
        self.skipped: Counter[str] = Counter()
        self.inferred: Counter[tuple[str, str]] = Counter()  # objects read by their shape
        self.helm_secrets: list[dict[str, Any]] = []

    def read(self) -> None:
        docs = _load_documents(self.source)
        single = len(docs) == 1
        for i, doc in enumerate(docs):
            if doc is None:
                continue
            where = "top level" if single else f"document {i + 1}"
            if not isinstance(doc, dict):
                raise DumpError(
                    f"dump file {self.path}: {where} is a {type(doc).__name__}, not an object",
                    _HINT_DUMP,
                )
            self._top(doc, where, strict=single)
        if not self.found:
            skipped = f" (skipped: {self._skipped_text()})" if self.skipped else ""
            raise DumpError(
                f"dump file {self.path} holds no Pod, Node, Helm release Secret or version "
                f"object{skipped}",
                _HINT_DUMP,
            )
        if self.inferred:
            self.builder.warn(kindless_warning(self.name, self.inferred))
        if self.skipped:
            total = sum(self.skipped.values())
            self.builder.warn(
                f"{self.name}: skipped {total} object(s) of other kinds ({self._skipped_text()})"
            )

    def _skipped_text(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in sorted(self.skipped.items()))

    def _top(self, doc: dict[str, Any], where: str, strict: bool) -> None:
        if is_version_object(doc):
            try:
                version = _parse_server_version(doc)
            except ObjectError as exc:
                raise DumpError(
                    f"dump file {self.path}: {where}: {exc}",
                    "run kubectl version -o json with access to the cluster",
                ) from None
            self.builder.set_server_version(version, self.name)
            self.found += 1
            return
        kind, how = object_kind(doc)
        if kind is not None and kind != "List" and how is not None:
            self.inferred[(kind, how)] += 1
        if kind is None:
            raise DumpError(
                f"dump file {self.path}: {where} has no kind (not a Kubernetes object)",
                _HINT_DUMP,
            )
        if kind.endswith("List") and "items" in doc:
            self._list(doc, kind, where)
        elif kind in ("Pod", "Node"):
            self._object(doc, kind, where)
        elif self._helm(doc, kind):
            pass
        elif strict:
            raise DumpError(
                f"dump file {self.path}: kind {kind} is not supported",
                "expected Pod, Node, a List of them, or kubectl version output",
            )
        else:
            self.skipped[kind] += 1

    def _list(self, doc: dict[str, Any], kind: str, where: str) -> None:
        items = doc["items"]
        if items is None:
            items = []
        if not isinstance(items, list):
            raise DumpError(f"dump file {self.path}: {where}: items is not a list", _HINT_DUMP)
        prefix = "" if where == "top level" else f"{where} "
        for j, item in enumerate(items):
            item_where = f"{prefix}items[{j}]"
            if not isinstance(item, dict):
                raise DumpError(f"dump file {self.path}: {item_where} is not an object", _HINT_DUMP)
            item_kind, how = object_kind(item, kind)  # a typed list's items carry no kind
            if item_kind is not None and how is not None and how.startswith("from its shape"):
                self.inferred[(item_kind, how)] += 1
            if not isinstance(item_kind, str):
                raise DumpError(f"dump file {self.path}: {item_where} has no kind", _HINT_DUMP)
            if item_kind in ("Pod", "Node"):
                self._object(item, item_kind, item_where)
            elif not self._helm(item, item_kind):
                self.skipped[item_kind] += 1

    def _helm(self, obj: dict[str, Any], kind: str) -> bool:
        """Keep a Helm release Secret for :func:`read_helm_releases`; False for anything else."""
        if kind != "Secret" or obj.get("type") != HELM_SECRET_TYPE:
            return False
        self.helm_secrets.append(obj)
        self.found += 1
        return True

    def _object(self, obj: dict[str, Any], kind: str, where: str) -> None:
        try:
            if kind == "Pod":
                self.builder.add_pod(obj)
            else:
                self.builder.add_node(obj)
        except ObjectError as exc:
            raise DumpError(
                f"dump file {self.path}: {where}: {exc}",
                "dump whole objects with kubectl get -o json (not custom columns)",
            ) from None
        self.found += 1


class KubectlDump:
    """An :class:`~tracker.inventory.base.InventorySource` reading kubectl dump files.

    Files are read through :class:`tracker.inputfile.InputFile`: regular files or ``-``
    (standard input, at most once), at most ``max_size`` bytes each; FIFOs, devices and
    directories are refused without blocking.

    Args:
        paths: one or more files (see the module docstring for accepted contents); their
            objects merge into one inventory. ``Path("-")`` reads standard input.
        cluster: the cluster name; default :func:`default_cluster_name` of the first file
            (required when the first file is standard input).
        max_size: size limit of each file in bytes (the CLI's ``--max-dump-size``; default
            2 GiB).

    Raises (from :meth:`collect`):
        DumpError: no path given, a file is missing, not a regular file, over
            ``max_size``, empty, not UTF-8, has a JSON/YAML syntax error (line given) or
            nesting too deep, is not an object, has an unsupported top-level kind, holds
            no Pod/Node/version object, or holds a malformed Pod/Node (the message names
            the file and ``items[N]``/document and the object).
    """

    def __init__(
        self,
        paths: Sequence[Path],
        cluster: str | None = None,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.cluster = cluster
        self.max_size = max_size

    def collect(self) -> Inventory:
        """Read every file and return one merged inventory (``source`` is ``dump``)."""
        if not self.paths:
            raise DumpError("no dump file given", "pass --from-dump FILE")
        stdin_count = sum(1 for p in self.paths if str(p) == STDIN)
        if stdin_count > 1:
            raise DumpError("dump file - (stdin) is given more than once", "pass - once")
        if self.cluster is None and str(self.paths[0]) == STDIN:
            raise DumpError("a dump read from stdin needs a cluster name", "pass --cluster NAME")
        builder = InventoryBuilder()
        secrets: list[dict[str, Any]] = []
        for path in self.paths:
            source = InputFile(
                path,
                what="dump file",
                error=DumpError,
                hint=_HINT_DUMP,
                max_size=self.max_size,
                size_option="--max-dump-size",
            )
            reader = _FileReader(source, builder)
            with _gc_paused():
                reader.read()
            secrets.extend(reader.helm_secrets)
        releases, warnings = read_helm_releases(secrets)
        for warning in warnings:
            builder.warn(warning)
        cluster = self.cluster or default_cluster_name(self.paths[0])
        inventory = builder.build(cluster, Source.DUMP)
        return replace(inventory, helm_releases=releases) if releases else inventory
