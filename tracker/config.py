"""Settings: defaults < TOML config file < ``TRACKER_*`` environment < command-line flags.

The config file is TOML (``--config FILE`` or ``TRACKER_CONFIG``); every key is documented
in ``config.example.toml``. Unknown keys and wrong types are errors that name the key, and
every bad field is reported at once in one :class:`~tracker.errors.ConfigError`.

Each setting ``section.key`` can also be set by the variable ``TRACKER_SECTION_KEY``
(``sync.concurrency`` -> ``TRACKER_SYNC_CONCURRENCY``). Secrets are never settings: the
config names the *variable* (or file) that holds the GitHub or GitLab token or the Slack
webhook URL.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tracker.errors import ConfigError
from tracker.evaluate.waivers import Waiver, parse_waivers

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse ``"90s"``, ``"30m"``, ``"12h"``, ``"2d"`` or ``"1w"`` into a timedelta.

    >>> parse_duration("2d")
    datetime.timedelta(days=2)
    >>> parse_duration("90m").total_seconds()
    5400.0

    Raises:
        ValueError: when the text is not a number followed by one of s, m, h, d, w.
    """
    m = _DURATION_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a duration like '30m', '12h' or '2d'")
    try:
        return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


def _http_url(value: Any) -> str:
    text = _str(value)
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError("has a bad port; write it like https://ghe.example.com/api/v3") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or not c.isprintable() for c in text)
    ):
        raise ValueError("must be an http(s) URL such as https://api.github.com")
    if parts.username is not None or parts.password is not None:
        # it would be copied into every release link (reports, Slack, the database)
        raise ValueError(
            "must not hold user:password@ (put the token in the token setting's variable "
            "or file instead)"
        )
    return text


def _shown(value: Any) -> Any:
    """A bad value as an error may quote it: a URL's ``user:password@`` masked.

    >>> _shown("https://bot:s3@cret@git.corp/api/v4"), _shown(3)
    ('https://***@git.corp/api/v4', 3)
    """
    if isinstance(value, str) and "@" in value:
        scheme, sep, rest = value.partition("://")
        authority = rest.split("/", 1)[0]
        if sep and "@" in authority:
            return f"{scheme}://***@{authority.rsplit('@', 1)[1]}{rest[len(authority) :]}"
    return value


def _url_template(value: Any) -> str | None:
    """``report.url``: an http(s) URL template whose only placeholders are ``{cluster}`` and
    ``{date}`` (e.g. ``https://reports.example.com/{cluster}-{date}.html``); empty: none."""
    text = _opt_str(value)
    if text is None:
        return None
    problem = (
        "must be an http(s) URL template using only {cluster} and {date}, such as "
        "https://reports.example.com/{cluster}-{date}.html"
    )
    try:
        _http_url(text.format(cluster="prod", date="2026-01-31"))
    except (KeyError, IndexError, ValueError):
        raise ValueError(problem) from None
    return text


def _token_ok(token: str) -> bool:
    """True when ``token`` can be sent in an HTTP header: printable ASCII, no space."""
    return all("!" <= c <= "~" for c in token)


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else _str(value)


def _path(value: Any) -> Path | None:
    return None if value in (None, "") else Path(_str(value)).expanduser()


