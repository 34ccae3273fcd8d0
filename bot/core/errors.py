"""Errors a person can cause. Each carries a message written for that person.

Adapters catch `DomainError` and answer it to the sender (ephemeral on Discord,
`response_action: errors` on Slack modals); anything else is a bug and crashes loudly.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base: `str(error)` is the message to show the person who sent the command."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The form field at fault, so a modal can show the error beside it.
        self.field = field


class NotFound(DomainError):
    """Unknown community, member, topic, claim, dialogue…"""


class BadInput(DomainError):
    """A value out of range, too long, too many, malformed."""


class Forbidden(DomainError):
    """The actor may not do this (not a moderator, another community's data)."""


class Conflict(DomainError):
    """The request is valid but the current state refuses it (form locked, already paired…)."""


BUSY_MESSAGE = "The bot is busy right now and could not save that; please try again in a moment."


class Busy(DomainError):
    """The database stayed in conflict with other requests after the unit of work's retries
    (SQLite busy, PostgreSQL serialization failure or deadlock). Nothing of this request was
    stored; sending it again is safe."""

    def __init__(self, message: str = BUSY_MESSAGE) -> None:
        super().__init__(message)
