"""Coverage-guided fuzz target (atheris) for the kubectl dump parser.

Feeds arbitrary bytes through the same path ``tracker scan --from-dump FILE`` takes:
:class:`tracker.inputfile.InputFile` (size limit, UTF-8, orjson / depth-checked libyaml)
then the object walk and :class:`tracker.inventory.parse.InventoryBuilder`. Each input is
tried as a ``.json`` and as a ``.yaml`` file (the suffix decides YAML for ``{``/``[``
content). The only exception allowed out is :class:`tracker.errors.DumpError`; anything
else is a crash atheris reports with the input that caused it.

Not part of the test suite and atheris is not a test dependency. To run it (Linux,
CPython 3.11; atheris ships wheels for x86-64 Linux)::

    pip install atheris
    mkdir -p /tmp/dump-corpus && cp tests/data/realdata/pods/*.json /tmp/dump-corpus/
    python fuzz/fuzz_dump.py /tmp/dump-corpus -max_len=65536 -runs=100000

Arguments after the script are libFuzzer's (``-max_total_time=600``, ``-jobs=2``, a
crash file to replay it). Seeding the corpus with the real dumps lets it reach the pod and
node parsers quickly. The property tests in ``tests/property/test_dump.py`` check the same
contract with hypothesis on every test run.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris  # type: ignore[import-not-found]

with atheris.instrument_imports():
    from tracker.errors import DumpError
    from tracker.inventory.kubectl_dump import KubectlDump

_DIR = Path(tempfile.mkdtemp(prefix="fuzz-dump-"))
_FILES = (_DIR / "dump.json", _DIR / "dump.yaml")


def test_one_input(data: bytes) -> None:
    """Parse ``data`` as a dump file; only DumpError may escape."""
    for path in _FILES:
        path.write_bytes(data)
        try:
            KubectlDump([path], cluster="fuzz", max_size=1 << 20).collect()
        except DumpError as exc:
            if "\n" in str(exc):
                raise AssertionError(f"multi-line error: {exc!r}") from None


def main() -> None:
    """Run libFuzzer over :func:`test_one_input` with the command line's arguments."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
