"""What conversation kinds (`looking_for`) cost the engine, against the same pool without.

For each size, the reference is the seeded bench pool where everyone looks for a
dialogue (the pools of before kinds); the measured pool is the same pool with a share
of members looking for interviews (`bench/pools.py --kinds`). Both run in this process
one after the other, so the ratios compare like with like on a shared machine.

    .venv/bin/python bench/bench_kinds.py                    # 1,000 and 2,000, ~a minute
    .venv/bin/python bench/bench_kinds.py --sizes 5000 --kinds 0.5

Prints, per size: all-pairs scoring time, exact and auto solve time (ratio to the
reference), allowed pairs, pairs per kind, and whether auto equals exact.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path[:1]:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from pools import generate_pool  # noqa: E402

import matching  # noqa: E402


def measure(n: int, seed: int, kinds: float) -> dict[str, object]:
    pool = matching.Pool.from_dict(generate_pool(n, seed, kinds=kinds))
    started = time.perf_counter()
    u, _, _ = pool.allowed_pairs()
    scored = time.perf_counter() - started
    started = time.perf_counter()
    exact = matching.solve(pool, solver="exact")
    exact_s = time.perf_counter() - started
    started = time.perf_counter()
    auto = matching.solve(pool, solver="auto")
    auto_s = time.perf_counter() - started
    # the contract, checked on every pair of the result
    for pair in exact.pairs:
        assert pair.score == pool.score(*pair.members) == pool.score(*pair.members[::-1])
    return {
        "score_s": scored,
        "exact_s": exact_s,
        "auto_s": auto_s,
        "edges": len(u),
        "kinds": Counter(p.kind for p in exact.pairs),
        "total": exact.total_millis,
        "auto_is_exact": auto.total_millis == exact.total_millis,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000")
    parser.add_argument("--kinds", type=float, default=0.3, help="share looking for interviews")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"kinds share {args.kinds}, seed {args.seed}; reference: same pool, all dialogue")
    header = (
        f"{'n':>6} {'pool':>10} {'score s':>8} {'exact s':>8} {'auto s':>8} "
        f"{'edges':>9} {'dialogue':>9} {'interview':>9} {'auto=exact':>10}"
    )
    print(header)
    measure(200, args.seed, args.kinds)  # warm-up: imports, BLAS threads, first-call costs
    for n in (int(x) for x in args.sizes.split(",")):
        rows = {
            name: measure(n, args.seed, share)
            for name, share in (("reference", 0.0), ("kinds", args.kinds))
        }
        for name, row in rows.items():
            kinds = row["kinds"]
            assert isinstance(kinds, Counter)
            print(
                f"{n:>6} {name:>10} {row['score_s']:>8.2f} {row['exact_s']:>8.2f} "
                f"{row['auto_s']:>8.2f} {row['edges']:>9} {kinds['dialogue']:>9} "
                f"{kinds['interview']:>9} {row['auto_is_exact']!s:>10}"
            )
        ref, got = rows["reference"], rows["kinds"]
        print(
            f"{n:>6} {'ratio':>10} {got['score_s'] / ref['score_s']:>7.2f}x "  # type: ignore[operator]
            f"{got['exact_s'] / ref['exact_s']:>7.2f}x {got['auto_s'] / ref['auto_s']:>7.2f}x"  # type: ignore[operator]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
