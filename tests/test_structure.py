"""Structure anyone can check (issue 8, design.md §2): import rules, module size, start-up.

The rules are read from the source with ``ast`` (every import, including those inside
functions and ``TYPE_CHECKING`` blocks), so they hold for every code path.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.report.sample import current_report
from tracker.cli.app import app
from tracker.cli.output import FailOnChoice, FormatChoice
from tracker.evaluate.policy import FAIL_ON, fail_on_hit
from tracker.report import FORMATTERS, get_formatter

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
MAX_LINES = 600

# Modules other helpers of issue 8 are splitting on their branches; strict once merged.
BEING_SPLIT: dict[str, str] = {}


def modules(under: str = "") -> Iterator[Path]:
    """Every ``.py`` file of the package (below ``tracker/<under>``)."""
    yield from sorted((PACKAGE / under).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; ``from a import b`` gives ``a`` and
    ``a.b``), wherever the import statement is."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_import_rules_see_imports_inside_functions() -> None:
    """The helper itself: a lazy import in a function counts like a top-level one."""
    found = imported(PACKAGE / "workflows" / "scan.py")
    assert "tracker.inventory.kubernetes_api" in found  # imported inside inventory_source()


@pytest.mark.parametrize("area", ["report", "notify"])
def test_formatters_and_notifiers_never_reach_the_store(area: str) -> None:
    """report/ and notify/ are pure over data: nothing that reads the store."""
    bad = {
        rel(path): sorted(
            n for n in imported(path) if under(n, "tracker.store") or under(n, "tracker.workflows")
        )
        for path in modules(area)
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_history_is_pure() -> None:
    found = imported(PACKAGE / "history.py")
    assert not [n for n in found if under(n, "tracker.store") or under(n, "tracker.workflows")]
    assert not [n for n in found if under(n, "sqlalchemy")]


CLI_MAY_IMPORT = (
    "tracker.cli",
    "tracker.workflows",
    "tracker.report",
    "tracker.config",
    "tracker.errors",
    "tracker.models",  # the data shapes (Report)
    "tracker.enums",  # the Status, Flag, Behind choices
    "tracker.evaluate.policy",  # the fail-on registry
)


def test_cli_imports_only_the_library_api() -> None:
    """The CLI is a shell over workflows/: no store, inventory, identify or upstream code."""
    bad = {}
    for path in modules("cli"):
        own = [n for n in imported(path) if under(n, "tracker")]
        # the package root itself (``from tracker import __version__``) is allowed
        own = [n for n in own if n not in ("tracker", "tracker.__version__")]
        wrong = [n for n in own if not any(under(n, ok) for ok in CLI_MAY_IMPORT)]
        if wrong:
            bad[rel(path)] = sorted(wrong)
    assert bad == {}


def test_stages_are_wired_only_in_workflows() -> None:
    """No stage imports the wiring layer or the CLI (data flows one way)."""
    bad = {}
    for path in modules():
        name = rel(path).replace("/", ".").removesuffix(".py")
        if under(name, "tracker.workflows") or under(name, "tracker.cli"):
            continue
        if name == "tracker.__main__":  # ``python -m tracker`` runs the CLI
            continue
        wrong = [
            n for n in imported(path) if under(n, "tracker.workflows") or under(n, "tracker.cli")
        ]
        if wrong:
            bad[rel(path)] = sorted(wrong)
    assert bad == {}


GITHUB_WORDS = re.compile(r"(?i)github")
# Conditional requests (ETag) and rate limits are HTTP concepts every source has
# (endoflife.date sends both); GitHub, its API and its data shapes are not.
NAMES_GITHUB = {
    "sources.py": "the registry of source names maps 'github' to upstream/github/",
    "release_file.py": "the release import format is GitHub's release JSON (read by github.schema)",
}


def test_upstream_names_no_github_concept_outside_github_package() -> None:
    bad = {}
    for path in modules("upstream"):
        if "github" in path.relative_to(PACKAGE / "upstream").parts[:1] or path.stem == "github":
            continue
        if path.parent == PACKAGE / "upstream" and path.name in NAMES_GITHUB:
            continue
        hits = sorted({m.group(0).lower() for m in GITHUB_WORDS.finditer(path.read_text())})
        if hits:
            bad[rel(path)] = hits
    assert bad == {}


def _size_cases() -> list[object]:
    cases: list[object] = []
    for path in modules():
        name = rel(path)
        marks = (
            [pytest.mark.xfail(strict=False, reason=BEING_SPLIT[name])]
            if name in BEING_SPLIT
            else []
        )
        cases.append(pytest.param(path, id=name, marks=marks))
    return cases


@pytest.mark.parametrize("path", _size_cases())
def test_no_module_over_600_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{rel(path)} has {lines} lines: split it by responsibility"


def test_importing_the_cli_stays_light() -> None:
    """``import tracker.cli`` (every command's start-up) pulls no heavy library."""
    code = (
        "import sys, tracker.cli; "
        "print(' '.join(m for m in ('kubernetes', 'alembic', 'sqlalchemy', 'httpx') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == []


# --- the --format and --fail-on choices come from the registries ------------------------


def test_every_format_choice_has_a_formatter() -> None:
    assert [c.value for c in FormatChoice] == list(FORMATTERS)  # type: ignore[attr-defined]
    report = current_report()
    for choice in FormatChoice:  # type: ignore[attr-defined]
        text = get_formatter(choice.value, width=120).format(report)
        assert isinstance(text, str) and "istio" in text, choice


def test_every_fail_on_choice_has_a_rule() -> None:
    assert [c.value for c in FailOnChoice] == list(FAIL_ON)  # type: ignore[attr-defined]
    report = current_report()
    hits = {choice.value: fail_on_hit(report, [choice.value]) for choice in FailOnChoice}  # type: ignore[attr-defined]
    assert hits["outdated"] and hits["major"]  # cert-manager v0.10.1 vs v1.21.1


def test_help_lists_the_registries() -> None:
    text = CliRunner().invoke(app, ["report", "--help"], terminal_width=200).stdout
    assert "|".join(FORMATTERS) in text
    assert "|".join(FAIL_ON) in text


def test_every_package_is_shipped_by_the_build() -> None:
    """pyproject.toml lists packages by hand (migrations/ ships as tracker.migrations): a
    package missing there is absent from ``pip install .`` and fails only when imported."""
    import tomllib

    root = ROOT
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    on_disk = {
        ".".join(init.parent.relative_to(root).parts)
        for init in (root / "tracker").rglob("__init__.py")
    }
    assert on_disk - listed == set()
