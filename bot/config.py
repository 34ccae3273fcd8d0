"""Settings from the environment and `.env`, validated when the app starts (never at import)."""

from __future__ import annotations

import logging

from pydantic import Field, ValidationError, field_validator, model_validator
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
    # Discord: commands synced to this one guild only (instant) instead of globally.
    discord_dev_guild_id: int | None = None
    # Discord sharding across processes: "0,1" of DISCORD_SHARD_COUNT=4; unset = all shards.
    discord_shard_ids: str | None = None
    discord_shard_count: int | None = None
    # Discord role ids (comma-separated) whose holders are moderators besides Manage Server.
    discord_moderator_role_ids: str | None = None
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

    @field_validator("discord_dev_guild_id", "discord_shard_count", mode="before")
    @classmethod
    def _blank_number_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("discord_shard_ids", "discord_moderator_role_ids")
    @classmethod
    def _id_list(cls, value: str | None) -> str | None:
        if value is not None and not all(
            part.strip().isdigit() for part in value.split(",") if part.strip()
        ):
            raise ValueError("must be whole numbers separated by commas, e.g. 0,1")
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        shards = self.discord_shards
        if shards is not None:
            if self.discord_shard_count is None:
                raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total)")
            if not shards or any(not 0 <= s < self.discord_shard_count for s in shards):
                raise ValueError(
                    f"DISCORD_SHARD_IDS must be ids from 0 to {self.discord_shard_count - 1}"
                )
        return self

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
        "discord_shard_ids",
        "discord_moderator_role_ids",
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
    def discord_shards(self) -> list[int] | None:
        """The shard ids this process runs, or None for all of them."""
        if self.discord_shard_ids is None:
            return None
        return [int(part) for part in self.discord_shard_ids.split(",") if part.strip()]

    @property
    def discord_moderator_roles(self) -> frozenset[int]:
        raw = self.discord_moderator_role_ids or ""
        return frozenset(int(part) for part in raw.split(",") if part.strip())

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
            message = error["msg"].removeprefix("Value error, ")
            # A check across variables (the model's own) has no single name to put first.
            problems.append(f"{name}: {message}" if name else message)
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
