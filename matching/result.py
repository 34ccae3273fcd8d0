"""The values `solve` returns: pairs with their explanations, unmatched members, totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Why a member was left without a partner (exact strings, part of the contract).
PAUSED = "paused"
NO_COMPATIBLE_PARTNER = "no compatible partner"
MET_EVERYONE_RECENTLY = "everyone compatible met them recently"
ODD_ONE_OUT = "odd one out"
REASONS = (PAUSED, NO_COMPATIBLE_PARTNER, MET_EVERYONE_RECENTLY, ODD_ONE_OUT)


def to_points(millis: int) -> float:
    """Millis as the reported float score, rounded to 3 decimals."""
    return round(millis / 1000, 3)


@dataclass(frozen=True)
class Pair:
    """A pair (or, with odd="trio", a trio) and why its members fit.

    `score` is None only for `Pool.explain` of a forbidden pair, where `forbidden`
    says why; pairs in a `Result` are always allowed.
    """

    members: tuple[str, ...]
    score: float | None
    shared_topics: tuple[str, ...] = ()
    disagreements: tuple[dict[str, Any], ...] = ()
    format: str | None = None
    mutual_want: bool = False
    one_way_want: bool = False
    overlap_minutes: int | None = None  # None: a member gave no availability (flexible)
    score_terms: dict[str, float] = field(default_factory=dict)
    millis: int | None = None  # the exact score in milli-points
    forbidden: str | None = None
    kind: str = "dialogue"  # "dialogue" or "interview" (matching.model.KINDS)
    # interviews only: member id -> "interviewer" | "interviewee"
    roles: dict[str, str] | None = None

    def role_of(self, member: str) -> str | None:
        """The member's role in an interview ("interviewer", "interviewee"), else None."""
        return None if self.roles is None else self.roles.get(member)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "members": list(self.members),
            "score": self.score,
            "shared_topics": list(self.shared_topics),
            "disagreements": [
                {"claim": d["claim"], "stances": dict(d["stances"])} for d in self.disagreements
            ],
            "format": self.format,
            "mutual_want": self.mutual_want,
            "one_way_want": self.one_way_want,
            "overlap_minutes": self.overlap_minutes,
            "score_terms": dict(self.score_terms),
            "kind": self.kind,
        }
        if self.roles is not None:
            out["roles"] = dict(self.roles)
        if self.forbidden is not None:
            out["forbidden"] = self.forbidden
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pair:
        score = data["score"]
        return cls(
            members=tuple(data["members"]),
            score=score,
            shared_topics=tuple(data.get("shared_topics", ())),
            disagreements=tuple(
                {"claim": d["claim"], "stances": dict(d["stances"])}
                for d in data.get("disagreements", ())
            ),
            format=data.get("format"),
            mutual_want=bool(data.get("mutual_want", False)),
            one_way_want=bool(data.get("one_way_want", False)),
            overlap_minutes=data.get("overlap_minutes"),
            score_terms=dict(data.get("score_terms", {})),
            millis=None if score is None else round(score * 1000),
            forbidden=data.get("forbidden"),
            kind=data.get("kind", "dialogue"),
            roles=dict(data["roles"]) if data.get("roles") is not None else None,
        )


@dataclass(frozen=True)
class Unmatched:
    id: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class Result:
    pairs: list[Pair]
    unmatched: list[Unmatched]
    total_millis: int
    solver: str

    @property
    def total_score(self) -> float:
        return to_points(self.total_millis)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": [pair.to_dict() for pair in self.pairs],
            "unmatched": [u.to_dict() for u in self.unmatched],
            "total_score": self.total_score,
            "solver": self.solver,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        pairs = [Pair.from_dict(p) for p in data["pairs"]]
        return cls(
            pairs=pairs,
            unmatched=[Unmatched(u["id"], u["reason"]) for u in data["unmatched"]],
            total_millis=round(data["total_score"] * 1000),
            solver=data["solver"],
        )
