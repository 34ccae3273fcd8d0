"""Benchmark of the matching engine against networkx, rustworkx and greedy, in one table.

Each measurement runs in a fresh subprocess, so every size reports its own peak
memory and a slow reference solver can be stopped at `--cap` seconds. Pools
come from `bench/pools.py` (seeded, the anchors' shape). Heavy sizes only run
when asked for; nothing here runs in CI.

    .venv/bin/python bench/bench_matching.py --quick          # 500 and 1,000, a minute
    .venv/bin/python bench/bench_matching.py                  # up to 100,000, long
    .venv/bin/python bench/bench_matching.py --sizes 500,2000 --cap 60

See bench/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLE = REPO / "bot" / "data" / "sample_community.json"
# Run as a script, Python puts bench/ first on the path, not the repository; put
# the working tree first so this checkout's `matching` is measured, not whatever
# an (possibly stale) installed copy resolves to.
if str(REPO) not in sys.path[:1]:
    sys.path.insert(0, str(REPO))

DEFAULT_SIZES = (500, 1_000, 2_000, 5_000, 10_000, 20_000, 100_000)
QUICK_SIZES = (500, 1_000)
EXACT_MAX = 5_000  # all pairs of 5,000 people is 12.5M scores: the last size worth proving
RUSTWORKX_REFERENCE_N = 2_000
# Blossom on all pairs grows about n³; skip a reference run whose estimate
# exceeds the cap by this factor instead of burning the cap to learn it.
SKIP_FACTOR = 1.5
# The size the exact-vs-networkx ratio is reported at: always attempted.
NETWORKX_REFERENCE_N = 1_000
# Generating the pool and scoring all pairs happen before the capped solve.
SETUP_ALLOWANCE = 300.0
AUTO_TIMEOUT = 3_600.0
DISAGREE_GAP = 2
# sizes where our blossom and rustworkx's race on auto's candidate graph
CANDIDATE_SIZES = (2_000, 5_000)


# --------------------------------------------------------------------------
# workers: one measurement each, in their own process


def _peak_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes; this bench targets Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build_pool(n: int, seed: int) -> tuple[Any, float, float]:
    sys.path.insert(0, str(HERE))
    from pools import generate_pool

    import matching

    started = time.perf_counter()
    document = generate_pool(n, seed)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    pool = matching.Pool.from_dict(document)
    loaded = time.perf_counter() - started
    return pool, generated, loaded


def _all_pairs(pool: Any) -> tuple[int, Any, Any, Any]:
    """Every allowed pair with a positive score: the graph `exact` proves optimal on.

    `pool.allowed_pairs()` uses the engine's vectorised scorer (scoring 12.5M pairs
    one `pool.score` call at a time would take longer than the solvers it feeds);
    weights are integer milli-points, i.e. `pool.score_millis(a, b)`. Returns the
    number of active members and the edges (u, v, millis) over indices into pool.ids.
    """
    active = sum(not person.paused for person in pool.participants.values())
    u, v, w = pool.allowed_pairs()
    return active, u, v, w


def _greedy_millis(u: Any, v: Any, w: Any) -> int:
    import numpy as np

    order = np.lexsort((v, u, -w))  # heaviest first, ties by index: deterministic
    taken: set[int] = set()
    total = 0
    for a, b, weight in zip(u[order].tolist(), v[order].tolist(), w[order].tolist(), strict=True):
        if a not in taken and b not in taken:
            taken.add(a)
            taken.add(b)
            total += weight
    return total


class _Timeout(Exception):
    pass


def _capped(cap: float, work: Callable[[], Any]) -> tuple[Any, float]:
    """Run `work` with a SIGALRM deadline: the cap bounds the solve, not the setup."""

    def expire(signum: int, frame: object) -> None:
        raise _Timeout

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, cap)
    started = time.perf_counter()
    try:
        return work(), time.perf_counter() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _load_compiled(matching: Any) -> None:
    """Run every compiled routine once on a tiny pool, so none compiles in a timing."""
    import numpy as np

    matching.max_weight_matching(2, [0], [1], [1])
    from matching.auction import assignment, double_cover, matching_of
    from matching.pair_kernel import Kernel

    cover = double_cover(2, np.array([0]), np.array([1]), np.array([5]))
    matching_of(cover, assignment(cover, np.zeros(2, dtype=np.int64))[0])

    sys.path.insert(0, str(HERE))
    from pools import generate_pool

    small = matching.Pool.from_dict(generate_pool(64, 0)).features
    kernel = Kernel(small)
    if kernel.fast:
        kernel.pool(4)
        kernel.short_pairs(np.zeros(kernel.n, dtype=np.int64))
        kernel.short_pool(np.zeros(kernel.n, dtype=np.int64), 4)
    kernel.score(np.array([0]), np.array([1]))


def worker(job: str, n: int, seed: int, cap: float) -> dict[str, Any]:
    import matching

    pool, generated, loaded = _build_pool(n, seed)
    out: dict[str, Any] = {"job": job, "n": n, "generate_s": generated, "load_s": loaded}
    if job in ("auto", "exact", "greedy"):
        # numba loads the compiled blossom and pair kernel from its cache once per
        # process (compiles them on a machine's first run): measured apart, not part
        # of the solve.
        started = time.perf_counter()
        _load_compiled(matching)
        out["jit_load_s"] = time.perf_counter() - started
        timings: dict[str, float] = {}
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = matching.solve(pool, solver=job, timings=timings)
        out |= {
            "time_s": time.perf_counter() - started,
            "cpu_s": time.process_time() - cpu_started,
            "phases": timings,
            "load_average": os.getloadavg()[0],
            "total_millis": int(result.total_millis),
            "pairs": len(result.pairs),
            "solver": result.solver,
            "upper_bound_millis": result.upper_bound_millis,
            "gap": result.gap,
        }
    elif job == "candidates":
        # our blossom against rustworkx's on the same candidate graph (auto's graph)
        import numpy as np
        import rustworkx as rx

        from matching.candidates import candidate_edges

        nodes = np.flatnonzero(pool.features.active)
        u, v, w = candidate_edges(
            pool.features, nodes, matching.DEFAULT_TUNING.k, matching.DEFAULT_TUNING.pool_factor
        )
        matching.max_weight_matching(2, [0], [1], [1])
        started = time.perf_counter()
        ours = matching.max_weight_matching(len(nodes), u, v, w)
        ours_s = time.perf_counter() - started
        graph = rx.PyGraph(multigraph=True)
        graph.add_nodes_from(range(len(nodes)))
        graph.extend_from_weighted_edge_list(
            list(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
        )
        started = time.perf_counter()
        matched = rx.max_weight_matching(graph, weight_fn=int)
        rx_s = time.perf_counter() - started
        weight = {(a, b): c for a, b, c in zip(u.tolist(), v.tolist(), w.tolist(), strict=True)}
        out |= {
            "edges": len(u),
            "ours_s": ours_s,
            "rustworkx_s": rx_s,
            "same_total": ours.weight_bound2 // 2
            == sum(weight.get((a, b)) or weight[(b, a)] for a, b in matched),
        }
    elif job == "allpairs":
        started = time.perf_counter()
        active, u, v, w = _all_pairs(pool)
        out |= {
            "score_s": time.perf_counter() - started,
            "active": active,
            "edges": len(w),
            "greedy_millis": _greedy_millis(u, v, w),
        }
    elif job in ("networkx", "rustworkx"):
        _, u, v, w = _all_pairs(pool)
        edges = list(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
        out["edges"] = len(edges)
        try:
            if job == "networkx":
                import networkx as nx

                graph = nx.Graph()
                graph.add_weighted_edges_from(edges)
                matched, seconds = _capped(cap, lambda: nx.max_weight_matching(graph))
                weights = {(a, b): c for a, b, c in edges}
                total = sum(weights.get((a, b)) or weights[(b, a)] for a, b in matched)
            else:
                import rustworkx as rx

                graph = rx.PyGraph()
                graph.add_nodes_from(range(len(pool)))
                graph.add_edges_from(edges)
                matched, seconds = _capped(
                    cap, lambda: rx.max_weight_matching(graph, weight_fn=int)
                )
                total = sum(graph.get_edge_data(a, b) for a, b in matched)
            out |= {"time_s": seconds, "total_millis": int(total)}
        except _Timeout:
            out |= {"timeout": True}
    else:
        raise ValueError(f"unknown job {job!r}")
    out["peak_mb"] = _peak_mb()
    return out


def run_worker(job: str, n: int, seed: int, cap: float, timeout: float) -> dict[str, Any]:
    """One measurement in a fresh interpreter; returns its report or an error."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        job,
        "--n",
        str(n),
        "--seed",
        str(seed),
        "--cap",
        str(cap),
    ]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"job": job, "n": n, "timeout": True, "wall_s": time.perf_counter() - started}
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"job": job, "n": n, "error": tail[0]}
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["wall_s"] = time.perf_counter() - started
    return report


