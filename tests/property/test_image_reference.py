"""Properties of the image-reference parser on untrusted text.

``ImageReference.parse`` raises only ``ValueError`` (documented); the inventory's
``parse_image`` never raises; and normalizing is idempotent: the normalized string
(``str(ref)``) parses to the same parts and prints the same.
"""

from __future__ import annotations

from hypothesis import example, given

from tests.property.strategies import image_like, image_text
from tracker.inventory.parse import is_unparsed, parse_image
from tracker.models import ImageReference


@given(image_text)
@example("")
@example("nginx@sha256:")
@example("a/b:")
@example("localhost:5000/a:1@sha256:" + "0" * 64)
@example("registry-1.docker.io/nginx")
def test_parse_raises_only_value_error(raw: str) -> None:
    try:
        ref = ImageReference.parse(raw)
    except ValueError as exc:
        assert repr(raw) in str(exc)
        return
    assert ref.raw == raw and ref.registry and ref.repository


@given(image_text)
def test_parse_image_never_raises(raw: str) -> None:
    ref, reason = parse_image(raw)
    assert ref.raw == raw
    assert (reason is None) != is_unparsed(ref)


@given(image_like())
@example("Docker.io/nginx:1")
@example("index.docker.io/library/nginx")
@example("localhost/a")
def test_normalizing_is_idempotent(raw: str) -> None:
    try:
        ref = ImageReference.parse(raw)
    except ValueError:
        return
    again = ImageReference.parse(str(ref))
    assert (again.registry, again.repository, again.tag, again.digest) == (
        ref.registry,
        ref.repository,
        ref.tag,
        ref.digest,
    )
    assert str(again) == str(ref)
    first = ref.short_name.split("/")[0]
    if "." not in first and ":" not in first and first != "localhost":
        # the familiar form is unambiguous unless a Docker Hub namespace looks like a host
        # (Docker Hub namespaces are [a-z0-9]: it cannot happen with real images)
        assert ImageReference.parse(ref.short_name).name == ref.name
