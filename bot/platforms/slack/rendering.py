"""A `Reply` from the command layer shown on Slack: escaped text, buttons, files."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.charts import pool_chart_png
from bot.commands.reply import File, Reply
from bot.core.stats import PoolStats

from .blockkit import SECTION_LIMIT, message_blocks
from .platform import slack_failure
from .text import escape, render

log = logging.getLogger(__name__)


def reply_blocks(reply: Reply) -> list[Block]:
    return message_blocks(render(reply.text), reply.buttons)


def reply_message(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for `respond()` / `chat.postMessage`."""
    return {
        "text": render(reply.text)[:SECTION_LIMIT],
        "blocks": [b.to_dict() for b in reply_blocks(reply)],
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
    }


def files_of(reply: Reply) -> tuple[File, ...]:
    """The reply's files, with the pool chart added to `/dialogue-admin pool`."""
    files = reply.files
    if isinstance(reply.view, PoolStats):
        files = (*files, File("pool.png", pool_chart_png(reply.view), "image/png"))
    return files


async def upload(
    client: AsyncWebClient, user_id: str, files: tuple[File, ...], comment: str
) -> str | None:
    """Files go to the person's DM with the app (a slash command's reply is ephemeral and
    cannot carry files). Returns a sentence for the person if it failed."""
    if not files:
        return None
    try:
        opened = await client.conversations_open(users=user_id)
        await client.files_upload_v2(
            channel=opened["channel"]["id"],
            initial_comment=escape(comment),
            file_uploads=[
                {"filename": f.name, "content": f.content, "title": f.name} for f in files
            ],
        )
    except SlackApiError as error:
        problem = str(slack_failure(error, "upload the files"))
        log.warning("slack: %s", problem)
        return problem[0].upper() + problem[1:] + "."
    return None