def _pos_int(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


def _opt_pos_int(value: Any) -> int | None:
    return None if value in (None, "", 0, "0") else _pos_int(value)


def _duration(value: Any) -> timedelta:
    if not isinstance(value, str):
        raise ValueError("must be a duration string like '2d' or '12h'")
    return parse_duration(value)


def _mirrors(value: Any) -> tuple[str, ...]:
    """``[registries] mirrors``: a list of registry prefixes (or, from the environment, one
    comma-separated string), each normalized by
    :func:`tracker.identify.mirrors.normalize_mirror_prefix`."""
    from tracker.identify.mirrors import normalize_mirror_prefix

    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of registry prefixes like ['harbor.corp/dockerhub']")
    return tuple(normalize_mirror_prefix(v) for v in value)


def _choice(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return str(value)

    return check


@dataclass(frozen=True)
class Settings:
    """Every tracker setting, resolved (see ``config.example.toml`` for each one).

    Durations are timedeltas; ``components`` holds the raw ``[components.<id>]`` tables,
    validated by :func:`tracker.identify.catalogue.load_catalogue`.
    """

    database_url: str | None = None
    github_api_url: str = "https://api.github.com"
    github_token_env: str = "GITHUB_TOKEN"
    github_token_file: Path | None = None
    gitlab_api_url: str = "https://gitlab.com/api/v4"
    gitlab_token_env: str = "GITLAB_TOKEN"
    gitlab_token_file: Path | None = None
    sync_concurrency: int = 8
    sync_stale_after: timedelta = timedelta(days=2)
    sync_min_interval: timedelta = timedelta(hours=6)
    sync_max_pages: int | None = None
    sync_timeout_seconds: int = 30
    cluster_name: str | None = None
    report_dir: Path | None = None
    report_url: str | None = None
    notify_when: str = "changes"
    notify_timeout_seconds: int = 10
    notify_slack_webhook_url_env: str = "TRACKER_SLACK_WEBHOOK_URL"
    notify_slack_webhook_url_file: Path | None = None
    notify_webhook_url_env: str = "TRACKER_WEBHOOK_URL"
    notify_webhook_url_file: Path | None = None
    components: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    registry_mirrors: tuple[str, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    """The ``[[waivers]]`` tables (:func:`tracker.evaluate.waivers.parse_waivers`)."""
    lifecycle_warn_before: timedelta = timedelta(days=90)
    lifecycle_api_url: str = "https://endoflife.date"
    store_keep_scans: timedelta = timedelta(days=90)

    def github_token(self) -> str | None:
        """The GitHub token from the variable ``github_token_env`` or ``github_token_file``.

        Raises:
            ConfigError: when the token file is set but cannot be read, or the token holds a
                character that cannot be sent in an HTTP header (names the variable or file).
        """
        token = _secret(self.github_token_env, self.github_token_file, "github.token_file")
        if token is not None and not _token_ok(token):
            where = (
                f"environment {self.github_token_env}"
                if os.environ.get(self.github_token_env, "").strip()
                else f"github.token_file {self.github_token_file}"
            )
            raise ConfigError(
                f"{where}: the GitHub token holds a space, control or non-ASCII character",
                "set it to the token alone (e.g. ghp_… or github_pat_…)",
            )
        return token

    def gitlab_token(self) -> str | None:
        """The GitLab token (sent as ``PRIVATE-TOKEN`` to ``gitlab_api_url`` only) from the
        variable ``gitlab_token_env`` or ``gitlab_token_file``; None: anonymous.

        Raises:
            ConfigError: the token file cannot be read, or the token holds a character that
                cannot be sent in an HTTP header (names the variable or file).
        """
        token = _secret(self.gitlab_token_env, self.gitlab_token_file, "gitlab.token_file")
        if token is not None and not _token_ok(token):
            where = (
                f"environment {self.gitlab_token_env}"
                if os.environ.get(self.gitlab_token_env, "").strip()
                else f"gitlab.token_file {self.gitlab_token_file}"
            )
            raise ConfigError(
                f"{where}: the GitLab token holds a space, control or non-ASCII character",
                "set it to the token alone (e.g. glpat-…)",
            )
        return token

    def slack_webhook_url(self) -> str | None:
        """The Slack incoming-webhook URL from its variable or file, or None when unset."""
        return _secret(
            self.notify_slack_webhook_url_env,
            self.notify_slack_webhook_url_file,
            "notify.slack.webhook_url_file",
        )

    def webhook_url(self) -> str | None:
        """The generic JSON webhook URL from its variable or file, or None when unset."""
        return _secret(
            self.notify_webhook_url_env, self.notify_webhook_url_file, "notify.webhook.url_file"
        )


def _secret(env_name: str, file: Path | None, field_name: str) -> str | None:
    value = os.environ.get(env_name, "").strip()
    if value:
        return value
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ConfigError(
                f"{field_name}: cannot read {file}: {exc.strerror}",
                "check the path and its permissions",
            ) from None
        except UnicodeDecodeError:
            raise ConfigError(
                f"{field_name}: {file} is not UTF-8 text", "the file must hold only the secret"
            ) from None
    return None


# TOML key path -> (Settings field, parser)
_SCHEMA: dict[tuple[str, ...], tuple[str, Callable[[Any], Any]]] = {
    ("database", "url"): ("database_url", _opt_str),
    ("github", "api_url"): ("github_api_url", _http_url),
    ("github", "token_env"): ("github_token_env", _str),
    ("github", "token_file"): ("github_token_file", _path),
    ("gitlab", "api_url"): ("gitlab_api_url", _http_url),
    ("gitlab", "token_env"): ("gitlab_token_env", _str),
    ("gitlab", "token_file"): ("gitlab_token_file", _path),
    ("sync", "concurrency"): ("sync_concurrency", _pos_int),
    ("sync", "stale_after"): ("sync_stale_after", _duration),
    ("sync", "min_interval"): ("sync_min_interval", _duration),
    ("sync", "max_pages"): ("sync_max_pages", _opt_pos_int),
    ("sync", "timeout_seconds"): ("sync_timeout_seconds", _pos_int),
    ("cluster", "name"): ("cluster_name", _opt_str),
    ("report", "dir"): ("report_dir", _path),
    ("report", "url"): ("report_url", _url_template),
    ("notify", "when"): ("notify_when", _choice("changes", "always", "never")),
    ("notify", "timeout_seconds"): ("notify_timeout_seconds", _pos_int),
    ("notify", "slack", "webhook_url_env"): ("notify_slack_webhook_url_env", _str),
    ("notify", "slack", "webhook_url_file"): ("notify_slack_webhook_url_file", _path),
    ("notify", "webhook", "url_env"): ("notify_webhook_url_env", _str),
    ("notify", "webhook", "url_file"): ("notify_webhook_url_file", _path),
    ("registries", "mirrors"): ("registry_mirrors", _mirrors),
    ("lifecycle", "warn_before"): ("lifecycle_warn_before", _duration),
    ("lifecycle", "api_url"): ("lifecycle_api_url", _http_url),
    ("store", "keep_scans"): ("store_keep_scans", _duration),
}
_SECTIONS = {p[:i] for p in _SCHEMA for i in range(1, len(p))}


def env_name(path: tuple[str, ...]) -> str:
    """The variable for a setting: ``("sync", "concurrency")`` -> ``TRACKER_SYNC_CONCURRENCY``."""
    return "TRACKER_" + "_".join(path).upper()


def _walk(
    table: Mapping[str, Any], prefix: tuple[str, ...], out: dict[tuple[str, ...], Any]
) -> list[str]:
    problems: list[str] = []
    for key, value in table.items():
        path = (*prefix, key)
        dotted = ".".join(path)
        if path == ("waivers",):
            out[path] = value
        elif path == ("components",):
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                problems.append("components: each entry must be a table [components.<id>]")
            else:
                out[path] = value
        elif path in _SCHEMA:
            out[path] = value
        elif path in _SECTIONS:
            if isinstance(value, dict):
                problems += _walk(value, path, out)
            else:
                problems.append(f"{dotted}: must be a table [{dotted}]")
        else:
            problems.append(f"{dotted}: unknown key")
    return problems


_ENV_NAMES = {env_name(path) for path in _SCHEMA}
_ENV_SECTIONS = tuple(
    f"TRACKER_{section[0].upper()}_" for section in _SECTIONS if len(section) == 1
)


def _looks_like_setting(name: str) -> bool:
    """True for ``TRACKER_<SECTION>_…`` variables, e.g. a misspelled ``TRACKER_SYNC_CONCURENCY``.

    The default secret variables (``TRACKER_SLACK_WEBHOOK_URL``, ``TRACKER_WEBHOOK_URL``) and
    ``TRACKER_CONFIG`` do not start with a section name, so they never match.
    """
    return name.startswith(_ENV_SECTIONS)


def _read_toml(config_file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(config_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"config file {config_file} does not exist",
            "pass an existing file with --config, or copy config.example.toml",
        ) from None
    except OSError as exc:
        raise ConfigError(f"config file {config_file}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"config file {config_file} is not valid TOML: {exc}",
            "fix the syntax; config.example.toml shows every key",
        ) from None


def load_settings(
    config_file: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Resolve settings: defaults < ``config_file`` (or ``$TRACKER_CONFIG``) < env < overrides.

    Args:
        config_file: a TOML file; None uses ``TRACKER_CONFIG`` when set, else no file.
        environ: the environment to read (default ``os.environ``).
        overrides: Settings field name -> value from command-line flags (None values ignored).

    Raises:
        ConfigError: naming the file and every bad or unknown key at once.
    """
    env = os.environ if environ is None else environ
    if config_file is None and env.get("TRACKER_CONFIG"):
        config_file = Path(env["TRACKER_CONFIG"])
    raw: dict[tuple[str, ...], Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    problems: list[str] = []
    if config_file is not None:
        data = _read_toml(config_file)
        file_problems = _walk(data, (), raw)
        problems += [f"{config_file}: {p}" for p in file_problems]
        origin.update({path: f"{config_file}: {'.'.join(path)}" for path in raw})
    for path in _SCHEMA:
        name = env_name(path)
        if env.get(name, "") != "":
            raw[path] = env[name]
            origin[path] = f"environment {name} ({'.'.join(path)})"
    problems += [
        f"environment {name}: unknown setting"
        for name in sorted(env)
        if _looks_like_setting(name) and name not in _ENV_NAMES
    ]
    values: dict[str, Any] = {}
    for path, value in raw.items():
        if path == ("components",):
            values["components"] = value
            continue
        if path == ("waivers",):
            try:
                values["waivers"] = parse_waivers(value, source=str(config_file))
            except ConfigError as exc:
                problems.append(str(exc))
            continue
        field_name, parse = _SCHEMA[path]
        try:
            values[field_name] = parse(value)
        except ValueError as exc:
            problems.append(f"{origin[path]}: {exc} (got {_shown(value)!r})")
    for forge, default in (
        ("GitHub", Settings.github_token_env),
        ("GitLab", Settings.gitlab_token_env),
    ):
        token_env = values.get(f"{forge.lower()}_token_env", default)
        if not _token_ok(env.get(token_env, "").strip()):
            problems.append(
                f"environment {token_env}: the {forge} token holds a space, control or "
                "non-ASCII character (set it to the token alone)"
            )
    if problems:
        raise ConfigError("; ".join(problems), "see config.example.toml for every key and its type")
    settings = Settings(**values)
    known = {f.name for f in fields(Settings)}
    flag_values = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(flag_values) - known
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    return replace(settings, **flag_values)
