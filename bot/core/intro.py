"""The words the bot says when it opens a dialogue, prompts it, and cannot match someone.

This is the one place that builds the opening message of a dialogue and its prompts:
platform-neutral plain text with light Markdown (`**bold**`, `•` lists). It contains
member-written text (names, "what I'd like to talk about"); the platform adapters deliver it
without pinging anyone.

A dialogue has a kind (MATCHING.md): a `dialogue` between equals, or an `interview` where one
member (the interviewer) asks and the other (the interviewee) is asked. The kind and roles
live in the dialogue's explanation (`kind`, `roles`: user id -> role); `roles_of` reads them,
`speaker_label` names a member with their role (the transcript's headings), and the opening
message and prompts follow the kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STANCE_WORDS = {
    -2: "strongly disagree",
    -1: "disagree",
    0: "unsure",
    1: "agree",
    2: "strongly agree",
}

FORMAT_WORDS = {
    "sync": "live (sync): find a 1–3 h block and talk live",
    "async": "async: reply when convenient, over a few days",
}

DAY_NAMES = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
}

# The engine's reasons (matching.result.REASONS) in words for the member left out.
UNMATCHED_TEXT = {
    "odd one out": (
        "The pool had an odd number of people this round, and you were the one left over."
    ),
    "no compatible partner": (
        "Nobody in this round's pool fit you: a shared format, overlapping availability "
        "and no block on either side are required."
    ),
    "everyone compatible met them recently": (
        "Everyone you could be paired with has already been your partner recently, and "
        "we avoid repeat partners for a few rounds."
    ),
    "paused": "You are paused, so you were not included in this round.",
    "already in a dialogue": "You are in a dialogue already, so this round skipped you.",
}


INTERVIEWER = "interviewer"
INTERVIEWEE = "interviewee"
ROLE_WORDS = {INTERVIEWER: "interviewer", INTERVIEWEE: "interviewee"}

# Default prompt texts by kind (hours live in bot.core.dialogues.DEFAULT_PROMPT_HOURS).
DIALOGUE_PROMPTS = {
    "nudge": (
        "A gentle nudge: one of you has not written here yet. A short first message is "
        "enough to get going."
    ),
    "midpoint": (
        "Half-way: what is your crux? Which claim, if you changed your mind on it, would "
        "change your view the most?"
    ),
    "wrapup": "Time to wrap up: where did you move, if anywhere? Would you like to publish this?",
    "checkin": "Did you manage to meet live? If not, there is still time to find a slot.",
}
INTERVIEW_PROMPTS = {
    "nudge": (
        "A gentle nudge: interviewer, a first question gets the interview going; "
        "interviewee, a short answer is fine to begin with."
    ),
    "midpoint": (
        "Half-way. Interviewer: what would you like the interviewee to expand on? "
        "Interviewee: is there something you have not been asked yet that you want to say?"
    ),
    "wrapup": (
        "Time to wrap up: interviewer, what did you learn that surprised you? Interviewee, "
        "anything you would add? Would you both like to publish this interview?"
    ),
    "checkin": "Did you manage to meet live for the interview? If not, there is still time.",
}
# The community's own texts are written for a dialogue between equals: for an interview they
# replace only the prompts that do not depend on the kind.
KIND_NEUTRAL_PROMPTS = frozenset({"nudge", "checkin"})


@dataclass(frozen=True, slots=True)
class IntroPerson:
    """One participant as the intro shows them."""

    user_id: str
    name: str
    about: str = ""
    notes: str = ""  # a mutual want's intake notes, for the partner


def roles_of(explanation: Mapping[str, Any]) -> dict[str, str]:
    """user id -> "interviewer" | "interviewee" for an interview; empty for a dialogue."""
    if explanation.get("kind") != "interview":
        return {}
    return {str(uid): str(role) for uid, role in (explanation.get("roles") or {}).items()}


def speaker_label(name: str, role: str | None) -> str:
    """How a member is named where roles matter (a transcript's speaker heading):
    "Alice (interviewer)", or just "Alice" in a dialogue between equals."""
    word = ROLE_WORDS.get(role or "")
    return f"{name} ({word})" if word else name


def speaker_labels(people: Sequence[IntroPerson], explanation: Mapping[str, Any]) -> dict[str, str]:
    """user id -> speaker label, for each member of a dialogue."""
    roles = roles_of(explanation)
    return {p.user_id: speaker_label(p.name or p.user_id, roles.get(p.user_id)) for p in people}


def prompt_message(name: str, kind: str = "dialogue", community_text: str | None = None) -> str:
    """The text of a scheduled prompt (`nudge`, `midpoint`, `wrapup`, `checkin`) for a
    dialogue of `kind`, the community's own text (its `<name>_text` setting) taking
    precedence where it fits the kind."""
    interview = kind == "interview"
    if (
        community_text
        and community_text.strip()
        and (not interview or name in KIND_NEUTRAL_PROMPTS)
    ):
        return community_text.strip()
    defaults = INTERVIEW_PROMPTS if interview else DIALOGUE_PROMPTS
    if name not in defaults:
        raise KeyError(f"unknown prompt {name!r} (known: {', '.join(defaults)})")
    return defaults[name]


def stance_words(value: int) -> str:
    return STANCE_WORDS.get(value, str(value))


def _name_of(people: Sequence[IntroPerson]) -> dict[str, str]:
    return {p.user_id: p.name or p.user_id for p in people}


def stances_line(stances: Mapping[str, int], people: Sequence[IntroPerson]) -> str:
    """ "Alice: strongly agree · Bob: disagree", in the dialogue's member order."""
    names = _name_of(people)
    order = [p.user_id for p in people if p.user_id in stances]
    order += [uid for uid in stances if uid not in order]
    return " · ".join(f"{names.get(uid, uid)}: {stance_words(stances[uid])}" for uid in order)


def opening_question(explanation: Mapping[str, Any], topic: str | None = None) -> str:
    """A first question, from the claim the members disagree on most when there is one."""
    disagreements = explanation.get("disagreements") or []
    if disagreements:
        text = disagreements[0].get("text") or disagreements[0].get("claim", "")
        return (
            f"On “{text}” you landed on different sides. Each of you: what is the strongest "
            "reason for your view, and what would it take to change your mind?"
        )
    topics = [t["name"] for t in explanation.get("shared_topics") or []]
    subject = topic or (topics[0] if topics else None)
    if subject:
        return (
            f"What is one thing about {subject} you are unsure of, that the other might see "
            "differently?"
        )
    return "What is a belief you hold that most people around you do not share?"


def _windows(windows: Sequence[Mapping[str, str]]) -> str:
    return ", ".join(
        f"{DAY_NAMES.get(w['day'], w['day'])} {w['start']}–{w['end']}" for w in windows
    )


def dialogue_intro(
    people: Sequence[IntroPerson],
    explanation: Mapping[str, Any],
    topic: str | None = None,
    *,
    community_text: str | None = None,
) -> str:
    """The first message of a dialogue thread.

    `explanation` is a `Dialogue.explanation` (see `bot.core.pool.PoolSnapshot.explanation`);
    `topic` the moderator's topic of a manual pair, if any; `community_text` the community's
    own opening words (its `opening_text` prompt setting), shown under the greeting.
    """
    names = [p.name or p.user_id for p in people]
    roles = roles_of(explanation)
    interviewers = [p for p in people if roles.get(p.user_id) == INTERVIEWER]
    interviewees = [p for p in people if roles.get(p.user_id) == INTERVIEWEE]
    interview = bool(interviewers and interviewees)
    if interview:
        verb = "interviews" if len(interviewers) == 1 else "interview"
        lines = [
            f"**Welcome, {_join(names)}!** You have been paired for an interview: "
            f"**{_join(_names(interviewers))} {verb} {_join(_names(interviewees))}**."
        ]
    else:
        lines = [f"**Welcome, {_join(names)}!** You have been paired for a dialogue."]
    if community_text:
        lines.append(community_text.strip())

    if interview:
        for person in interviewees:
            lines.append("")
            lines.append(f"**What {_names([person])[0]} would like to talk about**")
            lines.append(" ".join(person.about.split()) or "(no intro written)")
            _notes_line(lines, person)
        lines.append("")
        lines.append(f"**Interviewing:** {_join(_names(interviewers))}")
        for person in interviewers:
            about = " ".join(person.about.split())
            if about:
                lines.append(f"• {_names([person])[0]}: {about}")
            _notes_line(lines, person)
    else:
        lines.append("")
        lines.append("**Who you are**")
        for person in people:
            about = " ".join(person.about.split())
            lines.append(f"• {person.name or person.user_id}: {about or '(no intro written)'}")
            _notes_line(lines, person)

    if topic:
        lines.append("")
        lines.append(f"**Topic:** {topic}")
    shared = [t["name"] for t in explanation.get("shared_topics") or []]
    if shared:
        lines.append("")
        lines.append(f"**Topics you share:** {', '.join(shared)}")

    disagreements = explanation.get("disagreements") or []
    if disagreements:
        lines.append("")
        # In an interview this is context for the questions, not a debate to have.
        lines.append("**Where your views differ**" if interview else "**Where you disagree most**")
        for item in disagreements:
            text = item.get("text") or item.get("claim", "")
            lines.append(f"• “{text}”: {stances_line(item.get('stances') or {}, people)}")

    fmt = explanation.get("format")
    if fmt in FORMAT_WORDS:
        lines.append("")
        lines.append(f"**Format:** {FORMAT_WORDS[fmt]}")
        overlap = explanation.get("availability_overlap") or []
        if fmt == "sync" and overlap:
            everyone = "both" if len(people) == 2 else "all"
            lines.append(f"**You are {everyone} available (UTC):** {_windows(overlap)}")
        elif fmt == "sync":
            lines.append("**Availability:** at least one of you is flexible; pick a time here.")

    if explanation.get("mutual_want"):
        lines.append("")
        lines.append("You both said you would like to talk with each other.")

    lines.append("")
    if interview:
        lines.append(
            f"**To start:** {interview_question(interviewers, interviewees, explanation, topic)}"
        )
    else:
        lines.append(f"**To start:** {opening_question(explanation, topic)}")
    return "\n".join(lines)


def interview_question(
    interviewers: Sequence[IntroPerson],
    interviewees: Sequence[IntroPerson],
    explanation: Mapping[str, Any],
    topic: str | None = None,
) -> str:
    """The interview's first move: the interviewer opens with a question."""
    asker = _join(_names(interviewers))
    asked = _join(_names(interviewees))
    # The interviewee said what they would like to talk about; a moderator's topic wins.
    about = f"about {topic}" if topic else "about what they would like to talk about"
    return (
        f"{asker}, open with a question for {asked} {about}: what would you most like to "
        f"understand about their work or their view? {asked}, answer in your own words and "
        "at your own pace."
    )


def _names(people: Sequence[IntroPerson]) -> list[str]:
    return [p.name or p.user_id for p in people]


def _notes_line(lines: list[str], person: IntroPerson) -> None:
    notes = " ".join(person.notes.split())
    if notes:
        lines.append(f"  For this dialogue: {notes}")


def explain_unmatched(reason: str) -> str:
    """The direct message for a member a round left without a partner."""
    why = UNMATCHED_TEXT.get(reason, f"The matching left you out this round ({reason}).")
    if reason in ("paused", "already in a dialogue"):  # not left out by the matching
        return why
    return f"No dialogue partner for you this round. {why} You will get priority next round."


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
