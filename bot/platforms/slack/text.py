"""Member-written text made safe for Slack's mrkdwn: nothing in it can ping or format.

Slack parses `<…>` as control sequences (`<!channel>`, `<!here>`, `<!subteam^S1>`, `<@U1>`,
`<https://x|label>`), and documents that `&`, `<` and `>` must be sent as `&amp;`, `&lt;` and
`&gt;` to appear literally. Escaping those three is the whole defence; every message also goes
out with `link_names=False`, so a plain `@here` is never turned into a mention.

Mentions the bot itself writes (`Commands(mention=...)`) travel through the text as
placeholders holding a per-process secret: they survive `escape` and become real `<@U…>`
after it, and nothing a member typed can imitate them.
"""

from __future__ import annotations

import re
import secrets

_SECRET = secrets.token_hex(8)
_PLACEHOLDER = re.compile(f"\x00{_SECRET}@([A-Z0-9]{{2,30}})\x00")
_USER_ID = re.compile(r"[A-Z0-9]{2,30}")


def escape(text: str) -> str:
    """Text shown exactly as written: `<!channel>` arrives as the characters, not a ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str) -> str:
    """A mention the bot writes into a reply; `render` turns it into `<@U…>`."""
    if _USER_ID.fullmatch(user_id):
        return f"\x00{_SECRET}@{user_id}\x00"
    return f"@{user_id}"  # not a Slack user id: shown as typed, escaped


def render(text: str) -> str:
    """Escaped mrkdwn with the bot's own mentions restored."""
    out, last = [], 0
    for found in _PLACEHOLDER.finditer(text):
        out.append(escape(text[last : found.start()]))
        out.append(f"<@{found.group(1)}>")
        last = found.end()
    out.append(escape(text[last:]))
    return "".join(out)
