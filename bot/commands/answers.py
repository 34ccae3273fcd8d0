"""Form answers as adapters deliver them (a modal's values, a Slack view's state, the local
chat's dict) turned into core commands. Values are checked for shape here; what they mean is
the core's to judge, with its own messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.core import forms, wants
from bot.core.actor import Actor
from bot.core.errors import BadInput

FORM_KEYS = frozenset(
    {
        "topics",
        "suggested_topics",
        "stances",
        "sync",
        "async",
        "timezone",
        "availability",
        "looking_for",
        "appetite",
        "about",
        "private_notes",
        "publish_ok",
        "participation",
        "step",
        "submit",
    }
)
INTAKE_KEYS = frozenset({"topics", "format", "looking_for", "notes"})


def known_keys(answers: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(answers) - known)
    if unknown:
        raise BadInput(
            f"This form has no question {unknown[0]!r}; it asks: {', '.join(sorted(known))}.",
            field=unknown[0],
        )


def text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput("Write this answer as text.", field=field)
    return value


def optional_text(answers: Mapping[str, Any], key: str) -> str | None:
    return None if answers.get(key) is None else text(answers[key], key)


def strings(value: Any, field: str) -> tuple[str, ...]:
    """A multi-select: a list of strings, or comma-separated text from a plain input."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise BadInput("Choose from the list.", field=field)


def claim_id(key: Any) -> int:
    # Select menus and JSON give string keys ("12", "c12", "#12"); the core wants ints.
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.lstrip("#c").isdigit():
        return int(key.lstrip("#c"))
    raise BadInput(f"{key!r} is not a claim number.", field="stances")


def stance(value: Any) -> Any:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("", "skip"):
            return None
        if re.fullmatch(r"[+-]?\d+", word):
            return int(word)
    return value  # anything else is the core's to judge (and refuse with its message)


# The form's words for what a member is looking for, as a person writes them in a plain text
# input; a debate is a dialogue with disagreement appetite `seek` (the form says so).
LOOKING_FOR_WORDS = {
    "dialogue": "dialogue",
    "debate": "dialogue",
    "interview_me": "interview_me",
    "be interviewed": "interview_me",
    "interview me": "interview_me",
    "interview_them": "interview_them",
    "interview someone": "interview_them",
    "interview them": "interview_them",
}


def looking_for_choices(value: Any) -> tuple[str, ...]:
    """A "looking for" multi-select (values or the words above); unknown words are left for
    the core to refuse with its message naming the field."""
    chosen = strings(value, "looking_for")
    return tuple(LOOKING_FOR_WORDS.get(" ".join(v.lower().split()), v) for v in chosen)


def yes_no(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "no", "false"):
        return value.strip().lower() in ("yes", "true")
    return value


def windows(value: Any) -> tuple[forms.Window, ...]:
    if not isinstance(value, list | tuple):
        raise BadInput("Give availability as a list of weekly windows.", field="availability")
    out = []
    for item in value:
        if not isinstance(item, Mapping) or not all(
            isinstance(item.get(k), str) for k in ("day", "start", "end")
        ):
            raise BadInput(
                "Each availability window needs a day, a start and an end, like mon 18:00–21:00.",
                field="availability",
            )
        out.append(forms.Window(item["day"], item["start"], item["end"]))
    return tuple(out)


def save_answers(actor: Actor, answers: Mapping[str, Any]) -> tuple[forms.SaveAnswers, bool]:
    """The form's answer keys as a `SaveAnswers`, and whether the member pressed submit."""
    known_keys(answers, FORM_KEYS)
    stances = answers.get("stances")
    if stances is not None and not isinstance(stances, Mapping):
        raise BadInput("Stances go per claim number.", field="stances")
    topics = answers.get("topics")
    looking_for = answers.get("looking_for")
    suggested = answers.get("suggested_topics")
    availability = answers.get("availability")
    submit = yes_no(answers.get("submit", False))
    if not isinstance(submit, bool):
        raise BadInput("Submit is yes or no.", field="submit")
    save = forms.SaveAnswers(
        actor,
        step=optional_text(answers, "step"),
        topics=None if topics is None else strings(topics, "topics"),
        suggested_topics=None if suggested is None else strings(suggested, "suggested_topics"),
        stances=None if stances is None else {claim_id(k): stance(v) for k, v in stances.items()},
        format_sync=optional_text(answers, "sync"),
        format_async=optional_text(answers, "async"),
        timezone=optional_text(answers, "timezone"),
        availability=None if availability is None else windows(availability),
        looking_for=None if looking_for is None else looking_for_choices(looking_for),
        appetite=optional_text(answers, "appetite"),
        about=optional_text(answers, "about"),
        private_notes=optional_text(answers, "private_notes"),
        participation=optional_text(answers, "participation"),
        publish_ok=None if answers.get("publish_ok") is None else yes_no(answers["publish_ok"]),
    )
    return save, submit


def submit_intake(actor: Actor, dialogue_id: int, values: Mapping[str, Any]) -> wants.SubmitIntake:
    known_keys(values, INTAKE_KEYS)
    return wants.SubmitIntake(
        actor,
        dialogue_id,
        topics=strings(values.get("topics"), "topics"),
        format=text(values.get("format"), "format"),
        notes=text(values.get("notes"), "notes"),
        # A blank text input is no answer: the member's form says what they look for.
        looking_for=None
        if values.get("looking_for") is None
        or (isinstance(values["looking_for"], str) and not values["looking_for"].strip())
        else looking_for_choices(values["looking_for"]),
    )
