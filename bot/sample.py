"""The shipped sample community (`bot/data/sample_community.json`), typed, for the demo,
the tests and the match-quality bench.

The JSON file is the source of truth. Its schema:

```
{
  "name": str,                      # the community's display name
  "description": str,
  "config": {"cooldown": int, "odd_policy": "wait" | "trio", "seed": int},
  "topics": [{"slug": str, "name": str}],
  "claims": [{"id": str, "text": str, "topics": [topic slug, ...]}],
  "members": [{
      "id": str,                    # platform user id on the local platform (a handle)
      "display_name": str,
      "topics": [topic slug, ...],  # 2..6
      "stances": {claim id: -2..2}, # a missing claim is skipped
      "format": {"sync": "great"|"okay"|"no", "async": "great"|"okay"|"no"},
      "timezone": IANA name,
      "availability": [{"day": "mon".."sun", "start": "HH:MM", "end": "HH:MM"}],
                                    # local time; empty = flexible (only async-only members)
      "appetite": "seek" | "neutral" | "avoid",
      "looking_for": ["dialogue" | "interview_me" | "interview_them", ...],
                                    # optional, default ["dialogue"]
      "about": str,                 # "what I'd like to talk about", shown to the partner
      "publish_ok": bool,
      "participation": "every" | "once",
      "paused": bool,               # snoozed: in the community but out of the round
      "wants": [member id, ...],    # private "I'd dialogue with X" ticks
      "blocks": [member id, ...]    # never pair with X (either direction)
  }],
  "history": [{"members": [id, id], "rounds_ago": int}]
}
```

`history.rounds_ago` counts as `bot.core.pool` does: 1 is the latest past round (the next
round is number N, a meeting in round N - k is k rounds ago), and a pair with
`rounds_ago < cooldown` may not meet again. The demo turns each entry into a closed dialogue
of past round N - k, so the engine sees exactly this history.

The sample is built so every rule of the engine shows in the demo's report: mutual and
one-way wants, blocks (one of them against a member who wants the blocker), paused members,
sync-only and async-only members, one member whose only sync slot nobody shares ("no
compatible partner"), one whose only compatible partners met them recently, an odd
number of matchable members ("odd one out"), and researchers who want to be interviewed
about their agenda with members who would interview them (interview pairs and roles).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAMPLE_RESOURCE = "sample_community.json"


@dataclass(frozen=True, slots=True)
class SampleTopic:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class SampleClaim:
    id: str
    text: str
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Window:
    day: str
    start: str
    end: str

    def to_dict(self) -> dict[str, str]:
        return {"day": self.day, "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class SampleMember:
    id: str
    display_name: str
    topics: tuple[str, ...]
    stances: dict[str, int]
    format_sync: str
    format_async: str
    timezone: str
    availability: tuple[Window, ...]
    appetite: str
    about: str
    publish_ok: bool
    participation: str
    paused: bool
    wants: tuple[str, ...]
    blocks: tuple[str, ...]
    looking_for: tuple[str, ...] = ("dialogue",)


@dataclass(frozen=True, slots=True)
class PastMeeting:
    members: tuple[str, str]
    rounds_ago: int


@dataclass(frozen=True, slots=True)
class SampleCommunity:
    name: str
    description: str
    cooldown: int
    odd_policy: str
    seed: int
    topics: tuple[SampleTopic, ...]
    claims: tuple[SampleClaim, ...]
    members: tuple[SampleMember, ...]
    history: tuple[PastMeeting, ...] = field(default=())

    def member(self, member_id: str) -> SampleMember:
        for member in self.members:
            if member.id == member_id:
                return member
        raise KeyError(member_id)

    def mutual_wants(self) -> list[tuple[str, str]]:
        """Pairs who ticked each other, each once, in sample order."""
        wanted = {(m.id, w) for m in self.members for w in m.wants}
        return [(a, b) for a, b in sorted(wanted) if a < b and (b, a) in wanted]

    def blocked_pairs(self) -> list[tuple[str, str]]:
        return [(m.id, b) for m in self.members for b in m.blocks]


def _member(raw: dict[str, Any]) -> SampleMember:
    return SampleMember(
        id=raw["id"],
        display_name=raw["display_name"],
        topics=tuple(raw["topics"]),
        stances={str(k): int(v) for k, v in raw.get("stances", {}).items()},
        format_sync=raw["format"]["sync"],
        format_async=raw["format"]["async"],
        timezone=raw.get("timezone", "UTC"),
        availability=tuple(Window(**w) for w in raw.get("availability", [])),
        appetite=raw.get("appetite", "seek"),
        about=raw.get("about", ""),
        publish_ok=bool(raw.get("publish_ok", False)),
        participation=raw.get("participation", "every"),
        paused=bool(raw.get("paused", False)),
        wants=tuple(raw.get("wants", [])),
        blocks=tuple(raw.get("blocks", [])),
        looking_for=tuple(raw.get("looking_for", ["dialogue"])),
    )


def parse_sample(data: dict[str, Any]) -> SampleCommunity:
    config = data.get("config", {})
    return SampleCommunity(
        name=data["name"],
        description=data.get("description", ""),
        cooldown=int(config.get("cooldown", 6)),
        odd_policy=config.get("odd_policy", "wait"),
        seed=int(config.get("seed", 0)),
        topics=tuple(SampleTopic(t["slug"], t["name"]) for t in data["topics"]),
        claims=tuple(SampleClaim(c["id"], c["text"], tuple(c["topics"])) for c in data["claims"]),
        members=tuple(_member(m) for m in data["members"]),
        history=tuple(
            PastMeeting((h["members"][0], h["members"][1]), int(h["rounds_ago"]))
            for h in data.get("history", [])
        ),
    )


def load_sample(path: str | Path | None = None) -> SampleCommunity:
    """The shipped sample community, or the one in `path` (same schema)."""
    if path is None:
        path = Path(__file__).parent / "data" / SAMPLE_RESOURCE
    text = Path(path).read_text("utf-8")
    return parse_sample(json.loads(text))


def to_engine_document(sample: SampleCommunity) -> dict[str, Any]:
    """The sample as the matching engine's input document (MATCHING.md)."""
    return {
        "topics": [t.slug for t in sample.topics],
        "claims": {c.id: {"text": c.text, "topics": list(c.topics)} for c in sample.claims},
        "participants": [
            {
                "id": m.id,
                "topics": list(m.topics),
                "stances": dict(m.stances),
                "format": {"sync": m.format_sync, "async": m.format_async},
                "timezone": m.timezone,
                **(
                    {"availability": [w.to_dict() for w in m.availability]}
                    if m.availability
                    else {}
                ),
                "disagreement": m.appetite,
                "looking_for": list(m.looking_for),
                "wants": list(m.wants),
                "blocks": list(m.blocks),
                "priority": 0,
                "paused": m.paused,
            }
            for m in sample.members
        ],
        "history": [
            {"members": list(h.members), "rounds_ago": h.rounds_ago} for h in sample.history
        ],
        "config": {"cooldown": sample.cooldown, "odd": sample.odd_policy, "seed": sample.seed},
    }
