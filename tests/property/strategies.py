"""Shared hypothesis settings and strategies for the property tests of untrusted text.

Runs are bounded (``max_examples`` 200, no deadline, no example database written to the
working tree) so the suite stays fast and reproducible; set ``HYPOTHESIS_PROFILE=deep`` for a
longer local search (2,000 examples per test).
"""

from __future__ import annotations

import os
import string
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "bounded",
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep",
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))

FILE_EXAMPLES = settings.default.max_examples // 2
"""Examples for tests that write and read a file each time (half the profile's count)."""

# -- JSON-like values ---------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
"""Anything ``json.loads`` can return (finite numbers, 64-bit integers)."""

# -- versions -----------------------------------------------------------------------------

_labels = st.sampled_from(["alpha", "beta", "rc", "pre", "preview", "snapshot", "dev", "RC", "b"])
_seps = st.sampled_from(["", "-", ".", "_"])
_numbers = st.integers(min_value=0, max_value=10**6).map(str)
_words = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8)


@st.composite
def version_like(draw: st.DrawFn) -> str:
    """Strings shaped like the tags and versions found upstream and in clusters."""
    out = draw(st.sampled_from(["", "v", "V", "release-", "alpine-"]))
    out += ".".join(draw(st.lists(_numbers, min_size=1, max_size=4)))
    if draw(st.booleans()):
        out += draw(_seps) + draw(_labels)
        if draw(st.booleans()):
            out += draw(_seps) + draw(_numbers)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        out += draw(st.sampled_from(["-", ".", "+", "_"])) + draw(_words)
    return out


version_text = st.one_of(
    version_like(), st.text(max_size=40), st.text(alphabet="v0123456789.", min_size=1, max_size=12)
)

# -- image references ---------------------------------------------------------------------

_alnum = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=6)
_component = st.builds(
    lambda parts, sep: sep.join(parts),
    st.lists(_alnum, min_size=1, max_size=3),
    st.sampled_from([".", "_", "-", "__"]),
)
_label = st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=8)
_hostname = st.builds(lambda parts: ".".join(parts), st.lists(_label, min_size=2, max_size=4))
_host = st.one_of(
    st.just("localhost"),
    _hostname,
    st.builds(
        lambda host, port: f"{host}:{port}",
        st.one_of(st.just("localhost"), _hostname),
        st.integers(min_value=0, max_value=99999),
    ),
    st.sampled_from(["docker.io", "index.docker.io", "registry-1.docker.io", "Quay.IO"]),
)
_tag_chars = string.ascii_letters + string.digits + "_"
_tag = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_tag_chars),
    st.text(alphabet=_tag_chars + ".-", max_size=20),
)
_digest = st.builds(
    lambda algo, hexa: f"{algo}:{hexa}",
    st.sampled_from(["sha256", "sha512"]),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)


@st.composite
def image_like(draw: st.DrawFn) -> str:
    """Image references as pod specs give them (valid, and near-valid once mutated)."""
    out = ""
    if draw(st.booleans()):
        out = draw(_host) + "/"
    out += "/".join(draw(st.lists(_component, min_size=1, max_size=3)))
    if draw(st.booleans()):
        out += ":" + draw(_tag)
    if draw(st.booleans()):
        out += "@" + draw(_digest)
    return out


image_text = st.one_of(image_like(), st.text(max_size=40))

# -- Kubernetes objects -------------------------------------------------------------------


_names = st.one_of(_label, st.text(max_size=12))
_labels_map = st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=3)


def _fields(
    required: dict[str, st.SearchStrategy[Any]] | None = None, **optional: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with ``required`` keys and each optional key present or not."""
    return st.fixed_dictionaries(required or {}, optional=optional)


@st.composite
def _mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """``base``, then up to two changes anywhere in it: a key removed or a value of any type."""
    obj = draw(base)
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        paths: list[tuple[Any, Any]] = []
        stack: list[Any] = [obj]
        while stack:
            node = stack.pop()
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                paths.append((node, key))
                if isinstance(value, dict | list):
                    stack.append(value)
        if not paths:
            break
        node, key = draw(st.sampled_from(paths))
        if isinstance(node, dict) and draw(st.booleans()):
            del node[key]
        else:
            node[key] = draw(json_values)
    return obj


def pod_like() -> st.SearchStrategy[dict[str, Any]]:
    """Pod objects: well-formed, then with up to two fields removed or of the wrong type."""
    container = _fields(
        {"name": _names, "image": image_text}, restartPolicy=st.sampled_from(["Always", "Never"])
    )
    status = _fields(
        phase=st.sampled_from(["Running", "Pending", "Succeeded", "Failed"]),
        containerStatuses=st.lists(
            _fields({"name": _names}, imageID=st.text(max_size=20)), max_size=3
        ),
    )
    owner = _fields(
        {
            "kind": st.sampled_from(["ReplicaSet", "Job", "DaemonSet", "Node", "X"]),
            "name": st.one_of(
                _names,
                st.builds(lambda name, n: f"{name}-{n}", _label, st.integers(10**7, 10**10)),
            ),
        },
        controller=st.booleans(),
    )
    pod = _fields(
        {
            "kind": st.just("Pod"),
            "metadata": _fields(
                {"name": _names},
                namespace=_names,
                labels=_labels_map,
                annotations=_labels_map,
                ownerReferences=st.lists(owner, max_size=2),
            ),
            "spec": _fields(
                {"containers": st.lists(container, min_size=1, max_size=3)},
                initContainers=st.lists(container, max_size=2),
                nodeName=_names,
            ),
        },
        status=status,
    )
    return _mutated(pod)


def node_like() -> st.SearchStrategy[dict[str, Any]]:
    """Node objects: well-formed, then with up to two fields removed or of the wrong type."""
    node = _fields(
        {
            "kind": st.just("Node"),
            "metadata": _fields({"name": _names}, labels=_labels_map),
            "status": _fields(
                {
                    "nodeInfo": _fields(
                        {"kubeletVersion": version_text},
                        kubeProxyVersion=version_text,
                        containerRuntimeVersion=st.text(max_size=20),
                        osImage=st.text(max_size=20),
                    )
                }
            ),
        }
    )
    return _mutated(node)


version_object = _fields(
    gitVersion=version_text,
    serverVersion=_fields(gitVersion=version_text),
    clientVersion=json_values,
)


def dump_like() -> st.SearchStrategy[Any]:
    """Whole dump documents: Lists, typed lists, single objects, version output, or junk."""
    item = st.one_of(pod_like(), node_like(), json_values)
    return st.one_of(
        _mutated(
            _fields(
                {
                    "kind": st.sampled_from(["List", "PodList", "NodeList", "ServiceList"]),
                    "items": st.lists(item, max_size=4),
                }
            )
        ),
        pod_like(),
        node_like(),
        version_object,
        json_values,
    )
