"""The output document, explanations and determinism."""

from __future__ import annotations

import json

import matching
from tests.matching.factories import document, person, random_document


def sample_pool(**config) -> matching.Pool:
    return matching.Pool.from_dict(
        document(
            person(
                "alice",
                topics=["ai-timelines", "ethics"],
                stances={"c1": 2, "c2": -1, "c3": 2, "c4": 0},
                format={"sync": "great", "async": "okay"},
                timezone="Europe/Berlin",
                availability=[{"day": "mon", "start": "18:00", "end": "21:00"}],
                wants=["bob"],
            ),
            person(
                "bob",
                topics=["ai-timelines", "ethics", "forecasting"],
                stances={"c1": -2, "c2": 1, "c3": -1, "c4": 2},
                format={"sync": "great", "async": "no"},
                timezone="Europe/London",
                availability=[{"day": "mon", "start": "17:00", "end": "22:00"}],
                wants=["alice"],
            ),
            person("carol", topics=["ethics"], blocks=["alice"]),
            person("dave", topics=["ai-timelines"]),
            person("erin", topics=["ai-timelines"]),
            config=config,
        )
    )


def test_to_dict_has_the_contract_shape() -> None:
    result = matching.solve(sample_pool(seed=1))
    out = json.loads(json.dumps(result.to_dict()))
    assert set(out) == {"pairs", "unmatched", "total_score", "solver", "upper_bound", "gap"}
    assert out["gap"] == 0.0
    assert out["upper_bound"] == out["total_score"]
    assert out["solver"] == "auto:exact"
    for pair in out["pairs"]:
        assert {
            "members",
            "score",
            "shared_topics",
            "disagreements",
            "format",
            "mutual_want",
        } <= set(pair)
        assert pair["members"] == sorted(pair["members"])
        assert pair["format"] in ("sync", "async")
        for d in pair["disagreements"]:
            assert set(d) == {"claim", "stances"}
            assert set(d["stances"]) <= set(pair["members"])
    for u in out["unmatched"]:
        assert set(u) == {"id", "reason"}
        assert u["reason"] in matching.REASONS
    assert out["total_score"] == round(sum(p["score"] for p in out["pairs"]), 3)
    assert matching.Result.from_dict(out).to_dict() == out


def test_explanation_lists_topics_disagreements_format_and_want() -> None:
    pair = sample_pool().explain("alice", "bob")
    assert pair.members == ("alice", "bob")
    assert pair.mutual_want and not pair.one_way_want
    assert pair.format == "sync"
    assert pair.overlap_minutes == 180
    assert set(pair.shared_topics) == {"ai-timelines", "ethics"}
    # gaps: c1 4, c3 3, c2 2, c4 2 -> top three by gap, then claim id
    assert [d["claim"] for d in pair.disagreements] == ["c1", "c3", "c2"]
    assert pair.disagreements[0]["stances"] == {"alice": 2, "bob": -2}


def test_shared_topics_are_sorted_rarest_first() -> None:
    pool = matching.Pool.from_dict(
        document(
            person("a", topics=["ethics", "forecasting"]),
            person("b", topics=["ethics", "forecasting"]),
            person("c", topics=["ethics"]),
        )
    )
    assert pool.explain("a", "b").shared_topics == ("forecasting", "ethics")


def test_small_gaps_are_not_listed_as_disagreements() -> None:
    pool = matching.Pool.from_dict(
        document(person("a", stances={"c1": 1}), person("b", stances={"c1": 0}))
    )
    assert pool.explain("a", "b").disagreements == ()


def test_pairs_are_sorted_by_score_then_members() -> None:
    result = matching.solve(matching.Pool.from_dict(random_document(40, 3)))
    keys = [(-p.millis, p.members) for p in result.pairs]
    assert keys == sorted(keys)


def test_same_seed_gives_identical_output() -> None:
    doc = random_document(60, 5)
    first = matching.solve(matching.Pool.from_dict(doc)).to_dict()
    second = matching.solve(matching.Pool.from_dict(json.loads(json.dumps(doc)))).to_dict()
    assert first == second


def test_participant_order_in_the_input_does_not_matter() -> None:
    doc = random_document(40, 8)
    shuffled = dict(doc, participants=list(reversed(doc["participants"])))
    a = matching.solve(matching.Pool.from_dict(doc)).to_dict()
    b = matching.solve(matching.Pool.from_dict(shuffled)).to_dict()
    assert a == b


def test_progress_is_reported_up_to_the_total() -> None:
    calls: list[tuple[int, int]] = []
    matching.solve(
        matching.Pool.from_dict(random_document(30, 2)),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls and calls[-1][0] == calls[-1][1]
    assert all(0 <= d <= t for d, t in calls)


def test_output_is_identical_across_processes_with_all_ties() -> None:
    import os
    import subprocess
    import sys

    script = (
        "import json, matching\n"
        "from tests.matching.factories import document, person\n"
        "doc = document(*[person(f'm{k:02d}', topics=['ethics']) for k in range(24)])\n"
        "print(json.dumps(matching.solve(matching.Pool.from_dict(doc)).to_dict()))\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in (1, 2)
    }
    assert len(outputs) == 1
