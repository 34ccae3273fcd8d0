"""Settings: read from the environment when asked, validated with messages a person can act on."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "DISCORD_TOKEN", "SLACK_BOT_TOKEN", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.discord_api_base_url == "https://discord.com/api/v10"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert not settings.discord_enabled and not settings.slack_socket_mode_enabled


def test_blank_token_counts_as_unset() -> None:
    assert not load_settings(discord_token="  ").discord_enabled
    assert load_settings(discord_token="abc").discord_enabled


def test_socket_mode_needs_both_slack_tokens() -> None:
    assert not load_settings(slack_bot_token="xoxb").slack_socket_mode_enabled
    assert load_settings(slack_bot_token="xoxb", slack_app_token="xapp").slack_socket_mode_enabled


def test_sync_database_driver_is_rejected_with_the_variable_named() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL: must be an async SQLAlchemy URL"):
        load_settings(database_url="sqlite:///x.db")


def test_database_pool_size_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", "12")
    assert load_settings().database_pool_size == 12
    monkeypatch.setenv("DATABASE_POOL_SIZE", "")  # an empty line in .env: the default
    assert load_settings().database_pool_size is None
    for bad in ("0", "-3", "many"):
        monkeypatch.setenv("DATABASE_POOL_SIZE", bad)
        with pytest.raises(ConfigError, match="DATABASE_POOL_SIZE"):
            load_settings()


def test_discord_shards_need_a_count_and_must_fit_it() -> None:
    settings = load_settings(discord_shard_ids="0, 2", discord_shard_count=4)
    assert settings.discord_shards == [0, 2]
    assert load_settings().discord_shards is None
    with pytest.raises(ConfigError, match="DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"):
        load_settings(discord_shard_ids="1")
    with pytest.raises(ConfigError, match="ids from 0 to 3"):
        load_settings(discord_shard_ids="4", discord_shard_count=4)
    with pytest.raises(ConfigError, match="DISCORD_SHARD_IDS: must be whole numbers"):
        load_settings(discord_shard_ids="zero", discord_shard_count=4)


def test_discord_moderator_roles_are_a_list_of_ids() -> None:
    assert load_settings(discord_moderator_role_ids="12, 34").discord_moderator_roles == {12, 34}
    assert (
        load_settings(discord_shard_count="", discord_dev_guild_id="").discord_shard_count is None
    )
