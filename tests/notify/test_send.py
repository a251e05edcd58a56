"""The sender against a real local HTTP server (tests/fakes/slack_webhook.py).

Covers 200 ok, 429 with Retry-After, 5xx, a hanging server (client timeout), rejections,
connection errors, and that the webhook URL (a secret) never shows in errors or logs.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from tests.fakes.slack_webhook import SECRET_PATH, Answer, FakeSlackWebhook
from tests.report.sample import GKE, current_report
from tracker.errors import NotifyError
from tracker.notify import SlackNotifier, WebhookNotifier
from tracker.notify.slack import build_payload
from tracker.notify.webhook import build_payload as build_webhook_payload


def send(client: httpx.Client, url: str, payload: Mapping[str, Any], **kw: Any) -> None:
    """Deliver through the Slack target, as tracker does."""
    SlackNotifier(client, url, **kw).send(payload)


def send_webhook(client: httpx.Client, url: str, payload: Mapping[str, Any], **kw: Any) -> None:
    """Deliver through the generic JSON webhook target."""
    WebhookNotifier(client, url, **kw).send(payload)


PAYLOAD = {"text": "tracker · gke-prod: 5 critical", "blocks": []}
SECRET = SECRET_PATH.rsplit("/", 1)[1]


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(2.0, read=0.3)) as c:
        yield c


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def assert_no_secret(err: NotifyError, url: str, caplog: pytest.LogCaptureFixture) -> None:
    texts = [str(err), repr(err), err.message, err.hint, caplog.text]
    for text in texts:
        assert url not in text
        assert SECRET not in text
        assert SECRET_PATH not in text
    assert err.__cause__ is None
    assert err.__context__ is None


def test_ok_first_time(client: httpx.Client) -> None:
    payload = build_payload(current_report(), None, cluster=GKE)
    sleeps = Sleeps()
    with FakeSlackWebhook() as hook:
        send(client, hook.url, payload, sleep=sleeps)
    assert len(hook.requests) == 1
    got = hook.requests[0]
    assert got.path == SECRET_PATH
    assert got.headers["Content-Type"] == "application/json"
    assert got.json() == payload
    assert sleeps == []


def test_429_honours_retry_after(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    sleeps = Sleeps()
    caplog.set_level(logging.DEBUG)
    with FakeSlackWebhook([Answer.rate_limited(7), Answer.ok()]) as hook:
        send(client, hook.url, PAYLOAD, sleep=sleeps)
    assert sleeps == [7.0]
    assert len(hook.requests) == 2 and hook.requests[1].json() == PAYLOAD
    assert "HTTP 429" in caplog.text and SECRET not in caplog.text
    assert "HTTP Request: POST <redacted>" in caplog.text  # httpx logs the URL; scrubbed


def test_429_retry_after_is_capped(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with FakeSlackWebhook([Answer.rate_limited(3600), Answer.ok()]) as hook:
        send(client, hook.url, PAYLOAD, sleep=sleeps)
    assert sleeps == [60.0]


def test_5xx_backs_off_exponentially(client: httpx.Client) -> None:
    sleeps = Sleeps()
    answers = [Answer.error(500), Answer.error(503, "service_unavailable"), Answer.ok()]
    with FakeSlackWebhook(answers) as hook:
        send(client, hook.url, PAYLOAD, sleep=sleeps)
    assert sleeps == [1.0, 2.0]
    assert len(hook.requests) == 3


def test_gives_up_after_max_attempts_without_leaking_the_url(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps = Sleeps()
    caplog.set_level(logging.DEBUG)
    answers = [Answer.error(500, f"upstream {SECRET_PATH} failed")] * 5
    with FakeSlackWebhook(answers) as hook, pytest.raises(NotifyError) as info:
        send(client, hook.url, PAYLOAD, sleep=sleeps)
    assert len(hook.requests) == 5
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    err = info.value
    assert err.message.startswith("Slack webhook: delivery failed after 5 attempts: HTTP 500")
    assert "<redacted>" in err.message  # the body echoed the path; it was scrubbed
    assert_no_secret(err, hook.url, caplog)


def test_hanging_server_times_out_and_retries(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps = Sleeps()
    with FakeSlackWebhook([Answer.hang_up(), Answer.ok()]) as hook:
        send(client, hook.url, PAYLOAD, sleep=sleeps)
    assert len(hook.requests) == 2 and sleeps == [1.0]
    with (
        FakeSlackWebhook([Answer.hang_up(), Answer.hang_up()]) as hook,
        pytest.raises(NotifyError) as info,
    ):
        send(client, hook.url, PAYLOAD, max_attempts=2, sleep=sleeps)
    assert "timed out (ReadTimeout)" in info.value.message
    assert_no_secret(info.value, hook.url, caplog)


def test_4xx_is_not_retried(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    sleeps = Sleeps()
    with (
        FakeSlackWebhook([Answer.error(404, "channel_not_found")]) as hook,
        pytest.raises(NotifyError) as info,
    ):
        send(client, hook.url, PAYLOAD, sleep=sleeps)
    assert len(hook.requests) == 1 and sleeps == []
    assert info.value.message == (
        "Slack webhook: the message was rejected with HTTP 404 (channel_not_found)"
    )
    assert_no_secret(info.value, hook.url, caplog)


def test_connection_refused(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}{SECRET_PATH}"
    sleeps = Sleeps()
    with pytest.raises(NotifyError) as info:
        send(client, url, PAYLOAD, max_attempts=3, sleep=sleeps)
    assert "connection failed (ConnectError" in info.value.message
    assert sleeps == [1.0, 2.0]
    assert_no_secret(info.value, url, caplog)


@pytest.mark.parametrize("url", ["", "hooks.slack.com/services/T0/B0/XXsecretXX", "ftp://x/y"])
def test_bad_url_is_not_echoed(client: httpx.Client, url: str) -> None:
    with pytest.raises(NotifyError, match="not a valid http") as info:
        send(client, url, PAYLOAD)
    assert "XXsecretXX" not in str(info.value)


def test_notifiers_hide_the_url_in_repr(client: httpx.Client) -> None:
    with FakeSlackWebhook() as hook:
        slack = SlackNotifier(client, hook.url)
        slack.send(slack.build_payload(current_report(), None, cluster=GKE))
        hooked = WebhookNotifier(client, hook.url)
        hooked.send(hooked.build_payload(current_report(), None, cluster=GKE))
    assert SECRET not in repr(slack) and SECRET not in repr(hooked)
    assert [r.json()["blocks"][0]["type"] for r in hook.requests[:1]] == ["header"]
    assert hook.requests[1].json()["cluster"] == GKE


def test_generic_webhook_uses_the_same_sender(client: httpx.Client) -> None:
    sleeps = Sleeps()
    payload = build_webhook_payload(current_report(), None, cluster=GKE)
    with FakeSlackWebhook([Answer.rate_limited(2), Answer.ok()]) as hook:
        send_webhook(client, hook.url, payload, sleep=sleeps)
    assert sleeps == [2.0]
    assert hook.requests[-1].json() == payload
    with FakeSlackWebhook([Answer.error(400, "bad")]) as hook, pytest.raises(NotifyError) as info:
        send_webhook(client, hook.url, payload, sleep=sleeps)
    assert info.value.message.startswith("JSON webhook: the message was rejected with HTTP 400")
