"""The Discord adapter: discord.py client, application commands, components and `Platform`."""

from .client import MatchmakerClient, run_discord
from .platform import DiscordPlatform

__all__ = ["DiscordPlatform", "MatchmakerClient", "run_discord"]
