"""Settings from the environment and `.env`, validated when the app starts (never at import)."""

from __future__ import annotations

import logging

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./matchmaker.db"


class ConfigError(Exception):
    """The environment holds a value the bot cannot start with; the message says which and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL)
    # None: the default for the backend (bot.storage.database.DEFAULT_POOL_SIZE).
    database_pool_size: int | None = None
    discord_token: str | None = None
    discord_api_base_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        allowed = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        if not value.startswith(allowed):
            raise ValueError(
                "must be an async SQLAlchemy URL starting with "
                "'sqlite+aiosqlite://' or 'postgresql+asyncpg://'"
            )
        return value

    @field_validator("database_pool_size", mode="before")
    @classmethod
    def _pool_size(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None  # an empty `DATABASE_POOL_SIZE=` line means "the default"
        return value

    @field_validator("database_pool_size")
    @classmethod
    def _positive_pool(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be a whole number of connections, 1 or more")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator(
        "discord_token",
        "discord_gateway_url",
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "slack_client_id",
        "slack_client_secret",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        # An empty `DISCORD_TOKEN=` line in .env means "not configured", not "empty token".
        return value.strip() or None if value is not None else None

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None

    @property
    def slack_socket_mode_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_app_token is not None

    @property
    def slack_http_enabled(self) -> bool:
        return self.slack_signing_secret is not None and (
            self.slack_bot_token is not None
            or (self.slack_client_id is not None and self.slack_client_secret is not None)
        )


def load_settings(**overrides: object) -> Settings:
    """Read settings now; turn pydantic's report into one message a person can act on."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
