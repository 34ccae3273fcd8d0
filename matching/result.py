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
class Certificate:
    """Dual values proving `Result.upper_bound`, checkable without the engine.

    `members[k]` is an index into `Pool.ids`, `y2[k]` twice its dual (milli-points);
    `blossoms[b]` lists member indices (into `Pool.ids`) of an odd set with dual
    `z[b]`. For every allowed pair (i, j) of the pool with score w (millis):
    2 w <= y2_i + y2_j + 2 Σ_{B ∋ i, j} z_B; and `bound2` = Σ y2 + 2 Σ z_B ⌊|B|/2⌋ is
    twice an upper bound on any pair matching's total (LP duality).
    """

    members: Any  # np.ndarray of pool indices
    y2: Any  # np.ndarray, aligned with members
    blossoms: list[Any]  # np.ndarrays of pool indices
    z: Any  # np.ndarray

    @property
    def bound2(self) -> int:
        odd = sum(
            int(z) * (len(b) // 2) for z, b in zip(self.z.tolist(), self.blossoms, strict=True)
        )
        return int(self.y2.sum()) + 2 * odd


@dataclass(frozen=True)
class Result:
    """A round's pairs. `upper_bound_millis` is a proven upper bound on the total of
    the best pair matching over all allowed pairs (from the solver's dual values),
    None for `greedy`; `matching_millis` is the total of the pairs as matched, before
    any trio joins them, which is what the bound bounds."""

    pairs: list[Pair]
    unmatched: list[Unmatched]
    total_millis: int
    solver: str
    upper_bound_millis: int | None = None
    matching_millis: int | None = None
    certificate: Certificate | None = field(default=None, compare=False, repr=False)

    @property
    def total_score(self) -> float:
        return to_points(self.total_millis)

    @property
    def upper_bound(self) -> float | None:
        return None if self.upper_bound_millis is None else to_points(self.upper_bound_millis)

    @property
    def gap(self) -> float | None:
        """(upper bound - matched total) / upper bound: at most this share of the
        all-pairs optimum is missing; exactly 0.0 when the result is proven optimal."""
        if self.upper_bound_millis is None:
            return None
        got = self.total_millis if self.matching_millis is None else self.matching_millis
        if self.upper_bound_millis <= got:
            return 0.0
        return (self.upper_bound_millis - got) / self.upper_bound_millis

    def to_dict(self) -> dict[str, Any]:
        gap = self.gap
        return {
            "pairs": [pair.to_dict() for pair in self.pairs],
            "unmatched": [u.to_dict() for u in self.unmatched],
            "total_score": self.total_score,
            "solver": self.solver,
            "upper_bound": self.upper_bound,
            # not rounded: a tiny positive gap must not print as a proof
            "gap": gap,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        pairs = [Pair.from_dict(p) for p in data["pairs"]]
        return cls(
            pairs=pairs,
            unmatched=[Unmatched(u["id"], u["reason"]) for u in data["unmatched"]],
            total_millis=round(data["total_score"] * 1000),
            solver=data["solver"],
            upper_bound_millis=(
                None if data.get("upper_bound") is None else round(data["upper_bound"] * 1000)
            ),
        )
