"""``tracker run --demo``: the whole pipeline offline, on the bundled sample cluster.

The sample cluster (``tracker/demo/cluster.json``, ``version.json``) and its upstream data
(``releases.json``; support windows and advisories when this tracker can import them) are
imported into a temporary SQLite store, scanned with the built-in component catalogue and
evaluated with the demo's waivers (``waivers.toml``); nothing is synced, kept or sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from tracker.models import Report
from tracker.workflows.report import evaluate_report
from tracker.workflows.scan import scan

DEMO_FILES = ("cluster.json", "version.json", "releases.json", "eol.json")
"""The files of the ``tracker.demo`` package the demo reads."""


def run_demo(*, today: date | None = None, now: datetime | None = None) -> Report:
    """Evaluate the bundled sample cluster against its bundled releases.

    Args:
        today: the day findings are computed for (default: today in UTC).
        now: the report's ``generated_at`` (default: the current UTC time).

    Raises:
        TrackerError: only if the installed package is broken (a demo file is missing).
    """
    import tempfile
    import tomllib
    from importlib import resources

    from tracker.evaluate.waivers import parse_waivers
    from tracker.identify.catalogue import load_catalogue
    from tracker.inventory.kubectl_dump import KubectlDump
    from tracker.store import Store
    from tracker.upstream.advisory_file import import_advisories
    from tracker.upstream.cycle_file import import_cycles
    from tracker.upstream.release_file import import_releases

    now = now or datetime.now(UTC)
    demo_dir = resources.files("tracker.demo")
    with tempfile.TemporaryDirectory(prefix="tracker-demo-") as tmp:
        tmp_path = Path(tmp)
        for name in DEMO_FILES:
            (tmp_path / name).write_bytes(demo_dir.joinpath(name).read_bytes())
        advisories = tmp_path / "advisories"
        advisories.mkdir()
        for item in demo_dir.joinpath("advisories").iterdir():
            if item.name.endswith(".json"):
                (advisories / item.name).write_bytes(item.read_bytes())
        catalogue = load_catalogue({})
        with Store.open(f"sqlite:///{tmp_path / 'demo.db'}") as store:
            import_releases(store, tmp_path / "releases.json")
            import_cycles(store, tmp_path / "eol.json", now=now)
            import_advisories(store, [advisories])
            dump = KubectlDump(
                [tmp_path / "cluster.json", tmp_path / "version.json"], cluster="demo"
            )
            scan(dump, store, catalogue)
            waivers = parse_waivers(
                tomllib.loads(demo_dir.joinpath("waivers.toml").read_text("utf-8"))["waivers"],
                source="tracker/demo/waivers.toml",
            )
            return evaluate_report(
                store, catalogue, today=today or now.date(), now=now, waivers=waivers
            ).report
