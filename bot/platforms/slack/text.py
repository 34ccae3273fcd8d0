"""Member-written text made safe for Slack's mrkdwn: nothing in it can ping or format.

Slack parses `<…>` as control sequences (`<!channel>`, `<!here>`, `<!subteam^S1>`, `<@U1>`,
`<https://x|label>`), and documents that `&`, `<` and `>` must be sent as `&amp;`, `&lt;` and
`&gt;` to appear literally. Escaping those three is the whole defence; we also send every
message with `link_names=False` so plain `@here` is never turned into a mention.
"""

from __future__ import annotations


def escape(text: str) -> str:
    """Text shown exactly as written: `<!channel>` arrives as the characters, not a ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    """A mention the bot itself writes (user ids come from Slack, never from member text)."""
    return f"<@{escape(user_id)}>"
