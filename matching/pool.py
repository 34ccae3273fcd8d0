"""A validated pool of participants and the pair score the solver maximises."""

from __future__ import annotations

from typing import Any

import numpy as np

from matching.candidates import all_pair_edges
from matching.explain import explain_pair
from matching.model import Config, Document, Participant, parse_document
from matching.result import Pair, to_points
from matching.scoring import Features, score_block


class Pool:
    """Participants (sorted by id), configuration and the precomputed scoring features."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.features = Features(document)

    @classmethod
    def from_dict(cls, data: Any) -> Pool:
        """Build a pool from the input document; raises InvalidInput naming the fault."""
        return cls(parse_document(data))

    @property
    def config(self) -> Config:
        return self.document.config

    @property
    def ids(self) -> list[str]:
        return list(self.features.ids)

    @property
    def participants(self) -> dict[str, Participant]:
        return {p.id: p for p in self.document.participants}

    def __len__(self) -> int:
        return self.features.n

    def _index(self, pid: str) -> int:
        try:
            return self.features.index[pid]
        except KeyError:
            raise KeyError(f"unknown participant {pid!r}") from None

    def score_millis(self, a: str, b: str) -> int | None:
        """The exact pair score in milli-points, or None when the pair is forbidden."""
        i, j = self._index(a), self._index(b)
        block = score_block(self.features, np.array([i]), np.array([j]))
        if not bool(block.allowed[0, 0]):
            return None
        return int(block.millis[0, 0])

    def score(self, a: str, b: str) -> float | None:
        """The pair score in points (3 decimals), or None when a hard constraint forbids it."""
        millis = self.score_millis(a, b)
        return None if millis is None else to_points(millis)

    def allowed_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every allowed pair with a positive score: the graph `solve(solver="exact")`
        maximises over, scored in row blocks.

        Returns (u, v, millis): int64 arrays, u[k] < v[k] indices into `ids`, and
        millis[k] == score_millis(ids[u[k]], ids[v[k]]).
        """
        nodes = np.flatnonzero(self.features.active)
        u, v, millis = all_pair_edges(self.features, nodes)
        return nodes[u], nodes[v], millis

    def explain(self, a: str, b: str) -> Pair:
        """The Pair-shaped explanation of any two members.

        For a forbidden pair, `score` and `format` are None and `forbidden` says why
        ("same participant", "paused", "blocked", "met recently", "nothing both are
        looking for", "no shared format").
        """
        return explain_pair(self.features, self.document, self._index(a), self._index(b))
