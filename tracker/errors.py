"""tracker's errors: one root, so commands catch only what tracker raises.

Every error carries a one-line ``message`` (what went wrong, naming the file, field or
object), a ``hint`` (what to do about it) and the process ``exit_code`` the CLI uses.
Messages never contain secrets (tokens, webhook URLs, kubeconfig credentials).

Hierarchy::

    TrackerError                      exit 1
    ├── ConfigError                   bad config file, env variable or flag value
    ├── InventoryError                a cluster could not be read
    │   ├── DumpError                 a kubectl dump file is missing, malformed or unsupported
    │   └── ClusterAPIError           the API server is unreachable, refuses or times out
    ├── IdentifyError                 a catalogue entry is invalid
    ├── UpstreamError                 a release source failed
    │   ├── RateLimitError            GitHub's primary rate limit is exhausted
    │   ├── UpstreamUnreachableError  no connection to the GitHub API at all (stops a sync)
    │   └── ReleaseFileError          a release import file is malformed
    ├── StoreError                    the database cannot be opened, migrated or written
    │   └── LockError                 another tracker run holds the job lock
    ├── NotifyError                   a notification could not be delivered
    └── ReportError                   a report could not be produced or written

Pattern from httpx ``_exceptions.py``: one root, the tree drawn here.
"""

from __future__ import annotations


class TrackerError(Exception):
    """Root of every error tracker raises on purpose.

    Args:
        message: one line naming the file, field or object and what is wrong.
        hint: one short sentence saying what to do; may be empty.

    Attributes:
        exit_code: the process exit code the CLI uses for this error (1).
    """

    exit_code: int = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(TrackerError):
    """A config file, TRACKER_* variable or flag has a bad value or an unknown key."""


class InventoryError(TrackerError):
    """A cluster could not be inventoried."""


class DumpError(InventoryError):
    """A kubectl dump file is missing, empty, malformed or holds an unsupported kind."""


class ClusterAPIError(InventoryError):
    """The Kubernetes API server is unreachable, rejects our credentials, or times out."""


class IdentifyError(TrackerError):
    """A component catalogue entry (built-in or from the config) is invalid."""


class UpstreamError(TrackerError):
    """A release source (GitHub) failed for a project.

    Attributes:
        requests: request attempts the source made before failing (for the sync summary).
    """

    requests: int = 0


class RateLimitError(UpstreamError):
    """GitHub's primary rate limit is exhausted.

    Attributes:
        reset_at: POSIX time (seconds) when the limit resets, from ``X-RateLimit-Reset``.
    """

    def __init__(self, message: str, hint: str = "", reset_at: float | None = None) -> None:
        super().__init__(message, hint)
        self.reset_at = reset_at


class UpstreamUnreachableError(UpstreamError):
    """The release source's API cannot be reached at all: no connection could be established
    (connection refused, DNS failure, no route, TLS handshake failure, connect timeout).

    Unlike a timeout on an established connection or an HTTP 5xx, this fails every project the
    same way, so the sync stops that source at its first project instead of retrying each (see
    :func:`tracker.upstream.sync.sync_projects`).

    Attributes:
        host: ``host`` or ``host:port`` of the API (never a token, path or user info).
        reason: short plain reason, e.g. ``connection refused``.
        (constructor) api, setting: which API it is and the setting that names its URL, for
        the message (default GitHub's).
    """

    def __init__(
        self,
        host: str,
        reason: str,
        *,
        api: str = "GitHub API",
        setting: str = "github.api_url / TRACKER_GITHUB_API_URL",
    ) -> None:
        super().__init__(
            f"cannot connect to the {api} at {host}: {reason}",
            f"check {setting} or the network; offline, import files instead "
            "(`tracker releases import`) and run `tracker run --no-sync`",
        )
        self.host = host
        self.reason = reason


class ReleaseFileError(UpstreamError):
    """A release import file is missing, malformed or has the wrong shape.

    The message quotes the file's own content (project names, tags): control characters and
    escape sequences in it are shown escaped, so the message stays one line.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        from tracker.text import for_terminal

        super().__init__(for_terminal(message), hint)


class StoreError(TrackerError):
    """The store (database) cannot be opened, migrated, read or written."""


class LockError(StoreError):
    """Another tracker job holds the job lock in this store."""


class NotifyError(TrackerError):
    """A notification (Slack or generic webhook) could not be built or delivered."""


class ReportError(TrackerError):
    """A report could not be produced or written."""
