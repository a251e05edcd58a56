"""Images tracker recognises but does not catalogue: their unidentified rows say why
(tracker/identify/uncatalogued.toml), on the real GKE pod list's GitLab images."""

from __future__ import annotations

import pytest

from tracker.identify.mirrors import RepositoryIndex
from tracker.identify.registry import identify
from tracker.identify.uncatalogued import listed_repositories, uncatalogued_reason
from tracker.models import ImageReference

GKE_PODS = ("pods/gke-v1.18.19-kubevious-samples.podlist.json",)
CNG = "registry.gitlab.com/gitlab-org/build/cng"


def test_listed_repositories_are_not_catalogue_entries(catalogue):
    index = RepositoryIndex(catalogue)
    assert len(listed_repositories()) >= 1
    for repository in listed_repositories():
        image = ImageReference.parse(repository + ":1.0")
        assert index.resolve(image) is None, repository  # never both listed and claimed
        assert uncatalogued_reason(image), repository


@pytest.mark.parametrize(
    "raw",
    [
        f"{CNG}/alpine-certificates:20171114-r3",
        "harbor.corp/gitlab/registry.gitlab.com/gitlab-org/build/cng/alpine-certificates:1",
        "harbor.corp/proxy/gitlab-org/build/cng/alpine-certificates:20171114-r3",
    ],
)
def test_a_listed_repository_is_recognised_through_mirrors(raw):
    reason = uncatalogued_reason(ImageReference.parse(raw))
    assert reason is not None and reason.startswith("GitLab's CNG helper image")


@pytest.mark.parametrize(
    "raw",
    [
        "nginx:1.27",
        "harbor.corp/alpine-certificates:v1",
        "registry.gitlab.com/acme/alpine-certificates:20171114-r3",
    ],
)
def test_other_images_are_not_listed(raw):
    assert uncatalogued_reason(ImageReference.parse(raw)) is None


def test_gke_gitlab_images_say_why_they_are_unidentified(real_inventory, catalogue):
    result = identify(real_inventory(pods=GKE_PODS), catalogue)
    reasons = {u.image: u.reason for u in result.unidentified}
    certs = reasons[f"{CNG}/alpine-certificates:20171114-r3"]
    assert certs == (
        f"no catalogue entry for image repository {CNG}/alpine-certificates: GitLab's CNG "
        "helper image (Alpine's ca-certificates package, for init containers): no release "
        "stream of its own; tags such as 20171114-r3 are that package's date-stamped version"
    )
    # the same image in seven workloads: one row per workload, each with the reason
    rows = [u for u in result.unidentified if u.image.startswith(f"{CNG}/alpine-certificates")]
    assert len(rows) == 7 and {u.reason for u in rows} == {certs}
    # Gitaly and gitlab-exporter are catalogued since tracker reads gitlab.com releases
    assert f"{CNG}/gitaly:v1.77.1" not in reasons
    assert f"{CNG}/gitlab-exporter:5.1.0" not in reasons
    found = {(c.component, c.raw_version) for c in result.components}
    assert {("gitaly", "v1.77.1"), ("gitlab-exporter", "5.1.0")} <= found
    # the demo applications keep the plain reason
    assert reasons["weaveworksdemos/carts:0.4.8"] == (
        "no catalogue entry for image repository docker.io/weaveworksdemos/carts"
    )
