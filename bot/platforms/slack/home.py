"""The App Home tab: the member's status and profile, with buttons to sign up or edit,
pause or resume, and leave. Each button runs the same sub-command as its slash command."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    DividerBlock,
    HeaderBlock,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import MEMBER, SignupView
from bot.core.actor import Actor
from bot.core.status import MemberStatusView

from .blockkit import message_blocks
from .text import render

if TYPE_CHECKING:
    from .listeners import Listeners

log = logging.getLogger(__name__)

ACTION_PATTERN = re.compile(r"^home:")
SUBCOMMAND = {"home:pause": "pause", "home:resume": "resume", "home:leave": "leave"}


async def view_for(listeners: Listeners, actor: Actor) -> View:
    status = await listeners.commands.text_of(actor, MEMBER, "status")
    profile = await listeners.commands.text_of(actor, MEMBER, "profile")
    signed_up = profile.ok
    blocks: list[Block] = [HeaderBlock(text="Dialogue Matchmaker")]
    if signed_up:
        blocks += message_blocks(render(status.text))
        blocks.append(DividerBlock())
        blocks += message_blocks(render(profile.text))
    else:
        blocks += message_blocks(
            "Sign up to be paired for one-to-one dialogues with people who share your "
            "topics and see them differently."
        )
    buttons = [
        ButtonElement(
            text="Edit my answers" if signed_up else "Sign up",
            action_id="home:signup",
            style="primary",
        )
    ]
    buttons.append(ButtonElement(text="Answer in DMs instead", action_id="home:dm"))
    if signed_up:
        paused = isinstance(status.view, MemberStatusView) and status.view.status == "paused"
        buttons.append(
            ButtonElement(text="Resume", action_id="home:resume")
            if paused
            else ButtonElement(text="Pause", action_id="home:pause")
        )
        buttons.append(
            ButtonElement(
                text="Leave and delete my data",
                action_id="home:leave",
                style="danger",
                confirm=ConfirmObject(
                    title="Leave the pool?",
                    text="Your answers, wants and blocks in this workspace are deleted.",
                    confirm="Leave",
                    deny="Stay",
                ),
            )
        )
    blocks.append(ActionsBlock(elements=buttons))
    warnings = listeners.warnings.get(actor.community.external_id)
    if actor.is_moderator and warnings:
        blocks.append(DividerBlock())
        blocks += message_blocks(render("For moderators:\n" + "\n".join(warnings)))
    return View(type="home", blocks=blocks)


async def publish(listeners: Listeners, client: AsyncWebClient, actor: Actor) -> None:
    try:
        await client.views_publish(user_id=actor.user_id, view=await view_for(listeners, actor))
    except SlackApiError as error:
        # The home tab is a convenience; a failure here must not undo what was done.
        log.warning("slack: could not publish the home tab: %s", error.response.get("error"))


async def act(
    listeners: Listeners,
    client: AsyncWebClient,
    actor: Actor,
    action_id: str,
    body: dict[str, Any],
) -> None:
    if action_id == "home:signup":
        reply = await listeners.commands.text_of(actor, MEMBER, "signup")
        if isinstance(reply.view, SignupView):
            await listeners.open_signup(client, body["trigger_id"], actor, reply.view)
        return
    if action_id == "home:dm":
        opened = await client.conversations_open(users=actor.user_id)
        await listeners.dm.ask(client, actor, opened["channel"]["id"])
        return
    name = SUBCOMMAND.get(action_id)
    if name is None:
        return
    reply = await listeners.commands.text_of(actor, MEMBER, name)
    await listeners.show(client, actor, reply, None)
    await publish(listeners, client, actor)
