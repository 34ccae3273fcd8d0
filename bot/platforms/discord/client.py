"""The discord.py client: endpoints, intents, shards, persistent components, command sync,
activity in dialogue threads, and `run_discord` for `matchmaker run`.

Intents are the non-privileged ones only: guilds (channels, threads, roles for permission
checks), guild messages (who wrote in a dialogue thread, and when: the content is not read, so
the privileged Message Content intent is not needed) and DMs.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.config import ConfigError, Settings
from bot.core import activity
from bot.core.actor import CommunityRef
from bot.core.app import Core
from bot.runtime import freeze_connected

from . import slash
from .interactions import Interactions
from .once import guard_retries
from .platform import DiscordPlatform, invite_url

log = logging.getLogger(__name__)


def point_at(api_base_url: str, gateway_url: str | None) -> None:
    """Send REST and the gateway where the settings say (a proxy, a local test server).

    discord.py reads both from class attributes, so this is process-wide, like the token.
    """
    Route.BASE = api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url or "wss://gateway.discord.gg/")


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    return wanted


# --- persistent components: every press is answered from its custom id ------------------------


def _flows(interaction: discord.Interaction) -> Interactions:
    return interaction.client.interactions  # type: ignore[attr-defined]


class FormSelect(
    discord.ui.DynamicItem[discord.ui.Select],
    template=r"dmm:f:(?P<guild>\d+):(?P<page>\d+):(?P<question>[a-z]+)(?::(?P<arg>\d+))?",
):
    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str], /
    ) -> FormSelect:
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        values = list((interaction.data or {}).get("values", []))  # type: ignore[union-attr]
        await guarded(
            interaction, _flows(interaction).form_select(interaction, self.custom_id, values)
        )


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"dmm:p:(?P<guild>\d+):(?P<page>\d+)"
):
    def __init__(self, item: discord.ui.Button, guild: int, page: int) -> None:
        super().__init__(item)
        self.guild, self.page = guild, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> PageButton:
        return cls(item, int(match["guild"]), int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(
            interaction, _flows(interaction).go_to_page(interaction, self.guild, self.page)
        )


class GuildButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"dmm:(?P<kind>t|s|signup):(?P<guild>\d+)"
):
    def __init__(self, item: discord.ui.Button, kind: str, guild: int) -> None:
        super().__init__(item)
        self.kind, self.guild = kind, guild

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> GuildButton:
        return cls(item, match["kind"], int(match["guild"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        flows = _flows(interaction)
        if self.kind == "t":
            await guarded(interaction, flows.open_text_modal(interaction, self.guild))
        elif self.kind == "s":
            await guarded(interaction, flows.submit(interaction, self.guild))
        else:
            await guarded(interaction, flows.dm_signup(interaction, self.guild))


class CoreButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"dmm:c:(?P<guild>\d+):(?P<core>.+)"
):
    def __init__(self, item: discord.ui.Button, guild: int, core_id: str) -> None:
        super().__init__(item)
        self.guild, self.core_id = guild, core_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> CoreButton:
        return cls(item, int(match["guild"]), match["core"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await guarded(
            interaction, _flows(interaction).core_button(interaction, self.guild, self.core_id)
        )


DYNAMIC_ITEMS = (FormSelect, PageButton, GuildButton, CoreButton)


SORRY = "Something went wrong on my side; the moderators can see it in the logs."


async def say_sorry(interaction: discord.Interaction) -> None:
    """A bug is logged with its traceback; the person still gets an answer, not a spinner."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(SORRY, ephemeral=True)
        else:
            await interaction.response.send_message(SORRY, ephemeral=True)
    except discord.HTTPException:
        log.info("could not tell %s that their interaction failed", interaction.user)


async def guarded(interaction: discord.Interaction, work: Coroutine[Any, Any, None]) -> None:
    try:
        await work
    except Exception:
        log.exception("interaction %s failed", interaction.data)
        await say_sorry(interaction)


class CommandTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("command %s failed", interaction.command, exc_info=error)
        await say_sorry(interaction)


