"""Safe reading of untrusted input files: kubectl dumps, release and advisory import files.

One place for the rules every file tracker reads on a user's behalf follows (issue 13 §3),
so a hostile or broken file ends in one line naming it, never a traceback, a hang or a
process killed for memory:

* **What may be read.** Regular files only, or the path ``-`` for standard input (a pipe
  or a redirected file). FIFOs, character and block devices (``/dev/zero``), sockets and
  directories are refused from :func:`os.stat` alone, before anything is opened, so a FIFO
  without a writer cannot block; the file is then opened with ``O_NONBLOCK`` and checked
  again with :func:`os.fstat` (a path swapped for a FIFO between the two checks is refused
  too). Standard input that is a terminal or a device is refused (nothing would end it).
* **How much.** At most ``max_size`` bytes (default :data:`DEFAULT_MAX_SIZE`, 2 GiB; the
  CLI exposes it as ``--max-dump-size``). A regular file over the limit is refused from its
  size before it is read; standard input is read up to one byte past the limit.
* **Text.** UTF-8, with or without a byte order mark; anything else is refused with the
  byte offset of the first bad byte.
* **JSON** through orjson: nesting deeper than 1024 levels is refused (it never recurses
  on the C stack); integers beyond 64 bits become floats, numbers beyond a double's range
  are refused. Duplicate keys keep the last value, as ``json.loads`` does.
* **YAML** through PyYAML's libyaml ``CSafeLoader`` when available (else ``SafeLoader``).
  libyaml's composer recurses on the C stack and *crashes the process* (SIGSEGV) on about
  30,000 nested levels, so the event stream is scanned first: more than
  :data:`MAX_DEPTH` nested levels, or more than :data:`MAX_ALIASES` aliases (``*ref``,
  which let a small file expand into a huge one), are refused before anything is built.
  The scan costs about 13% of a YAML load (libyaml events only, no objects built).
  Integers of more than 4,300 digits, impossible dates and other values the constructor
  rejects are one-line errors too.

Every error is the caller's own :class:`~tracker.errors.TrackerError` subclass
(``DumpError`` for dumps, ``ReleaseFileError`` for release imports), so commands report it
like any other bad input.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
import yaml
from yaml.events import (
    AliasEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from tracker.errors import ConfigError, TrackerError

__all__ = [
    "DEFAULT_MAX_SIZE",
    "JSON_MAX_DEPTH",
    "MAX_ALIASES",
    "MAX_DEPTH",
    "STDIN",
    "InputFile",
    "format_size",
    "parse_size",
]

DEFAULT_MAX_SIZE = 2 * 1024**3
"""Default size limit of one input file, in bytes (2 GiB)."""

STDIN = "-"
"""The path that means standard input."""

MAX_DEPTH = 1000
"""Deepest YAML nesting accepted (collections inside collections); Kubernetes objects use ~15."""

JSON_MAX_DEPTH = 1024
"""Deepest JSON nesting accepted: orjson's fixed limit."""

MAX_ALIASES = 1000
"""Most YAML aliases (``*ref``) accepted in one file (kubectl never writes any)."""

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CHUNK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_DEPTH_STEP: dict[type[Event], int] = {
    MappingStartEvent: 1,
    SequenceStartEvent: 1,
    MappingEndEvent: -1,
    SequenceEndEvent: -1,
}
_KIND_NAMES = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def format_size(size: int) -> str:
    """``size`` bytes for a message: ``512 bytes``, ``1.5 MiB``, ``2 GiB``.

    >>> format_size(512), format_size(1536 * 1024), format_size(2 * 1024**3)
    ('512 bytes', '1.5 MiB', '2 GiB')
    """
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes | None: ...


