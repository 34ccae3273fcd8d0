"""Build the slack-bolt AsyncApp for one of its two modes, and serve it.

* Socket Mode (`SLACK_BOT_TOKEN` + `SLACK_APP_TOKEN`): one workspace, no public URL.
* HTTP (`SLACK_SIGNING_SECRET` with `SLACK_CLIENT_ID` + `SLACK_CLIENT_SECRET`): the OAuth
  install flow for many workspaces, installations in slack_sdk's SQLAlchemy stores on our own
  database; or with `SLACK_BOT_TOKEN` instead of the OAuth pair, one workspace over HTTP.

Every Web API call goes to `SLACK_API_URL` through one client (see `client.py`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import ConfigError, Settings
from bot.core import community_config
from bot.core.actor import CommunityRef
from bot.core.app import Core

from .client import DEFAULT_API_URL, web_client
from .deliveries import Deliveries
from .installs import (
    Installations,
    SingleWorkspace,
    TokenSource,
    installation_store,
    state_store,
)
from .listeners import Listeners
from .platform import SlackPlatform
from .rights import Rights

log = logging.getLogger(__name__)

# What the app asks for at install; slack-manifest.yml lists the same.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "im:history",
    "mpim:write",
    "groups:write",
    "groups:read",
    "groups:history",
    "users:read",
    "usergroups:read",
    "files:write",
)
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


@dataclass(frozen=True, slots=True)
class SlackSettings:
    api_url: str = DEFAULT_API_URL
    bot_token: str | None = None
    app_token: str | None = None
    signing_secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    port: int = 3000

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackSettings:
        return cls(
            api_url=settings.slack_api_url,
            bot_token=settings.slack_bot_token,
            app_token=settings.slack_app_token,
            signing_secret=settings.slack_signing_secret,
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            port=settings.slack_port,
        )

    @property
    def mode(self) -> Literal["socket", "http"] | None:
        """OAuth (many workspaces) wins over Socket Mode (one), which wins over HTTP with one
        bot token: exactly one Slack app serves, whatever mix of variables is set."""
        if self.signing_secret and self.client_id and self.client_secret:
            return "http"
        if self.bot_token and self.app_token:
            return "socket"
        if self.signing_secret and self.bot_token:
            return "http"
        return None

    @property
    def oauth(self) -> bool:
        return bool(self.mode == "http" and self.client_id and self.client_secret)


@dataclass
class SlackApp:
    app: AsyncApp
    platform: SlackPlatform
    listeners: Listeners
    settings: SlackSettings
    session: aiohttp.ClientSession

    async def close(self) -> None:
        """Finish the work already acknowledged, then close the Web API connections."""
        await self.listeners.drained()
        await self.session.close()

    async def verify(self) -> None:
        """Fail fast, with a message a person can act on, when the tokens are refused or
        SLACK_API_URL does not answer (the Socket Mode client would retry for ever)."""
        client, api = self.app.client, self.settings.api_url
        checks = [("SLACK_BOT_TOKEN", client.auth_test)] if self.settings.bot_token else []
        if self.settings.mode == "socket":
            token = self.settings.app_token
            checks.append(
                ("SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=token))
            )
        for name, check in checks:
            try:
                await check()
            except SlackApiError as error:
                raise ConfigError(
                    f"Slack refused {name}: {error.response.get('error', 'unknown error')}"
                ) from None
            except (aiohttp.ClientError, OSError) as error:
                raise ConfigError(f"cannot reach the Slack Web API at {api}: {error}") from None

    async def start_socket_mode(self) -> AsyncSocketModeHandler:
        """Connect (apps.connections.open through the app's client, so SLACK_API_URL)."""
        assert self.settings.app_token
        handler = AsyncSocketModeHandler(self.app, self.settings.app_token)
        await handler.connect_async()
        return handler

    def web_app(self) -> web.Application:
        """The aiohttp application: events, commands, interactivity and the OAuth pages."""
        return self.app.web_app(path=EVENTS_PATH)


def build(
    core: Core,
    settings: SlackSettings,
    *,
    clock: Clock | None = None,
    retry_interval: RetryIntervalCalculator | None = None,
) -> SlackApp:
    mode = settings.mode
    if mode is None:
        raise ValueError("Slack is not configured: see README 'Connecting Slack'")
    api = settings.api_url

    # Built inside the running loop (serve() and tests are async); closed by SlackApp.close().
    session = aiohttp.ClientSession()

    def client_for(token: str | None = None) -> AsyncWebClient:
        return web_client(api, token, interval=retry_interval, session=session)

    tokens: TokenSource
    if settings.oauth:
        assert settings.client_id and settings.client_secret
        store = installation_store(core.db, settings.client_id)
        tokens = Installations(store)
        app_client = client_for()
        app = AsyncApp(
            client=app_client,
            signing_secret=settings.signing_secret,
            installation_store=store,
            # Bolt's default authorize asks the store for the installation and then for the
            # user's own, and calls auth.test, on every request before its ack. The app only
            # acts as its bot: one find_bot, answered from the store's cache, and auth.test
            # once per token (a new install's token is a new key; an uninstalled or revoked
            # workspace has no bot left to find, so it is refused).
            authorize=AsyncInstallationStoreAuthorize(
                logger=log,
                installation_store=store,
                bot_only=True,
                cache_enabled=True,
                client=app_client,
            ),
            installation_store_bot_only=True,
            oauth_settings=AsyncOAuthSettings(
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                scopes=list(BOT_SCOPES),
                installation_store=store,
                state_store=state_store(core.db),
                installation_store_bot_only=True,
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
            ),
        )
        revocations: AsyncTokenRevocationListeners | None = AsyncTokenRevocationListeners(store)
    else:
        assert settings.bot_token
        tokens = SingleWorkspace(settings.bot_token)
        revocations = None
        app = AsyncApp(
            client=client_for(settings.bot_token),
            # Socket Mode requests are not signed (the websocket is authenticated instead).
            signing_secret=settings.signing_secret or "",
            request_verification_enabled=mode == "http",
        )
    platform = SlackPlatform(tokens, api_url=api, client_factory=client_for)
    core.platforms[platform.name] = platform
    deliveries = Deliveries(core.db, clock or core.clock)

    async def group_of(community_id: str) -> str | None:
        return await community_config.moderator_group(core, CommunityRef("slack", community_id))

    listeners = Listeners(
        core,
        platform,
        Rights(group_of),
        deliveries,
        session=session,
        work_limit=4 if core.db.is_sqlite else 16,
    )
    platform.set_notice(listeners.notice)
    listeners.register(app, revocations)
    return SlackApp(app, platform, listeners, settings, session)
