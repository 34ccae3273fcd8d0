"""Dialogue Matchmaker's matching engine: pure, deterministic, maximum total score.

Public contract: shared/MATCHING.md (the team's) and docs/matching.md.
"""

from matching.blossom import Matching, max_weight_matching
from matching.model import PARTICIPANT_FIELDS, InvalidInput, Participant
from matching.pool import Pool
from matching.result import (
    MET_EVERYONE_RECENTLY,
    NO_COMPATIBLE_PARTNER,
    ODD_ONE_OUT,
    PAUSED,
    REASONS,
    Certificate,
    Pair,
    Result,
    Unmatched,
)
from matching.solver import DEFAULT_TUNING, SOLVERS, Tuning, solve

__all__ = [
    "DEFAULT_TUNING",
    "MET_EVERYONE_RECENTLY",
    "NO_COMPATIBLE_PARTNER",
    "ODD_ONE_OUT",
    "PARTICIPANT_FIELDS",
    "PAUSED",
    "REASONS",
    "SOLVERS",
    "Certificate",
    "InvalidInput",
    "Matching",
    "Pair",
    "Participant",
    "Pool",
    "Result",
    "Tuning",
    "Unmatched",
    "max_weight_matching",
    "solve",
]
