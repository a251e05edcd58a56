"""The HTML report: content and escaping on the bundled demo, and the page in a real browser.

The browser test loads the report in headless Chromium through Playwright's Python API, using
the system's Chromium (Debian package ``chromium``, which ``.ci/run`` installs); it never
downloads a browser, and skips when none is installed.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import tomllib
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.report.demo_report import demo_fleet_report, demo_report
from tracker.errors import ReportError
from tracker.models import (
    ClusterSummary,
    ClusterUnidentified,
    Report,
    Severity,
    Unidentified,
)
from tracker.report.base import cluster_rows, severity_counts
from tracker.report.fleet import fleet_grid
from tracker.report.html import HtmlFormatter, safe_url, visible

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = "evil\x1b]8;;https://x.test\x07<script>alert(1)</script>\u202egpj.exe\r\nline"


# --- a small reader for the rendered page ------------------------------------------------------


@dataclasses.dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = dataclasses.field(default_factory=list)

    def find_all(self, tag: str, cls: str | None = None) -> Iterator[Element]:
        for child in self.children:
            if child.tag == tag and (cls is None or cls in child.attrs.get("class", "").split()):
                yield child
            yield from child.find_all(tag, cls)

    def find(self, tag: str, cls: str | None = None) -> Element:
        return next(self.find_all(tag, cls))

    @property
    def all_text(self) -> str:
        return self.text + "".join(c.all_text for c in self.children)


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"meta", "br", "input", "link", "img", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        # Text goes into a text child so document order is kept for all_text.
        self.stack[-1].children.append(Element("#text", {}, data))


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert [e.tag for e in builder.stack] == ["#document"], "unclosed elements"
    return builder.root


def cells(row: Element) -> list[str]:
    return [" ".join(td.all_text.split()) for td in row.find_all("td")]


def body_rows(table: Element) -> list[Element]:
    return list(table.find("tbody").find_all("tr"))


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return demo_report(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def page(report: Report) -> str:
    return HtmlFormatter().format(report)


# --- content -------------------------------------------------------------------------------------


def test_components_table_lists_every_row_worst_first(report: Report, page: str) -> None:
    doc = parse(page)
    tables = list(doc.find_all("table", "components"))
    assert len(tables) == 1
    rows = body_rows(tables[0])
    expected = cluster_rows(report, "demo")
    assert len(rows) == len(report.components) == 21
    got = [(c[1], c[2], c[5]) for c in map(cells, rows)]
    want = [(r.component.component, r.component.role.value, r.current or "-") for r in expected]
    assert got == want
    assert got[0] in {("grafana", "addon", "12.3.7"), ("prometheus", "addon", "3.5.3")}
    first = rows[0]
    assert first.attrs["class"] == "sev-rank-3"
    assert cells(first)[0] == "critical"
    assert "hidden" not in first.attrs


def test_cluster_summary_counts_version_and_distribution(report: Report, page: str) -> None:
    section = parse(page).find("section", "cluster")
    facts = {
        " ".join(d.find("dt").all_text.split()): " ".join(d.find("dd").all_text.split())
        for d in section.find("dl").find_all("div")
    }
    counts = severity_counts(report.components)
    assert counts == {
        Severity.CRITICAL: 2,
        Severity.WARNING: 15,
        Severity.INFO: 9,
    }  # kube-proxy 1.28.2: partial-catalogue; ingress-nginx: retired
    assert facts["Findings"] == "2 critical 15 warning 9 info"
    assert facts["Kubernetes"] == "1.28.5"
    assert facts["Distribution"] == "Amazon EKS"
    assert facts["Components"] == "21 (15 outdated)"
    assert facts["Unidentified images"] == "3"
    assert facts["Source"] == "dump"


def test_findings_and_release_links(report: Report, page: str) -> None:
    findings = parse(page).find("ul", "findings")
    items = [li for li in findings.children if li.tag == "li"]
    assert len(items) == sum(1 for r in report.components if r.findings)
    grafana = next(li for li in items if "grafana addon" in " ".join(li.all_text.split()))
    link = grafana.find("a")
    assert link.attrs["href"] == "https://github.com/grafana/grafana/releases/tag/v13.2.0"
    assert link.attrs["rel"] == "noopener noreferrer"
    text = " ".join(grafana.all_text.split())
    assert "12.3.7 → 13.2.0" in text
    assert "outdated grafana 12.3.7 is 1 major release behind 13.2.0" in text


def test_unidentified_images_are_listed(report: Report, page: str) -> None:
    table = parse(page).find("table", "unidentified")
    rows = [cells(r) for r in body_rows(table)]
    assert len(rows) == len(report.unidentified) == 3  # redis is catalogued (issue 9)
    assert rows[0][:3] == ["ghcr.io/acme/shop-checkout:4.2.0", "shop", "Deployment/checkout"]


def test_page_is_self_contained_and_admits_only_its_own_script(page: str) -> None:
    doc = parse(page)
    assert not list(doc.find_all("link")) and not list(doc.find_all("img"))
    assert not re.search(r"\bsrc\s*=|@import|url\(", page)
    scripts = list(doc.find_all("script"))
    styles = list(doc.find_all("style"))
    assert len(scripts) == 1 and len(styles) == 1
    csp = next(
        m.attrs["content"]
        for m in doc.find_all("meta")
        if m.attrs.get("http-equiv") == "Content-Security-Policy"
    )

    def sha(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src 'sha256-{sha(scripts[0].all_text)}'" in csp
    assert f"style-src 'sha256-{sha(styles[0].all_text)}'" in csp
    assert csp.startswith("default-src 'none'")
    hrefs = [a.attrs["href"] for a in doc.find_all("a")]
    assert hrefs and all(h.startswith(("https://", "#")) for h in hrefs)


def test_without_javascript_everything_is_shown(page: str) -> None:
    doc = parse(page)
    bar = next(d for d in doc.find_all("div") if d.attrs.get("id") == "filter-bar")
    assert "hidden" in bar.attrs
    assert not [r for t in doc.find_all("table") for r in body_rows(t) if "hidden" in r.attrs]
    assert all("open" in d.attrs for d in doc.find_all("details"))


def test_template_and_assets_ship_as_package_data() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["tracker.report"]
    templates = resources.files("tracker.report").joinpath("templates")
    names = sorted(p.name for p in templates.iterdir() if p.is_file())
    assert names == ["report.html.j2", "script.js", "style.css"]
    for name in names:
        assert any(Path("templates", name).match(g) for g in globs), name
    deps = " ".join(pyproject["project"]["dependencies"])
    assert "jinja2" in deps and "prometheus-client" in deps


# --- fleet view ----------------------------------------------------------------------------------


def test_fleet_view_only_with_several_clusters(tmp_path: Path, page: str) -> None:
    assert not list(parse(page).find_all("table", "fleet"))
    report = demo_fleet_report(tmp_path, clusters=("eks-prod", "eks-staging"))
    doc = parse(HtmlFormatter().format(report))
    fleet = doc.find("table", "fleet")
    heads = [" ".join(th.all_text.split()) for th in fleet.find("thead").find_all("th")]
    assert heads == ["Severity", "Component", "Role", "Latest", "eks-prod", "eks-staging"]
    rows = body_rows(fleet)
    assert [cells(r)[1:3] for r in rows] == [list(key) for key, _ in fleet_grid(report)]
    sidecars = next(r for r in rows if cells(r)[1:3] == ["istio", "data-plane"])
    versions = [[s.all_text for s in td.find_all("span")] for td in sidecars.find_all("td")][4:]
    assert versions == [["1.28.7 (minor, 287d)", "1.29.3 (minor, 196d)"]] * 2
    assert len(list(doc.find_all("table", "components"))) == 2
    nav = [a.all_text for a in doc.find("nav").find_all("a")]
    assert nav == ["eks-prod", "eks-staging"]


def test_cluster_without_scan_summary_still_shows_its_rows(report: Report) -> None:
    doc = parse(HtmlFormatter().format(dataclasses.replace(report, clusters=())))
    section = doc.find("section", "cluster")
    first = section.find("dl").find("div")
    assert (first.find("dt").all_text, first.find("dd").all_text) == (
        "Scan",
        "no scan summary for this cluster",
    )
    assert len(body_rows(section.find("table", "components"))) == 21


# --- untrusted text ------------------------------------------------------------------------------


def _hostile(report: Report) -> Report:
    first = report.components[0]
    component = dataclasses.replace(
        first.component,
        namespace=HOSTILE,
        workload='Deployment/x" onmouseover="alert(1)',
        image=HOSTILE,
    )
    evil_row = dataclasses.replace(
        first, cluster=HOSTILE, component=component, latest_url="javascript:alert(1)"
    )
    https_row = dataclasses.replace(report.components[1], cluster=HOSTILE)
    summary = dataclasses.replace(report.clusters[0], name=HOSTILE, warnings=(HOSTILE,))
    unidentified = ClusterUnidentified(HOSTILE, Unidentified(HOSTILE, HOSTILE, HOSTILE, HOSTILE))
    return dataclasses.replace(
        report,
        clusters=(summary,),
        components=(evil_row, https_row),
        unidentified=(unidentified,),
        warnings=(HOSTILE,),
    )


def test_untrusted_names_are_escaped(report: Report) -> None:
    out = HtmlFormatter().format(_hostile(report))
    for raw in ("\x1b", "\x07", "\u202e", "\r", "<script>alert", 'x" onmouseover'):
        assert raw not in out
    assert out.count("<script>") == 1
    shown = visible(HOSTILE)
    assert shown == (
        "evil\\x1b]8;;https://x.test\\x07<script>alert(1)</script>\\u202egpj.exe\\x0d\\x0aline"
    )
    doc = parse(out)
    assert " ".join(doc.find("section", "cluster").find("h2").all_text.split()) == shown
    assert "javascript:" not in out
    links = [a.attrs["href"] for a in doc.find_all("a")]
    assert report.components[1].latest_url in links
    assert all(h.startswith(("https://", "#")) for h in links)
    workload = parse(out).find("td", "workload")
    assert workload.all_text.startswith('Deployment/x" onmouseover="alert(1)')


def test_safe_url_accepts_only_http_links() -> None:
    assert safe_url("http://example.test/a?b=c") == "http://example.test/a?b=c"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil.test", "https://", None, 3):
        assert safe_url(bad) is None
    assert safe_url("https://a.test/\u202ex") is None


def test_naive_timestamp_is_a_report_error(report: Report) -> None:
    naive = dataclasses.replace(report, generated_at=datetime(2026, 1, 1))
    with pytest.raises(ReportError, match="generated_at"):
        HtmlFormatter().format(naive)
    summary: ClusterSummary = dataclasses.replace(
        report.clusters[0], scanned_at=datetime(2026, 1, 1)
    )
    with pytest.raises(ReportError, match=r"clusters\[demo\]\.scanned_at"):
        HtmlFormatter().format(dataclasses.replace(report, clusters=(summary,)))


# --- in a real browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _component_column(page: Any) -> list[str]:
    texts: list[str] = page.locator(
        "table.components tbody tr:visible td.component"
    ).all_inner_texts()
    return [t.strip() for t in texts]


def _numbers(page: Any, column: int) -> list[int]:
    values: list[str] = page.locator(
        f"table.components tbody tr td:nth-child({column})"
    ).evaluate_all("cells => cells.map(c => c.dataset.sort)")
    return [int(v) for v in values]


def test_report_in_headless_chromium(
    browser: Any, report: Report, page: str, tmp_path: Path
) -> None:
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    tab.goto(path.as_uri())

    rows = tab.locator("table.components tbody tr")
    assert rows.count() == len(report.components)
    assert _component_column(tab) == [r.component.component for r in cluster_rows(report, "demo")]

    shot = tmp_path / "html-report.png"
    tab.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    box = tab.locator("#filter")
    assert box.is_visible()
    box.fill("cert-manager")
    visible_rows = _component_column(tab)
    assert visible_rows == ["cert-manager"] * 3
    assert tab.locator("#filter-count").inner_text() == "3 of 21 rows"
    box.fill("ISTIO-SYSTEM")
    assert len(_component_column(tab)) == 2
    box.fill("")
    assert len(_component_column(tab)) == len(report.components)

    days = tab.locator("table.components th", has_text="Days behind")
    days.click()
    assert days.get_attribute("aria-sort") == "descending"
    shown = _numbers(tab, 11)
    assert shown == sorted(shown, reverse=True) and shown[0] == 1083 and shown[-1] == -1
    days.click()
    assert days.get_attribute("aria-sort") == "ascending"
    assert _numbers(tab, 11) == sorted(shown)
    tab.locator("table.components th", has_text="Component").click()
    names = _component_column(tab)
    assert names == sorted(names) and names[0] == "argo-cd"

    assert errors == []
    context.close()


def test_report_in_chromium_without_javascript(browser: Any, page: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(path.as_uri())
    assert tab.locator("table.components tbody tr:visible").count() == 21
    assert tab.locator("table.unidentified tbody tr:visible").count() == 3
    assert not tab.locator("#filter").is_visible()
    context.close()
