"""Hostile settings for the upstream: a token that cannot go in a header, an API URL that
is no URL (issue 13). Each is one ConfigError naming the variable or key, never the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.config import Settings, load_settings
from tracker.errors import ConfigError

SECRET = "ghp_SECRETSECRET0123"


@pytest.mark.parametrize(
    "token",
    [
        SECRET + "\udcff",  # a non-UTF-8 byte, as os.environ decodes it (surrogateescape)
        SECRET + "é",  # latin-1, still not ASCII
        SECRET + "\u20ac",  # not even latin-1
        SECRET + "\r\nX-Injected: 1",  # a header injection
        SECRET + "\x00",
        "ghp_two words",
    ],
    ids=["non-utf8", "latin-1", "non-latin-1", "crlf", "nul", "space"],
)
def test_bad_token_in_the_environment_is_refused_at_load(token: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={"GITHUB_TOKEN": token})
    message = str(caught.value)
    assert message.startswith("environment GITHUB_TOKEN: the GitHub token holds a space,")
    assert SECRET not in message and "\n" not in message


def test_bad_token_under_a_configured_variable_name_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError, match=r"^environment CI_GH_TOKEN: "):
        load_settings(
            None, environ={"TRACKER_GITHUB_TOKEN_ENV": "CI_GH_TOKEN", "CI_GH_TOKEN": "a\x01"}
        )
    # Read later (github_token() reads the process environment) it fails the same way.
    monkeypatch.setenv("CI_GH_TOKEN", "ghp_a\x7f")
    with pytest.raises(ConfigError, match=r"^environment CI_GH_TOKEN: the GitHub token holds"):
        Settings(github_token_env="CI_GH_TOKEN").github_token()


def test_bad_token_in_a_token_file_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    token_file = tmp_path / "token"
    token_file.write_text(SECRET + "\x1b[31m\n", encoding="utf-8")
    settings = load_settings(None, environ={"TRACKER_GITHUB_TOKEN_FILE": str(token_file)})
    with pytest.raises(ConfigError) as caught:
        settings.github_token()
    assert str(caught.value).startswith(f"github.token_file {token_file}: the GitHub token")
    assert SECRET not in str(caught.value)


def test_good_token_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", f"  {SECRET}\n")
    assert load_settings(None, environ={"GITHUB_TOKEN": SECRET}).github_token() == SECRET


@pytest.mark.parametrize(
    "url", ["not a url", "api.github.com", "ftp://api.github.com", "https://", "https://h:99999/"]
)
def test_api_url_that_is_no_http_url_is_refused_at_load(url: str, tmp_path: Path) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text(f'[github]\napi_url = "{url}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    message = str(caught.value)
    assert message.startswith(f"{config}: github.api_url: ")
    assert "\n" not in message
    with pytest.raises(
        ConfigError, match=r"^environment TRACKER_GITHUB_API_URL \(github.api_url\)"
    ):
        load_settings(None, environ={"TRACKER_GITHUB_API_URL": url})


def test_enterprise_api_url_is_accepted() -> None:
    url = "https://ghe.example.com:8443/api/v3"
    assert load_settings(None, environ={"TRACKER_GITHUB_API_URL": url}).github_api_url == url