class MatchmakerClient(discord.AutoShardedClient):
    def __init__(self, core: Core, settings: Settings, **options: Any) -> None:
        point_at(settings.discord_api_base_url, settings.discord_gateway_url)
        super().__init__(
            intents=intents(),
            shard_ids=settings.discord_shards,
            shard_count=settings.discord_shard_count,
            # Nothing the bot says pings anyone unless a post names who may be pinged.
            allowed_mentions=discord.AllowedMentions.none(),
            # Lets `at_most_once` stop discord.py repeating a create Discord may have done.
            http_trace=guard_retries(options.pop("http_trace", None)),
            **options,
        )
        self.core = core
        self.settings = settings
        self.platform = DiscordPlatform(self, core)
        core.platforms[self.platform.name] = self.platform
        self.interactions = Interactions(self)
        self.tree = CommandTree(self)
        slash.install(self.tree)
        self.synced = asyncio.Event()
        if settings.discord_gateway_url:
            self._use_gateway_override(settings.discord_gateway_url)

    def _use_gateway_override(self, url: str) -> None:
        """Ask the API how many shards, but connect (and resume) at the configured gateway."""
        asked = self.http.get_bot_gateway

        async def get_bot_gateway() -> Any:
            shards, _advertised, limits = await asked()
            return shards, url, limits

        self.http.get_bot_gateway = get_bot_gateway  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        dev_guild = self.settings.discord_dev_guild_id
        if dev_guild:
            target = discord.Object(dev_guild)
            self.tree.copy_global_to(guild=target)
            await self.tree.sync(guild=target)
        else:
            await self.tree.sync()
        self.synced.set()

    async def on_shard_connect(self, shard_id: int) -> None:
        # READY names a resume_gateway_url; with an override (a proxy) resume there instead.
        override = self.settings.discord_gateway_url
        shard = self.get_shard(shard_id)
        ws = getattr(getattr(shard, "_parent", None), "ws", None)
        if override and ws is not None:
            ws.gateway = yarl.URL(override)

    async def on_ready(self) -> None:
        freeze_connected()
        if self.application_id is not None:
            log.info(
                "ready in %d guilds; invite: %s", len(self.guilds), invite_url(self.application_id)
            )

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.interactions.ensure_community(guild.id, guild.name)
        log.info("guild available: %s (%s), shard %s", guild.name, guild.id, guild.shard_id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.interactions.ensure_community(guild.id, guild.name)
        log.info("joined guild: %s (%s)", guild.name, guild.id)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Modals are not stored between restarts: their submissions are routed by custom id.
        if interaction.type is discord.InteractionType.modal_submit:
            await guarded(interaction, self.interactions.modal_submitted(interaction))

    async def on_message(self, message: discord.Message) -> None:
        """Who wrote in which thread, and when: the scheduler nudges a quiet pair."""
        if message.guild is None or message.author.bot or not _may_be_dialogue(message.channel):
            return
        moved = await activity.record_message(
            self.core,
            CommunityRef(self.platform.name, str(message.guild.id)),
            str(message.channel.id),
            str(message.author.id),
            message.created_at,
        )
        self.dispatch("activity_recorded", message, moved)


def _may_be_dialogue(channel: Any) -> bool:
    """Private threads and private channels only: no database write for public chatter."""
    if isinstance(channel, discord.Thread):
        return channel.type is discord.ChannelType.private_thread
    if isinstance(channel, discord.TextChannel):
        return channel.overwrites_for(channel.guild.default_role).view_channel is False
    # Not in the cache (yet): let the core decide whether it is a dialogue's.
    return not isinstance(channel, discord.abc.GuildChannel)


async def run_discord(core: Core, settings: Settings, stop: asyncio.Event) -> None:
    """Run the client until `stop` is set (SIGTERM/SIGINT), then close the gateway cleanly."""
    client = MatchmakerClient(core, settings)
    async with client:
        runner = asyncio.create_task(client.start(settings.discord_token or ""))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            stopper.cancel()
            try:
                runner.result()
            except discord.LoginFailure as error:
                raise ConfigError(f"DISCORD_TOKEN: Discord refused the token ({error}).") from None
            return
        log.info("shutting down: closing the Discord gateway")
        await client.close()
        await runner
