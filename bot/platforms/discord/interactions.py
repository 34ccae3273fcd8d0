"""What members and moderators do on Discord, turned into `bot.commands` calls and answered.

Slash commands, the signup pages and text modal (in a server or in DMs), the public "Sign up"
button, the core's buttons and the intake modal all arrive here. Every answer is ephemeral
unless the command says otherwise; slow commands are deferred first so Discord's 3 s limit
holds; an expired interaction is answered by DM instead.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from bot.charts import pool_chart_png
from bot.commands import ADMIN, MEMBER, Commands, File, Reply, SignupView
from bot.core import curation
from bot.core.actor import Actor, CommunityRef
from bot.core.curation import TopicView
from bot.core.forms import FormView
from bot.core.stats import PoolStats
from bot.formfiles.cells import parse_availability
from bot.platforms.base import Button

from . import components
from .components import split_text, unstored

if TYPE_CHECKING:
    from .client import MatchmakerClient

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Discord drops an interaction not acknowledged within 3 s; leave room for the round trip.
ACK_BUDGET = 1.5
T = TypeVar("T")
NOT_A_MEMBER = "That belongs to a server you are not in (or that I have left)."
FIELD_LABELS = {
    "about": "What I'd like to talk about",
    "private_notes": "Private notes",
    "timezone": "Timezone",
    "availability": "Availability",
    "suggested_topics": "Suggested topics",
    "topics": "Topics",
    "stances": "Stances",
    "format_sync": "Live (sync)",
    "format_async": "Over days (async)",
    "looking_for": "What you are looking for",
    "appetite": "Disagreement",
    "publish_ok": "Publishing",
    "show_in_browse": "Show me in browse",
    "participation": "Participation",
}

_FORM_ID = re.compile(r"dmm:f:(\d+):(\d+):([a-z]+)(?::(\d+))?")


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


class Interactions:
    def __init__(self, client: MatchmakerClient) -> None:
        self.client = client
        self.commands = Commands(client.core, mention=mention)
        self._communities: set[int] = set()
        self._members: set[tuple[int, int]] = set()  # (guild, user) seen to be a member
        self.ack_budget = ACK_BUDGET

    # --- who acts: the one place that decides is_moderator on Discord --------------------------

    def actor(self, interaction: discord.Interaction, guild_id: int) -> Actor:
        user = interaction.user
        moderator = False
        if isinstance(user, discord.Member) and interaction.guild_id == guild_id:
            # The permissions Discord resolved for this member in this interaction, not a
            # cache: a member without Manage Server is no moderator, whatever they send.
            perms = interaction.permissions
            roles = {role.id for role in user.roles}
            moderator = (
                perms.manage_guild
                or perms.administrator
                or bool(roles & self.client.settings.discord_moderator_roles)
            )
        return Actor(
            CommunityRef(PLATFORM, str(guild_id)), str(user.id), user.display_name, moderator
        )

    async def guild_of(self, interaction: discord.Interaction, hint: int = 0) -> int | None:
        """The community: the custom id's guild, the interaction's, or the bot's only one.
        None when there is none, or when the custom id names a server the person is not in
        (a DM press after they left, or a hand-made custom id)."""
        guild_id = hint or interaction.guild_id
        if guild_id is None and len(self.client.guilds) == 1:
            guild_id = self.client.guilds[0].id
        if guild_id is None:
            return None
        if guild_id != interaction.guild_id and not await self._is_member(guild_id, interaction):
            return None
        await self.ensure_community(guild_id)
        return guild_id

    async def _is_member(self, guild_id: int, interaction: discord.Interaction) -> bool:
        key = (guild_id, interaction.user.id)
        if key in self._members:
            return True
        guild = self.client.get_guild(guild_id)
        if guild is None:
            return False
        try:
            # REST, not the member cache: that would need the privileged members intent.
            await guild.fetch_member(interaction.user.id)
        except discord.HTTPException:
            return False
        self._members.add(key)
        return True

    async def may_act(self, interaction: discord.Interaction, guild: int) -> bool:
        """A press naming `guild`: answered with why not when the person may not act there."""
        if await self.guild_of(interaction, guild) is not None:
            return True
        await self.say(interaction, NOT_A_MEMBER)
        return False

    async def ensure_community(self, guild_id: int, name: str | None = None) -> None:
        if guild_id in self._communities:
            return
        guild = self.client.get_guild(guild_id)
        name = name or (guild.name if guild else str(guild_id))
        await curation.setup_community(
            self.client.core, CommunityRef(PLATFORM, str(guild_id)), name
        )
        self._communities.add(guild_id)

    # --- slash commands ------------------------------------------------------------------------

    async def run_command(
        self, interaction: discord.Interaction, group: str, name: str, /, **options: Any
    ) -> None:
        guild = await self.guild_of(interaction)
        if guild is None:
            await self.say(interaction, "Use this in your server, or press its Sign up button.")
            return
        if (group, name) == (MEMBER, "signup"):
            await self.signup(interaction, guild)
            return
        entry = Commands.lookup(group, name)
        if entry is not None and entry.slow:
            await interaction.response.defer(ephemeral=True, thinking=True)
        if (group, name) == (ADMIN, "round"):
            # A redelivered interaction has the same id: the round runs once.
            options.setdefault("key", f"discord:{interaction.id}")
        reply = await self.in_time(
            interaction, self.commands.run(self.actor(interaction, guild), group, name, **options)
        )
        notices = self.client.platform.take_notices(str(guild)) if group == ADMIN else []
        edit = None
        if (group, name) == (MEMBER, "profile") and reply.ok:
            edit = components.edit_form_view(guild)
        await self.answer(interaction, reply, guild, notices=notices, extra_view=edit)

    async def signup_post(
        self, interaction: discord.Interaction, channel: discord.abc.Messageable | None
    ) -> None:
        guild = await self.guild_of(interaction)
        if guild is None:
            return
        actor = self.actor(interaction, guild)
        if not actor.is_moderator:
            await self.say(interaction, "Only moderators can do that.")
            return
        target = channel or interaction.channel
        text = (
            "**Dialogues**: get paired with someone who shares your topics and sees them "
            "differently. Press the button to sign up in a DM with me."
        )
        try:
            await target.send(text, view=unstored(components.signup_post_view(guild)))  # type: ignore[union-attr]
        except discord.Forbidden:
            await self.say(
                interaction, "I may not post there: I need View Channel and Send Messages."
            )
            return
        await self.say(interaction, "Posted the Sign up button.")

    async def in_time(
        self,
        interaction: discord.Interaction,
        work: Coroutine[Any, Any, T],
        *,
        update: bool = False,
    ) -> T:
        """The core's answer; if it is not ready within the budget (a busy database), defer
        first so Discord's 3 s acknowledgement limit holds, and answer as a followup (or, with
        `update`, by editing the pressed message)."""
        # A timer, not a task plus asyncio.wait per call: the core's work runs in this task,
        # and a crowd of interactions pays for no extra task, future and wait each (the
        # Discord bench measured those as a share of the adapter's CPU).
        loop = asyncio.get_running_loop()
        deferring: asyncio.Task[None] | None = None
        # Discord's 3 s run from when it made the interaction (its snowflake id says when),
        # not from when this process got round to it: a saturated event loop reads the
        # gateway late, and a budget counted from here would then defer nothing, in time
        # for nobody. (Assumes the host's clock is synced; one behind only gives the full
        # budget, as before.)
        age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        budget = min(self.ack_budget, max(0.0, self.ack_budget - age))
        response = interaction.response

        async def deferral() -> None:
            try:
                if update:
                    await response.defer()  # a "deferred update" of the pressed message
                else:
                    await response.defer(ephemeral=True, thinking=True)
            except discord.NotFound:
                # Expired, or Discord lost it: the answer goes by DM instead (see answer()).
                log.info("interaction %s could not be deferred: unknown to Discord", interaction.id)

        if budget == 0:
            if not response.is_done():
                try:
                    await deferral()
                except BaseException:
                    work.close()  # never started: no "never awaited" warning
                    raise
            return await work

        def defer() -> None:
            nonlocal deferring
            if not response.is_done():
                deferring = loop.create_task(deferral())

        timer = loop.call_later(budget, defer)
        try:
            return await work
        finally:
            timer.cancel()
            if deferring is not None:
                # The answer goes as a followup, so the deferral must have reached Discord.
                await deferring

    # --- answering -----------------------------------------------------------------------------

    async def say(self, interaction: discord.Interaction, text: str) -> None:
        await self.answer(interaction, Reply(True, text), interaction.guild_id or 0)

    async def answer(
        self,
        interaction: discord.Interaction,
        reply: Reply,
        guild: int,
        *,
        notices: Sequence[str] = (),
        extra_view: discord.ui.View | None = None,
    ) -> None:
        text = reply.text
        if notices:
            text += "\n\n" + "\n".join(f"⚠ {n}" for n in notices)
        files = list(reply.files)
        if isinstance(reply.view, PoolStats):
            # Drawing takes a while; off the event loop, heartbeats and other members go on.
            chart = await asyncio.to_thread(pool_chart_png, reply.view)
            files.append(File("pool.png", chart, "image/png"))
        view = extra_view
        if reply.buttons:
            view = components.core_buttons_view(reply.buttons, guild)
        chunks = split_text(text)
        try:
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                kwargs: dict[str, Any] = {"ephemeral": reply.ephemeral}
                if last and files:
                    kwargs["files"] = [
                        discord.File(io.BytesIO(f.content), filename=f.name) for f in files
                    ]
                if last and view is not None:
                    kwargs["view"] = unstored(view)
                if interaction.response.is_done():
                    await interaction.followup.send(chunk, **kwargs)
                else:
                    await interaction.response.send_message(chunk, **kwargs)
        except discord.NotFound:
            # The interaction token expired (15 min) or Discord lost it: answer by DM.
            log.info("interaction %s expired; answering %s by DM", interaction.id, interaction.user)
            try:
                await interaction.user.send(split_text(text)[0])
            except discord.HTTPException:
                log.info("could not DM %s either", interaction.user)

    async def error(self, interaction: discord.Interaction, reply: Reply, guild: int) -> None:
        label = FIELD_LABELS.get(reply.field or "", "")
        text = f"⚠ {label}: {reply.text}" if label else f"⚠ {reply.text}"
        view = None
        if reply.field in (
            "about",
            "private_notes",
            "timezone",
            "availability",
            "suggested_topics",
        ):
            view = discord.ui.View(timeout=None)
            view.add_item(discord.ui.Button(custom_id=f"dmm:t:{guild}", label=f"Fix: {label}"[:80]))
        await self.answer(interaction, Reply(False, text), guild, extra_view=view)

    # --- signup --------------------------------------------------------------------------------

    async def _signup_view(self, actor: Actor) -> tuple[Reply, SignupView | None]:
        reply = await self.commands.run(actor, MEMBER, "signup")
        return reply, reply.view if isinstance(reply.view, SignupView) else None

    async def signup_command(self, interaction: discord.Interaction, timezone: str | None) -> None:
        """`/dialogue signup [timezone]`: the timezone (autocompleted) is saved first."""
        guild = await self.guild_of(interaction)
        if guild is None:
            await self.say(interaction, "Use this in your server, or press its Sign up button.")
            return
        if timezone:
            reply = await self.in_time(
                interaction,
                self.commands.submit_form(self.actor(interaction, guild), {"timezone": timezone}),
            )
            if not reply.ok:
                await self.error(interaction, reply, guild)
                return
        await self.signup(interaction, guild)

    async def signup(self, interaction: discord.Interaction, guild: int) -> None:
        """`/dialogue signup`: a new form opens with the text questions; a started one resumes
        on the page where it stopped."""
        reply, signup = await self.in_time(
            interaction, self._signup_view(self.actor(interaction, guild))
        )
        if signup is None:
            await self.answer(interaction, reply, guild)
            return
        form = signup.form
        fresh = form.status == "draft" and not form.topics and not form.about
        # A modal must be the first answer: when the database was slow and the interaction
        # had to be deferred, the page (with its button to the same modal) comes instead.
        if fresh and not interaction.response.is_done():
            await interaction.response.send_modal(
                unstored(components.text_modal(guild, form, form.suggested_topics))
            )
            return
        await self.show_page(interaction, guild, components.page_of_step(signup, form.step), signup)

    async def show_page(
        self,
        interaction: discord.Interaction,
        guild: int,
        page: int,
        signup: SignupView | None = None,
        *,
        edit: bool = False,
    ) -> None:
        if signup is None:
            reply, signup = await self.in_time(
                interaction, self._signup_view(self.actor(interaction, guild)), update=edit
            )
            if signup is None:
                await self.answer(interaction, reply, guild)
                return
        content, view = components.signup_page(guild, page, signup)
        if edit and interaction.response.is_done():
            await interaction.edit_original_response(content=content, view=unstored(view))
        elif edit:
            await interaction.response.edit_message(content=content, view=unstored(view))
        elif interaction.response.is_done():
            await interaction.followup.send(content, view=unstored(view), ephemeral=True)
        else:
            await interaction.response.send_message(content, view=unstored(view), ephemeral=True)

    async def dm_signup(self, interaction: discord.Interaction, guild: int) -> None:
        """The public Sign up button: the form continues in the member's DMs, a page per
        message, from wherever they stopped."""
        if not await self.may_act(interaction, guild):
            return
        reply, signup = await self._signup_view(self.actor(interaction, guild))
        if signup is None:
            await self.answer(interaction, reply, guild)
            return
        content, view = components.signup_page(
            guild, components.page_of_step(signup, signup.form.step), signup
        )
        try:
            await interaction.user.send(content, view=unstored(view))
        except discord.HTTPException:
            await self.say(
                interaction,
                "I cannot DM you: your DMs are closed for this server. Allow direct messages "
                "(Privacy settings), or use /dialogue signup here.",
            )
            return
        await self.say(interaction, "I sent you a DM: your answers are saved as you go.")

    async def form_select(
        self, interaction: discord.Interaction, custom_id: str, values: list[str]
    ) -> None:
        match = _FORM_ID.fullmatch(custom_id)
        if match is None:
            return
        guild, page, question, arg = int(match[1]), int(match[2]), match[3], match[4]
        reply, after = await self.in_time(
            interaction, self._save_select(interaction, guild, question, arg, values), update=True
        )
        if not reply.ok or after is None:
            await self.error(interaction, reply, guild)
            return
        await self.show_page(interaction, guild, page, after, edit=True)

    async def _save_select(
        self,
        interaction: discord.Interaction,
        guild: int,
        question: str,
        arg: str | None,
        values: list[str],
    ) -> tuple[Reply, SignupView | None]:
        """Save one select's answer; the reply, and the form as it is now to redraw the page
        (the choices read once, before saving: one read and one write per press)."""
        if await self.guild_of(interaction, guild) is None:
            return Reply(False, NOT_A_MEMBER), None
        actor = self.actor(interaction, guild)
        reply, signup = await self._signup_view(actor)
        if signup is None:
            return reply, None
        answers: dict[str, Any] = {}
        if question == "topics":
            start = int(arg or 0)
            chunk = {t.slug for t in signup.topics[start : start + components.OPTIONS_PER_SELECT]}
            chosen = (set(signup.form.topics) - chunk) | set(values)
            answers = {"topics": sorted(chosen), "step": "topics"}
        elif question == "stance":
            answers = {"stances": {arg: values[0] if values else "skip"}, "step": "stances"}
        elif question in ("sync", "async"):
            answers = {question: values[0], "step": "format"}
        elif question == "looking":
            answers = {"looking_for": list(values), "step": "looking_for"}
        elif question == "publish":
            answers = {"publish_ok": values[0], "step": "publish"}
        elif question == "browse":
            answers = {"show_in_browse": values[0], "step": "browse"}
        elif question in ("appetite", "participation"):
            answers = {question: values[0], "step": question}
        saved = await self.commands.submit_form(actor, answers)
        if not saved.ok or not isinstance(saved.view, FormView):
            return saved, None
        return saved, SignupView(saved.view, signup.topics, signup.claims)

    async def go_to_page(self, interaction: discord.Interaction, guild: int, page: int) -> None:
        if not await self.may_act(interaction, guild):
            return
        # In a server the ephemeral page changes in place; in DMs each step is a new message.
        await self.show_page(interaction, guild, page, edit=interaction.guild_id is not None)

    async def open_text_modal(self, interaction: discord.Interaction, guild: int) -> None:
        if not await self.may_act(interaction, guild):
            return
        reply, signup = await self._signup_view(self.actor(interaction, guild))
        if signup is None:
            await self.answer(interaction, reply, guild)
            return
        await interaction.response.send_modal(
            unstored(components.text_modal(guild, signup.form, signup.form.suggested_topics))
        )

    async def text_submitted(
        self, interaction: discord.Interaction, guild: int, values: Mapping[str, str]
    ) -> None:
        if not await self.may_act(interaction, guild):
            return
        actor = self.actor(interaction, guild)
        answers: dict[str, Any] = {
            "about": values.get("about", ""),
            "private_notes": values.get("private_notes", ""),
            "step": "about",
        }
        if values.get("timezone", "").strip():
            answers["timezone"] = values["timezone"].strip()
        if values.get("suggested_topics", "").strip():
            answers["suggested_topics"] = values["suggested_topics"]
        try:
            answers["availability"] = parse_availability(values.get("availability", ""))
        except ValueError as problem:
            # Nothing is saved: the modal's answers are stored together or not at all.
            await self.error(interaction, Reply(False, f"{problem}.", field="availability"), guild)
            return
        reply = await self.in_time(interaction, self.commands.submit_form(actor, answers))
        if not reply.ok:
            await self.error(interaction, reply, guild)
            return
        # The selects come next, from the first page (the topics).
        await self.show_page(interaction, guild, 0)

    async def submit(self, interaction: discord.Interaction, guild: int) -> None:
        if not await self.may_act(interaction, guild):
            return
        reply = await self.in_time(
            interaction,
            self.commands.submit_form(
                self.actor(interaction, guild), {"submit": True, "step": "review"}
            ),
        )
        if not reply.ok:
            await self.error(interaction, reply, guild)
            return
        await self.answer(interaction, reply, guild)

    # --- core buttons and the intake form ------------------------------------------------------

    async def core_button(self, interaction: discord.Interaction, guild: int, core_id: str) -> None:
        guild_id = await self.guild_of(interaction, guild)
        if guild_id is None:
            await self.say(interaction, NOT_A_MEMBER)
            return
        reply = await self.in_time(
            interaction, self.commands.press(self.actor(interaction, guild_id), core_id)
        )
        topics = reply.view
        if reply.ok and isinstance(topics, tuple) and all(isinstance(t, TopicView) for t in topics):
            if interaction.response.is_done():
                # Deferred (a slow moment): a modal can no longer be the answer; offer the
                # same button again, which opens it at once next time.
                again = components.core_buttons_view([Button(core_id, "Open the form")], guild_id)
                await self.answer(
                    interaction, Reply(True, "Sorry for the wait."), guild_id, extra_view=again
                )
                return
            # The intake button: its answers come back through the intake modal.
            await interaction.response.send_modal(
                unstored(components.intake_modal(guild_id, core_id, topics))
            )
            return
        await self.answer(interaction, reply, guild_id)

    async def modal_submitted(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        custom_id = str(data.get("custom_id", ""))
        values = {
            str(c.get("custom_id")): str(c.get("value") or "")
            for row in data.get("components", [])
            for c in row.get("components", [row])
            if c.get("type") == 4
        }
        if custom_id.startswith("dmm:m:"):
            guild = custom_id.removeprefix("dmm:m:")
            if guild.isdigit():
                await self.text_submitted(interaction, int(guild), values)
        elif custom_id.startswith("dmm:i:"):
            guild, _, core_id = custom_id.removeprefix("dmm:i:").partition(":")
            guild_id = await self.guild_of(interaction, int(guild) if guild.isdigit() else 0)
            if guild_id is None:
                await self.say(interaction, NOT_A_MEMBER)
                return
            # Both intakes in: the dialogue opens now (a thread, members, the intro).
            reply = await self.in_time(
                interaction,
                self.commands.press(self.actor(interaction, guild_id), core_id, dict(values)),
            )
            if not reply.ok:
                await self.error(interaction, reply, guild_id)
                return
            await self.answer(interaction, reply, guild_id)
