"""The ``tracker`` command line: a thin shell over :mod:`tracker.workflows`.

``app`` (in :mod:`tracker.cli.app`) is the Typer application; ``python -m tracker`` and the
``tracker`` script run it.
"""

from tracker.cli.app import app

__all__ = ["app"]
