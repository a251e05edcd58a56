"""Notifications: the Slack digest (Block Kit) and a generic JSON webhook.

``build_payload`` functions are pure; delivery goes through one reliable sender
(:func:`tracker.notify.base.post_json`) over an injected ``httpx.Client``.
"""

from __future__ import annotations

from tracker.notify.base import WHEN_VALUES, Notifier, should_notify
from tracker.notify.slack import SlackNotifier
from tracker.notify.webhook import WebhookNotifier

__all__ = ["WHEN_VALUES", "Notifier", "SlackNotifier", "WebhookNotifier", "should_notify"]
