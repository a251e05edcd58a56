"""diff_findings / days_open on real-shaped runs (see tests/report/sample.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from tests.report.sample import DD, GKE, current_report, previous_report
from tracker.history import (
    EntryKey,
    FindingChanges,
    FindingKey,
    RunChanges,
    days_open,
    diff_findings,
    first_seen,
)
from tracker.models import ComponentReport, Role


def names(refs: tuple[object, ...]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for ref in refs:
        key = ref.key  # type: ignore[attr-defined]
        out.append(
            tuple(v for v in (key.cluster, key.component, key.role, getattr(key, "kind", "")) if v)
        )
    return out


def test_two_real_runs() -> None:
    changes = diff_findings(previous_report().components, current_report().components)
    assert names(changes.new) == [(GKE, "metrics-server", "addon", "outdated")]
    assert names(changes.resolved) == [
        (GKE, "ingress-nginx", "addon", "outdated"),
        (GKE, "metrics-server", "addon", "no-upstream-data"),
    ]
    assert [(v.key.cluster, v.key.component, v.previous.current, v.current.current)
            for v in changes.upgraded] == [
        (DD, "istio", "1.12.1", "1.13.0"),
        (GKE, "prometheus", "2.11.0", "2.11.1"),
    ]  # fmt: skip
    assert changes.downgraded == ()
    # istiod went 1.12.1 -> 1.13.0 but is still outdated: one open finding, not resolved+new.
    istiod = [r for r in changes.still_open if r.key.workload == "Deployment/istiod"]
    assert len(istiod) == 1 and istiod[0].row.current == "1.13.0"
    assert len(changes.still_open) == 10
    assert changes.changed
    # resolved refs carry the previous row, new/still-open refs the current one
    ms = changes.resolved[1]
    assert ms.row.status.value == "unknown" and ms.finding.kind.value == "no-upstream-data"


def test_same_run_twice_changes_nothing() -> None:
    rows = current_report().components
    changes = diff_findings(rows, rows)
    assert not changes.changed
    assert (changes.new, changes.resolved, changes.upgraded) == ((), (), ())
    assert len(changes.still_open) == sum(len(r.findings) for r in rows) == 11


def test_first_run_everything_is_new() -> None:
    changes = diff_findings([], current_report().components)
    assert len(changes.new) == 11 and not changes.resolved and not changes.still_open


def test_for_cluster() -> None:
    changes = diff_findings(previous_report().components, current_report().components)
    dd = changes.for_cluster(DD)
    assert dd.new == () and dd.resolved == ()
    assert [v.key.component for v in dd.upgraded] == ["istio"]
    assert {r.key.cluster for r in dd.still_open} == {DD}


def kubelet(report_rows: tuple[ComponentReport, ...]) -> ComponentReport:
    return next(r for r in report_rows if r.component.role is Role.KUBELET)


def test_recycled_nodes_are_not_noise() -> None:
    rows = current_report().components
    k = kubelet(rows)
    recycled = replace(
        k, component=replace(k.component, workload="Node/gke-pool-new-1,gke-pool-new-2")
    )
    changes = diff_findings(rows, [recycled if r is k else r for r in rows])
    assert not changes.changed


def test_kubelet_rolling_upgrade_and_downgrade() -> None:
    rows = current_report().components
    k = kubelet(rows)
    newer = replace(
        k, current="1.19.16", component=replace(k.component, raw_version="v1.19.16-gke.100")
    )
    # rolling upgrade: both versions run; the new one brings its own open finding
    changes = diff_findings([k], [k, newer])
    assert [r.row.current for r in changes.new] == ["1.19.16"]
    assert changes.upgraded == () and len(changes.still_open) == 1
    # upgrade finished: 1.18 gone. Both sides have one row left -> one upgrade, still open
    changes = diff_findings([k], [newer])
    assert [(v.previous.current, v.current.current) for v in changes.upgraded] == [
        ("1.18.19", "1.19.16")
    ]
    assert changes.new == () and changes.resolved == ()
    back = diff_findings([newer], [k])
    assert len(back.downgraded) == 1 and back.upgraded == ()


def test_two_sidecar_versions_pair_by_version() -> None:
    rows = current_report().components
    side = next(r for r in rows if r.component.role is Role.DATA_PLANE)
    other = replace(side, current="1.13.0", component=replace(side.component, raw_version="1.13.0"))
    # 1.12.1 and 1.13.0 proxies both ran; now only 1.13.0: the 1.12.1 entry went away.
    changes = diff_findings([side, other], [other])
    assert [r.row.current for r in changes.resolved] == ["1.12.1"]
    assert [r.row.current for r in changes.still_open] == ["1.13.0"]
    assert changes.upgraded == ()


def test_unparseable_versions_are_neither_up_nor_down() -> None:
    rows = current_report().components
    cm = next(r for r in rows if r.component.component == "cert-manager")
    odd = replace(cm, current="latest")
    changes = diff_findings([odd], [cm])
    assert changes.upgraded == () and changes.downgraded == ()
    assert len(changes.still_open) == 2


def test_entry_key_drops_kubelet_workload_only() -> None:
    rows = current_report().components
    keys = {EntryKey.of(r) for r in rows}
    assert EntryKey(GKE, "kubernetes", "kubelet", "", "") in keys
    assert EntryKey(DD, "istio", "control-plane", "istio-system", "Deployment/istiod") in keys
    assert EntryKey(DD, "istio", "data-plane", "", "") in keys


def test_days_open() -> None:
    cm = FindingKey(
        GKE, "cert-manager", "addon", "cert-manager", "Deployment/cert-manager", "outdated"
    )
    gone = FindingKey(GKE, "ingress-nginx", "addon", "ingress-nginx",
                      "Deployment/nginx-ingress-controller", "outdated")  # fmt: skip
    today = date(2026, 8, 20)
    assert days_open([cm], {cm: date(2026, 5, 1)}, today)[cm] == 111
    # datetimes count by their date; future dates and unknown keys count 0
    assert days_open([cm], {cm: datetime(2026, 8, 19, 23, 59, tzinfo=UTC)}, today)[cm] == 1
    assert days_open([cm], {cm: date(2026, 9, 1)}, today)[cm] == 0
    assert days_open([gone], {}, today)[gone] == 0


def test_first_seen_survives_a_sidecar_mid_upgrade() -> None:
    """Two sidecar versions share one finding key: a new version's finding does not reset
    the streak of the one still open."""
    rows = [r for r in current_report().components if r.component.role is Role.DATA_PLANE]
    (old,) = rows
    newer = replace(old, current="1.13.9", component=replace(old.component, raw_version="1.13.9"))
    t = [datetime(2026, 8, d, tzinfo=UTC) for d in (1, 2, 3)]
    run1 = RunChanges(DD, 1, t[0], None, (old,))
    run2 = RunChanges(DD, 2, t[1], diff_findings([old], [old]), (old,))
    run3 = RunChanges(DD, 3, t[2], diff_findings([old], [old, newer]), (old, newer))
    assert run3.changes is not None and run3.changes.new and run3.changes.still_open
    key = FindingKey.of(old, old.findings[0])
    assert first_seen([run3, run2, run1])[key] == date(2026, 8, 1)
    # a finding that is only new starts its streak at that run
    run3b = RunChanges(DD, 3, t[2], diff_findings([], [newer]), (newer,))
    assert first_seen([run3b, run2, run1])[key] == date(2026, 8, 3)


def test_changes_is_a_value() -> None:
    empty = FindingChanges((), (), (), (), ())
    assert not empty.changed