# --------------------------------------------------------------------------
# the run


@dataclass
class Row:
    n: int
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, job: str, key: str) -> Any:
        return self.runs.get(job, {}).get(key)

    def optimum(self) -> int | None:
        return self.get("exact", "total_millis") or self.get("networkx", "total_millis")


def bench(
    sizes: Sequence[int],
    *,
    seed: int,
    cap: float,
    exact_max: int,
    networkx: bool,
    log: Callable[[str], None],
) -> list[Row]:
    rows: list[Row] = []
    nx_last: tuple[int, float] | None = None
    for n in sizes:
        row = Row(n)
        rows.append(row)
        # greedy over the graph auto uses: the same-run reference for speed and total
        jobs: list[tuple[str, float]] = [("auto", AUTO_TIMEOUT), ("greedy", AUTO_TIMEOUT)]
        if n <= exact_max:
            jobs += [("exact", AUTO_TIMEOUT), ("allpairs", AUTO_TIMEOUT)]
        if networkx and n <= exact_max:
            estimate = nx_last[1] * (n / nx_last[0]) ** 3 if nx_last else 0.0
            if estimate > SKIP_FACTOR * cap and n != NETWORKX_REFERENCE_N:
                row.runs["networkx"] = {"skipped": True, "estimate_s": estimate}
                log(f"N={n:,}: networkx skipped (estimated {estimate:,.0f} s > cap {cap:.0f} s)")
            else:
                jobs.append(("networkx", cap + SETUP_ALLOWANCE))
        if n == RUSTWORKX_REFERENCE_N:
            jobs.append(("rustworkx", cap + SETUP_ALLOWANCE))
        if n in CANDIDATE_SIZES:
            jobs.append(("candidates", AUTO_TIMEOUT))
        for job, timeout in jobs:
            log(f"N={n:,}: {job} …")
            report = run_worker(job, n, seed, cap, timeout)
            row.runs[job] = report
            log(f"N={n:,}: {job} done: {_brief(report)}")
            if job == "networkx":
                if "time_s" in report:
                    nx_last = (n, report["time_s"])
                elif report.get("timeout"):
                    nx_last = (n, cap * 2)  # at least the cap; later sizes are skipped
    return rows


