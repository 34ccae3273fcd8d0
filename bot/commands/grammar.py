"""The text grammar of slash commands, shared by the local platform and Slack (whose slash
commands arrive as text): words, quotes, and the ways people write a mention."""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»"}
_MENTION = re.compile(r"^<@!?([^>|]+)(?:\|[^>]*)?>$")  # <@123>, <@!123>, Slack <@U1|name>


class UsageError(Exception):
    """The command was not understood: answered with its usage line, never raised out."""

    def __init__(self, usage: str) -> None:
        super().__init__(usage)
        self.usage = usage


@dataclass(frozen=True, slots=True)
class Token:
    value: str  # quotes removed
    start: int  # offset in the command text, so free text can be taken verbatim


def tokens(text: str) -> list[Token]:
    """Split on whitespace outside double quotes. An unclosed quote runs to the end of the
    text rather than failing: people type carelessly. Apostrophes are just letters."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, chars = i, []
        while i < n and not text[i].isspace():
            close = _QUOTES.get(text[i])
            if close is None:
                chars.append(text[i])
                i += 1
                continue
            end = text.find(close, i + 1)
            end = n if end < 0 else end
            chars.append(text[i + 1 : end])
            i = end + 1
        out.append(Token("".join(chars), start))
    return out


def unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def user_id_of(word: str) -> str:
    """'@alice', '<@alice>', '<@!123>', '<@U1|alice>' or a bare id -> the user id."""
    word = word.strip()
    found = _MENTION.match(word)
    if found:
        return found.group(1)
    return word.removeprefix("@")


@dataclass(frozen=True, slots=True)
class Args:
    """The words after a (sub)command, and the raw text from each word on."""

    text: str
    words: list[Token]

    @classmethod
    def of(cls, text: str) -> Args:
        return cls(text, tokens(text))

    def __len__(self) -> int:
        return len(self.words)

    def __getitem__(self, index: int) -> str:
        return self.words[index].value

    def rest(self, index: int) -> str:
        """Everything from word `index` on, verbatim (quotes inside kept, outer ones off)."""
        if index >= len(self.words):
            return ""
        return unquote(self.text[self.words[index].start :])

    def shift(self) -> Args:
        return Args(self.text, self.words[1:])

    def none(self, usage: str) -> None:
        """The sub-command takes no arguments."""
        if self.words:
            raise UsageError(usage)

    def one_user(self, usage: str) -> str:
        if len(self.words) != 1 or not user_id_of(self[0]):
            raise UsageError(usage)
        return user_id_of(self[0])
