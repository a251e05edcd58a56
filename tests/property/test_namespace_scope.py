"""NamespaceScope's set algebra agrees with plain sets, namespace by namespace, and its JSON
form (what the store and ``history --format json`` hold) reads back as itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.models import EVERY_NAMESPACE, NamespaceScope

NAMES = ["default", "kube-system", "sock-shop", "gitlab", "ns-ü"]
PROBES = [*NAMES, "created-later"]  # a namespace no scope names: only co-finite ones hold it

scopes = st.builds(
    NamespaceScope, st.lists(st.sampled_from(NAMES), unique=True).map(tuple), st.booleans()
).map(lambda s: NamespaceScope.listed(s.names) if s.only else NamespaceScope.all_but(s.names))


@given(scopes, scopes)
def test_intersect_and_minus_are_set_operations(a: NamespaceScope, b: NamespaceScope) -> None:
    for ns in PROBES:
        assert a.intersect(b).covers(ns) == (a.covers(ns) and b.covers(ns))
        assert a.minus(b).covers(ns) == (a.covers(ns) and not b.covers(ns))
    assert a.minus(a).empty
    assert a.intersect(EVERY_NAMESPACE) == a


@given(scopes)
def test_json_form_round_trips(scope: NamespaceScope) -> None:
    assert NamespaceScope.from_json(scope.as_json()) == scope
    assert (scope.as_json() is None) == scope.everything
    assert scope.everything == all(scope.covers(ns) for ns in PROBES)
    assert scope.empty == (not any(scope.covers(ns) for ns in PROBES))


@pytest.mark.parametrize(
    "value", [["a"], {"only": "a"}, {"only": [1]}, {"all": []}, {"only": [], "except": []}, "x"]
)
def test_other_json_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="not a namespace scope"):
        NamespaceScope.from_json(value)
