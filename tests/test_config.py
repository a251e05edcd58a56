"""Settings: precedence, validation, secrets, and config.example.toml staying complete."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from tracker.config import _SCHEMA, Settings, env_name, load_settings
from tracker.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_defaults_without_file_or_env() -> None:
    assert load_settings(None, environ={}) == Settings()


def test_example_config_loads_to_the_defaults() -> None:
    settings = load_settings(EXAMPLE, environ={})
    assert settings == Settings()


def test_example_config_documents_every_setting() -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    for path in _SCHEMA:
        node = data
        for part in path:
            assert part in node, f"config.example.toml lacks {'.'.join(path)}"
            node = node[part]
    text = EXAMPLE.read_text()
    assert "[components." in text


def test_precedence_file_then_env_then_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sync]\nconcurrency = 3\nstale_after = "12h"\n[cluster]\nname = "from-file"\n')
    env = {"TRACKER_SYNC_CONCURRENCY": "5"}
    s = load_settings(
        cfg, environ=env, overrides={"cluster_name": "from-flag", "database_url": None}
    )
    assert s.sync_concurrency == 5
    assert s.sync_stale_after == timedelta(hours=12)
    assert s.cluster_name == "from-flag"
    assert s.database_url is None


def test_tracker_config_env_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[notify]\nwhen = "always"\n')
    assert load_settings(None, environ={"TRACKER_CONFIG": str(cfg)}).notify_when == "always"


def test_every_bad_field_is_reported_at_once(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        '[sync]\nconcurrency = "many"\nstale_after = 2\n[notify]\nwhen = "sometimes"\n'
        '[github]\ntokn_env = "X"\n[bogus]\nx = 1\n'
    )
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ={})
    message = info.value.message
    assert str(cfg) in message
    for key in ("sync.concurrency", "sync.stale_after", "notify.when", "github.tokn_env", "bogus"):
        assert key in message
    assert "\n" not in message


def test_toml_syntax_error_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "broken.toml"
    cfg.write_text("[sync\nconcurrency = 1\n")
    with pytest.raises(ConfigError, match=r"broken\.toml is not valid TOML"):
        load_settings(cfg, environ={})


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(Path("/nonexistent/tracker.toml"), environ={})


def test_bad_env_value_names_the_variable_key() -> None:
    with pytest.raises(ConfigError, match=r"sync\.concurrency"):
        load_settings(None, environ={"TRACKER_SYNC_CONCURRENCY": "0"})


def test_components_tables_are_passed_through(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[components.my-operator]\nimages = ["ghcr.io/acme/my-operator"]\nproject = "acme/op"\n'
    )
    s = load_settings(cfg, environ={})
    assert s.components["my-operator"]["project"] == "acme/op"


def test_secrets_come_from_the_named_variable_or_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_TOKEN", "ghp_secret123")
    s = load_settings(None, environ={"TRACKER_GITHUB_TOKEN_ENV": "MY_TOKEN"})
    assert s.github_token() == "ghp_secret123"
    assert "ghp_secret123" not in repr(s)
    hook = tmp_path / "hook"
    hook.write_text("https://hooks.slack.com/services/T/B/X\n")
    monkeypatch.delenv("TRACKER_SLACK_WEBHOOK_URL", raising=False)
    s2 = load_settings(None, environ={"TRACKER_NOTIFY_SLACK_WEBHOOK_URL_FILE": str(hook)})
    assert s2.slack_webhook_url() == "https://hooks.slack.com/services/T/B/X"


def test_env_name() -> None:
    assert (
        env_name(("notify", "slack", "webhook_url_env")) == "TRACKER_NOTIFY_SLACK_WEBHOOK_URL_ENV"
    )


def test_env_errors_name_the_variable_not_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[sync]\nconcurrency = 2\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ={"TRACKER_SYNC_CONCURRENCY": "abc"})
    assert "environment TRACKER_SYNC_CONCURRENCY (sync.concurrency)" in info.value.message
    assert str(cfg) not in info.value.message


def test_misspelled_setting_variable_is_an_error() -> None:
    with pytest.raises(ConfigError, match="TRACKER_SYNC_CONCURENCY: unknown setting"):
        load_settings(None, environ={"TRACKER_SYNC_CONCURENCY": "3"})
    # secrets' default variables and test variables are not settings and are left alone
    env = {
        "TRACKER_SLACK_WEBHOOK_URL": "https://hooks.example.invalid/x",
        "TRACKER_WEBHOOK_URL": "https://hooks.example.invalid/y",
        "TRACKER_TEST_POSTGRES_URL": "postgresql://localhost/test",
    }
    assert load_settings(None, environ=env) == Settings()


def test_huge_duration_and_binary_secret_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="too long a duration"):
        load_settings(None, environ={"TRACKER_SYNC_STALE_AFTER": "99999999999999w"})
    token = tmp_path / "token"
    token.write_bytes(b"\xff\xfe\x00garbage")
    settings = load_settings(None, environ={"TRACKER_GITHUB_TOKEN_FILE": str(token)})
    with pytest.raises(ConfigError, match="not UTF-8"):
        settings.github_token()


def test_gitlab_settings_and_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``[gitlab] api_url`` (default gitlab.com's API v4) and its token from a named variable
    or file, never a setting itself; a bad token or URL is one error naming where it came from."""
    assert Settings().gitlab_api_url == "https://gitlab.com/api/v4"
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-secret123")
    s = load_settings(None, environ={"TRACKER_GITLAB_API_URL": "https://git.corp/api/v4"})
    assert s.gitlab_api_url == "https://git.corp/api/v4"
    assert s.gitlab_token() == "glpat-secret123" and "glpat-secret123" not in repr(s)
    token = tmp_path / "gl"
    token.write_text("glpat-fromfile\n")
    monkeypatch.delenv("GITLAB_TOKEN")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[gitlab]\ntoken_file = "{token}"\n')
    assert load_settings(cfg, environ={}).gitlab_token() == "glpat-fromfile"
    with pytest.raises(ConfigError, match="the GitLab token holds a space"):
        load_settings(None, environ={"GITLAB_TOKEN": "glpat bad"})
    with pytest.raises(ConfigError, match=r"\(gitlab\.api_url\): must be an http\(s\) URL"):
        load_settings(None, environ={"TRACKER_GITLAB_API_URL": "gitlab.com"})


@pytest.mark.parametrize("section", ["github", "gitlab"])
def test_api_urls_with_credentials_are_refused_without_echoing_them(section: str) -> None:
    """User info in an API URL would be copied into every release link (stored, reported,
    sent to Slack): refused, and the error does not repeat it."""
    url = "https://bot:s3cret@git.corp/api/v4"
    with pytest.raises(ConfigError, match=rf"\({section}\.api_url\): must not hold user") as caught:
        load_settings(None, environ={f"TRACKER_{section.upper()}_API_URL": url})
    assert "s3cret" not in str(caught.value) and "s3cret" not in (caught.value.hint or "")
