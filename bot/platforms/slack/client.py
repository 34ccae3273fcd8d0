"""The one way the adapter builds a Web API client: at SLACK_API_URL, with retries.

slack_sdk's retry handlers retry a 429 after its `Retry-After`, a 500/503 and a dropped
connection; bolt copies the app client's base URL and handlers into each request's client,
and Socket Mode and the OAuth flow use the app client, so every call goes to one base URL.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient, WebhookResponse

DEFAULT_API_URL = "https://slack.com/api/"


def retry_handlers(
    interval: RetryIntervalCalculator | None = None, *, max_retries: int = 3
) -> list[AsyncRetryHandler]:
    interval = interval or BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
        AsyncServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
        AsyncConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
    ]


def web_client(
    api_url: str = DEFAULT_API_URL,
    token: str | None = None,
    *,
    interval: RetryIntervalCalculator | None = None,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """`session`: one shared aiohttp session keeps connections open between calls (without
    it slack_sdk opens a session, and a connection, per call)."""
    # slack_sdk joins base_url and the method name by concatenation: keep the trailing slash.
    base = api_url if api_url.endswith("/") else api_url + "/"
    return AsyncWebClient(
        token=token, base_url=base, retry_handlers=retry_handlers(interval), session=session
    )


class SessionRespond(AsyncRespond):
    """Bolt's `respond()` over the app's shared aiohttp session, with the same retries.

    Bolt's own opens a session, and a connection (TLS, in production), per answer; under a
    crowd that was the adapter's single largest cost after the database."""

    def __init__(self, response_url: str | None, session: aiohttp.ClientSession) -> None:
        super().__init__(response_url=response_url)
        self.session = session

    async def __call__(  # type: ignore[override]
        self, text: str | dict[str, Any] = "", **fields: Any
    ) -> WebhookResponse | None:
        if self.response_url is None:
            return None
        client = AsyncWebhookClient(
            url=self.response_url, session=self.session, retry_handlers=retry_handlers()
        )
        if isinstance(text, dict):
            return await client.send_dict(text)
        return await client.send_dict(_build_message(text=text, **fields))
