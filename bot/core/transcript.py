"""A dialogue's messages as Markdown in the form of a LessWrong dialogue: a title, the
participants, a speaker heading whenever the speaker changes, messages in order, the bot's own
prompts left out and attachments as links."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any


def _attachment_link(attachment: Any) -> str:
    url = getattr(attachment, "url", None) or str(attachment)
    name = getattr(attachment, "name", None) or getattr(attachment, "filename", None)
    return f"[{name or url}]({url})"


def lesswrong_markdown(
    title: str,
    participants: Sequence[tuple[str, str]],
    messages: Iterable[Any],
    *,
    opened_at: datetime | None = None,
) -> str:
    """`participants` are (user id, display name) in the dialogue's order; `messages` are the
    platform's `ThreadMessage`s (author_id, text, sent_at, is_bot, attachments), any order:
    they are sorted by time, a tie keeping the platform's order."""
    names: Mapping[str, str] = {uid: name or uid for uid, name in participants}
    lines = [f"# {title}", ""]
    lines.append("*A dialogue between " + " and ".join(names.values()) + "*")
    if opened_at is not None:
        lines.append(f"*{opened_at:%d %B %Y}*")
    ordered = sorted(enumerate(messages), key=lambda item: (item[1].sent_at, item[0]))
    speaker: str | None = None
    for _, message in ordered:
        if message.is_bot or message.author_id not in names:
            continue  # the bot's prompts, and anyone who is not a participant
        body = (message.text or "").strip()
        links = [_attachment_link(a) for a in (message.attachments or ())]
        if not body and not links:
            continue
        if message.author_id != speaker:
            speaker = message.author_id
            lines += ["", f"## {names[speaker]}"]
        lines.append("")
        if body:
            lines.append(body)
        for link in links:
            lines.append(f"- {link}")
    return "\n".join(lines) + "\n"
