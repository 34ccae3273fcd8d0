"""Vectorised pair scoring in exact integer milli-points.

Every score term is an integer number of milli-points (1/1000 of a point). The
dense terms are matrix products of small-integer matrices, computed in floating
point only where every partial sum is an integer below 2**24 (float32) or 2**53
(float64), so they are exact whatever order BLAS sums in. `Pool.score` uses the
same routine on a 1x1 block, so the scalar and vectorised paths are bit-identical.

Terms of an allowed pair (i, j), weights from `config.weights`:

* pair: base for every allowed pair, so the maximum total prefers matching more people.
* topic: for each shared topic t, round(topic * 1000 * (1 + ln(N / n_t))) millis;
  N = active participants, n_t = active participants who picked t.
* disagreement: min(appetite_i, appetite_j) * (disagreement * sum of gap**2 / 2
  + disagreement_focus * T * K) over co-answered claims; appetite seek = 1,
  neutral = 1/2, avoid = -1/4; T = topics both picked, K = co-answered claims with a
  gap >= 2 minus those with a gap <= 1 (disagreement about what both care about).
  In integers: min(quarters_i, quarters_j) * (U * D + F * T * K) millis with
  U = round(125 * disagreement), F = round(250 * disagreement_focus), D = S G S^T,
  K = S H S^T (S one-hot stances, G / H block-diagonal gap**2 / +-1 tables) and
  T = P P^T (P the 0/1 topics picked).
  An interview pair has no disagreement term (the interviewer wants to learn the
  other's view, not to argue it); a pair that accepts both kinds takes the kind
  with the higher score, i.e. the term is max(0, disagreement) (ties: dialogue).
* mutual_want / one_way_want.
* format: format * (points_i + points_j) of the chosen format (great 2, okay 1).
* availability: when the chosen format is sync, availability * min(overlap hours, 3).
* priority: priority * (priority_i + priority_j).

Hard constraint from `looking_for`: a pair needs a kind both accept, `dialogue` when
both list it, `interview` when one lists `interview_me` and the other
`interview_them` (KIND_TABLE over the members' looking-for bits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from matching.model import (
    APPETITES,
    DEFAULT_LOOKING_FOR,
    FORMAT_POINTS,
    LOOKING_FOR,
    Document,
    InvalidInput,
    Participant,
)

SLOT_MINUTES = 30
SLOTS_PER_WEEK = 7 * 24 * 60 // SLOT_MINUTES  # 336
MIN_SYNC_OVERLAP_SLOTS = 2  # 60 minutes
MAX_AVAILABILITY_SLOTS = 6  # 3 hours count at most
APPETITE_QUARTERS = {"seek": 4, "neutral": 2, "avoid": -1}

# Bits of the sparse hard-constraint matrix.
BLOCKED = 1
MET_RECENTLY = 2

# Looking-for bits of a member, and the kinds a pair of members accepts.
LOOKING_BITS = {name: 1 << k for k, name in enumerate(LOOKING_FOR)}
NO_KIND, DIALOGUE_ONLY, INTERVIEW_ONLY, BOTH_KINDS = 0, 1, 2, 3


def accepted_kinds(a: int, b: int) -> int:
    """The kinds two members' looking-for bits both accept (a DIALOGUE_ONLY.. code)."""
    dialogue = LOOKING_BITS["dialogue"]
    me, them = LOOKING_BITS["interview_me"], LOOKING_BITS["interview_them"]
    code = DIALOGUE_ONLY if a & b & dialogue else NO_KIND
    if (a & me and b & them) or (a & them and b & me):
        code |= INTERVIEW_ONLY
    return code


KIND_TABLE = np.array(
    [accepted_kinds(a, b) for a in range(8) for b in range(8)], dtype=np.int8
)  # index a * 8 + b


def _round_units(value: float) -> int:
    """Round half away from zero, deterministically."""
    return math.floor(value + 0.5) if value >= 0 else -math.floor(-value + 0.5)


def _exact_units(value: float, where: str) -> int:
    """`value` rounded to an integer, or InvalidInput naming `where` when it is too
    large to score exactly (this includes overflowing to infinity)."""
    if not math.isfinite(value) or abs(value) >= 2**53:
        raise InvalidInput(f"{where}: too large to score exactly")
    return _round_units(value)


