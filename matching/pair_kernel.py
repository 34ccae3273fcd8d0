"""The pair score as one compiled loop (numba), for scans over the whole pool.

`score_block` is fast on dense blocks but every term is a separate pass over a
rows x cols array; scanning all N²/2 pairs of 100,000 members that way is the
minutes the blocks used to take. Here each member is a few machine words
(topic, stance and availability bitsets) and one pair costs a handful of AND +
popcount operations, in integers throughout, so the result is the same exact
integer millis as `scoring.score_pairs` term by term (tests/matching/
test_pair_kernel.py checks that on random pools, so any drift between the two
fails):

* topic: the rarity weights of the set bits of `topics_i & topics_j`;
* disagreement: Σ gap² over co-answered claims as Σ_b 2^b popcount(P_i^b & S_j),
  where S_j is j's one-hot stance bitset and P_i^b the (claim, stance) bits at
  which bit b of i's gap² is set; then the appetite and kind rules of `_combine`;
* availability: popcount of the two weekly slot bitmaps, capped; format and
  availability from the same tables `_combine` reads;
* wants and hard constraints: binary search in the CSR rows of `Features`.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from matching.scoring import (
    BLOCKED,
    KIND_TABLE,
    MAX_AVAILABILITY_SLOTS,
    MET_RECENTLY,
    MIN_SYNC_OVERLAP_SLOTS,
    SLOTS_PER_WEEK,
    Features,
)

# gap² in {0, 1, 4, 9, 16}: the bits that are ever set
GAP_BITS = (0, 2, 3, 4)
GAP_SHIFT = np.array(GAP_BITS, dtype=np.int64)
# the planes after the gap² bits: stances >= 2 from i's, and every stance of a claim
# i answered (for disagreement_focus's contested - agreed count)
CONTESTED, ANSWERED = len(GAP_BITS), len(GAP_BITS) + 1


@intrinsic
def _popcount(typingctx, x):  # type: ignore[no-untyped-def]
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def _lowest_bit(typingctx, x):  # type: ignore[no-untyped-def]
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))

    return sig, codegen


def _bits(matrix: np.ndarray, words: int = 0) -> np.ndarray:
    """Rows of a boolean matrix packed into little-endian uint64 words (at least
    `words` of them)."""
    n, width = matrix.shape
    words = max(1, words, -(-width // 64))
    padded = np.zeros((n, words * 64), dtype=bool)
    padded[:, :width] = matrix
    packed = np.packbits(padded.reshape(n, words, 64), axis=2, bitorder="little")
    return np.ascontiguousarray(packed.view(np.uint64).reshape(n, words))


TILES = 64  # tiles per side of the pair scan (64·63/2 tile pairs, 32 per round)
MIN_TILE = 32
SCAN_WORDS = 2  # the scan's bitsets are two words: up to 128 topics, 25 claims
SLOT_WORDS = -(-SLOTS_PER_WEEK // 64)  # 6
FORBIDDEN = -(1 << 40)  # a ceiling below every allowed score
TOPIC_PLANES = 5  # topic weights rounded up to multiples of 1/31 of the largest
# columns of Kernel.member
APPETITE, LOOKING, FORMAT_CLASS, PRIORITY, ACTIVE, HAS_SLOTS = range(6)
# columns of Kernel.formats, indexed by (class_i * 9 + class_j) * 2 + (overlap >= 1 hour)
FORMAT_MILLIS, FORMAT_SYNC, FORMAT_FEASIBLE = range(3)


def _local_csr(
    ptr: np.ndarray, cols: np.ndarray, vals: np.ndarray, nodes: np.ndarray, n_all: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows `nodes` of a CSR matrix over all members, re-indexed to positions in
    `nodes` (entries outside `nodes` dropped), columns sorted within each row."""
    pos = np.full(n_all, -1, dtype=np.int64)
    pos[nodes] = np.arange(len(nodes))
    counts = ptr[nodes + 1] - ptr[nodes]
    rows = np.repeat(np.arange(len(nodes)), counts)
    at = np.repeat(ptr[nodes] - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
    c = pos[cols[at]]
    keep = c >= 0
    rows, c, v = rows[keep], c[keep], vals[at[keep]]
    order = np.lexsort((c, rows))
    rows, c, v = rows[order], c[order], v[order]
    out = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.add.at(out, rows + 1, 1)
    return np.cumsum(out), c.astype(np.int64), v.astype(np.int64)


class Kernel:
    """Per-member words and the score tables for the members `nodes` (global
    indices into `Features`), in that order: the kernel's own indices are positions
    in `nodes`, so a scan reads every member's words contiguously."""

    def __init__(self, f: Features, nodes: np.ndarray | None = None) -> None:
        u = f.units
        nodes = np.arange(f.n) if nodes is None else np.asarray(nodes, dtype=np.int64)
        self.nodes = nodes
        self.n = len(nodes)
        picked = f.topic_picked[nodes]
        self.topic_bits = _bits(picked, SCAN_WORDS)
        self.topic_weight = np.zeros(self.topic_bits.shape[1] * 64, dtype=np.int64)
        self.topic_weight[: len(f.topic_weight)] = f.topic_weight
        onehot = f.stances[nodes] > 0
        self.stance_bits = _bits(onehot, SCAN_WORDS)
        gap2 = np.rint(f.stances_gap[nodes]).astype(np.int64)
        n_claims = len(f.claim_ids)
        stance = onehot.reshape(self.n, n_claims, 5)
        answered = stance.any(axis=2)
        # i's stance index per claim (0..4), and which of j's stances are >= 2 away
        own = stance.argmax(axis=2)
        far = np.abs(own[:, :, None] - np.arange(5)[None, None, :]) >= 2
        contested = (far & answered[:, :, None]).reshape(self.n, 5 * n_claims)
        every = np.repeat(answered, 5, axis=1)
        # P^b: where bit b of i's gap² against the (claim, stance) column is set
        # (columns of claims i skipped are 0 in stances_gap already); then where
        # j's stance would be >= 2 from i's, and every column of a claim i answered:
        # K = 2 popcount(contested_i & S_j) - popcount(answered_i & S_j)
        words = self.stance_bits.shape[1]
        planes = [_bits((gap2 >> b) & 1 == 1, words) for b in GAP_BITS]
        planes += [_bits(contested, words), _bits(every, words)]
        self.gap_planes = np.ascontiguousarray(np.stack(planes, axis=1))
        # the scan's topic ceiling: weights rounded up to multiples of `topic_step`
        top = int(max(0, f.topic_weight.max(initial=0)))
        self.topic_step = max(1, -(-top // (2**TOPIC_PLANES - 1)))
        q = np.maximum(0, -(-f.topic_weight // self.topic_step))
        words = self.topic_bits.shape[1]
        self.topic_planes = np.ascontiguousarray(
            np.stack(
                [_bits(picked & ((q >> b) & 1 == 1)[None, :], words) for b in range(TOPIC_PLANES)],
                axis=1,
            )
        )
        self.slot_bits = _bits(f.slots[nodes] > 0)
        self.member = np.ascontiguousarray(
            np.stack(
                [f.appetite, f.looking, f.format_class, f.priority, f.active, f.has_slots], axis=1
            )[nodes].astype(np.int64)
        )
        self.formats = np.ascontiguousarray(
            np.stack([f.format_millis, f.format_sync, f.format_feasible], axis=1).astype(np.int64)
        )
        self.kind_table = KIND_TABLE.astype(np.int64)
        # pair, disagreement, mutual want, one-way want, availability, disagreement focus
        self.units = np.array(
            [
                u.pair,
                u.disagreement,
                u.mutual_want,
                u.one_way_want,
                u.availability,
                u.disagreement_focus,
            ],
            np.int64,
        )
        self.wants = _local_csr(f.wants.indptr, f.wants.cols, f.wants.vals, nodes, f.n)
        self.hard = _local_csr(f.hard.indptr, f.hard.cols, f.hard.vals, nodes, f.n)
        # format + availability by (class_i, class_j, capped overlap), FORBIDDEN where
        # no format is feasible
        self.fa_bound = np.where(
            f.format_table_feasible, np.rint(f.format_table).astype(np.int64), FORBIDDEN
        ).astype(np.int64)
        assert self.slot_bits.shape[1] == SLOT_WORDS
        has_wants = np.diff(self.wants[0]) > 0
        self.wantmax = np.where(has_wants, max(0, u.mutual_want, u.one_way_want), 0).astype(
            np.int64
        )
        # one kind for everyone: the disagreement term is exact in the scan's ceiling
        self.clip = bool(f.kinds_vary)
        self.columns = _columns(self, f)

    def args(self) -> tuple[np.ndarray, ...]:
        """The arrays every compiled routine takes, as one tuple (`data`), in `_score`'s
        order."""
        return (
            self.topic_bits,
            self.topic_weight,
            self.stance_bits,
            self.gap_planes,
            self.slot_bits,
            self.member,
            self.formats,
            self.kind_table,
            self.units,
            *self.wants,
            *self.hard,
        )

    def _scan(self) -> tuple[np.ndarray, int, bool]:
        """The pair ceiling's inputs besides `args()` and `columns`, as the scans
        take them."""
        return self.topic_planes, self.topic_step, self.clip

    @property
    def fast(self) -> bool:
        """The scan handles two-word bitsets (up to 128 topics and 25 claims)."""
        return self.topic_bits.shape[1] == SCAN_WORDS and self.stance_bits.shape[1] == SCAN_WORDS

    def pool(self, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each member's m best partners by exact score (allowed and positive only):
        (partner indices, scores, count) per member, each row sorted best first (ties:
        the lower partner index first). A member with fewer than m such partners has
        them all. Needs `fast`."""
        # the shortfall scan against zero duals: keyed by 2 w, the same order and
        # the same m (one compiled scan for both)
        partners, doubled, count, _ = self.short_pool(np.zeros(self.n, dtype=np.int64), m)
        return partners, doubled // 2, count

    def short_pairs(
        self, y2: np.ndarray, cap: int = 16
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every allowed pair i < j with 2 w_ij > y2_i + y2_j (doubled duals, kernel
        order), in one pass over all pairs. Returns the pairs kept (i, j, w, doubled
        slack; at most `cap` per row i), each row's count of short pairs and its
        largest doubled shortfall (odd sets ignored: an upper bound). Needs `fast`."""
        assert self.fast, "the pair scan needs two-word bitsets"
        n = self.n
        y2 = np.ascontiguousarray(y2, dtype=np.int64)
        out_j = np.zeros((n, cap), dtype=np.int64)
        out_w = np.zeros((n, cap), dtype=np.int64)
        out_s = np.zeros((n, cap), dtype=np.int64)
        counts = np.zeros(n, dtype=np.int64)
        excess2 = np.zeros(n, dtype=np.int64)
        if n >= 2:
            tiles = max(1, min(TILES, n // MIN_TILE))
            bounds = np.linspace(0, n, tiles + 1).astype(np.int64)
            _dual_scan(
                bounds,
                _split_rows(tiles, _workers(tiles)),
                y2,
                cap,
                (out_j, out_w, out_s, counts, excess2),
                self._scan(),
                self.columns,
                self.args(),
            )
        kept = np.minimum(counts, cap)
        mask = np.arange(cap)[None, :] < kept[:, None]
        rows = np.repeat(np.arange(n), kept)
        return rows, out_j[mask], out_w[mask], out_s[mask], counts, excess2

    def short_pool(
        self, y2: np.ndarray, m: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each member's m most short pairs against doubled duals y2: allowed pairs
        with doubled shortfall s_ij = 2 w_ij − y2_i − y2_j > 0, largest first (ties:
        the lower partner index), in one pass over all pairs, like `pool` (with y2 = 0
        it is `pool` with doubled scores). Returns (partners, shortfalls, count, each
        member's largest shortfall over all its pairs). A row with fewer than m kept
        has all its short pairs. Needs `fast`."""
        assert self.fast, "the pair scan needs two-word bitsets"
        n = self.n
        m = max(m, 1)
        y2 = np.ascontiguousarray(y2, dtype=np.int64)
        tiles = max(1, min(TILES, n // MIN_TILE))
        workers = _workers(tiles) if n >= 2 else 1
        top_idx = np.zeros((workers, n, m), dtype=np.int32)
        top_val = np.zeros((workers, n, m), dtype=np.int64)
        sizes = np.zeros((workers, n), dtype=np.int64)
        worst = np.zeros((workers, n), dtype=np.int64)
        if n >= 2:
            bounds = np.linspace(0, n, tiles + 1).astype(np.int64)
            _short_scan(
                bounds,
                _split_pairs(tiles, workers),
                m,
                y2,
                (top_idx, top_val, sizes, np.ones((workers, n), dtype=np.int64), worst),
                self._scan(),
                self.columns,
                self.args(),
            )
            _merge_heaps(top_idx, top_val, sizes)
        return top_idx[0].copy(), top_val[0].copy(), sizes[0].copy(), worst.max(axis=0)

    def score(self, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(millis, allowed) of the pairs (first[k], second[k]), kernel indices."""
        a = np.ascontiguousarray(first, dtype=np.int64)
        b = np.ascontiguousarray(second, dtype=np.int64)
        millis = np.zeros(len(a), dtype=np.int64)
        allowed = np.zeros(len(a), dtype=np.bool_)
        _score_list(a, b, millis, allowed, self.args())
        return millis, allowed


def _columns(kernel: Kernel, f: Features) -> tuple[np.ndarray, ...]:
    """Struct-of-arrays copies of what a pair ceiling reads of the column member j,
    one contiguous array per field, so the ceiling loop over j compiles to AVX-512 /
    AVX2 vector code (8 pairs per instruction, `vpopcntq`) instead of a scalar loop
    over rows of `member`: the tables it would look up (kinds, format + availability)
    are packed into per-row words and read with shifts, because LLVM does not
    vectorise the gathers a table lookup needs. Order: topic words 0/1, stance words
    0/1, slot words (6 x n), appetite, 2·looking, priority, 5·format class, has
    slots, wantmax, per-row format words (n x 2, by overlap >= 1 hour), per-row kind
    words, and (format weight, availability weight)."""
    m = kernel.member
    unit = int(f.units.format)
    fmt = f.format_millis.astype(np.int64)
    points = fmt // unit if unit else np.zeros_like(fmt)
    if unit and not np.array_equal(points * unit, fmt):
        raise AssertionError("format millis are not multiples of the format weight")
    if points.min(initial=0) < 0 or points.max(initial=0) > 7:
        raise AssertionError("format points out of 0..7")
    # per (class_i, overlap >= 1 hour): 5 bits per class_j: points | sync << 3 | feasible << 4
    fwords = np.zeros((9, 2), dtype=np.uint64)
    for ci in range(9):
        for ok in range(2):
            word = 0
            for cj in range(9):
                key = (ci * 9 + cj) * 2 + ok
                code = (
                    int(points[key])
                    | int(f.format_sync[key]) << 3
                    | int(f.format_feasible[key]) << 4
                )
                word |= code << (5 * cj)
            fwords[ci, ok] = word
    # the packed words reproduce the format + availability table exactly
    for ci in range(9):
        for cj in range(9):
            for capped in range(MAX_AVAILABILITY_SLOTS + 1):
                code = int(fwords[ci, int(capped >= MIN_SYNC_OVERLAP_SLOTS)]) >> (5 * cj) & 31
                value = (code & 7) * unit + (code >> 3 & 1) * int(f.units.availability) * capped
                expected = kernel.fa_bound[ci * 63 + cj * 7 + capped]
                assert (value if code & 16 else FORBIDDEN) == expected
    kwords = np.array(
        [sum(int(KIND_TABLE[a * 8 + b]) << (2 * b) for b in range(8)) for a in range(8)],
        dtype=np.uint64,
    )
    classes = m[:, FORMAT_CLASS]
    return (
        np.ascontiguousarray(kernel.topic_bits[:, 0]),
        np.ascontiguousarray(kernel.topic_bits[:, 1]),
        np.ascontiguousarray(kernel.stance_bits[:, 0]),
        np.ascontiguousarray(kernel.stance_bits[:, 1]),
        np.ascontiguousarray(kernel.slot_bits.T),
        np.ascontiguousarray(m[:, APPETITE]),
        (2 * m[:, LOOKING]).astype(np.uint64),
        np.ascontiguousarray(m[:, PRIORITY]),
        (5 * classes).astype(np.uint64),
        np.ascontiguousarray(m[:, HAS_SLOTS]),
        np.ascontiguousarray(kernel.wantmax),
        np.ascontiguousarray(fwords[classes]),
        np.ascontiguousarray(kwords[m[:, LOOKING]]),
        np.array([unit, int(f.units.availability)], dtype=np.int64),
    )


@numba.njit(cache=True, inline="always")
def _csr_value(ptr, cols, vals, i, j):  # type: ignore[no-untyped-def]
    lo = ptr[i]
    hi = ptr[i + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        c = cols[mid]
        if c < j:
            lo = mid + 1
        elif c > j:
            hi = mid
        else:
            return vals[mid]
    return 0


@numba.njit(cache=True, inline="always")
def _score(  # type: ignore[no-untyped-def]
    i, j, tb, tw, sb, gp, slots, member, fmt, kind_table, units, wp, wc, wv, hp, hc, hv
):
    """(millis, allowed) of pair (i, j); millis is meaningful only where allowed."""
    if i == j or member[i, ACTIVE] == 0 or member[j, ACTIVE] == 0:
        return 0, False
    kinds = kind_table[member[i, LOOKING] * 8 + member[j, LOOKING]]
    if kinds == 0:
        return 0, False
    capped = MAX_AVAILABILITY_SLOTS
    if member[i, HAS_SLOTS] and member[j, HAS_SLOTS]:
        overlap = 0
        for w in range(slots.shape[1]):
            overlap += _popcount(slots[i, w] & slots[j, w])
        capped = min(overlap, MAX_AVAILABILITY_SLOTS)
    key = member[i, FORMAT_CLASS] * 18 + member[j, FORMAT_CLASS] * 2
    if capped >= MIN_SYNC_OVERLAP_SLOTS:
        key += 1
    if fmt[key, FORMAT_FEASIBLE] == 0:
        return 0, False
    if hp[i + 1] > hp[i] and _csr_value(hp, hc, hv, i, j) & (BLOCKED | MET_RECENTLY):
        return 0, False
    total = units[0] + member[i, PRIORITY] + member[j, PRIORITY] + fmt[key, FORMAT_MILLIS]
    if fmt[key, FORMAT_SYNC]:
        total += units[4] * capped
    for w in range(tb.shape[1]):
        shared = tb[i, w] & tb[j, w]
        while shared:
            total += tw[w * 64 + _lowest_bit(shared)]
            shared &= shared - np.uint64(1)
    if kinds != 2:  # a dialogue is accepted: the disagreement term
        gap2 = 0
        for b in range(len(GAP_SHIFT)):
            count = 0
            for w in range(sb.shape[1]):
                count += _popcount(gp[i, b, w] & sb[j, w])
            gap2 += count << GAP_SHIFT[b]
        contested = 0
        answered = 0
        shared = 0
        for w in range(sb.shape[1]):
            contested += _popcount(gp[i, CONTESTED, w] & sb[j, w])
            answered += _popcount(gp[i, ANSWERED, w] & sb[j, w])
        for w in range(tb.shape[1]):
            shared += _popcount(tb[i, w] & tb[j, w])
        per_quarter = units[1] * gap2 + units[5] * shared * (2 * contested - answered)
        raw = per_quarter * min(member[i, APPETITE], member[j, APPETITE])
        if kinds == 3 and raw < 0:
            raw = 0  # both kinds accepted: the interview, without the term, is better
        total += raw
    if wp[i + 1] > wp[i]:
        code = _csr_value(wp, wc, wv, i, j)
        if code == 3:
            total += units[2]
        elif code > 0:
            total += units[3]
    return total, True


@numba.njit(cache=True)
def _score_list(a, b, millis, allowed, data):  # type: ignore[no-untyped-def]
    tb, tw, sb, gp, slots, member, fmt, kind_table, units, wp, wc, wv, hp, hc, hv = data
    for k in range(len(a)):
        i, j = a[k], b[k]
        millis[k], allowed[k] = _score(
            i, j, tb, tw, sb, gp, slots, member, fmt, kind_table, units, wp, wc, wv, hp, hc, hv
        )


@numba.njit(cache=True, inline="always")
def _row_words(i, tq, tb, gp):  # type: ignore[no-untyped-def]
    """Row i's words for `_ceilings`, read once per row rather than once
    per pair, as one tuple so they stay in registers across the row's inner loop:
    tq[i] (5 planes x 2 words), the gap² planes of gp[i] (4 x 2), its contested and
    answered planes (2 x 2), tb[i] (2)."""
    return (
        tq[i, 0, 0],
        tq[i, 0, 1],
        tq[i, 1, 0],
        tq[i, 1, 1],
        tq[i, 2, 0],
        tq[i, 2, 1],
        tq[i, 3, 0],
        tq[i, 3, 1],
        tq[i, 4, 0],
        tq[i, 4, 1],
        gp[i, 0, 0],
        gp[i, 0, 1],
        gp[i, 1, 0],
        gp[i, 1, 1],
        gp[i, 2, 0],
        gp[i, 2, 1],
        gp[i, 3, 0],
        gp[i, 3, 1],
        gp[i, CONTESTED, 0],
        gp[i, CONTESTED, 1],
        gp[i, ANSWERED, 0],
        gp[i, ANSWERED, 1],
        tb[i, 0],
        tb[i, 1],
    )


@numba.njit(cache=True, inline="always")
def _ceilings(i, start, stop, r, step, clip, units, columns, out):  # type: ignore[no-untyped-def]
    """out[q] = a ceiling of the score of pair (i, start + q) for q < stop - start:
    every term exact (kinds, format feasibility, availability, disagreement,
    priority) except the topic weights, rounded up to multiples of `step` (`tq`: i's
    topics by bit of the rounded weight), the want bonus (the most either row can
    get) and the hard constraints (ignored); FORBIDDEN where no kind or format is
    feasible. Straight-line code over slices (indices provably >= 0, so no
    wraparound selects turn the loads into gathers): it vectorises. `r` is i's
    `_row_words`."""
    t0s, t1s, s0s, s1s, slots, app, look2, pri, class5, has, want, fwords, kwords, fu_av = columns
    app_i = app[i]
    base_i = units[0] + pri[i]
    has64_i = 64 * has[i]
    want_i = want[i]
    u1 = units[1]
    u5 = units[5]
    fw0 = fwords[i, 0]
    fw1 = fwords[i, 1]
    kw = kwords[i]
    fu = fu_av[0]
    av = fu_av[1]
    l0 = slots[0, i]
    l1 = slots[1, i]
    l2 = slots[2, i]
    l3 = slots[3, i]
    l4 = slots[4, i]
    l5 = slots[5, i]
    T0 = t0s[start:stop]
    T1 = t1s[start:stop]
    S0 = s0s[start:stop]
    S1 = s1s[start:stop]
    L0 = slots[0, start:stop]
    L1 = slots[1, start:stop]
    L2 = slots[2, start:stop]
    L3 = slots[3, start:stop]
    L4 = slots[4, start:stop]
    L5 = slots[5, start:stop]
    APP = app[start:stop]
    LOOK2 = look2[start:stop]
    PRI = pri[start:stop]
    CLASS5 = class5[start:stop]
    HAS = has[start:stop]
    WANT = want[start:stop]
    for q in range(stop - start):
        t0 = T0[q]
        t1 = T1[q]
        s0 = S0[q]
        s1 = S1[q]
        topic = (
            _popcount(r[0] & t0)
            + _popcount(r[1] & t1)
            + ((_popcount(r[2] & t0) + _popcount(r[3] & t1)) << 1)
            + ((_popcount(r[4] & t0) + _popcount(r[5] & t1)) << 2)
            + ((_popcount(r[6] & t0) + _popcount(r[7] & t1)) << 3)
            + ((_popcount(r[8] & t0) + _popcount(r[9] & t1)) << 4)
        )
        gap2 = (
            _popcount(r[10] & s0)
            + _popcount(r[11] & s1)
            + ((_popcount(r[12] & s0) + _popcount(r[13] & s1)) << 2)
            + ((_popcount(r[14] & s0) + _popcount(r[15] & s1)) << 3)
            + ((_popcount(r[16] & s0) + _popcount(r[17] & s1)) << 4)
        )
        k2 = 2 * (_popcount(r[18] & s0) + _popcount(r[19] & s1)) - (
            _popcount(r[20] & s0) + _popcount(r[21] & s1)
        )
        shared = _popcount(r[22] & t0) + _popcount(r[23] & t1)
        raw = (u1 * gap2 + u5 * shared * k2) * min(app_i, APP[q])
        kinds = np.int64((kw >> LOOK2[q]) & np.uint64(3))
        if clip:
            # interview only: no disagreement term; both kinds: never below 0
            raw = 0 if kinds == 2 else (max(raw, 0) if kinds == 3 else raw)
        overlap = (
            _popcount(l0 & L0[q])
            + _popcount(l1 & L1[q])
            + _popcount(l2 & L2[q])
            + _popcount(l3 & L3[q])
            + _popcount(l4 & L4[q])
            + _popcount(l5 & L5[q])
        )
        # a member without availability counts as a full overlap
        capped = min(overlap + 64 - has64_i * HAS[q], MAX_AVAILABILITY_SLOTS)
        fw = fw1 if capped >= MIN_SYNC_OVERLAP_SLOTS else fw0
        code = np.int64((fw >> CLASS5[q]) & np.uint64(31))
        fa = (code & 7) * fu + ((code >> 3) & 1) * av * capped
        ceiling = topic * step + raw + base_i + PRI[q] + fa + max(want_i, WANT[q])
        out[q] = ceiling if (kinds != 0) & ((code & 16) != 0) else FORBIDDEN


@numba.njit(cache=True, inline="always")
def _worse(w1, c1, w2, c2):  # type: ignore[no-untyped-def]
    """(w1, c1) ranks below (w2, c2): a lower score, or the same score and a higher
    partner index (a total order, so the m best of a row are one set whatever order
    the pairs come in)."""
    return w1 < w2 or (w1 == w2 and c1 > c2)


@numba.njit(cache=True, inline="always")
def _push(vals, idx, size, m, w, c):  # type: ignore[no-untyped-def]
    """Offer (w, c) to the min-heap vals/idx (root: the worst kept entry, `_worse`)
    holding `size` of at most m; new size."""
    if size < m:
        p = size
        while p > 0:
            q = (p - 1) >> 1
            if not _worse(w, c, vals[q], idx[q]):
                break
            vals[p] = vals[q]
            idx[p] = idx[q]
            p = q
        vals[p] = w
        idx[p] = c
        return size + 1
    if not _worse(vals[0], idx[0], w, c):
        return size
    _sift_down(vals, idx, m, 0, w, c)
    return size


@numba.njit(cache=True, inline="always")
def _sift_down(vals, idx, size, p, w, c):  # type: ignore[no-untyped-def]
    """Place (w, c) at p of the heap's first `size` entries, moving worse children up."""
    while True:
        q = 2 * p + 1
        if q >= size:
            break
        if q + 1 < size and _worse(vals[q + 1], idx[q + 1], vals[q], idx[q]):
            q += 1
        if not _worse(vals[q], idx[q], w, c):
            break
        vals[p] = vals[q]
        idx[p] = idx[q]
        p = q
    vals[p] = w
    idx[p] = c


@numba.njit(cache=True, parallel=True)
def _merge_heaps(top_idx, top_val, sizes):  # type: ignore[no-untyped-def]
    """Merge every worker's heap of a row into worker 0's, then sort it best first
    (heap sort: pop the worst to the end)."""
    workers, n, m = top_idx.shape
    for r in numba.prange(n):
        vals = top_val[0, r]
        idx = top_idx[0, r]
        size = sizes[0, r]
        for w in range(1, workers):
            for e in range(sizes[w, r]):
                size = _push(vals, idx, size, m, top_val[w, r, e], top_idx[w, r, e])
        sizes[0, r] = size
        for end in range(size - 1, 0, -1):
            worst_w = vals[0]
            worst_c = idx[0]
            _sift_down(vals, idx, end, 0, vals[end], idx[end])
            vals[end] = worst_w
            idx[end] = worst_c


def _workers(tiles: int) -> int:
    """How many independent workers a scan is split into: numba's threads."""
    return max(1, min(numba.get_num_threads(), tiles))


def _split_pairs(tiles: int, workers: int) -> np.ndarray:
    """The tile pairs a <= b dealt to `workers` in turn, shape (workers, k, 2), padded
    with -1 (a diagonal pair is half the work of the others; the deal evens out)."""
    pairs = [(a, b) for a in range(tiles) for b in range(a, tiles)]
    # pairs of the same b next to each other keep column tiles warm in cache
    pairs.sort(key=lambda p: (p[1], p[0]))
    width = -(-len(pairs) // workers)
    out = np.full((workers, width, 2), -1, dtype=np.int64)
    for k, pair in enumerate(pairs):
        out[k % workers, k // workers] = pair
    return out


def _split_rows(tiles: int, workers: int) -> np.ndarray:
    """Row tiles dealt to workers so each gets about the same number of tile pairs
    (row tile a has tiles - a): largest first, each to the least loaded worker.
    Shape (workers, k), padded with -1."""
    load = [0] * workers
    mine: list[list[int]] = [[] for _ in range(workers)]
    for a in range(tiles):
        w = min(range(workers), key=lambda x: load[x])
        mine[w].append(a)
        load[w] += tiles - a
    width = max(len(x) for x in mine)
    out = np.full((workers, width), -1, dtype=np.int64)
    for w, rows in enumerate(mine):
        out[w, : len(rows)] = sorted(rows)
    return out


@numba.njit(cache=True, inline="always")
def _positive_score(i, j, data):  # type: ignore[no-untyped-def]
    """Pair (i, j)'s millis where it is allowed, else 0: both scans skip pairs that score
    0 or less."""
    tb, tw, sb, gp, slots, member, fmt, kind_table, units, wp, wc, wv, hp, hc, hv = data
    w, ok = _score(
        i, j, tb, tw, sb, gp, slots, member, fmt, kind_table, units, wp, wc, wv, hp, hc, hv
    )
    return w if ok else 0


@numba.njit(cache=True, inline="always")
def _row_ceilings(i, lo_a, lo_b, hi_b, scan, columns, ceil_buf, data):  # type: ignore[no-untyped-def]
    """Row i's first column in tile b (i + 1 when b is i's own tile) and, when it is
    below hi_b, the row's ceilings up to hi_b in ceil_buf (`_ceilings`): the start of
    both scans' rows."""
    start = i + 1 if lo_a == lo_b else lo_b
    if start < hi_b:
        tq, step, clip = scan
        r = _row_words(i, tq, data[0], data[3])
        _ceilings(i, start, hi_b, r, step, clip, data[8], columns, ceil_buf)
    return start


@numba.njit(cache=True)
def _check_tile(lo_a, hi_a, lo_b, hi_b, y2, cap, out, scan, columns, ceil_buf, data):  # type: ignore[no-untyped-def]
    """Pairs of tiles a x b (a <= b, so i < j) against doubled duals y2: a pair whose
    ceiling (`_ceilings`, vectorised) the duals cover is skipped, the rest are scored
    exactly. A short pair is charged to row i: its doubled shortfall (ignoring odd
    sets) raises excess2[i], and the first `cap` are kept for the odd-set
    correction. `out` is (out_j, out_w, out_s, counts, excess2), `scan` (tq, step,
    clip)."""
    out_j, out_w, out_s, counts, excess2 = out
    for i in range(lo_a, hi_a):
        start = _row_ceilings(i, lo_a, lo_b, hi_b, scan, columns, ceil_buf, data)
        if start >= hi_b:
            continue
        y2_i = y2[i]
        duals = y2[start:hi_b]
        width = hi_b - start
        # twice the ceiling minus the duals: > 0 only if the pair may be short
        for q in range(width):
            ceil_buf[q] = 2 * ceil_buf[q] - y2_i - duals[q]
        for q in range(width):
            if ceil_buf[q] <= 0:
                continue
            j = start + q
            w = _positive_score(i, j, data)
            if w <= 0:
                continue
            slack = y2_i + y2[j] - 2 * w
            if slack >= 0:
                continue
            if -slack > excess2[i]:
                excess2[i] = -slack
            k = counts[i]
            if k < cap:
                out_j[i, k] = j
                out_w[i, k] = w
                out_s[i, k] = slack
            counts[i] = k + 1


@numba.njit(cache=True, parallel=True)
def _dual_scan(bounds, split, y2, cap, out, scan, columns, data):  # type: ignore[no-untyped-def]
    """Worker w checks the row tiles split[w] (padded with -1) against every column
    tile from their own on: a short pair is charged to its row, so the workers write
    disjoint rows and never wait for each other; each row sees its columns in
    increasing order whatever the split."""
    tiles = len(bounds) - 1
    widest = 0
    for t in range(tiles):
        widest = max(widest, bounds[t + 1] - bounds[t])
    for w in numba.prange(split.shape[0]):
        ceil_buf = np.empty(widest, np.int64)
        for k in range(split.shape[1]):
            a = split[w, k]
            if a < 0:
                continue
            for b in range(a, tiles):
                _check_tile(
                    bounds[a],
                    bounds[a + 1],
                    bounds[b],
                    bounds[b + 1],
                    y2,
                    cap,
                    out,
                    scan,
                    columns,
                    ceil_buf,
                    data,
                )


@numba.njit(cache=True, inline="always")
def _short_tile(lo_a, hi_a, lo_b, hi_b, m, y2, heaps, scan, columns, ceil_buf, data):  # type: ignore[no-untyped-def]
    """Score the pairs of tiles a x b (a == b: each pair once) and offer each to both
    rows' heaps, keyed by doubled shortfall 2 w − y2_i − y2_j (with y2 = 0: twice
    the score, `Kernel.pool`). The row's ceilings come first, vectorised
    (`_ceilings`); a pair whose doubled ceiling minus the duals is below both rows'
    entry bars as they stand at the start of the row (1 until a heap is full: only
    short pairs enter; a bar only rises, so this passes at least the pairs the
    current bars would) is skipped, the others are scored exactly. `worst` keeps every
    row's largest shortfall, kept or not (a skipped pair is below a full heap's
    bar, hence below that row's largest)."""
    top_idx, top_val, sizes, low, worst = heaps
    for i in range(lo_a, hi_a):
        start = _row_ceilings(i, lo_a, lo_b, hi_b, scan, columns, ceil_buf, data)
        if start >= hi_b:
            continue
        y2_i = y2[i]
        low_i = low[i]
        duals = y2[start:hi_b]
        bars = low[start:hi_b]
        width = hi_b - start
        for q in range(width):
            ceil_buf[q] = 2 * ceil_buf[q] - y2_i - duals[q] - min(low_i, bars[q])
        for q in range(width):
            if ceil_buf[q] < 0:
                continue
            j = start + q
            w = _positive_score(i, j, data)
            if w <= 0:
                continue
            s = 2 * w - y2_i - y2[j]
            if s <= 0:
                continue
            worst[i] = max(worst[i], s)
            worst[j] = max(worst[j], s)
            if s >= low[i]:
                sizes[i] = _push(top_val[i], top_idx[i], sizes[i], m, s, j)
                if sizes[i] == m:
                    low[i] = top_val[i, 0]
            if s >= low[j]:
                sizes[j] = _push(top_val[j], top_idx[j], sizes[j], m, s, i)
                if sizes[j] == m:
                    low[j] = top_val[j, 0]


@numba.njit(cache=True, parallel=True)
def _short_scan(bounds, split, m, y2, heaps, scan, columns, data):  # type: ignore[no-untyped-def]
    """Every pair once, tile pair by tile pair: worker w takes the tile pairs
    split[w] (padded with -1) into its own heaps, so the workers share nothing and
    never wait for each other."""
    top_idx, top_val, sizes, low, worst = heaps
    widest = 0
    for t in range(len(bounds) - 1):
        widest = max(widest, bounds[t + 1] - bounds[t])
    for w in numba.prange(split.shape[0]):
        ceil_buf = np.empty(widest, np.int64)
        mine = (top_idx[w], top_val[w], sizes[w], low[w], worst[w])
        for k in range(split.shape[1]):
            a = split[w, k, 0]
            b = split[w, k, 1]
            if a < 0:
                continue
            _short_tile(
                bounds[a],
                bounds[a + 1],
                bounds[b],
                bounds[b + 1],
                m,
                y2,
                mine,
                scan,
                columns,
                ceil_buf,
                data,
            )
