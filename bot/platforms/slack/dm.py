"""The DM signup: the form's questions one message at a time in the app's DM.

Where the member is lives in the database (the form's `step`, saved with every answer), not
in memory, so after a restart the next message they write picks up at the same question.
Choices are buttons and select menus (action ids `dm:…`); free text (availability, about)
is the member's next message.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    Option,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import replies
from bot.commands import MEMBER, SignupView
from bot.core.actor import Actor
from bot.core.forms import FORM_STEPS

from . import signup
from .text import escape, render

if TYPE_CHECKING:
    from .listeners import Listeners

log = logging.getLogger(__name__)

START_WORDS = frozenset({"signup", "sign up", "start", "hi", "hello", "resume", "continue"})
NEXT = dict(itertools.pairwise(FORM_STEPS))
CHOICES = {
    "appetite": signup.APPETITES,
    "publish": signup.PUBLISH,
    "browse": signup.BROWSE,
    "participation": signup.PARTICIPATION,
}
ANSWER_KEY = {
    "appetite": "appetite",
    "publish": "publish_ok",
    "browse": "show_in_browse",
    "participation": "participation",
}


def _next(step: str) -> ButtonElement:
    return ButtonElement(text="Next", action_id=f"dm:next:{step}", style="primary")


def step_blocks(view: SignupView, step: str) -> tuple[str, list[Block]]:
    """The message that asks `step` (text for notifications, blocks to show)."""
    form = view.form
    if step == "topics":
        pairs = [(t.slug, t.name[:75]) for t in view.topics][:100]
        initial = [Option(value=v, label=lbl) for v, lbl in pairs if v in form.topics]
        text = "Which topics would you like to talk about? (up to 10)"
        elements: list[Any] = []
        if pairs:
            elements.append(
                StaticMultiSelectElement(
                    action_id="dm:topics",
                    placeholder="Topics",
                    options=signup.options(pairs),
                    initial_options=initial or None,
                    max_selected_items=10,
                )
            )
        return text, [SectionBlock(text=text), ActionsBlock(elements=[*elements, _next(step)])]
    if step == "stances":
        text = "How much do you agree? −2 strongly disagree … +2 strongly agree, or skip."
        blocks: list[Block] = [SectionBlock(text=text)]
        for claim in view.claims[:20]:
            current = form.stances.get(claim.id)
            blocks.append(SectionBlock(text={"type": "mrkdwn", "text": escape(claim.text)}))
            blocks.append(
                ActionsBlock(
                    elements=[
                        StaticSelectElement(
                            action_id=f"dm:stance:{claim.id}",
                            placeholder="Your stance",
                            options=signup.options(signup.STANCES),
                            initial_option=signup.initial(
                                signup.STANCES, None if current is None else str(current)
                            ),
                        )
                    ]
                )
            )
        blocks.append(ActionsBlock(elements=[_next(step)]))
        return text, blocks
    if step == "format":
        text = (
            "Live (find a 1–3 h block and talk) and over days (reply when convenient): "
            f"how do you rate each? Now: live {form.format_sync}, over days {form.format_async}."
        )
        rows: list[Block] = [SectionBlock(text=text)]
        for key, label in (("sync", "Live"), ("async", "Over days")):
            rows.append(
                ActionsBlock(
                    elements=[
                        ButtonElement(text=f"{label}: {value}", action_id=f"dm:set:{key}:{value}")
                        for value, _ in signup.FORMAT_RATINGS
                    ]
                )
            )
        rows.append(ActionsBlock(elements=[_next(step)]))
        return text, rows
    if step == "looking_for":
        text = f"{signup.LOOKING_FOR_QUESTION} Tick any."
        element = CheckboxesElement(
            action_id="dm:looking",
            options=signup.options(signup.LOOKING_FOR),
            initial_options=[
                Option(value=v, label=lbl) for v, lbl in signup.LOOKING_FOR if v in form.looking_for
            ]
            or None,
        )
        return text, [SectionBlock(text=text), ActionsBlock(elements=[element, _next(step)])]
    if step == "availability":
        text = (
            f"Your timezone is {form.timezone}. When are you free each week for live "
            "dialogues? Reply with windows like `mon 18:00-21:00, sat 10-12`, or `none`."
        )
        return text, [SectionBlock(text=text)]
    if step == "about":
        text = (
            "What would you like to talk about? Your partner sees it. Reply with a few "
            "sentences, or `skip`."
        )
        return text, [SectionBlock(text=text)]
    if step in CHOICES:
        questions = {
            "appetite": "How much disagreement do you want in a dialogue?",
            "publish": "Would you be willing to publish the dialogue afterwards?",
            "browse": signup.BROWSE_QUESTION,
            "participation": "Take part in every round, or one round only?",
        }
        text = questions[step]
        buttons = [
            ButtonElement(text=label, action_id=f"dm:choose:{step}:{value}")
            for value, label in CHOICES[step]
        ]
        return text, [SectionBlock(text=text), ActionsBlock(elements=buttons)]
    summary = replies.form_summary(form, view.claims)
    text = "Here is your form. Submit it to enter the pool."
    return text, [
        SectionBlock(text={"type": "mrkdwn", "text": render(f"{text}\n\n{summary}")[:2900]}),
        ActionsBlock(
            elements=[ButtonElement(text="Submit", action_id="dm:submit", style="primary")]
        ),
    ]


class DmSignup:
    def __init__(self, listeners: Listeners) -> None:
        self.listeners = listeners

    async def _view(self, actor: Actor) -> SignupView | None:
        reply = await self.listeners.commands.text_of(actor, MEMBER, "signup")
        return reply.view if isinstance(reply.view, SignupView) else None

    async def ask(self, client: AsyncWebClient, actor: Actor, channel: str) -> None:
        """Ask the question the member is at (the form's saved step)."""
        view = await self._view(actor)
        if view is None:
            return
        step = view.form.step if view.form.step in FORM_STEPS else "topics"
        if view.form.status == "complete":
            step = "review"
        text, blocks = step_blocks(view, step)
        await _post(client, channel, text, blocks)

    async def on_text(self, client: AsyncWebClient, actor: Actor, channel: str, text: str) -> None:
        word = text.strip().lower()
        view = await self._view(actor)
        if view is None:
            return
        step = view.form.step
        if (
            word in START_WORDS
            or view.form.status == "complete"
            or step
            not in (
                "availability",
                "about",
            )
        ):
            await self.ask(client, actor, channel)
            return
        answers: dict[str, Any]
        if step == "availability":
            try:
                windows = [] if word in ("none", "-") else signup.parse_windows(text)
            except signup.AnswerError as error:
                await _post(client, channel, error.message, [SectionBlock(text=error.message)])
                return
            answers = {"availability": windows}
        else:
            answers = {"about": "" if word == "skip" else text}
        await self._save(client, actor, channel, {**answers, "step": NEXT[step]})

    async def on_action(
        self,
        client: AsyncWebClient,
        actor: Actor,
        channel: str,
        action: dict[str, Any],
    ) -> None:
        parts = action["action_id"].split(":")
        kind = parts[1]
        if kind == "topics":
            chosen = [o["value"] for o in action.get("selected_options") or []]
            await self._save(client, actor, channel, {"topics": chosen}, quiet=True)
        elif kind == "looking":
            chosen = [o["value"] for o in action.get("selected_options") or []]
            await self._save(client, actor, channel, {"looking_for": chosen}, quiet=True)
        elif kind == "stance":
            value = (action.get("selected_option") or {}).get("value")
            stance = None if value in (None, "skip") else int(value)
            await self._save(client, actor, channel, {"stances": {parts[2]: stance}}, quiet=True)
        elif kind == "set":
            await self._save(client, actor, channel, {parts[2]: parts[3]}, quiet=True)
        elif kind == "next":
            await self._save(client, actor, channel, {"step": NEXT.get(parts[2], "review")})
        elif kind == "choose":
            step, value = parts[2], parts[3]
            # Passed as pressed: the core reads "yes"/"no" for the yes/no questions and
            # refuses a forged value with a reply, instead of it being stored as "no".
            await self._save(client, actor, channel, {ANSWER_KEY[step]: value, "step": NEXT[step]})
        elif kind == "submit":
            reply = await self.listeners.commands.submit_form(actor, {"submit": True})
            await _post(
                client,
                channel,
                render(reply.text),
                [SectionBlock(text={"type": "mrkdwn", "text": render(reply.text)[:2900]})],
            )
            if not reply.ok:
                await self.ask(client, actor, channel)

    async def _save(
        self,
        client: AsyncWebClient,
        actor: Actor,
        channel: str,
        answers: dict[str, Any],
        *,
        quiet: bool = False,
    ) -> None:
        reply = await self.listeners.commands.submit_form(actor, answers)
        if not reply.ok:
            await _post(
                client,
                channel,
                render(reply.text),
                [SectionBlock(text={"type": "mrkdwn", "text": render(reply.text)[:2900]})],
            )
            return
        if not quiet:
            await self.ask(client, actor, channel)


async def _post(client: AsyncWebClient, channel: str, text: str, blocks: Sequence[Block]) -> None:
    try:
        await client.chat_postMessage(
            channel=channel, text=text[:3000], blocks=list(blocks), link_names=False
        )
    except SlackApiError as error:
        log.warning("slack: DM signup message not sent: %s", error.response.get("error"))
