"""What the app does with each kind of request: slash commands, the signup modal, buttons,
events. Every listener acknowledges first and works after (bolt runs it on after the ack),
except a modal submission, whose answer (errors, next page) *is* the acknowledgement.

Acks come before work: the work behind an ack waits (a bounded time) while other requests
are still waiting for theirs. One event loop serves both, so under a crowd the database
work would otherwise push every later ack back; Slack needs each within 3 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    InputBlock,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticMultiSelectElement,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import ADMIN, Commands, Reply, SignupView
from bot.commands.grammar import Args
from bot.core import activity, curation, forms
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core
from bot.core.curation import TopicView
from bot.platforms.base import Message, PlatformError

from . import home, signup
from .client import SessionRespond
from .deliveries import Deliveries, delivery_key
from .dm import DmSignup
from .installs import community_of
from .platform import SlackPlatform, slack_failure, thread_ref
from .rendering import files_of, reply_message, upload
from .rights import Rights
from .text import mention, render

log = logging.getLogger(__name__)

# Longest that work behind an ack waits for the other requests' acks (then it runs anyway:
# a steady stream of requests must not starve it; a modal's trigger id lasts 3 s).
ACKS_FIRST_FOR = 0.5
INTAKE_CALLBACK = "intake"
INTAKE_FORMATS = (
    ("either", "Either"),
    ("sync", "Live (sync)"),
    ("async", "Over days (async)"),
)


def community(context: AsyncBoltContext) -> str:
    return community_of(context.team_id, context.enterprise_id, context.is_enterprise_install)


class Listeners:
    def __init__(
        self,
        core: Core,
        platform: SlackPlatform,
        rights: Rights,
        deliveries: Deliveries,
        *,
        session: aiohttp.ClientSession | None = None,
        work_limit: int = 4,
    ) -> None:
        self.core = core
        self.session = session
        self.deliveries = deliveries
        # SQLite has one writer: a few transactions at a time beat a crowd waiting on its lock.
        self._work = asyncio.Semaphore(work_limit)
        # A modal submission's answer is its ack (3 s): it never queues behind other work.
        self._modal_work = asyncio.Semaphore(work_limit)
        # Web API calls that cannot wait for the work (a loading modal): right after the ack, a
        # few at a time, not a crowd's worth at once on the loop that sends the other acks.
        # (Measured: before the acks-first wait, 8 at a time, beat after it, 32 at a time.)
        self._early = asyncio.Semaphore(8)
        self.platform = platform
        self.rights = rights
        self.commands = Commands(core, mention=mention)
        # Scope problems found while opening dialogues, told to the next moderator who asks.
        self.warnings: dict[str, list[str]] = {}
        self._known: set[str] = set()  # communities already set up in this process
        self._placeholders: dict[str, str] = {}  # trigger id -> its loading modal's view id
        self.dm = DmSignup(self)
        # Work still running after its ack: `drained()` waits for it (shutdown, tests).
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        # Requests inside bolt that have not been acknowledged yet (modal submissions aside).
        self._unacked = 0
        self._all_acked = asyncio.Event()
        self._all_acked.set()

    async def notice(self, community_id: str, text: str | None) -> None:
        if text is None:  # resolved: a private channel was made
            self.warnings.pop(community_id, None)
            return
        pending = self.warnings.setdefault(community_id, [])
        if text not in pending:
            pending.append(text)

    def register(
        self, app: AsyncApp, revocations: AsyncTokenRevocationListeners | None = None
    ) -> None:
        app.middleware(self._count_unacked)
        now, after = self._tracked, functools.partial(self._tracked, ack_first=False)
        modal = functools.partial(self._tracked, ack_first=False, modal=True)
        command = functools.partial(self._tracked, early=self._placeholder)
        app.command("/dialogue")(command(self.on_command))
        app.command("/dialogue-admin")(command(self.on_command))
        # A modal's answer (errors, the next page) is its acknowledgement: they ack themselves.
        app.view_submission(signup.CALLBACK)(modal(self.on_signup_submit))
        app.view_closed(signup.CALLBACK)(now(self.on_view_closed))
        app.view_submission(INTAKE_CALLBACK)(modal(self.on_intake_submit))
        app.action(home.ACTION_PATTERN)(now(self.on_home_action))
        app.action(re.compile(r"^dm:"))(now(self.on_dm_action))
        # Every other button carries a core custom id (bot/commands/buttons.py routes it).
        app.action(re.compile(r".+"))(now(self.on_button))
        # Events are acknowledged by bolt itself before their listener runs.
        app.event("app_home_opened")(after(self.on_home_opened))
        app.event("message")(after(self.on_message))
        if revocations is not None:
            # Bolt's own handlers (they delete from the installation store), tracked like ours
            # so that shutdown and tests wait for them.
            app.event("app_uninstalled")(after(revocations.handle_app_uninstalled_events))
            app.event("tokens_revoked")(after(revocations.handle_tokens_revoked_events))
        app.error(self.on_error)

    async def _count_unacked(self, body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        """Bolt returns from `next()` once the listener acked (its work runs on after)."""
        if body.get("type") == "view_submission":  # answered by its work: never waited for
            return await next()
        self._unacked += 1
        self._all_acked.clear()
        try:
            return await next()
        finally:
            self._unacked -= 1
            if self._unacked == 0:
                self._all_acked.set()

    async def _acks_first(self) -> None:
        if self._unacked:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_acked.wait(), ACKS_FIRST_FOR)

    def _tracked(
        self,
        listener: Callable[..., Awaitable[None]],
        *,
        ack_first: bool = True,
        modal: bool = False,
        early: Callable[[dict[str, Any], AsyncWebClient], Awaitable[None]] | None = None,
    ) -> Callable[..., Awaitable[None]]:
        """The listener behind the shared steps: ack first (unless it answers in its ack),
        `early` (what cannot wait its turn for the work), let the other acks go out, drop a
        delivery already handled, bound the work running at once, count it."""
        wanted = set(inspect.signature(listener).parameters)

        async def run(
            ack: AsyncAck,
            body: dict[str, Any],
            client: AsyncWebClient,
            context: AsyncBoltContext,
            respond: AsyncRespond,
            command: dict[str, Any],
            view: dict[str, Any],
            event: dict[str, Any],
        ) -> None:
            if respond is not None and self.session is not None:
                respond = SessionRespond(respond.response_url, self.session)
            given = locals()
            self._running += 1
            self._idle.clear()
            try:
                if ack_first:
                    await ack()
                if early is not None:  # at once: before the queue for work
                    async with self._early:
                        await early(body, client)
                if not modal:
                    await self._acks_first()
                async with self._modal_work if modal else self._work:
                    key = delivery_key(body)
                    if key is not None and not await self.deliveries.first_time(key):
                        log.info("slack: dropped a repeated delivery %s", key)
                        if not ack_first and "ack" in wanted:
                            await ack()
                        return
                    await listener(**{name: given[name] for name in wanted})
            except Exception as error:
                if ack.response is None:
                    raise  # not acknowledged yet: bolt answers the request with its error
                # Told here, not by bolt: bolt's runner, on a listener error, overwrites the
                # ack it has not yet polled for (every 10 ms) with no response, so a failure
                # that fast turned the acknowledged request into a 404 ("unhandled request").
                await self.on_error(error, body, respond)
            finally:
                self._running -= 1
                if self._running == 0:
                    self._idle.set()

        run.__name__ = listener.__name__
        return run

    async def _placeholder(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        """`/dialogue signup`: open a loading modal with the trigger id before the work waits
        its turn; the trigger expires 3 s after the command, which a crowd signing up at
        once would otherwise outlast. The work puts the form into it (`open_signup`)."""
        trigger = body.get("trigger_id")
        args = Args.of(body.get("text") or "")
        if body.get("command") != "/dialogue" or not trigger or not len(args):
            return
        if args[0].lower() != "signup" or trigger in self._placeholders:
            return  # a repeated delivery (Socket Mode) of a command already being answered
        self._placeholders[trigger] = ""  # claimed; the command's work pops it
        try:
            opened = await client.views_open(trigger_id=trigger, view=signup.LOADING)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            # Without it the work opens the form itself (or says why it cannot).
            log.info("slack: no loading modal: %s", error)
            return
        if trigger in self._placeholders:  # the work did not finish first
            self._placeholders[trigger] = opened["view"]["id"]

    async def drained(self) -> None:
        """Wait until no listener is still working (after its ack)."""
        await asyncio.sleep(0)  # let listeners bolt has just scheduled start first
        await self._idle.wait()

    async def on_error(self, error: Exception, body: dict[str, Any], respond: AsyncRespond) -> None:
        """A listener failed after its ack: tell the person, never leave them waiting."""
        if isinstance(error, PlatformError):
            # Slack refused something we asked (a scope, a deleted channel, rate limits).
            log.warning("slack: %s", error)
            text = f"Sorry, that did not work: {error}."
        else:
            log.error("slack: a listener failed", exc_info=error)
            text = "Sorry, something went wrong on our side; it has been logged. Try again."
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            try:
                await respond(text=render(text), response_type="ephemeral")
            except Exception:  # the answer channel itself is gone; the log has the error
                log.warning("slack: could not tell the person about the failure")

    async def actor(self, client: AsyncWebClient, context: AsyncBoltContext, user: str) -> Actor:
        where = community(context)
        if where not in self._known:
            # First contact with a workspace (or org) is its community's creation.
            await curation.setup_community(self.core, CommunityRef("slack", where), where)
            self._known.add(where)
        return await self.rights.actor(client, where, user)

    # --- slash commands ------------------------------------------------------------------

    async def on_command(
        self,
        command: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        respond: AsyncRespond,
    ) -> None:
        group = command["command"].lstrip("/")
        placeholder = self._placeholders.pop(command.get("trigger_id") or "", None) or None
        shown = "Sorry, something went wrong on our side. Try /dialogue signup again."
        try:
            actor = await self.actor(client, context, command["user_id"])
            text = command.get("text") or ""
            reply = await self.run_text(actor, group, text, key=command.get("trigger_id"))
            if group == ADMIN and reply.ok and "moderator" in text.lower():
                self.rights.forget()  # who moderates changed: ask Slack again
            if group == ADMIN and actor.is_moderator:
                reply = self._with_warnings(actor.community.external_id, reply)
            if isinstance(reply.view, SignupView) and reply.ok:
                await self.open_signup(
                    client, command["trigger_id"], actor, reply.view, respond, placeholder
                )
                placeholder = None
                return
            shown = reply.text
            await self.show(client, actor, reply, respond)
        finally:
            if placeholder is not None:  # no form to show: the modal says why, not "Loading"
                with contextlib.suppress(SlackApiError):
                    await client.views_update(
                        view_id=placeholder, view=signup.loading_modal(shown[:2900])
                    )

    async def run_text(self, actor: Actor, group: str, text: str, *, key: str | None) -> Reply:
        args = Args.of(text)
        name = args[0].lower() if len(args) else ""
        if group == ADMIN and name == "round" and args.rest(1).strip().lower() == "run":
            # The request's own id makes the run idempotent even past our retry filter.
            return await self.commands.run(actor, ADMIN, "round", action="run", key=key)
        return await self.commands.text_of(actor, group, text)

    def _with_warnings(self, community_id: str, reply: Reply) -> Reply:
        pending = self.warnings.get(community_id)
        if not pending:
            return reply
        note = "\n".join(f"Warning: {w}" for w in pending)
        return dataclasses.replace(reply, text=f"{reply.text}\n\n{note}")

    async def show(
        self,
        client: AsyncWebClient,
        actor: Actor,
        reply: Reply,
        respond: AsyncRespond | None,
    ) -> None:
        """The reply to the person: ephemeral text (with its buttons), files in their DM."""
        message = reply_message(reply)
        if respond is not None:
            await respond(**message)
        else:
            await self.platform.send_direct(
                actor.community.external_id, actor.user_id, _as_message(reply)
            )
        problem = await upload(client, actor.user_id, files_of(reply), "Your files:")
        if problem and respond is not None:
            await respond(text=render(problem), response_type="ephemeral")

    # --- the signup modal ----------------------------------------------------------------

    async def open_signup(
        self,
        client: AsyncWebClient,
        trigger_id: str,
        actor: Actor,
        view: SignupView,
        respond: AsyncRespond | None = None,
        placeholder: str | None = None,
    ) -> None:
        """The form, into the loading modal `placeholder` if one was opened, else opened."""
        person = await self.rights.person(client, actor.community.external_id, actor.user_id)
        page = signup.resume_page(view.form, view.claims)
        modal = signup.modal(view.form, view.topics, view.claims, page, tz_hint=person.tz)
        try:
            if placeholder is not None:
                await client.views_update(view_id=placeholder, view=modal)
            else:
                await client.views_open(trigger_id=trigger_id, view=modal)
        except SlackApiError as error:
            problem = str(slack_failure(error, "open the signup form"))
            if respond is not None:
                await respond(text=f"Sorry, I {problem[4:]}. Try /dialogue signup again.")

    async def on_signup_submit(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        actor = await self.actor(client, context, body["user"]["id"])
        number = int(view.get("private_metadata") or 0)
        topics, claims = await self._choices(actor)
        count = signup.page_count(claims)
        number = min(number, count - 1)
        last = number == count - 1
        state = view.get("state", {}).get("values", {})
        try:
            answers = signup.answers(state, number, claims, last=last)
        except signup.AnswerError as error:
            await ack(response_action="errors", errors={error.block_id: error.message})
            return
        reply = await self.commands.submit_form(actor, answers)
        if not reply.ok:
            block = signup.error_block(reply.field, number, claims)
            await ack(response_action="errors", errors={block: reply.text[:300]})
            return
        form = reply.view
        assert isinstance(form, forms.FormView)
        if number == 0 and not last and form.missing:
            # Everything the pool needs is on the first page: say what is missing there.
            field, message = form.missing[0]
            block = signup.error_block(field, 0, claims)
            await ack(response_action="errors", errors={block: message})
            return
        if not last:
            await ack(
                response_action="update",
                view=signup.modal(form, topics, claims, number + 1),
            )
            return
        await ack(response_action="clear")
        await self.platform.send_direct(
            actor.community.external_id, actor.user_id, _as_message(reply)
        )
        await home.publish(self, client, actor)

    async def on_view_closed(self) -> None:
        # Every page is saved when it is submitted; closing loses only the open page.
        return

    async def _choices(self, actor: Actor) -> tuple[tuple[TopicView, ...], tuple[Any, ...]]:
        listed = await curation.list_topics(self.core, curation.ListTopics(actor))
        claims = await curation.list_claims(self.core, curation.ListClaims(actor))
        return tuple(t for t in listed if t.status == "active"), tuple(claims)

    # --- buttons -------------------------------------------------------------------------

    async def on_button(
        self,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        respond: AsyncRespond,
    ) -> None:
        action = body["actions"][0]
        custom_id = action.get("value") or action["action_id"]
        actor = await self.actor(client, context, body["user"]["id"])
        reply = await self.commands.press(actor, custom_id)
        if reply.ok and isinstance(reply.view, tuple) and "trigger_id" in body:
            # The intake button opens the short topic/format form.
            await client.views_open(
                trigger_id=body["trigger_id"], view=intake_modal(custom_id, reply.view)
            )
            return
        await self.show(client, actor, reply, respond if body.get("response_url") else None)

    async def on_intake_submit(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        actor = await self.actor(client, context, body["user"]["id"])
        state = view.get("state", {}).get("values", {})
        values = {
            "topics": signup.value_of(state, "topics") or [],
            "format": signup.value_of(state, "format") or "either",
            "notes": signup.value_of(state, "notes") or "",
        }
        looking_for = signup.value_of(state, "looking_for")
        if looking_for:  # unticked: what the member's form says
            values["looking_for"] = looking_for
        reply = await self.commands.press(actor, view["private_metadata"], values)
        if not reply.ok:
            fields = ("topics", "format", "looking_for", "notes")
            block = reply.field if reply.field in fields else "notes"
            await ack(response_action="errors", errors={block: reply.text[:300]})
            return
        await ack(response_action="clear")
        await self.platform.send_direct(
            actor.community.external_id, actor.user_id, _as_message(reply)
        )

    async def on_home_action(
        self,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        actor = await self.actor(client, context, body["user"]["id"])
        await home.act(self, client, actor, body["actions"][0]["action_id"], body)

    # --- events --------------------------------------------------------------------------

    async def on_home_opened(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        if event.get("tab") not in (None, "home"):
            return
        actor = await self.actor(client, context, event["user"])
        await home.publish(self, client, actor)

    async def on_dm_action(
        self, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        actor = await self.actor(client, context, body["user"]["id"])
        channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
        await self.dm.on_action(client, actor, channel, body["actions"][0])

    async def on_message(
        self, event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        user = event.get("user")
        if not user or event.get("bot_id") or event.get("subtype") not in (None, "file_share"):
            return  # the bot's own posts, joins, edits: not a member writing
        if event.get("channel_type") == "im":
            actor = await self.actor(client, context, user)
            await self.dm.on_text(client, actor, event["channel"], event.get("text") or "")
            return
        at = datetime.fromtimestamp(float(event["ts"]), UTC)
        where = community(context)
        await activity.record_message(
            self.core,
            CommunityRef("slack", where),
            thread_ref(where, event["channel"]),
            user,
            at,
        )


def intake_modal(custom_id: str, topics: tuple[TopicView, ...]) -> View:
    pairs = [(t.slug, t.name[:75]) for t in topics][:100]
    blocks: list[Any] = []
    if pairs:
        blocks.append(
            InputBlock(
                block_id="topics",
                label="Topics for this dialogue",
                optional=True,
                element=StaticMultiSelectElement(
                    action_id=signup.ACTION, options=signup.options(pairs)
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id="format",
            label="Format",
            element=RadioButtonsElement(
                action_id=signup.ACTION,
                options=signup.options(INTAKE_FORMATS),
                initial_option=signup.initial(INTAKE_FORMATS, "either"),
            ),
        ),
        signup.looking_for_block((), optional=True),
        InputBlock(
            block_id="notes",
            label="Anything your partner should know",
            optional=True,
            element=PlainTextInputElement(action_id=signup.ACTION, multiline=True, max_length=500),
        ),
    ]
    return View(
        type="modal",
        callback_id=INTAKE_CALLBACK,
        private_metadata=custom_id,
        title="Your dialogue",
        submit="Send",
        close="Later",
        blocks=blocks,
    )


def _as_message(reply: Reply) -> Message:
    return Message(reply.text, reply.buttons)