_SIZE_RE = re.compile(r"^\s*(\d{1,20}(?:\.\d{1,6})?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str, option: str = "--max-dump-size") -> int:
    """A size limit as given on the command line, in bytes.

    Accepts a number of bytes or a number with a binary unit (``K``, ``M``, ``G``, ``T``,
    optionally followed by ``iB`` or ``B``; all powers of 1024).

    Raises:
        ConfigError: not a size, or zero; the message names ``option``.

    >>> parse_size("2GiB"), parse_size("500M"), parse_size("1048576"), parse_size("1.5k")
    (2147483648, 524288000, 1048576, 1536)
    """
    match = _SIZE_RE.match(text)
    size = int(float(match[1]) * _SIZE_UNITS[match[2].lower()]) if match else 0
    if size <= 0:
        raise ConfigError(
            f"{option} {text!r} is not a size", "give bytes or a unit: 500M, 2G, 2GiB"
        )
    return size


def _kind_name(mode: int) -> str:
    for test, name in _KIND_NAMES:
        if test(mode):
            return name
    return "not a regular file"


@dataclass(frozen=True)
class InputFile:
    """One untrusted input file and how to report problems with it.

    Args:
        path: the file; ``Path("-")`` (:data:`STDIN`) reads standard input.
        what: what the file is, for messages: ``dump file``, ``release file``.
        error: the :class:`~tracker.errors.TrackerError` subclass to raise.
        hint: the hint for content errors (how to produce a good file); may be empty.
        max_size: size limit in bytes (default 2 GiB); must be positive.
        size_option: the CLI option that sets ``max_size`` (``--max-dump-size``), named in
            the hint of a too-large error; may be empty.

    Every method raises ``error`` with a one-line message that starts with
    ``"{what} {label}"`` (``dump file prod.json: invalid JSON at line 4 column 1: ...``).
    """

    path: Path
    what: str = "input file"
    error: type[TrackerError] = TrackerError
    hint: str = ""
    max_size: int = DEFAULT_MAX_SIZE
    size_option: str = ""

    @property
    def is_stdin(self) -> bool:
        """True when the path is ``-`` (standard input)."""
        return str(self.path) == STDIN

    @property
    def label(self) -> str:
        """The file as messages name it: its path, or ``stdin``."""
        return "stdin" if self.is_stdin else str(self.path)

    def _fail(self, problem: str, hint: str | None = None) -> TrackerError:
        return self.error(f"{self.what} {self.label}{problem}", self.hint if hint is None else hint)

    # -- reading -----------------------------------------------------------------------

    def read_bytes(self) -> bytes:
        """The file's bytes, read under the rules in the module docstring.

        Raises:
            error: missing or unreadable file, not a regular file (FIFO, device,
                directory, socket), standard input that is a terminal or a device, or
                more than ``max_size`` bytes.
        """
        if self.is_stdin:
            return self._read_stdin()
        path = self.path
        try:
            info = os.stat(path)
        except FileNotFoundError:
            hint = f"check the path (relative to {Path.cwd()})"
            raise self._fail(" not found", hint) from None
        except OSError as exc:
            raise self._fail(f" cannot be read: {exc.strerror or exc}", "") from None
        self._check_regular(info.st_mode)
        self._check_size(info.st_size)
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError as exc:
            raise self._fail(f" cannot be read: {exc.strerror or exc}", "") from None
        with open(fd, "rb", buffering=0) as stream:
            info = os.fstat(fd)
            self._check_regular(info.st_mode)
            self._check_size(info.st_size)
            try:
                return self._read_limited(stream, info.st_size)
            except OSError as exc:
                raise self._fail(f" cannot be read: {exc.strerror or exc}", "") from None

    def _check_regular(self, mode: int) -> None:
        if not stat.S_ISREG(mode):
            raise self._fail(
                f" is {_kind_name(mode)}, not a regular file",
                "pass a regular file, or - to read standard input",
            )

    def _check_size(self, size: int) -> None:
        if size > self.max_size:
            raise self._too_large(f"is {format_size(size)}")

    def _too_large(self, found: str) -> TrackerError:
        option = f" with {self.size_option}" if self.size_option else ""
        return self._fail(
            f" {found}, over the limit of {format_size(self.max_size)}",
            f"raise the limit{option} if the file is genuine",
        )

    def _read_stdin(self) -> bytes:
        stdin = sys.stdin
        if stdin is None:
            raise self._fail(" cannot be read: there is no standard input", "")
        if stdin.isatty():
            raise self._fail(
                " is a terminal", "pipe or redirect the file into tracker, or pass its path"
            )
        stream = stdin.buffer
        try:
            mode = os.fstat(stream.fileno()).st_mode
        except (OSError, ValueError, AttributeError):  # not a real descriptor (tests)
            mode = stat.S_IFIFO
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise self._fail(
                f" is {_kind_name(mode)}", "pipe or redirect a regular file into tracker"
            )
        try:
            return self._read_limited(stream, 0)
        except OSError as exc:
            raise self._fail(f" cannot be read: {exc.strerror or exc}", "") from None

    def _read_limited(self, stream: _Readable, size_hint: int) -> bytes:
        """Read to the end, at most ``max_size`` bytes (one read of ``size_hint`` first)."""
        parts: list[bytes] = []
        total = 0
        want = size_hint if 0 < size_hint <= self.max_size else _CHUNK
        while True:
            chunk = stream.read(min(want, self.max_size + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
            if total > self.max_size:
                raise self._too_large("holds more")
            want = _CHUNK
        if len(parts) == 1:
            return parts[0]
        return b"".join(parts)

    # -- decoding ----------------------------------------------------------------------

    def decode(self, data: bytes) -> str:
        """``data`` as text: UTF-8, a leading byte order mark removed.

        Raises:
            error: not UTF-8 (the message gives the offset of the first bad byte).
        """
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise self._not_utf8(exc) from None

    def _not_utf8(self, exc: UnicodeDecodeError) -> TrackerError:
        return self._fail(f" is not UTF-8 text (byte {exc.start}: {exc.reason})")

    def parse_json(self, data: bytes) -> Any:
        """Decode one JSON document from ``data`` (UTF-8, optional byte order mark).

        Returns:
            dicts, lists, str, int (64-bit; larger integers become float), float, bool,
            None.

        Raises:
            error: not UTF-8 (byte offset given), invalid JSON (line and column given),
                nesting deeper than 1024 levels, a number beyond a double's range, or not
                enough memory.
        """
        body: bytes | memoryview = data
        if data.startswith(codecs.BOM_UTF8):
            body = memoryview(data)[len(codecs.BOM_UTF8) :]
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            if "UTF-8" in exc.msg:
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as bad:
                    raise self._not_utf8(bad) from None
            problem = exc.msg
            if "depth limit" in problem:
                problem = f"nested more than {JSON_MAX_DEPTH} levels deep"
            raise self._fail(
                f": invalid JSON at line {exc.lineno} column {exc.colno}: {problem}"
            ) from None
        except MemoryError:
            raise self._fail(": not enough memory to decode it", "") from None

    def parse_yaml(self, data: bytes | str) -> list[Any]:
        """Decode every YAML document in ``data`` (``---`` separated); empty ones are None.

        Raises:
            error: not UTF-8, invalid YAML (line and column given), nesting deeper than
                :data:`MAX_DEPTH` levels, more than :data:`MAX_ALIASES` aliases, a value
                the safe constructor rejects (an integer of over 4,300 digits, an
                impossible date, an unknown ``!tag``), or not enough memory.
        """
        text = self.decode(data) if isinstance(data, bytes) else data
        try:
            self._check_yaml_shape(text)
            return list(yaml.load_all(text, Loader=_YAML_LOADER))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise self._fail(f": invalid YAML{where}: {_one_line(problem)}") from None
        except RecursionError:
            raise self._fail(": invalid YAML: nested too deeply") from None
        except (ValueError, OverflowError) as exc:
            raise self._fail(f": invalid YAML value: {_one_line(str(exc))}") from None
        except MemoryError:
            raise self._fail(": not enough memory to decode it", "") from None

    def _check_yaml_shape(self, text: str) -> None:
        """Refuse too deep nesting or too many aliases before libyaml composes anything."""
        depth = 0
        aliases = 0
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            step = _DEPTH_STEP.get(type(event))
            if step is not None:
                depth += step
                if depth > MAX_DEPTH:
                    raise self._fail(f": YAML nested more than {MAX_DEPTH} levels deep{_at(event)}")
            elif type(event) is AliasEvent:
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise self._fail(
                        f": more than {MAX_ALIASES} YAML aliases (*name){_at(event)}",
                        "expand the aliases; kubectl output has none",
                    )

    def load_json(self) -> Any:
        """:meth:`read_bytes` then :meth:`parse_json` (raises as they do)."""
        return self.parse_json(self.read_bytes())


def _at(event: Event) -> str:
    mark = event.start_mark
    return f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())