def _brief(report: dict[str, Any]) -> str:
    keys = (
        "time_s",
        "cpu_s",
        "score_s",
        "total_millis",
        "greedy_millis",
        "solver",
        "gap",
        "ours_s",
        "rustworkx_s",
        "peak_mb",
        "error",
    )
    shown = {k: report[k] for k in keys if k in report}
    return "timeout" if report.get("timeout") else json.dumps(shown)


# --------------------------------------------------------------------------
# report


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} s" if value < 100 else f"{value:,.0f} s"


def _points(millis: int | None) -> str:
    return "–" if millis is None else f"{millis / 1000:,.1f}"


def _percent(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return "–"
    return f"{100 * part / whole:.3f} %"


def _reference_cell(row: Row, job: str, cap: float) -> str:
    run = row.runs.get(job)
    if run is None:
        return "–"
    if run.get("skipped"):
        return f"> cap (est. {run['estimate_s']:,.0f} s)"
    if run.get("timeout"):
        return f"> cap ({cap:.0f} s)"
    if "error" in run:
        return "error"
    cell = _seconds(run.get("time_s"))
    optimum = row.get("exact", "total_millis")
    if optimum is not None and run.get("total_millis") is not None:
        cell += (
            " ✓"
            if run["total_millis"] == optimum
            else f" ({_percent(run['total_millis'], optimum)})"
        )
    return cell


def render(rows: list[Row], *, cap: float, seed: int, command: str) -> Any:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"Matching benchmark (seed {seed}, networkx cap {cap:.0f} s)", title_justify="left"
    )
    for header in (
        "N",
        "allowed pairs",
        "auto time",
        "auto total",
        "auto solver",
        "auto bound (gap)",
        "exact time",
        "exact total",
        "auto % of optimum",
        "networkx (all pairs)",
        "greedy % of optimum",
        "peak RSS auto",
        "peak RSS exact",
    ):
        table.add_column(header, justify="left" if "solver" in header else "right")
    for row in rows:
        active = row.get("allpairs", "active")
        edges = row.get("allpairs", "edges")
        allowed = (
            f"{edges:,} ({100 * edges / (active * (active - 1) / 2):.0f} %)"
            if edges is not None and active
            else "–"
        )
        table.add_row(
            f"{row.n:,}",
            allowed,
            _seconds(row.get("auto", "time_s")) if "error" not in row.runs["auto"] else "error",
            _points(row.get("auto", "total_millis")),
            str(row.get("auto", "solver") or "–"),
            _bound(row),
            _seconds(row.get("exact", "time_s")),
            _points(row.get("exact", "total_millis")),
            _percent(row.get("auto", "total_millis"), row.optimum()),
            _reference_cell(row, "networkx", cap),
            _percent(row.get("allpairs", "greedy_millis"), row.optimum()),
            _mb(row.get("auto", "peak_mb")),
            _mb(row.get("exact", "peak_mb")),
        )

    lines = [Text(f"$ {command}", style="dim")]
    by_n = {row.n: row for row in rows}
    lines.append(Text(_phases(rows)))
    lines.append(Text(_ratios(by_n, cap)))
    errors = [
        f"N={row.n:,} {job}: {run['error']}"
        for row in rows
        for job, run in row.runs.items()
        if "error" in run
    ]
    if errors:
        lines.append(Text("errors:\n  " + "\n  ".join(errors), style="red"))
    return Group(table, *lines)


