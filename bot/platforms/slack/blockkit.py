"""Text and buttons as Block Kit: mrkdwn sections (≤3000 characters each) and one actions
block whose buttons carry the core's custom ids as action ids."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from bot.platforms.base import Button

SECTION_LIMIT = 3000  # characters of one section block's text
MAX_SECTIONS = 45  # a message holds 50 blocks
MAX_BUTTONS = 25


def chunks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split at line ends where possible, and never inside an escape such as `&amp;`."""
    if not text:
        return [" "]
    out = []
    while text:
        if len(text) <= limit:
            out.append(text)
            break
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        amp = text.rfind("&", max(0, cut - 5), cut)
        if amp > 0 and ";" not in text[amp:cut]:
            cut = amp
        out.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return out


def message_blocks(mrkdwn: str, buttons: Sequence[Button] = ()) -> list[Block]:
    """`mrkdwn` must already be escaped (see `text.escape`)."""
    blocks: list[Block] = [
        # verbatim: Slack must not turn bare URLs or channel names into links by itself.
        SectionBlock(text={"type": "mrkdwn", "text": chunk, "verbatim": True})
        for chunk in chunks(mrkdwn)[:MAX_SECTIONS]
    ]
    if buttons:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text=b.label[:75], action_id=b.custom_id, value=b.custom_id)
                    for b in buttons[:MAX_BUTTONS]
                ]
            )
        )
    return blocks
