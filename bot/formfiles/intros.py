"""intros.md: one section per pair, ready to paste into an e-mail to both people.

Each section has both names and e-mail addresses and the explanation the bot posts when
it opens a dialogue (shared topics, where they disagree with both answers, format,
overlapping times), built by `bot.core.intro.dialogue_intro` itself, so the file and the
bot never say different things. The people left out follow, each with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from bot.core.intro import IntroPerson, dialogue_intro, unmatched_reason
from bot.formfiles.document import Contact, FormFile

__all__ = ["intros_markdown"]


@dataclass(frozen=True)
class _Windows:
    """What `bot.core.pool.availability_overlap` reads of a member."""

    availability: tuple[dict[str, str], ...]
    timezone: str


def intros_markdown(
    report: Mapping[str, Any], form: FormFile, *, source: str, now: datetime | None = None
) -> str:
    """The intros file for ``report`` (the engine's output document) of ``form``.

    ``now`` fixes which UTC offset a timezone has (summer or winter time) when the
    overlapping times are shown in UTC; by default the engine's own reference date
    (``config.reference_date``), so the times shown are the overlap the engine scored.
    """
    # Imported here: the pool module brings SQLAlchemy, which only this output needs.
    from bot.core.pool import availability_overlap

    if now is None:
        now = _reference_time(form.document)
    document = form.document
    claims = document.get("claims") or {}
    people = {p["id"]: p for p in document.get("participants") or []}
    pairs = list(report.get("pairs") or [])
    unmatched = list(report.get("unmatched") or [])

    def contact(pid: str) -> Contact:
        return form.contacts.get(pid) or Contact()

    def display(pid: str) -> str:
        return contact(pid).name or pid

    def addressed(pid: str) -> str:
        email = contact(pid).email
        return f"{display(pid)} <{email}>" if email else display(pid)

    matched = sum(len(p["members"]) for p in pairs)
    lines = [
        "# Introductions",
        "",
        f"From `{source}`: {matched} people in {len(pairs)} "
        f"{'pair' if len(pairs) == 1 else 'pairs'}, {len(unmatched)} not matched. "
        "Each section is the message the bot would post; send it to both people.",
    ]
    for number, pair in enumerate(pairs, start=1):
        members = list(pair["members"])
        intro_people = [
            IntroPerson(user_id=m, name=display(m), about=contact(m).about) for m in members
        ]
        windows = [
            _Windows(
                tuple(people.get(m, {}).get("availability") or ()),
                people.get(m, {}).get("timezone") or "UTC",
            )
            for m in members
        ]
        explanation = {
            "members": members,
            "shared_topics": [
                {"slug": t, "name": form.topic_names.get(t, t)}
                for t in pair.get("shared_topics", ())
            ],
            "disagreements": [
                {
                    "claim": d["claim"],
                    "text": (claims.get(d["claim"]) or {}).get("text", d["claim"]),
                    "stances": dict(d["stances"]),
                }
                for d in pair.get("disagreements", ())
            ],
            "format": pair.get("format"),
            # An interview pair's roles make `dialogue_intro` say who interviews whom.
            "kind": pair.get("kind") or "dialogue",
            "roles": dict(pair.get("roles") or {}),
            "mutual_want": bool(pair.get("mutual_want")),
            "availability_overlap": availability_overlap(windows, now),  # type: ignore[arg-type]
        }
        names = [display(m) for m in members]
        lines += [
            "",
            f"## {number}. {_join(names)}",
            "",
            f"To: {', '.join(addressed(m) for m in members)}",
            "",
            dialogue_intro(intro_people, explanation),
        ]
    if unmatched:
        lines += ["", "## Not matched", ""]
        for entry in unmatched:
            pid = entry["id"]
            reason = entry.get("reason", "")
            lines.append(f"- {addressed(pid)}: {reason}. {unmatched_reason(reason)}")
    return "\n".join(lines) + "\n"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _reference_time(document: Mapping[str, Any]) -> datetime:
    from matching.model import DEFAULT_REFERENCE_DATE

    config = document.get("config") or {}
    day = DEFAULT_REFERENCE_DATE
    raw = config.get("reference_date") if isinstance(config, Mapping) else None
    if isinstance(raw, str):
        day = date.fromisoformat(raw)  # the engine has validated it already
    return datetime.combine(day, time(12), tzinfo=UTC)