def _phases(rows: list[Row]) -> str:
    """Per size: auto's wall and CPU time split by phase, and greedy in the same run."""
    out = []
    for row in rows:
        auto = row.runs.get("auto", {})
        if "time_s" not in auto:
            continue
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in auto.get("phases", {}).items())
        greedy = row.runs.get("greedy", {})
        bound = auto.get("upper_bound_millis")
        reference = ""
        if "time_s" in greedy:
            reference = (
                f"; greedy {_seconds(greedy['time_s'])}, total {_points(greedy['total_millis'])}"
            )
            if bound:
                reference += f" ({100 * greedy['total_millis'] / bound:.2f} % of auto's bound)"
        out.append(
            f"N={row.n:,}: auto {_seconds(auto['time_s'])} wall, {_seconds(auto.get('cpu_s'))} CPU"
            f" (load average {auto.get('load_average', float('nan')):.1f}): {phases}{reference}"
        )
    return "\n".join(out)


def _bound(row: Row) -> str:
    bound, gap = row.get("auto", "upper_bound_millis"), row.get("auto", "gap")
    if bound is None:
        return "–"
    return f"{bound / 1000:,.1f} ({'0, optimal' if gap == 0 else f'{100 * gap:.3f} %'})"


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} MB"


def _ratio(a: float | None, b: float | None, unit: str = "×") -> str:
    return "n/a (not measured)" if not a or not b else f"{a / b:,.2f}{unit}"


