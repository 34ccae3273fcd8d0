"""The platform-neutral command layer: what every sub-command, form and button does.

Adapters (local, Discord, Slack) turn their payload into arguments for `Commands` and render
the `Reply` they get back; none of them re-implements a sub-command.
"""

from .dispatch import Commands, plain_mention
from .grammar import Args, UsageError, tokens, unquote, user_id_of
from .reply import File, Reply, SignupView
from .table import ADMIN, MEMBER, TABLE, SubCommand

__all__ = [
    "ADMIN",
    "MEMBER",
    "TABLE",
    "Args",
    "Commands",
    "File",
    "Reply",
    "SignupView",
    "SubCommand",
    "UsageError",
    "plain_mention",
    "tokens",
    "unquote",
    "user_id_of",
]
