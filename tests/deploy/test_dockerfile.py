"""The Dockerfile, read (no Docker engine here): non-root, tracker entrypoint, clean context.

Parsed with the `dockerfile` package, which wraps BuildKit's own Dockerfile parser.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import dockerfile  # type: ignore[import-not-found]
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
CRONJOB = REPO_ROOT / "deploy" / "kubernetes" / "cronjob.yaml"


def _commands() -> tuple[dockerfile.Command, ...]:
    commands: tuple[dockerfile.Command, ...] = dockerfile.parse_file(str(DOCKERFILE))
    return commands


def _arg_defaults() -> dict[str, str]:
    defaults = {}
    for command in _commands():
        if command.cmd.upper() == "FROM":
            break
        if command.cmd.upper() == "ARG":
            name, _, value = command.value[0].partition("=")
            defaults[name] = value
    return defaults


def _stages() -> list[list[dockerfile.Command]]:
    stages: list[list[dockerfile.Command]] = []
    for command in _commands():
        if command.cmd.upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(command)
    return stages


def _final_stage() -> list[dockerfile.Command]:
    return _stages()[-1]


def _base_image(stage: list[dockerfile.Command]) -> str:
    image = str(stage[0].value[0])
    for name, value in _arg_defaults().items():
        image = image.replace("${" + name + "}", value).replace("$" + name, value)
    return image


def _user(stage: list[dockerfile.Command]) -> tuple[int, int]:
    users = [c.value[0] for c in stage if c.cmd.upper() == "USER"]
    assert users, "the final stage sets USER"
    user, _, group = users[-1].partition(":")
    assert user.isdigit(), "numeric UID, so the kubelet can check runAsNonRoot"
    assert group.isdigit(), "numeric GID"
    return int(user), int(group)


def test_final_stage_runs_as_a_numeric_non_root_user() -> None:
    uid, gid = _user(_final_stage())
    assert uid >= 1000 and gid >= 1000
    # Nothing after USER switches back to root.
    stage = _final_stage()
    last_user = max(i for i, c in enumerate(stage) if c.cmd.upper() == "USER")
    assert not [c for c in stage[last_user:] if c.cmd.upper() == "RUN"]


def test_user_check_rejects_root_and_names() -> None:
    for bad in ("USER root", "USER 0:0", "USER tracker"):
        stage = list(dockerfile.parse_string(f"FROM python:3.11-slim\n{bad}\n"))
        with pytest.raises(AssertionError):
            uid, gid = _user(stage)
            assert uid >= 1000 and gid >= 1000


def test_the_uid_matches_the_cronjob_security_context() -> None:
    uid, gid = _user(_final_stage())
    (cronjob,) = yaml.safe_load_all(CRONJOB.read_text(encoding="utf-8"))
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == uid
    assert pod["securityContext"]["runAsGroup"] == gid
    assert pod["securityContext"]["fsGroup"] == gid
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert f"--uid {uid}" in text and f"--gid {gid}" in text


def test_entrypoint_is_tracker_and_default_command_is_run() -> None:
    stage = _final_stage()
    (entrypoint,) = [c for c in stage if c.cmd.upper() == "ENTRYPOINT"]
    (cmd,) = [c for c in stage if c.cmd.upper() == "CMD"]
    assert entrypoint.json and entrypoint.value == ("tracker",), "exec form, so signals reach it"
    assert cmd.json and cmd.value == ("run",)


def test_base_is_a_slim_python_the_project_supports() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requires = re.search(r">=\s*(\d+)\.(\d+)", pyproject["project"]["requires-python"])
    assert requires, "pyproject.toml gives a minimum Python"
    minimum = (int(requires[1]), int(requires[2]))
    for stage in _stages():
        image = _base_image(stage)
        match = re.fullmatch(r"python:(\d+)\.(\d+)-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image)
        assert match, image
        assert (int(match[1]), int(match[2])) >= minimum, image


def test_installs_the_package_with_the_postgres_extra() -> None:
    runs = " ".join(" ".join(c.value) for c in _commands() if c.cmd.upper() == "RUN")
    assert re.search(r"pip install [\"']?\.\[postgres\][\"']?", runs), runs
    final_copies = [c for c in _final_stage() if c.cmd.upper() == "COPY"]
    assert final_copies and all("--from=build" in c.flags for c in final_copies), (
        "the runtime stage takes only the built virtualenv"
    )


def _ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: a pattern matches the path or one of its parent folders."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for candidate in prefixes:
            if fnmatch.fnmatch(candidate, pattern) or fnmatch.fnmatch(
                candidate, pattern.removeprefix("**/")
            ):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatch(
                candidate.rsplit("/", 1)[-1], pattern.removeprefix("**/")
            ):
                return True
    return False


def test_every_copied_source_exists_and_is_in_the_build_context() -> None:
    patterns = _ignore_patterns()
    copies = [c for c in _commands() if c.cmd.upper() == "COPY" and not c.flags]
    assert copies
    for copy in copies:
        *sources, _destination = copy.value
        for source in sources:
            assert (REPO_ROOT / source).exists(), f"COPY {source}: not in the repository"
            assert not _ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "tracker.db",
        "tracker/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/v",
        ".mypy_cache/x",
        "tests/conftest.py",
        ".env",
    ],
)
def test_dockerignore_keeps_local_state_out(path: str) -> None:
    assert _ignored(path, _ignore_patterns()), path


@pytest.mark.parametrize("path", ["tracker/cli.py", "migrations/env.py", "pyproject.toml"])
def test_dockerignore_keeps_the_sources_in(path: str) -> None:
    assert not _ignored(path, _ignore_patterns()), path