def utc_slots(person: Participant, reference: datetime) -> np.ndarray | None:
    """The member's weekly availability as a UTC bitmap of 30-minute slots.

    Windows are converted with the UTC offset in force at `reference` (so the
    result does not depend on today's date) and rounded inwards to whole slots.
    """
    if person.availability is None:
        return None
    offset = reference.replace(tzinfo=ZoneInfo(person.timezone)).utcoffset()
    assert offset is not None
    offset_minutes = int(offset.total_seconds()) // 60
    bits = np.zeros(SLOTS_PER_WEEK, dtype=bool)
    for window in person.availability:
        start = window.day * 1440 + window.start - offset_minutes
        end = window.day * 1440 + window.end - offset_minutes
        first = -(-start // SLOT_MINUTES)  # ceil
        last = end // SLOT_MINUTES  # floor, exclusive
        if last > first:
            bits[np.arange(first, last) % SLOTS_PER_WEEK] = True
    return bits


@dataclass(frozen=True)
class Units:
    """Integer millis per unit of each term."""

    pair: int
    disagreement: int  # per gap**2 * appetite-quarter
    disagreement_focus: int  # per shared topic * contested claim * appetite-quarter
    mutual_want: int
    one_way_want: int
    format: int  # per format point
    availability: int  # per 30-minute slot
    priority: int  # per priority point, applied per member


class Features:
    """Dense per-member arrays and sparse per-pair data the block scorer reads.

    Members are indexed by their position in the id-sorted participant list.
    """

    def __init__(self, doc: Document) -> None:
        people = doc.participants
        self.ids: list[str] = [p.id for p in people]
        self.index: dict[str, int] = {pid: n for n, pid in enumerate(self.ids)}
        n = len(people)
        self.n = n
        weights = doc.config.weights

        def weight_units(name: str, per_point: float) -> int:
            return _exact_units(weights[name] * per_point, f"config.weights.{name}")

        self.units = Units(
            pair=weight_units("pair", 1000),
            disagreement=weight_units("disagreement", 125),
            disagreement_focus=weight_units("disagreement_focus", 250),
            mutual_want=weight_units("mutual_want", 1000),
            one_way_want=weight_units("one_way_want", 1000),
            format=weight_units("format", 1000),
            availability=weight_units("availability", 500),
            priority=0,  # per-member millis below
        )
        self.active = np.array([not p.paused for p in people], dtype=bool)
        n_active = int(self.active.sum())

        # Topics: rarity-weighted, each weight rounded to integer millis once.
        self.topic_names: list[str] = list(doc.topics)
        topic_index = {t: k for k, t in enumerate(self.topic_names)}
        picked = np.zeros((n, len(self.topic_names)), dtype=bool)
        for i, person in enumerate(people):
            for topic in person.topics:
                picked[i, topic_index[topic]] = True
        counts = picked[self.active].sum(axis=0)
        self.topic_weight = np.array(
            [
                _exact_units(
                    weights["topic"] * (1 + math.log(n_active / c)) * 1000, "config.weights.topic"
                )
                if c
                else 0
                for c in counts.tolist()
            ],
            dtype=np.int64,
        )
        topic_bound = int(np.abs(self.topic_weight).sum())
        topic_dtype = np.float32 if topic_bound < 2**24 else np.float64
        if topic_bound >= 2**53:
            raise InvalidInput("config.weights.topic: too large to score exactly")
        self.topics = picked.astype(topic_dtype)
        self.topics_weighted = self.topics * self.topic_weight.astype(topic_dtype)
        self.topic_picked = picked

        # Stances: one-hot (N x 5C) and the gap**2 table applied once: D = (S G) S^T.
        self.claim_ids: list[str] = sorted(doc.claims)
        claim_index = {c: k for k, c in enumerate(self.claim_ids)}
        n_claims = len(self.claim_ids)
        onehot = np.zeros((n, 5 * n_claims), dtype=np.float32)
        for i, person in enumerate(people):
            for claim, stance in person.stances.items():
                onehot[i, 5 * claim_index[claim] + stance + 2] = 1
        gap2 = np.array([[(a - b) ** 2 for b in range(5)] for a in range(5)], dtype=np.float32)
        self.stances = onehot
        self.stances_gap = (
            (onehot.reshape(n, n_claims, 5) @ gap2).reshape(n, 5 * n_claims) if n_claims else onehot
        )
        if 16 * n_claims >= 2**24:
            raise InvalidInput("claims: too many claims to score exactly")
        # The disagreement products' row factors, units folded in: U * S G for D and
        # F * S H for K (H: +1 where the gap is >= 2, -1 where it is <= 1). Integers,
        # exact in float32 below 2**24 (`_block_arrays` picks the products' dtype).
        u = self.units
        contest = np.array(
            [[1 if abs(a - b) >= 2 else -1 for b in range(5)] for a in range(5)], dtype=np.float64
        )
        exact32 = 16 * max(abs(u.disagreement), abs(u.disagreement_focus)) < 2**24
        row_dtype = np.float32 if exact32 else np.float64
        self.disagree_rows = (self.stances_gap.astype(np.float64) * u.disagreement).astype(
            row_dtype
        )
        self.contest_rows = (
            (onehot.reshape(n, n_claims, 5).astype(np.float64) @ contest).reshape(n, 5 * n_claims)
            * u.disagreement_focus
        ).astype(row_dtype)
        # Most topics a member picked: T of a pair is at most this.
        self.max_topics = int(picked.sum(axis=1).max(initial=0))
        self.appetite = np.array(
            [APPETITE_QUARTERS[p.disagreement] for p in people], dtype=np.int64
        )
        assert set(APPETITE_QUARTERS) == set(APPETITES)
        self.looking = np.array(
            [sum(LOOKING_BITS[k] for k in p.looking_for) for p in people], dtype=np.int64
        )
        # Everyone looking for a dialogue only (every pool before kinds existed): the
        # kind table is all DIALOGUE_ONLY and the block scorer skips it.
        default = sum(LOOKING_BITS[k] for k in DEFAULT_LOOKING_FOR)
        self.kinds_vary = bool((self.looking != default).any())
        self.wants_dialogue = (self.looking & LOOKING_BITS["dialogue"]) != 0
        self.wants_interview_me = (self.looking & LOOKING_BITS["interview_me"]) != 0
        self.wants_interview_them = (self.looking & LOOKING_BITS["interview_them"]) != 0

        # Formats and availability.
        self.sync_points = np.array([FORMAT_POINTS[p.format["sync"]] for p in people], np.int64)
        self.async_points = np.array([FORMAT_POINTS[p.format["async"]] for p in people], np.int64)
        reference = datetime.combine(doc.config.reference_date, time(12, 0))
        slots = np.zeros((n, SLOTS_PER_WEEK), dtype=np.float32)
        self.flexible = np.ones(n, dtype=bool)
        for i, person in enumerate(people):
            bits = utc_slots(person, reference)
            if bits is not None:
                slots[i] = bits
                self.flexible[i] = False
        self.slots = slots
        # Only members with availability need the 336-wide product.
        self.has_slots = ~self.flexible
        self.format_class = self.sync_points * 3 + self.async_points
        self._format_tables()

        self.priority = np.array(
            [
                _exact_units(
                    weights["priority"] * p.priority * 1000, f'participant "{p.id}": priority'
                )
                for p in people
            ],
            dtype=np.int64,
        )

        # Sparse pair data in CSR form, symmetric.
        want_pairs: dict[tuple[int, int], int] = {}
        for i, person in enumerate(people):
            for other in person.wants:
                j = self.index[other]
                want_pairs[(i, j)] = want_pairs.get((i, j), 0) | 1
                want_pairs[(j, i)] = want_pairs.get((j, i), 0) | 2
        self.wants = _Csr(n, want_pairs)
        hard: dict[tuple[int, int], int] = {}
        for i, person in enumerate(people):
            for other in person.blocks:
                j = self.index[other]
                hard[(i, j)] = hard.get((i, j), 0) | BLOCKED
                hard[(j, i)] = hard.get((j, i), 0) | BLOCKED
        for entry in doc.history:
            if entry.rounds_ago < doc.config.cooldown:
                i, j = self.index[entry.members[0]], self.index[entry.members[1]]
                hard[(i, j)] = hard.get((i, j), 0) | MET_RECENTLY
                hard[(j, i)] = hard.get((j, i), 0) | MET_RECENTLY
        self.hard = _Csr(n, hard)
        self._block_arrays(n_claims)

    def _format_tables(self) -> None:
        """Lookup tables over (format class i, format class j, sync overlap ok)."""
        fmt = np.zeros(9 * 9 * 2, dtype=np.int64)
        sync = np.zeros(9 * 9 * 2, dtype=bool)
        feasible = np.zeros(9 * 9 * 2, dtype=bool)
        for ci in range(9):
            for cj in range(9):
                for overlap_ok in (0, 1):
                    si, ai, sj, aj = ci // 3, ci % 3, cj // 3, cj % 3
                    sync_ok = si > 0 and sj > 0 and overlap_ok == 1
                    async_ok = ai > 0 and aj > 0
                    is_sync = sync_ok and (not async_ok or si + sj >= ai + aj)
                    key = (ci * 9 + cj) * 2 + overlap_ok
                    sync[key] = is_sync
                    feasible[key] = sync_ok or async_ok
                    if is_sync:
                        fmt[key] = self.units.format * (si + sj)
                    elif async_ok:
                        fmt[key] = self.units.format * (ai + aj)
        self.format_millis, self.format_sync, self.format_feasible = fmt, sync, feasible

    def _block_arrays(self, n_claims: int) -> None:
        """Arrays for the fast block scorer, in float32 when every sum stays below 2**24."""
        u = self.units
        bound = (
            abs(u.pair)
            + int(np.abs(self.topic_weight).sum())
            + 2 * int(np.abs(self.priority).max(initial=0))
            + (abs(u.disagreement) * 16 + abs(u.disagreement_focus) * self.max_topics)
            * n_claims
            * 4
            + 4 * abs(u.format)
            + 6 * abs(u.availability)
            + max(abs(u.mutual_want), abs(u.one_way_want))
        )
        if bound >= 2**53:
            raise InvalidInput("config.weights: too large to score exactly")
        dtype = np.float32 if bound < 2**24 else np.float64
        self.block_dtype = dtype
        # [topics_weighted | priority | 1] . [topics | 1 | priority + pair]
        # = topic + priority_i + priority_j + pair, in one product.
        ones = np.ones((self.n, 1))
        self.linear_rows = np.hstack([self.topics_weighted, self.priority[:, None], ones]).astype(
            dtype
        )
        self.linear_cols = np.hstack([self.topics, ones, (self.priority + u.pair)[:, None]]).astype(
            dtype
        )
        self.disagree_rows_b = self.disagree_rows.astype(dtype, copy=False)
        self.contest_rows_b = self.contest_rows.astype(dtype, copy=False)
        self.stances_b = self.stances.astype(dtype, copy=False)
        self.topics_b = self.topics.astype(dtype, copy=False)
        self.appetite_b = self.appetite.astype(dtype)
        # (format class i, format class j, capped overlap 0..6) -> format + availability
        table = np.zeros((9, 9, MAX_AVAILABILITY_SLOTS + 1), dtype=dtype)
        feasible = np.zeros((9, 9, MAX_AVAILABILITY_SLOTS + 1), dtype=bool)
        for slots in range(MAX_AVAILABILITY_SLOTS + 1):
            ok = int(slots >= MIN_SYNC_OVERLAP_SLOTS)
            keys = (np.arange(9)[:, None] * 9 + np.arange(9)[None, :]) * 2 + ok
            sync = self.format_sync[keys]
            table[:, :, slots] = self.format_millis[keys] + sync * u.availability * slots
            feasible[:, :, slots] = self.format_feasible[keys]
        self.format_table = table.ravel()
        self.format_table_feasible = feasible.ravel()
        self.class_rows = (self.format_class * 9 * 7).astype(np.int16)
        self.class_cols = (self.format_class * 7).astype(np.int16)
        self.want_value = np.array([0, u.one_way_want, u.one_way_want, u.mutual_want], dtype)


class _Csr:
    """A small CSR matrix of int codes over member pairs."""

    def __init__(self, n: int, entries: dict[tuple[int, int], int]) -> None:
        keys = sorted(entries)
        rows = np.array([k[0] for k in keys], dtype=np.int64)
        self.cols = np.array([k[1] for k in keys], dtype=np.int64)
        self.vals = np.array([entries[k] for k in keys], dtype=np.int64)
        self.n = n
        self.keys = rows * n + self.cols
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(self.indptr, rows + 1, 1)
        np.cumsum(self.indptr, out=self.indptr)

    def gather(
        self, rows: np.ndarray, col_pos: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Entries in `rows` x columns where col_pos >= 0: (row slot, col slot, value)."""
        starts = self.indptr[rows]
        counts = self.indptr[rows + 1] - starts
        total = int(counts.sum())
        if total == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        row_slot = np.repeat(np.arange(len(rows)), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts - starts, counts)
        pos = col_pos[self.cols[offsets]]
        keep = pos >= 0
        return row_slot[keep], pos[keep], self.vals[offsets[keep]]

    def lookup(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Values at (rows[k], cols[k]), 0 where absent."""
        if len(self.keys) == 0:
            return np.zeros(len(rows), dtype=np.int64)
        wanted = rows * self.n + cols
        pos = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return np.where(self.keys[pos] == wanted, self.vals[pos], 0)


@dataclass
class Block:
    """Scores of rows x cols: millis (meaningful where allowed) and the allowed mask."""

    millis: np.ndarray
    allowed: np.ndarray


@dataclass
class Terms:
    """Per-term millis of a block, for explanations."""

    pair: np.ndarray
    topic: np.ndarray
    disagreement: np.ndarray
    want: np.ndarray  # 0 none, 1 one way, 2 mutual (want codes)
    want_millis: np.ndarray
    format: np.ndarray
    availability: np.ndarray
    priority: np.ndarray
    sync: np.ndarray  # chosen format is sync
    overlap_slots: np.ndarray  # -1 when a member is flexible
    feasible: np.ndarray  # some format is feasible
    hard: np.ndarray  # hard-constraint bits
    kinds: np.ndarray  # the kinds both accept (NO_KIND .. BOTH_KINDS)
    interview: np.ndarray  # the chosen kind is an interview


def _combine(
    f: Features,
    ri: np.ndarray,
    ci: np.ndarray,
    topic: np.ndarray,
    gap_millis: np.ndarray,
    overlap: np.ndarray,
    want_code: np.ndarray,
    hard: np.ndarray,
    ignore_history: bool,
    terms: bool,
) -> tuple[Block, Terms | None]:
    """Combine the dense products into scores; ri, ci broadcast against each other.

    `gap_millis` is U * D + F * T * K (millis per appetite-quarter), `overlap` the
    slot overlap, or -1 when a member is flexible. Arithmetic is in float64 on
    integers far below 2**53, hence exact.
    """
    u = f.units
    flex = overlap < 0
    capped = np.where(flex, MAX_AVAILABILITY_SLOTS, np.minimum(overlap, MAX_AVAILABILITY_SLOTS))
    key = (f.format_class[ri] * 18 + f.format_class[ci] * 2) + (capped >= MIN_SYNC_OVERLAP_SLOTS)
    sync = f.format_sync[key]
    fmt = f.format_millis[key]
    availability = sync * (u.availability * capped)
    appetite = np.minimum(f.appetite[ri], f.appetite[ci])
    kinds = KIND_TABLE[f.looking[ri] * 8 + f.looking[ci]]
    raw_disagreement = gap_millis * appetite
    # an interview has no disagreement term; with both kinds the better one is taken
    disagreement = np.where(
        kinds == INTERVIEW_ONLY,
        0,
        np.where(kinds == BOTH_KINDS, np.maximum(raw_disagreement, 0), raw_disagreement),
    )
    interview = (kinds == INTERVIEW_ONLY) | ((kinds == BOTH_KINDS) & (raw_disagreement < 0))
    want_millis = np.where(
        want_code == 3, u.mutual_want, np.where(want_code > 0, u.one_way_want, 0)
    )
    priority = f.priority[ri] + f.priority[ci]
    total = topic + disagreement
    total += fmt
    total += availability
    total += want_millis
    total += priority
    total += u.pair
    millis = total.astype(np.int64)
    mask = BLOCKED if ignore_history else BLOCKED | MET_RECENTLY
    allowed = f.format_feasible[key]
    allowed &= (hard & mask) == 0
    allowed &= kinds != NO_KIND
    allowed &= ri != ci
    allowed &= f.active[ri] & f.active[ci]
    block = Block(millis=millis, allowed=allowed)
    if not terms:
        return block, None
    return block, Terms(
        pair=np.full(millis.shape, u.pair, dtype=np.int64),
        topic=np.asarray(topic).astype(np.int64),
        disagreement=np.asarray(disagreement).astype(np.int64),
        want=want_code,
        want_millis=want_millis,
        format=fmt,
        availability=np.asarray(availability).astype(np.int64),
        priority=priority,
        sync=sync,
        overlap_slots=np.asarray(overlap).astype(np.int64),
        feasible=f.format_feasible[key],
        hard=hard,
        kinds=np.asarray(kinds),
        interview=np.asarray(interview),
    )


def score_block(
    f: Features, rows: np.ndarray, cols: np.ndarray, *, ignore_history: bool = False
) -> Block:
    """Score every pair rows x cols (global member indices) with matrix products.

    `millis` holds exact integers as floats (float32 when every sum stays below
    2**24, else float64); it is meaningful where `allowed`.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    dtype = f.block_dtype
    shape = (len(rows), len(cols))
    # topic + priority + pair base in one product
    total = f.linear_rows[rows] @ f.linear_cols[cols].T
    disagreement = f.disagree_rows_b[rows] @ f.stances_b[cols].T
    if f.units.disagreement_focus:
        # F * T * K: topics both picked times contested minus agreed claims
        contest = f.contest_rows_b[rows] @ f.stances_b[cols].T
        contest *= f.topics_b[rows] @ f.topics_b[cols].T
        disagreement += contest
        del contest
    disagreement *= np.minimum(f.appetite_b[rows][:, None], f.appetite_b[cols][None, :])
    kind_ok = None
    if f.kinds_vary:
        # The same rule as _combine (KIND_TABLE) in boolean outer products, cheaper than
        # a table lookup on the block: no disagreement term unless a dialogue is
        # accepted, and none below zero when an interview is accepted too.
        dialogue = np.logical_and.outer(f.wants_dialogue[rows], f.wants_dialogue[cols])
        interview = np.logical_and.outer(f.wants_interview_me[rows], f.wants_interview_them[cols])
        interview |= np.logical_and.outer(f.wants_interview_them[rows], f.wants_interview_me[cols])
        disagreement *= dialogue
        np.maximum(disagreement, 0, out=disagreement, where=interview)
        kind_ok = dialogue
        kind_ok |= interview
        del interview
    total += disagreement
    del disagreement
    # Availability overlap capped at 6 slots; flexible members count as 6.
    capped = np.full(shape, MAX_AVAILABILITY_SLOTS, dtype=np.int16)
    rs = np.flatnonzero(f.has_slots[rows])
    cs = np.flatnonzero(f.has_slots[cols])
    if len(rs) and len(cs):
        product = f.slots[rows[rs]] @ f.slots[cols[cs]].T
        np.minimum(product, MAX_AVAILABILITY_SLOTS, out=product)
        if len(cs) == len(cols):
            capped[rs] = product
        else:
            capped[np.ix_(rs, cs)] = product
    key = f.class_rows[rows][:, None] + f.class_cols[cols][None, :]
    key += capped
    del capped
    total += f.format_table[key]
    allowed = f.format_table_feasible[key]
    del key
    if kind_ok is not None:
        allowed &= kind_ok
        del kind_ok

    col_pos = np.full(f.n, -1, dtype=np.int64)
    col_pos[cols] = np.arange(len(cols))
    r, c, v = f.wants.gather(rows, col_pos)
    total[r, c] += f.want_value[v]
    r, c, v = f.hard.gather(rows, col_pos)
    mask = BLOCKED if ignore_history else BLOCKED | MET_RECENTLY
    hit = (v & mask) != 0
    allowed[r[hit], c[hit]] = False
    own = col_pos[rows]
    present = np.flatnonzero(own >= 0)
    allowed[present, own[present]] = False
    allowed[~f.active[rows]] = False
    allowed[:, ~f.active[cols]] = False
    assert total.dtype == dtype
    return Block(millis=total, allowed=allowed)


def score_pairs(
    f: Features,
    first: np.ndarray,
    second: np.ndarray,
    *,
    terms: bool = False,
) -> tuple[Block, Terms | None]:
    """Score the pairs (first[k], second[k]) elementwise; same integers as score_block."""
    i = np.asarray(first, dtype=np.int64)
    j = np.asarray(second, dtype=np.int64)
    topic = (f.topics_weighted[i].astype(np.float64) * f.topics[j]).sum(axis=1)
    stances_j = f.stances[j].astype(np.float64)
    gap_millis = (f.disagree_rows[i] * stances_j).sum(axis=1)
    if f.units.disagreement_focus:
        shared = (f.topics[i].astype(np.float64) * f.topics[j]).sum(axis=1)
        gap_millis += (f.contest_rows[i] * stances_j).sum(axis=1) * shared
    both = f.has_slots[i] & f.has_slots[j]
    products = (f.slots[i].astype(np.float64) * f.slots[j]).sum(axis=1)
    overlap = np.where(both, products, -1)
    return _combine(
        f, i, j, topic, gap_millis, overlap, f.wants.lookup(i, j), f.hard.lookup(i, j), False, terms
    )