def _speed_up(row: Row | None, cap: float) -> str:
    if row is None:
        return "n/a (not measured)"
    exact = row.get("exact", "time_s")
    if row.runs.get("networkx", {}).get("timeout") and exact:
        # networkx did not finish: the cap over exact's time is a lower bound.
        return f"> {cap / exact:,.1f}× (networkx > cap {cap:.0f} s)"
    return _ratio(row.get("networkx", "time_s"), exact)


def _ratios(by_n: dict[int, Row], cap: float) -> str:
    def get(n: int, job: str, key: str = "time_s") -> Any:
        return by_n[n].get(job, key) if n in by_n else None

    rx_row = by_n.get(RUSTWORKX_REFERENCE_N)
    rx_run = rx_row.runs.get("rustworkx", {}) if rx_row else {}
    rx_time = rx_run.get("time_s")
    if rx_run.get("timeout"):
        rx_text = f"> cap ({cap:.0f} s)"
    else:
        rx_text = _seconds(rx_time) if rx_time else "not measured"
    if rx_time and rx_row and rx_row.get("exact", "total_millis") is not None:
        same = rx_run.get("total_millis") == rx_row.get("exact", "total_millis")
        rx_text += " (same total as exact)" if same else " (total differs from exact!)"
    auto_5k = get(5_000, "auto", "total_millis")
    opt_5k = by_n[5_000].optimum() if 5_000 in by_n else None
    races = []
    for n in CANDIDATE_SIZES:
        ours, theirs = get(n, "candidates", "ours_s"), get(n, "candidates", "rustworkx_s")
        if ours and theirs:
            same = "same total" if get(n, "candidates", "same_total") else "TOTALS DIFFER"
            races.append(
                f"blossom on auto's candidate graph, N={n:,}: ours {_seconds(ours)}, "
                f"rustworkx {_seconds(theirs)}: {theirs / ours:.2f}× faster ({same})"
            )
    gap_5k = get(5_000, "auto", "gap")
    return "\n".join(
        [
            *races,
            "exact(2,000) (certified) time / rustworkx all-pairs(2,000) time: "
            + _ratio(get(2_000, "exact"), rx_time)
            + " (target ≤ 0.125)",
            f"auto(5,000): {_seconds(get(5_000, 'auto'))}, gap "
            + ("–" if gap_5k is None else f"{gap_5k:g}")
            + " (target: certified, gap 0, in ≤ 5 s)",
            f"rustworkx.max_weight_matching, all pairs, N=2,000: {rx_text}",
            "exact vs networkx speed-up at N=1,000: " + _speed_up(by_n.get(1_000), cap),
            f"auto total as % of the all-pairs optimum at N=5,000: {_percent(auto_5k, opt_5k)}",
            "auto(5,000) time / rustworkx all-pairs(2,000) time: "
            + _ratio(get(5_000, "auto"), rx_time),
            "auto time(100,000) / time(10,000): "
            + _ratio(get(100_000, "auto"), get(10_000, "auto"))
            + " (10× the people; linear would be 10×)",
        ]
    )


# --------------------------------------------------------------------------
# quality on the shipped sample


def _sample_document() -> tuple[dict[str, Any] | None, str]:
    if not SAMPLE.exists():
        return None, f"{SAMPLE.relative_to(REPO)} not found; skipped"
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    if "participants" in data:
        return data, "engine document"
    try:
        from bot.sample import load_sample, to_engine_document
    except ImportError:
        return None, "sample is not in the engine's format and bot.sample is missing; skipped"
    return to_engine_document(load_sample(SAMPLE)), "converted by bot.sample"


