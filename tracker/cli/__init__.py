"""The ``tracker`` command line: a thin shell over :mod:`tracker.workflows`.

``app`` (in :mod:`tracker.cli.app`) is the Typer application; ``python -m tracker`` and the
``tracker`` script run it.

Start-up: the cyclic garbage collector is paused while the command line's modules are
imported, and the objects they create (classes, functions, constants, all long-lived) are
then frozen out of its reach (:func:`gc.freeze`). Without this, Python's collector walks the
same import-time objects again and again as imports allocate; a ``tracker report`` spent
about 50 ms of its 0.5 s in it (benchmarks/startup.py). Collection is on again for the
command itself.
"""

import gc

_collecting = gc.isenabled()
gc.disable()
try:
    from tracker.cli.app import app
finally:
    gc.freeze()
    if _collecting:
        gc.enable()

__all__ = ["app"]
