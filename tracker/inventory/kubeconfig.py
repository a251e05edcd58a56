"""Kubeconfig checks and the client's logs during a scan (used by :mod:`.kubernetes_api`).

The kubeconfig's shape is checked before the official client reads it
(:func:`kubeconfig_shape_problem`), so a malformed file is one line naming the file and field,
not a TypeError from the client. During a scan the client's and urllib3's log records are kept
off the terminal (:func:`quiet_client_logs`); a failing exec credential plugin, which the
client only logs, is reported by itself, without the plugin's output (which may hold secrets).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "HINT_KUBECONFIG",
    "ClientLogs",
    "exec_failure_reason",
    "first_line",
    "kubeconfig_shape_problem",
    "quiet_client_logs",
    "safe_config_message",
]


def first_line(text: str, limit: int = 200) -> str:
    """The first line of ``text`` (stripped), at most ``limit`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


_SECTIONS = {"clusters": "cluster", "contexts": "context", "users": "user"}
_STRING_FIELDS = {
    "cluster": ("server", "certificate-authority", "certificate-authority-data", "proxy-url"),
    "context": ("cluster", "user", "namespace"),
    "user": (
        "token",
        "tokenFile",
        "client-certificate",
        "client-certificate-data",
        "client-key",
        "client-key-data",
        "username",
        "password",
    ),
}
HINT_KUBECONFIG = "fix the file (see `kubectl config view`) or regenerate it"


def _kind(value: object) -> str:
    """A YAML-ish name of a value's type, for messages (never the value itself)."""
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "number" if isinstance(value, int | float) else type(value).__name__


def kubeconfig_shape_problem(doc: object) -> str | None:
    """The first structural problem of a parsed kubeconfig document, or None.

    Checks what the kubernetes client assumes without checking (it raises TypeError or
    AttributeError otherwise): a mapping at top level; ``clusters``/``contexts``/``users``
    lists of mappings each with ``name`` and a ``cluster``/``context``/``user`` mapping;
    a ``server`` for each cluster; string-valued well-known fields; ``exec`` a mapping with
    a string ``command``; a string ``current-context``. Shape from https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/.

    Returns:
        e.g. ``"'contexts' is a number, not a list"`` or
        ``"users[0] (admin): 'token' is a number, not a string"``; names fields and entry
        names, never values (which may be credentials). None for an empty document (the
        client reports that itself).
    """
    if doc is None:
        return None
    if not isinstance(doc, dict):
        return f"the top level is a YAML {_kind(doc)}, not a mapping"
    current = doc.get("current-context")
    if current is not None and not isinstance(current, str):
        return f"'current-context' is a {_kind(current)}, not a string"
    for section, inner in _SECTIONS.items():
        entries = doc.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list):
            return f"'{section}' is a {_kind(entries)}, not a list"
        for index, entry in enumerate(entries):
            where = f"{section}[{index}]"
            if not isinstance(entry, dict):
                return f"{where} is a {_kind(entry)}, not a mapping"
            name = entry.get("name")
            if not isinstance(name, str) or not name:
                return f"{where} has no 'name' string"
            where = f"{where} ({name})"
            body = entry.get(inner)
            if not isinstance(body, dict):
                missing = inner not in entry
                return (
                    f"{where} has no '{inner}:' mapping"
                    if missing
                    else (f"{where}: '{inner}' is a {_kind(body)}, not a mapping")
                )
            for key in _STRING_FIELDS[inner]:
                if key in body and not isinstance(body[key], str):
                    return f"{where}: '{key}' is a {_kind(body[key])}, not a string"
            if inner == "cluster" and not body.get("server"):
                return f"{where} has no 'server' URL"
            if inner == "user" and "exec" in body:
                plugin = body["exec"]
                if not isinstance(plugin, dict):
                    return f"{where}: 'exec' is a {_kind(plugin)}, not a mapping"
                if not isinstance(plugin.get("command"), str):
                    return f"{where}: 'exec' has no 'command' string"
    return None


def safe_config_message(text: str) -> str:
    """The client's ConfigException text without echoed dict/list values (may hold tokens)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"\{.*\}|\[(?!name=).*\]", "{...}", line)  # before truncating
    unbalanced = re.search(r"\{(?!\.\.\.\})|\[(?!name=)", line)
    if unbalanced:
        line = line[: unbalanced.start()] + "{...}"
    return first_line(line)


def exec_failure_reason(message: str) -> str:
    """A short reason from the client's exec-plugin log line, without the plugin's output.

    The client logs ``exec: process returned N. <stderr>`` and similar
    (``kubernetes/config/exec_provider.py``); stderr and stdout may hold tokens, so only
    the fixed part is kept.
    """
    returned = re.match(r"exec: process returned (-?\d+)", message)
    if returned:
        return f"it exited with status {returned.group(1)}"
    if message.startswith("exec: failed to decode process output"):
        return "its output is not JSON"
    missing = re.match(r"exec: malformed response\. missing key '(\w+)'", message)
    if missing:
        return f"its output has no {missing.group(1)!r}"
    if message.startswith("exec: plugin api version"):
        return "its apiVersion differs from the kubeconfig's exec apiVersion"
    if message.startswith("exec: missing token or clientCertificateData"):
        return "its output has neither a token nor a client certificate"
    if message.startswith("exec: missing clientKeyData"):
        return "its output has a client certificate but no key"
    request = re.match(r"exec: malformed request\. missing key '(\w+)'", message)
    if request:
        return f"the kubeconfig's exec entry has no {request.group(1)!r}"
    oserror = re.match(r"\[Errno \d+\] ([^:]+)", message)
    if oserror:
        return f"it could not be run ({oserror.group(1).strip()})"
    return "it failed"


class ClientLogs(logging.Filter):
    """Keeps the kubernetes client's and urllib3's log records off the terminal for a scan.

    While active (see :func:`_quiet_client_logs`) it is a filter on the root logger (the
    client's exec-plugin code logs with ``logging.error``) and the ``urllib3`` and
    ``kubernetes`` loggers are raised above CRITICAL (connection retry warnings). Root
    records are kept in ``records`` so the scan can report an exec-plugin failure itself.
    """

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.records.append(record)
        return False

    def exec_failure(self) -> str | None:
        """The reason of the last exec-plugin failure logged, or None."""
        for record in reversed(self.records):
            text = record.getMessage()
            if record.funcName == "_load_from_exec_plugin" or text.startswith("exec: "):
                return exec_failure_reason(text)
        return None


@contextmanager
def quiet_client_logs() -> Iterator[ClientLogs]:
    """Silence and capture the client's log output; restore the logging setup afterwards.

    A NullHandler is added to the root logger while no handler is configured, because
    ``logging.error`` would otherwise call ``basicConfig()`` and change logging for good.
    """
    capture = ClientLogs()
    root = logging.getLogger()
    placeholder: logging.Handler | None = None
    if not root.handlers:
        placeholder = logging.NullHandler()
        root.addHandler(placeholder)
    root.addFilter(capture)
    quieted = [logging.getLogger(n) for n in ("urllib3", "kubernetes")]
    levels = [logger.level for logger in quieted]
    for logger in quieted:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield capture
    finally:
        for logger, level in zip(quieted, levels, strict=True):
            logger.setLevel(level)
        root.removeFilter(capture)
        if placeholder is not None:
            root.removeHandler(placeholder)
