"""The library API: the only place where tracker's stages are wired together.

One module per job, each a function over :class:`~tracker.config.Settings` (or one options
object) that returns a result dataclass; the CLI (:mod:`tracker.cli`) is a thin shell over
them, and any other program can call them too:

- :mod:`~tracker.workflows.scan`: inventory -> identify -> store (``run_scan``);
- :mod:`~tracker.workflows.sync`: upstream data in (``run_sync``) and out (release files);
- :mod:`~tracker.workflows.report`: evaluate stored scans, then (a second call) save the rows;
- :mod:`~tracker.workflows.nightly`: ``tracker run`` (scan, sync, evaluate, save, notify);
- :mod:`~tracker.workflows.notify`: the one outbox delivery, used by ``run`` and ``notify``;
- :mod:`~tracker.workflows.query`: ``tracker query`` and ``tracker history``;
- :mod:`~tracker.workflows.demo`: ``tracker run --demo``; :mod:`~tracker.workflows.db`: schema.

Heavy libraries (SQLAlchemy, Alembic, the Kubernetes client, httpx) are imported inside the
functions that use them, so importing a workflow module (and so starting the CLI) is cheap.
"""
