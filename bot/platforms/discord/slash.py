"""The application commands `/dialogue` and `/dialogue-admin`, typed options to `bot.commands`.

Each sub-command only turns Discord's typed options into the command layer's keyword
arguments; what it does lives in `bot.commands.table`. `/dialogue-admin` carries
`default_member_permissions` = Manage Server, and the adapter still decides `is_moderator`
itself, so a hand-crafted interaction is refused by the core as well.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Literal
from zoneinfo import available_timezones

import discord
from discord import app_commands

from bot.commands import ADMIN, MEMBER, Commands
from bot.core import curation

if TYPE_CHECKING:
    from .interactions import Interactions

Choice = app_commands.Choice


@functools.cache
def timezones() -> tuple[str, ...]:
    """Every IANA name, read from the tz database on first use (not at import)."""
    return tuple(sorted(available_timezones()))


MAX_CHOICES = 25


def _flows(interaction: discord.Interaction) -> Interactions:
    return interaction.client.interactions  # type: ignore[attr-defined]


def _uid(user: discord.abc.User | None) -> str | None:
    return None if user is None else str(user.id)


# --- autocomplete --------------------------------------------------------------------------


async def topic_names(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
    flows = _flows(interaction)
    guild = await flows.guild_of(interaction)
    if guild is None:
        return []
    listed = await curation.list_topics(
        flows.client.core, curation.ListTopics(flows.actor(interaction, guild))
    )
    word = current.lower()
    return [
        Choice(
            name=f"{t.name} ({t.status})"[:100] if t.status != "active" else t.name[:100],
            value=t.slug,
        )
        for t in listed
        if word in t.slug or word in t.name.lower()
    ][:MAX_CHOICES]


async def claim_numbers(interaction: discord.Interaction, current: str) -> list[Choice[int]]:
    flows = _flows(interaction)
    guild = await flows.guild_of(interaction)
    if guild is None:
        return []
    listed = await curation.list_claims(
        flows.client.core, curation.ListClaims(flows.actor(interaction, guild))
    )
    word = current.lower().lstrip("#")
    return [
        Choice(name=f"#{c.id} {c.text}"[:100], value=c.id)
        for c in listed
        if word in str(c.id) or word in c.text.lower()
    ][:MAX_CHOICES]


async def timezone_names(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
    word = current.lower().replace(" ", "_")
    return [Choice(name=tz, value=tz) for tz in timezones() if word in tz.lower()][:MAX_CHOICES]


# --- /dialogue -------------------------------------------------------------------------------


def member_group() -> app_commands.Group:
    group = app_commands.Group(
        name=MEMBER, description="One-to-one dialogues with people who see it differently"
    )

    async def run(interaction: discord.Interaction, sub: str, /, **options: object) -> None:
        await _flows(interaction).run_command(interaction, MEMBER, sub, **options)

    @group.command(name="signup", description="Fill in (or resume) your interest form")
    @app_commands.describe(timezone="your timezone (start typing a city)")
    @app_commands.autocomplete(timezone=timezone_names)
    async def signup(interaction: discord.Interaction, timezone: str | None = None) -> None:
        await _flows(interaction).signup_command(interaction, timezone)

    @group.command(name="profile", description="See your form")
    async def profile(interaction: discord.Interaction) -> None:
        await run(interaction, "profile")

    @group.command(name="status", description="Your dialogue, the next round, who waits on whom")
    async def status(interaction: discord.Interaction) -> None:
        await run(interaction, "status")

    @group.command(name="pause", description="Sit out rounds, until a date or until you resume")
    @app_commands.describe(until="YYYY-MM-DD (optional)")
    async def pause(interaction: discord.Interaction, until: str | None = None) -> None:
        await run(interaction, "pause", until=until)

    @group.command(name="resume", description="Take part in rounds again")
    async def resume(interaction: discord.Interaction) -> None:
        await run(interaction, "resume")

    def member_command(name: str, description: str) -> None:
        @group.command(name=name, description=description)
        @app_commands.describe(member="the person")
        async def command(interaction: discord.Interaction, member: discord.User) -> None:
            await run(interaction, name, member=_uid(member))

    member_command("want", "Privately tick someone you would dialogue with")
    member_command("unwant", "Remove your tick")
    member_command("block", "Never be paired with this person (private)")
    member_command("unblock", "Lift your block")

    @group.command(name="feedback", description="Rate your last dialogue")
    async def feedback(
        interaction: discord.Interaction,
        rating: app_commands.Range[int, 1, 5],
        comment: app_commands.Range[str, 0, 1000] | None = None,
    ) -> None:
        await run(interaction, "feedback", rating=rating, comment=comment)

    @group.command(name="leave", description="Leave and delete your data in this server")
    async def leave(interaction: discord.Interaction) -> None:
        await run(interaction, "leave")

    if Commands.lookup(MEMBER, "browse") is not None:

        @group.command(name="browse", description="People you could talk with")
        @app_commands.autocomplete(topic=topic_names)
        async def browse(
            interaction: discord.Interaction,
            topic: str | None = None,
            page: app_commands.Range[int, 1, 100] = 1,
        ) -> None:
            await run(interaction, "browse", topic=topic, page=page)

    return group


# --- /dialogue-admin -------------------------------------------------------------------------


def admin_group() -> app_commands.Group:
    group = app_commands.Group(
        name=ADMIN,
        description="Moderate dialogues: topics, claims, rounds, pairs",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    async def run(interaction: discord.Interaction, sub: str, /, **options: object) -> None:
        await _flows(interaction).run_command(interaction, ADMIN, sub, **options)

    @group.command(name="topics", description="Add, remove, list, approve or reject topics")
    @app_commands.autocomplete(name=topic_names)
    async def topics(
        interaction: discord.Interaction,
        action: Literal["list", "add", "remove", "approve", "reject"],
        name: str | None = None,
    ) -> None:
        await run(interaction, "topics", action=action, name=name)

    @group.command(name="claims", description="Add, remove or list claims")
    @app_commands.describe(
        text="the claim (add)", topics="topic slugs, comma-separated (add)", claim="claim (remove)"
    )
    @app_commands.autocomplete(topics=topic_names, claim=claim_numbers)
    async def claims(
        interaction: discord.Interaction,
        action: Literal["list", "add", "remove"],
        text: str | None = None,
        topics: str | None = None,
        claim: int | None = None,
    ) -> None:
        await run(interaction, "claims", action=action, text=text, topics=topics, claim=claim)

    @group.command(name="config", description="Show or change the dialogue settings")
    @app_commands.describe(
        channel="where dialogue threads are made",
        moderator_channel="where the bot tells moderators what went wrong (a missing permission)",
        weekday="round day",
        time="round time, HH:MM",
        timezone="round timezone",
        more="other settings as key=value words, e.g. nudge_hours=12 weight.topic=2",
    )
    @app_commands.autocomplete(timezone=timezone_names)
    async def config(
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        moderator_channel: discord.TextChannel | None = None,
        weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun", "none"] | None = None,
        time: str | None = None,
        timezone: str | None = None,
        cooldown: app_commands.Range[int, 0, 52] | None = None,
        odd_policy: Literal["wait", "trio"] | None = None,
        signup_window_hours: app_commands.Range[int, 0, 336] | None = None,
        more: str | None = None,
    ) -> None:
        settings: dict[str, str] = {}
        for key, value in (
            ("channel", None if channel is None else str(channel.id)),
            (
                "moderator_channel",
                None if moderator_channel is None else str(moderator_channel.id),
            ),
            ("weekday", weekday),
            ("time", time),
            ("timezone", timezone),
            ("cooldown", None if cooldown is None else str(cooldown)),
            ("odd_policy", odd_policy),
            (
                "signup_window_hours",
                None if signup_window_hours is None else str(signup_window_hours),
            ),
        ):
            if value is not None:
                settings[key] = value
        for word in (more or "").split():
            key, _, value = word.partition("=")
            settings[key] = value
        await run(interaction, "config", settings=settings or None)

    @group.command(name="round", description="Preview or run a matching round")
    async def round_(interaction: discord.Interaction, action: Literal["preview", "run"]) -> None:
        await run(interaction, "round", action=action)

    @group.command(name="pair", description="Pair two members by hand")
    @app_commands.autocomplete(topic=topic_names)
    @app_commands.describe(
        kind="a dialogue between equals or an interview (default: what the engine picks)",
        interviewer="for an interview: which of the two asks (default: the engine's roles)",
    )
    async def pair(
        interaction: discord.Interaction,
        a: discord.User,
        b: discord.User,
        topic: str | None = None,
        force: bool = False,
        kind: Literal["dialogue", "interview"] | None = None,
        interviewer: discord.User | None = None,
    ) -> None:
        await run(
            interaction,
            "pair",
            a=_uid(a),
            b=_uid(b),
            topic=topic,
            force=force,
            kind=kind,
            interviewer=None if interviewer is None else _uid(interviewer),
        )

    def member_command(name: str, description: str) -> None:
        @group.command(name=name, description=description)
        async def command(interaction: discord.Interaction, member: discord.User) -> None:
            await run(interaction, name, member=_uid(member))

    member_command("unpair", "End a member's dialogue early")
    member_command("remove", "Take someone out of the pool")
    member_command("reinstate", "Put a removed member back")

    @group.command(name="pool", description="Pool statistics with a chart")
    async def pool(interaction: discord.Interaction) -> None:
        await run(interaction, "pool")

    @group.command(name="export", description="CSV files of the pool and the rounds")
    async def export(interaction: discord.Interaction) -> None:
        await run(interaction, "export")

    @group.command(name="signup-post", description="Post a public Sign up button")
    async def signup_post(
        interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        await _flows(interaction).signup_post(interaction, channel)

    return group


def install(tree: app_commands.CommandTree) -> None:
    tree.add_command(member_group())
    tree.add_command(admin_group())
