"""Discord components for the signup form, the intake form and the core's buttons.

Every custom id is stable and carries what a press needs (the guild, the page, the claim), so a
press after a restart, or in a DM where there is no guild, still works. Formats:

    dmm:f:<guild>:<page>:<question>[:<arg>]   a select on a signup page
    dmm:p:<guild>:<page>                      go to a signup page
    dmm:t:<guild>                             open the text questions (modal)
    dmm:s:<guild>                             submit the form
    dmm:m:<guild>                             the text-questions modal itself
    dmm:signup:<guild>                        the public "Sign up" button (DM signup)
    dmm:c:<guild>:<core id>                   a core button (`Message.buttons`); guild 0: the
                                              interaction's own guild
    dmm:i:<guild>:<core id>                   the intake modal a core button opened

A page holds at most four selects plus one row of buttons: Discord allows five rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import discord

from bot.commands import SignupView
from bot.core.curation import TopicView
from bot.core.forms import LOOKING_FOR_LABELS, LOOKING_FOR_QUESTION, FormView
from bot.core.wants import INTAKE_FORMATS
from bot.platforms.base import Button
from bot.storage.models import (
    ABOUT_MAX_CHARS,
    APPETITES,
    FORMAT_RATINGS,
    MAX_TOPICS_PER_FORM,
    NOTES_MAX_CHARS,
)

V = TypeVar("V", discord.ui.View, discord.ui.Modal)
MAX_MESSAGE = 2000  # characters in one Discord message
SELECTS_PER_PAGE = 4
OPTIONS_PER_SELECT = 25
STANCE_CHOICES = (
    ("2", "+2 strongly agree"),
    ("1", "+1 agree"),
    ("0", "0 unsure / in between"),
    ("-1", "-1 disagree"),
    ("-2", "-2 strongly disagree"),
    ("skip", "skip this claim"),
)
RATING_WORDS = {"great": "great", "okay": "okay", "no": "no, not for me"}
APPETITE_WORDS = {
    "seek": "seek disagreement (a debate)",
    "neutral": "neutral",
    "avoid": "avoid disagreement",
}


def unstored(view: V) -> V:
    """Mark a view finished before sending it, so discord.py keeps no copy per message: the
    client's dynamic items and interaction handler answer every press from the custom id,
    after a restart too, and a stored copy per message would only grow memory."""
    view.stop()
    return view


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Discord's 2000-character messages: split on lines, hard-cut an over-long line."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines() or [""]:
        while len(line) > limit:
            chunks.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    chunks.append(current or "…")
    return chunks


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Question:
    """One select of the signup form: its custom-id question, arg, and form step."""

    # topics | stance | sync | async | looking | appetite | publish | browse | participation
    question: str
    arg: str
    step: str  # the core's FORM_STEPS name, saved so a signup resumes there


def questions(signup: SignupView) -> list[Question]:
    topics = signup.topics
    out = [
        Question("topics", str(i), "topics")
        for i in range(0, max(len(topics), 1), OPTIONS_PER_SELECT)
        if topics
    ]
    out += [Question("stance", str(c.id), "stances") for c in signup.claims]
    out += [Question("sync", "", "format"), Question("async", "", "format")]
    out.append(Question("looking", "", "looking_for"))
    out.append(Question("appetite", "", "appetite"))
    out += [Question("publish", "", "publish"), Question("browse", "", "browse")]
    out.append(Question("participation", "", "participation"))
    return out


def page_count(signup: SignupView) -> int:
    return max(1, -(-len(questions(signup)) // SELECTS_PER_PAGE))


def page_of_step(signup: SignupView, step: str | None) -> int:
    """Where an interrupted signup resumes: the first page asking that step."""
    for index, q in enumerate(questions(signup)):
        if q.step == step:
            return index // SELECTS_PER_PAGE
    return 0


def _select(guild: int, page: int, q: Question, signup: SignupView) -> discord.ui.Select:
    form = signup.form
    custom_id = f"dmm:f:{guild}:{page}:{q.question}" + (f":{q.arg}" if q.arg else "")
    if q.question == "topics":
        start = int(q.arg)
        chunk = signup.topics[start : start + OPTIONS_PER_SELECT]
        options = [
            discord.SelectOption(
                label=short(t.name, 100), value=t.slug, default=t.slug in form.topics
            )
            for t in chunk
        ]
        pages = len(signup.topics) > OPTIONS_PER_SELECT
        suffix = f" ({start + 1}–{start + len(chunk)})" if pages else ""
        return discord.ui.Select(
            custom_id=custom_id,
            placeholder=f"Topics you want to talk about, up to {MAX_TOPICS_PER_FORM}{suffix}",
            min_values=0,
            max_values=min(len(options), MAX_TOPICS_PER_FORM),
            options=options,
        )
    if q.question == "stance":
        claim = next(c for c in signup.claims if str(c.id) == q.arg)
        current = form.stances.get(claim.id)
        chosen = "skip" if current is None else str(current)
        return discord.ui.Select(
            custom_id=custom_id,
            placeholder=short(f"#{claim.id} {claim.text}", 150),
            options=[
                discord.SelectOption(
                    label=label,
                    value=value,
                    default=current is not None and value == chosen,
                )
                for value, label in STANCE_CHOICES
            ],
        )
    if q.question in ("sync", "async"):
        current = form.format_sync if q.question == "sync" else form.format_async
        what = "Live talk, a 1–3 h block" if q.question == "sync" else "Over days, reply when free"
        return discord.ui.Select(
            custom_id=custom_id,
            placeholder=f"{what}: {current}",
            options=[
                discord.SelectOption(
                    label=f"{what}: {RATING_WORDS[r]}", value=r, default=r == current
                )
                for r in FORMAT_RATINGS
            ],
        )
    if q.question == "looking":
        return discord.ui.Select(
            custom_id=custom_id,
            placeholder=f"{LOOKING_FOR_QUESTION} (any of these)",
            min_values=1,
            max_values=len(LOOKING_FOR_LABELS),
            options=[
                discord.SelectOption(
                    label=short(label, 100), value=value, default=value in form.looking_for
                )
                for value, label in LOOKING_FOR_LABELS.items()
            ],
        )
    if q.question == "appetite":
        return discord.ui.Select(
            custom_id=custom_id,
            placeholder="How much disagreement you want",
            options=[
                discord.SelectOption(label=APPETITE_WORDS[a], value=a, default=a == form.appetite)
                for a in APPETITES
            ],
        )
    if q.question == "publish":
        return discord.ui.Select(
            custom_id=custom_id,
            placeholder="Willing to publish the dialogue afterwards?",
            options=[
                discord.SelectOption(
                    label="Yes, if my partner agrees", value="yes", default=form.publish_ok
                ),
                discord.SelectOption(label="No", value="no", default=not form.publish_ok),
            ],
        )
    if q.question == "browse":
        return discord.ui.Select(
            custom_id=custom_id,
            placeholder="Show you in /dialogue browse?",
            options=[
                discord.SelectOption(
                    label="Yes, show me in /dialogue browse",
                    value="yes",
                    default=form.show_in_browse,
                ),
                discord.SelectOption(
                    label="No, keep me out of browse", value="no", default=not form.show_in_browse
                ),
            ],
        )
    return discord.ui.Select(
        custom_id=custom_id,
        placeholder="Take part in…",
        options=[
            discord.SelectOption(
                label="every round", value="every", default=form.participation == "every"
            ),
            discord.SelectOption(
                label="one round only", value="once", default=form.participation == "once"
            ),
        ],
    )


def signup_page(guild: int, page: int, signup: SignupView) -> tuple[str, discord.ui.View]:
    """One page of the signup form: its text and its (at most five) rows."""
    total = page_count(signup)
    page = max(0, min(page, total - 1))
    view = discord.ui.View(timeout=None)
    shown = questions(signup)[page * SELECTS_PER_PAGE : (page + 1) * SELECTS_PER_PAGE]
    for row, q in enumerate(shown):
        select = _select(guild, page, q, signup)
        select.row = row
        view.add_item(select)
    nav_row = len(shown)
    if page > 0:
        view.add_item(_button(f"dmm:p:{guild}:{page - 1}", "← Back", nav_row))
    view.add_item(_button(f"dmm:t:{guild}", "About me, timezone, availability…", nav_row))
    if page + 1 < total:
        view.add_item(
            _button(f"dmm:p:{guild}:{page + 1}", "Next →", nav_row, discord.ButtonStyle.primary)
        )
    else:
        view.add_item(_button(f"dmm:s:{guild}", "Submit", nav_row, discord.ButtonStyle.success))
    return page_text(signup.form, page, total), view


def page_text(form: FormView, page: int, total: int) -> str:
    lines = [f"**Sign up for dialogues** — page {page + 1} of {total}. Every answer is saved."]
    if form.status == "complete":
        lines.append("Your form is in the pool; changes apply from the next round.")
    if form.missing:
        lines.append("Still needed: " + " ".join(message for _, message in form.missing))
    return "\n".join(lines)


def _button(
    custom_id: str,
    label: str,
    row: int,
    style: discord.ButtonStyle = discord.ButtonStyle.secondary,
) -> discord.ui.Button:
    return discord.ui.Button(custom_id=custom_id, label=short(label, 80), row=row, style=style)


def windows_text(form: FormView) -> str:
    return "; ".join(f"{w.day} {w.start}-{w.end}" for w in form.availability)


def text_modal(guild: int, form: FormView, pending: Sequence[str] = ()) -> discord.ui.Modal:
    """The free-text questions, prefilled with the saved answers."""
    modal = discord.ui.Modal(title="Sign up: about you", custom_id=f"dmm:m:{guild}", timeout=None)
    modal.add_item(
        discord.ui.TextInput(
            label="What I'd like to talk about (partner sees)",
            custom_id="about",
            style=discord.TextStyle.paragraph,
            default=form.about or None,
            required=False,
            max_length=ABOUT_MAX_CHARS,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Private notes for moderators",
            custom_id="private_notes",
            style=discord.TextStyle.paragraph,
            default=form.private_notes or None,
            required=False,
            max_length=NOTES_MAX_CHARS,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Timezone (IANA name)",
            custom_id="timezone",
            default=form.timezone or None,
            placeholder="Europe/Berlin",
            required=False,
            max_length=64,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Weekly availability (for live talks)",
            custom_id="availability",
            default=windows_text(form) or None,
            placeholder="mon 18:00-21:00; wed 09:00-12:00",
            required=False,
            max_length=400,
        )
    )
    waiting = f" (waiting: {', '.join(pending)})" if pending else ""
    modal.add_item(
        discord.ui.TextInput(
            label="Suggest new topics (comma-separated)",
            custom_id="suggested_topics",
            placeholder=short("up to 3, moderators approve" + waiting, 100),
            required=False,
            max_length=300,
        )
    )
    return modal


def intake_modal(guild: int, core_id: str, topics: Sequence[TopicView]) -> discord.ui.Modal:
    """The mutual-want intake: topics, format, what they look for, notes for the partner."""
    modal = discord.ui.Modal(
        title="Your dialogue: topics and format", custom_id=f"dmm:i:{guild}:{core_id}", timeout=None
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Topics (comma-separated)",
            custom_id="topics",
            placeholder=short(", ".join(t.slug for t in topics), 100),
            max_length=400,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label=f"Format: {' / '.join(INTAKE_FORMATS)}",
            custom_id="format",
            default="either",
            max_length=10,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Looking for (blank: as in your form)",
            custom_id="looking_for",
            placeholder="dialogue, debate, be interviewed, interview someone",
            required=False,
            max_length=100,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Notes for your partner (optional)",
            custom_id="notes",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=NOTES_MAX_CHARS,
        )
    )
    return modal


def core_buttons_view(buttons: Sequence[Button], guild: int | str = 0) -> discord.ui.View:
    """The core's buttons (intake, wrap-up…) as persistent buttons that reach it when pressed."""
    view = discord.ui.View(timeout=None)
    for index, button in enumerate(buttons[:25]):
        view.add_item(
            discord.ui.Button(
                custom_id=f"dmm:c:{guild}:{button.custom_id}",
                label=short(button.label, 80),
                style=discord.ButtonStyle.primary,
                row=index // 5,
            )
        )
    return view


def edit_form_view(guild: int) -> discord.ui.View:
    """Under `/dialogue profile`: edit the answers (the form's first page, and its text)."""
    view = discord.ui.View(timeout=None)
    view.add_item(_button(f"dmm:p:{guild}:0", "Edit my answers", 0, discord.ButtonStyle.primary))
    view.add_item(_button(f"dmm:t:{guild}", "Edit about me, timezone, availability", 0))
    return view


def signup_post_view(guild: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            custom_id=f"dmm:signup:{guild}", label="Sign up", style=discord.ButtonStyle.success
        )
    )
    return view