def sample_quality() -> str:
    import itertools

    import matching

    document, source = _sample_document()
    if document is None:
        return f"Match quality on the sample pool: {source}"
    pool = matching.Pool.from_dict(document)
    result = matching.solve(pool)
    stances = {p["id"]: p.get("stances", {}) for p in document["participants"]}
    topics = {p["id"]: set(p.get("topics", [])) for p in document["participants"]}

    def disagreement_share(a: str, b: str) -> float | None:
        both = stances[a].keys() & stances[b].keys()
        if not both:
            return None
        return sum(abs(stances[a][c] - stances[b][c]) >= DISAGREE_GAP for c in both) / len(both)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else float("nan")

    pairs = [tuple(p.members) for p in result.pairs]
    inside = [
        d
        for m in pairs
        for a, b in itertools.combinations(m, 2)
        if (d := disagreement_share(a, b)) is not None
    ]
    shared = [len(topics[m[0]].intersection(*(topics[x] for x in m[1:]))) for m in pairs]
    # Baseline: the same measures over every allowed pair, i.e. a random allowed pairing.
    ids = list(stances)
    allowed = [(a, b) for a, b in itertools.combinations(ids, 2) if pool.score(a, b) is not None]
    base = [d for a, b in allowed if (d := disagreement_share(a, b)) is not None]
    base_topics = [len(topics[a] & topics[b]) for a, b in allowed]
    reasons: dict[str, int] = {}
    for entry in result.unmatched:
        reasons[entry.reason] = reasons.get(entry.reason, 0) + 1
    return "\n".join(
        [
            f"Match quality on the sample pool ({len(ids)} members, {source}, "
            f"solver {result.solver}):",
            f"  pairs: {len(pairs)}, unmatched: {len(result.unmatched)} "
            + (
                f"({', '.join(f'{k}: {v}' for k, v in sorted(reasons.items()))})" if reasons else ""
            ),
            f"  mean share of co-answered claims with a gap ≥ {DISAGREE_GAP}: "
            f"{mean(inside):.1%} in matched pairs vs {mean(base):.1%} over all allowed pairs",
            f"  mean shared topics per pair: {mean(shared):.2f} vs {mean(base_topics):.2f} "
            "over all allowed pairs",
        ]
    )


# --------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "").replace(",", "")) for part in text.split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 500,1000, got {text!r}") from None
    if not sizes or min(sizes) < 2:
        raise argparse.ArgumentTypeError("sizes must be 2 or more")
    return sorted(set(sizes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        type=lambda t: _sizes(t.replace(",", " ")),
        help="pool sizes, comma-separated (default: 500 … 100,000 with 10,000)",
    )
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES} only")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds per reference solve")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--exact-max", type=int, default=EXACT_MAX, help="largest N for exact and all-pairs runs"
    )
    parser.add_argument("--no-networkx", action="store_true", help="skip networkx entirely")
    parser.add_argument("--no-sample", action="store_true", help="skip the sample-pool section")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.seed, args.cap)))
        return 0

    from rich.console import Console

    # Twelve columns: let the table be wide even when written to a file.
    console = Console(width=max(Console().width, 200))
    err = Console(stderr=True)
    sizes = args.sizes or (list(QUICK_SIZES) if args.quick else list(DEFAULT_SIZES))
    command = " ".join(
        ["python", "bench/bench_matching.py", *(argv if argv is not None else sys.argv[1:])]
    )
    err.print(f"bench: sizes {sizes}, cap {args.cap:.0f} s, {os.cpu_count()} CPUs")
    rows = bench(
        sizes,
        seed=args.seed,
        cap=args.cap,
        exact_max=args.exact_max,
        networkx=not args.no_networkx,
        log=lambda text: err.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {text}", highlight=False),
    )
    console.print(render(rows, cap=args.cap, seed=args.seed, command=command))
    if not args.no_sample:
        console.print()
        console.print(sample_quality(), highlight=False)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps([{"n": row.n, "runs": row.runs} for row in rows], indent=2) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
