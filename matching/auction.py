"""The matching LP without odd sets, solved as an assignment (auction), and a matching
read off its solution.

Relaxing the odd-set constraints of the matching LP leaves the fractional matching
LP, which is half of an assignment problem on the bipartite double cover: person i
(a left copy) may take object j (a right copy) at weight w_ij for every edge, in both
directions, or its own object i at weight 0 ("unmatched"), so a perfect assignment
always exists. Any prices p give feasible duals u_i = max_j (w_ij − p_j), v_j = p_j,
and y2_i = u_i + v_i are doubled duals of the matching LP: y2_i + y2_j ≥ 2 w_ij on
every edge and y2_i ≥ 0 (the self edge). Their sum bounds twice every matching of
the graph. Bertsekas' forward auction with ε-scaling finds prices within n·ε of the
assignment optimum (in millis: ε = 1 at the end, n millis in all), in integers.

For pools as large and dense as ours the fractional optimum is within a small
fraction of a percent of the integral one, so the assignment gives both a tight
bound and a near-optimal matching: its cycles are decomposed into pairs (a 2-cycle
is a pair; an even cycle gives its heavier alternating half; an odd cycle leaves out
the member whose removal costs least), then the members left over are paired
greedily on the graph.
"""

from __future__ import annotations

import numba
import numpy as np

NEG = -(1 << 62)


def double_cover(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """CSR (ptr, col, w) of the edges (u, v, w) in both directions plus a 0-weight
    self edge per vertex; a pair given more than once keeps its largest weight, the
    same both ways. Columns sorted per row."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    code = np.minimum(u, v) * n + np.maximum(u, v)
    order = np.lexsort((-w, code))
    code, first = np.unique(code[order], return_index=True)
    w = w[order][first]
    lo, hi = code // n, code % n
    loops = np.arange(n, dtype=np.int64)
    a = np.concatenate([lo, hi, loops])
    b = np.concatenate([hi, lo, loops])
    ww = np.concatenate([w, w, np.zeros(n, np.int64)])
    order = np.argsort(a * n + b, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=ptr[1:])
    return ptr, b[order], ww[order]


@numba.njit(cache=True)
def _auction(ptr, col, w, price, eps0, eps1, factor):  # type: ignore[no-untyped-def]
    """Gauss-Seidel forward auction, ε-scaled from eps0 down to eps1 (keeping prices
    between phases); `price` is updated in place. Returns each person's object."""
    n = len(ptr) - 1
    owner = np.full(n, -1, np.int64)
    assigned = np.full(n, -1, np.int64)
    stack = np.empty(n, np.int64)
    eps = eps0
    while True:
        owner[:] = -1
        assigned[:] = -1
        top = 0
        for i in range(n - 1, -1, -1):
            stack[top] = i
            top += 1
        while top > 0:
            top -= 1
            i = stack[top]
            best = NEG
            second = NEG
            bj = -1
            for a in range(ptr[i], ptr[i + 1]):
                value = w[a] - price[col[a]]
                if value > best:
                    second = best
                    best = value
                    bj = col[a]
                elif value > second:
                    second = value
            if second == NEG:
                second = best
            price[bj] += best - second + eps
            prev = owner[bj]
            owner[bj] = i
            assigned[i] = bj
            if prev >= 0:
                assigned[prev] = -1
                stack[top] = prev
                top += 1
        if eps <= eps1:
            return assigned
        eps = max(eps1, eps // factor)


@numba.njit(cache=True)
def _duals(ptr, col, w, price):  # type: ignore[no-untyped-def]
    """y2_i = u_i + v_i with u_i = max_j (w_ij − p_j) (so u_i + v_j ≥ w_ij on every
    edge, exactly) and v_i = p_i."""
    n = len(ptr) - 1
    y2 = np.empty(n, np.int64)
    for i in range(n):
        best = NEG
        for a in range(ptr[i], ptr[i + 1]):
            value = w[a] - price[col[a]]
            if value > best:
                best = value
        y2[i] = best + price[i]
    return y2


def assignment(
    csr: tuple[np.ndarray, ...], price: np.ndarray, eps0: int | None = None, eps1: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Auction on the double cover `csr`, from `price` (updated in place: warm starts
    keep it). Returns (each vertex's object, doubled duals y2). `eps0` defaults to
    an eighth of the largest weight (a cold start); a warm start passes a small one."""
    ptr, col, w = csr
    if eps0 is None:
        eps0 = max(int(w.max(initial=0)) // 8, eps1)
    assigned = _auction(ptr, col, w, price, max(eps0, eps1), eps1, 5)
    return assigned, _duals(ptr, col, w, price)


def _weight(csr: tuple[np.ndarray, ...], i: int, j: int) -> int:
    ptr, col, w = csr
    lo, hi = int(ptr[i]), int(ptr[i + 1])
    return int(w[lo + int(np.searchsorted(col[lo:hi], j))])


def matching_of(csr: tuple[np.ndarray, ...], assigned: np.ndarray) -> np.ndarray:
    """A matching (mate per vertex, -1 unmatched) of the assignment's cycles, then
    greedy (heaviest edge first) among the vertices left over."""
    n = len(assigned)
    mate = np.full(n, -1, np.int64)
    idx = np.arange(n)
    two = (assigned[assigned] == idx) & (assigned != idx)
    mate[two] = assigned[two]
    seen = two | (assigned == idx)
    for s in np.flatnonzero(~seen).tolist():
        if seen[s]:
            continue
        cycle = [s]
        seen[s] = True
        x = int(assigned[s])
        while x != s:
            cycle.append(x)
            seen[x] = True
            x = int(assigned[x])
        size = len(cycle)
        ew = [_weight(csr, cycle[t], cycle[(t + 1) % size]) for t in range(size)]
        best, chosen = -1, [0]
        # an even cycle: start 0 or 1; an odd one: the edges after leaving out `drop`
        for first in range(size) if size % 2 else range(2):
            start = first + 1 if size % 2 else first
            picks = [(start + t) % size for t in range(0, size - 1, 2)]
            total = sum(ew[t] for t in picks)
            if total > best:
                best, chosen = total, picks
        for t in chosen:
            a, b = cycle[t], cycle[(t + 1) % size]
            mate[a], mate[b] = b, a
    ptr, col, w = csr
    rows = np.repeat(idx, np.diff(ptr))
    free = mate < 0
    ok = free[rows] & free[col] & (rows < col) & (w > 0)
    a, b, ww = rows[ok], col[ok], w[ok]
    for k in np.argsort(-ww, kind="stable").tolist():
        if mate[a[k]] < 0 and mate[b[k]] < 0:
            mate[a[k]], mate[b[k]] = b[k], a[k]
    return mate
