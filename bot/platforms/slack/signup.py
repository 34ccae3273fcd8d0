"""The signup modal: Block Kit pages built from the core's form, and their answers read back.

Page 0 asks everything but the claims; pages 1… rate `CLAIMS_PER_PAGE` claims each. Each page
is saved on its own when submitted (so a closed modal resumes at the next page), and the last
page submits the form. Block ids are the form's answer keys, so an error the core reports for
a field (`BadInput.field`) lands next to that field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.curation import ClaimView, TopicView
from bot.core.forms import LOOKING_FOR_LABELS, LOOKING_FOR_QUESTION, FormView
from bot.storage.models import ABOUT_MAX_CHARS, MAX_TOPICS_PER_FORM, NOTES_MAX_CHARS

CALLBACK = "signup"
CLAIMS_PER_PAGE = 5
ACTION = "value"  # every input's action id; the block id says which question it is
STANCES = (
    ("2", "+2 strongly agree"),
    ("1", "+1 agree"),
    ("0", "0 unsure / mixed"),
    ("-1", "−1 disagree"),
    ("-2", "−2 strongly disagree"),
    ("skip", "skip"),
)
FORMAT_RATINGS = (("great", "great"), ("okay", "okay"), ("no", "no"))
APPETITES = (
    ("seek", "Seek disagreement (a debate)"),
    ("neutral", "Neutral"),
    ("avoid", "Avoid disagreement"),
)
PARTICIPATION = (("every", "Every round"), ("once", "One round only"))
PUBLISH = (("yes", "Yes, if my partner agrees"), ("no", "No"))
BROWSE = (("yes", "Yes, show me"), ("no", "No, keep me out of it"))
BROWSE_QUESTION = "Show me in /dialogue browse, where members pick people to talk with?"
LOOKING_FOR = tuple(LOOKING_FOR_LABELS.items())


def looking_for_block(chosen: Sequence[str], *, optional: bool = False) -> InputBlock:
    return InputBlock(
        block_id="looking_for",
        label=LOOKING_FOR_QUESTION,
        optional=optional,
        element=CheckboxesElement(
            action_id=ACTION,
            options=options(LOOKING_FOR),
            initial_options=[Option(value=v, label=lbl) for v, lbl in LOOKING_FOR if v in chosen]
            or None,
        ),
    )


# Which block shows an error the core reports for a field.
FIELD_BLOCKS = {"format_sync": "sync", "format_async": "async", "weights": "about"}
_WINDOW = re.compile(
    r"^\s*(?P<day>[A-Za-z]{3,9})\s+(?P<start>\d{1,2}(?::\d{2})?)\s*[-–—to]+\s*"
    r"(?P<end>\d{1,2}(?::\d{2})?)\s*$"
)


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 0: about you; 1…: claims
    count: int

    @property
    def last(self) -> bool:
        return self.number == self.count - 1


def page_count(claims: Sequence[ClaimView]) -> int:
    return 1 + math.ceil(len(claims) / CLAIMS_PER_PAGE)


def resume_page(form: FormView, claims: Sequence[ClaimView]) -> int:
    """Where a member who closed the modal comes back: the first claims page with a claim
    not rated yet once the first page is saved, else the first page."""
    if form.status == "complete" or form.step != "stances":
        return 0
    for index, claim in enumerate(claims):
        if claim.id not in form.stances:
            return 1 + index // CLAIMS_PER_PAGE
    return page_count(claims) - 1


def options(pairs: Sequence[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, label=label) for value, label in pairs]


def initial(pairs: Sequence[tuple[str, str]], value: str | None) -> Option | None:
    return next((Option(value=v, label=label) for v, label in pairs if v == value), None)


def _radios(block_id: str, label: str, pairs: Sequence[tuple[str, str]], value: str) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        element=RadioButtonsElement(
            action_id=ACTION, options=options(pairs), initial_option=initial(pairs, value)
        ),
    )


def _text(
    block_id: str,
    label: str,
    value: str,
    *,
    multiline: bool = False,
    max_length: int | None = None,
    optional: bool = True,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(
            action_id=ACTION,
            initial_value=value or None,
            multiline=multiline,
            max_length=max_length,
        ),
    )


def availability_text(form: FormView) -> str:
    return ", ".join(f"{w.day} {w.start}-{w.end}" for w in form.availability)


def about_page(
    form: FormView, topics: Sequence[TopicView], page: Page, tz_hint: str | None
) -> list[Block]:
    chosen = set(form.topics)
    topic_pairs = [(t.slug, t.name[:75]) for t in topics][:100]
    blocks: list[Block] = [
        ContextBlock(elements=[{"type": "mrkdwn", "text": progress(page, form)}]),
    ]
    if topic_pairs:
        blocks.append(
            InputBlock(
                block_id="topics",
                label="Topics you would like to talk about",
                element=StaticMultiSelectElement(
                    action_id=ACTION,
                    options=options(topic_pairs),
                    initial_options=[
                        Option(value=v, label=lbl) for v, lbl in topic_pairs if v in chosen
                    ]
                    or None,
                    max_selected_items=MAX_TOPICS_PER_FORM,
                ),
            )
        )
    timezone = form.timezone if form.timezone != "UTC" or not tz_hint else tz_hint
    blocks += [
        _text(
            "suggested_topics",
            "Suggest new topics (optional, comma-separated, up to 3)",
            ", ".join(form.suggested_topics),
        ),
        _radios("sync", "Live: find a 1–3 h block and talk", FORMAT_RATINGS, form.format_sync),
        _radios("async", "Over days: reply when convenient", FORMAT_RATINGS, form.format_async),
        _text("timezone", "Your timezone", timezone, optional=False, hint="e.g. Europe/Berlin"),
        _text(
            "availability",
            "When you are free each week (for live dialogues)",
            availability_text(form),
            hint="e.g. mon 18:00-21:00, sat 10:00-12:00 (in your timezone)",
        ),
        looking_for_block(form.looking_for),
        _radios("appetite", "How much disagreement you want", APPETITES, form.appetite),
        _text(
            "about",
            "What I'd like to talk about (shown to your partner)",
            form.about,
            multiline=True,
            max_length=ABOUT_MAX_CHARS,
        ),
        _text(
            "private_notes",
            "Notes for moderators (private)",
            form.private_notes,
            multiline=True,
            max_length=NOTES_MAX_CHARS,
        ),
        _radios(
            "publish_ok",
            "Would you publish the dialogue afterwards?",
            PUBLISH,
            "yes" if form.publish_ok else "no",
        ),
        _radios("show_in_browse", BROWSE_QUESTION, BROWSE, "yes" if form.show_in_browse else "no"),
        _radios("participation", "Take part in", PARTICIPATION, form.participation),
    ]
    return blocks


def claims_page(form: FormView, claims: Sequence[ClaimView], page: Page) -> list[Block]:
    start = (page.number - 1) * CLAIMS_PER_PAGE
    blocks: list[Block] = [
        ContextBlock(elements=[{"type": "mrkdwn", "text": progress(page, form)}]),
        SectionBlock(
            text="How much do you agree? −2 strongly disagree … +2 strongly agree, or skip."
        ),
    ]
    for claim in claims[start : start + CLAIMS_PER_PAGE]:
        current = form.stances.get(claim.id)
        blocks.append(
            InputBlock(
                block_id=f"claim:{claim.id}",
                label=claim.text[:2000],
                optional=True,
                element=StaticSelectElement(
                    action_id=ACTION,
                    placeholder="Your stance",
                    options=options(STANCES),
                    initial_option=initial(STANCES, None if current is None else str(current)),
                ),
            )
        )
    return blocks


def progress(page: Page, form: FormView) -> str:
    done = "Your answers so far are saved." if form.step not in (None, "topics") else ""
    return f"Page {page.number + 1} of {page.count}. Each page is saved when you go on. {done}"


def modal(
    form: FormView,
    topics: Sequence[TopicView],
    claims: Sequence[ClaimView],
    number: int,
    tz_hint: str | None = None,
) -> View:
    page = Page(number, page_count(claims))
    blocks = (
        about_page(form, topics, page, tz_hint) if number == 0 else claims_page(form, claims, page)
    )
    return View(
        type="modal",
        callback_id=CALLBACK,
        private_metadata=str(number),
        title=f"Sign up · {number + 1}/{page.count}",
        submit="Submit" if page.last else "Save and next",
        close="Close",
        notify_on_close=True,
        blocks=blocks,
    )


LOADING_CALLBACK = "signup_loading"


def loading_modal(text: str = "Loading your signup form…") -> View:
    """Opened with the trigger id at once (it expires 3 s after the command), and replaced by
    the form (`views.update`, no deadline) once the database has answered."""
    return View(
        type="modal",
        callback_id=LOADING_CALLBACK,
        title="Sign up",
        close="Close",
        blocks=[SectionBlock(text=PlainTextObject(text=text))],
    )


# The same for every signup, and sent in the busiest moment: built (and checked) once.
LOADING = loading_modal().to_dict()


# --- reading a submission back ---------------------------------------------------------------


class AnswerError(Exception):
    """An answer the adapter cannot even read; shown next to its block."""

    def __init__(self, block_id: str, message: str) -> None:
        super().__init__(message)
        self.block_id = block_id
        self.message = message


def value_of(state: Mapping[str, Any], block_id: str) -> Any:
    element = state.get(block_id, {}).get(ACTION)
    if element is None:
        return None
    kind = element.get("type")
    if kind == "multi_static_select" or kind == "checkboxes":
        return [o["value"] for o in element.get("selected_options") or []]
    if kind in ("radio_buttons", "static_select"):
        option = element.get("selected_option")
        return None if option is None else option["value"]
    return element.get("value")


def parse_windows(text: str) -> list[dict[str, str]]:
    windows = []
    for part in re.split(r"[,;\n]+", text):
        if not part.strip():
            continue
        found = _WINDOW.match(part)
        if found is None:
            raise AnswerError(
                "availability",
                f"I could not read {part.strip()!r}; write windows like mon 18:00-21:00.",
            )
        windows.append(
            {
                "day": found["day"].lower(),
                "start": _clock(found["start"]),
                "end": _clock(found["end"]),
            }
        )
    return windows


def _clock(text: str) -> str:
    hours, _, minutes = text.partition(":")
    return f"{int(hours):02d}:{minutes or '00'}"


def answers(
    state: Mapping[str, Any], number: int, claims: Sequence[ClaimView], *, last: bool
) -> dict[str, Any]:
    """One page's answers as the form's answer keys (`Commands.submit_form`)."""
    out: dict[str, Any] = {}
    if number == 0:
        if "topics" in state:
            out["topics"] = value_of(state, "topics") or []
        suggested = value_of(state, "suggested_topics")
        if suggested:
            out["suggested_topics"] = [s.strip() for s in suggested.split(",") if s.strip()]
        if "looking_for" in state:
            out["looking_for"] = value_of(state, "looking_for") or []
        for key in ("sync", "async", "appetite", "participation"):
            value = value_of(state, key)
            if value is not None:
                out[key] = value
        out["timezone"] = (value_of(state, "timezone") or "").strip()
        out["availability"] = parse_windows(value_of(state, "availability") or "")
        out["about"] = value_of(state, "about") or ""
        out["private_notes"] = value_of(state, "private_notes") or ""
        publish = value_of(state, "publish_ok")
        if publish is not None:
            out["publish_ok"] = publish == "yes"
        browse = value_of(state, "show_in_browse")
        if browse is not None:
            # Passed as written: the core reads yes/no and refuses anything else, which is
            # answered next to this block (`error_block`) rather than read as "no".
            out["show_in_browse"] = browse
        out["step"] = "review" if last else "stances"
    else:
        start = (number - 1) * CLAIMS_PER_PAGE
        stances: dict[str, Any] = {}
        for claim in claims[start : start + CLAIMS_PER_PAGE]:
            value = value_of(state, f"claim:{claim.id}")
            stances[str(claim.id)] = None if value in (None, "skip") else int(value)
        out["stances"] = stances
        out["step"] = "review" if last else "stances"
    out["submit"] = last
    return out


def error_block(field: str | None, number: int, claims: Sequence[ClaimView]) -> str:
    """The block of this page where an error about `field` is shown."""
    if number > 0:
        start = (number - 1) * CLAIMS_PER_PAGE
        page_claims = claims[start : start + CLAIMS_PER_PAGE]
        return f"claim:{page_claims[0].id}" if page_claims else "about"
    field = field or "about"
    if field in ("stances", "step", "submit"):
        return "about"
    return FIELD_BLOCKS.get(field, field)
