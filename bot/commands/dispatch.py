"""The command layer's front door: an adapter hands it who acted and what they sent."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from bot import replies
from bot.core import forms
from bot.core.actor import Actor
from bot.core.app import Core
from bot.core.errors import DomainError

from . import answers, buttons
from .grammar import Args, UsageError
from .reply import Reply
from .table import ADMIN, MEMBER, TABLE, Context, SubCommand, usages

GROUPS = (MEMBER, ADMIN)


@functools.cache
def _options(handler: Callable[..., Any]) -> tuple[frozenset[str], frozenset[str], bool]:
    """The keyword options `handler(ctx, actor, **options)` accepts, those it requires, and
    whether it takes any (**kwargs). Read once per handler: inspect.signature(...).bind on
    every call was a few percent of a crowd's CPU per interaction (bench/bench_discord.py)."""
    accepted: set[str] = set()
    required: set[str] = set()
    takes_any = False
    for parameter in list(inspect.signature(handler).parameters.values())[2:]:
        if parameter.kind is parameter.VAR_KEYWORD:
            takes_any = True
        elif parameter.kind is parameter.POSITIONAL_ONLY:
            required.add(f"{parameter.name} (positional)")  # never given by keyword
        elif parameter.kind is not parameter.VAR_POSITIONAL:
            accepted.add(parameter.name)
            if parameter.default is parameter.empty:
                required.add(parameter.name)
    return frozenset(accepted), frozenset(required), takes_any


def plain_mention(user_id: str) -> str:
    return f"@{user_id}"


class Commands:
    """Every sub-command, form and button of the bot, for one platform's adapter."""

    def __init__(self, core: Core, mention: Callable[[str], str] = plain_mention) -> None:
        self.ctx = Context(core, mention)

    @staticmethod
    def lookup(group: str, name: str) -> SubCommand | None:
        return TABLE.get((group, name.lower()))

    async def text(self, actor: Actor, text: str) -> Reply:
        """A slash command exactly as typed: '/dialogue want @bob', 'dialogue-admin pool'."""
        args = Args.of(text)
        group = args[0].lstrip("/").lower() if len(args) else ""
        if group not in GROUPS:
            both = replies.usage([*usages(MEMBER), *usages(ADMIN)])
            return Reply(False, f"Unknown command.\n{both}")
        return await self.text_of(actor, group, args.rest(1))

    async def text_of(self, actor: Actor, group: str, text: str) -> Reply:
        """The words after the command name, as Slack delivers them (`text` of /dialogue)."""
        args = Args.of(text)
        name = args[0].lower() if len(args) else ""
        entry = self.lookup(group, name)
        if entry is None:
            if name in ("", "help"):
                return Reply(True, replies.usage(usages(group)))
            return Reply(False, f"Unknown command {name!r}.\n{replies.usage(usages(group))}")
        try:
            kwargs = entry.parse(args.shift(), entry.usage)
        except UsageError as error:
            return Reply(False, replies.usage([error.usage]))
        except DomainError as error:
            return Reply(False, error.message, field=error.field)
        return await self._run(entry, actor, kwargs)

    async def run(self, actor: Actor, group: str, name: str, /, **options: Any) -> Reply:
        """A sub-command with typed options (Discord), by the handler's keyword names."""
        entry = self.lookup(group, name)
        if entry is None:
            return Reply(False, f"Unknown command {name!r}.\n{replies.usage(usages(group))}")
        given = {k: v for k, v in options.items() if v is not None}
        # A hand-made interaction may lack a required option or add an unknown one.
        accepted, required, takes_any = _options(entry.run)
        if not required <= given.keys() or not (takes_any or given.keys() <= accepted):
            return Reply(False, replies.usage([entry.usage]))
        return await self._run(entry, actor, given)

    async def _run(self, entry: SubCommand, actor: Actor, kwargs: Mapping[str, Any]) -> Reply:
        try:
            if entry.group == ADMIN:
                # Like Discord's default_member_permissions: the whole group is closed to
                # members. The core checks every moderator action again on its side.
                actor.require_moderator()
            return await entry.run(self.ctx, actor, **kwargs)
        except UsageError as error:
            return Reply(False, replies.usage([error.usage]))
        except DomainError as error:
            return Reply(False, error.message, field=error.field)

    async def submit_form(self, actor: Actor, form_answers: Mapping[str, Any]) -> Reply:
        """A form submission (Discord modal, Slack view): save the answers, submit if asked."""
        try:
            save, submit = answers.save_answers(actor, form_answers)
            # One transaction: invalid answers store nothing (raised); valid ones are kept,
            # as a draft, even when submit is refused (partial progress is kept by design).
            result = await forms.submit_answers(self.ctx.core, forms.SubmitAnswers(save, submit))
        except DomainError as error:
            return Reply(False, error.message, field=error.field)
        if result.refused is not None:
            refused = result.refused
            return Reply(
                False,
                f"Your answers are saved, but: {refused.message}",
                field=refused.field,
                view=result.form,
            )
        return Reply(True, replies.answers_saved(result.form), view=result.form)

    async def press(
        self, actor: Actor, custom_id: str, values: Mapping[str, Any] | None = None
    ) -> Reply:
        """A button press; `values` carries the inputs of the form the button opened."""
        found = buttons.find(custom_id)
        if found is None:
            return Reply(False, "Sorry, that button no longer does anything. Try /dialogue status.")
        route, data = found
        try:
            return await route.handle(self.ctx, actor, data, values)
        except DomainError as error:
            return Reply(False, error.message, field=error.field)
