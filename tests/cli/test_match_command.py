"""`matchmaker match FILE`, run as a person runs it: a subprocess on files in tmp_path."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def match(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.match_command", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_csv(path: Path, header: list[str], *rows: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def member(pid: str, **fields: Any) -> dict[str, Any]:
    return {"id": pid, "topics": ["ethics"], "stances": {}} | fields


def document(*participants: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "topics": ["ai-timelines", "ethics"],
        "claims": {"c1": {"text": "AGI arrives before 2035", "topics": ["ai-timelines"]}},
        "participants": list(participants),
    } | extra


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def pair_sets(report: dict[str, Any]) -> set[frozenset[str]]:
    return {frozenset(pair["members"]) for pair in report["pairs"]}


# Two couples who may only meet each other: alice and bob block carol and dave, so
# the one feasible perfect matching is {alice, bob}, {carol, dave}, whatever the weights.
COUPLES_HEADER = [
    "id",
    "topics",
    "claim:c1 [ai-timelines] AGI arrives before 2035",
    "sync",
    "async",
    "wants",
    "blocks",
]
COUPLES_ROWS = [
    ["alice", "ai-timelines; ethics", "strongly agree", "great", "okay", "bob", "carol; dave"],
    ["bob", "ai-timelines", "-2", "great", "no", "alice", "carol; dave"],
    ["carol", "ethics", "1", "okay", "great", "dave", ""],
    ["dave", "ethics", "", "no", "great", "", ""],
]
COUPLES = {frozenset({"alice", "bob"}), frozenset({"carol", "dave"})}


@pytest.fixture
def couples_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "form.csv", COUPLES_HEADER, *COUPLES_ROWS)


def test_csv_export_is_matched_and_shown_as_a_table(couples_csv: Path) -> None:
    result = match(couples_csv)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "alice + bob" in out and "carol + dave" in out
    assert "AGI arrives before 2035" in out, "top disagreement shows the claim text"
    assert "alice +2" in out and "bob -2" in out, "with both stances"
    assert "4 participants: 2 pairs" in out
    assert "proven optimal" in out, "auto states its proven bound"


def test_json_output_is_the_engine_output_document(couples_csv: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "result.json"
    result = match(couples_csv, "--output", out_path, "--solver", "exact")
    assert result.returncode == 0, result.stderr
    report = json.loads(out_path.read_text(encoding="utf-8"))
    assert pair_sets(report) == COUPLES
    assert report["unmatched"] == []
    assert report["total_score"] == pytest.approx(sum(p["score"] for p in report["pairs"]))
    assert report["solver"] == "exact"
    assert report["gap"] == 0.0 and report["upper_bound"] == report["total_score"]
    first = next(p for p in report["pairs"] if set(p["members"]) == {"alice", "bob"})
    assert first["mutual_want"] is True
    assert first["shared_topics"] == ["ai-timelines"]
    assert first["disagreements"][0] == {"claim": "c1", "stances": {"alice": 2, "bob": -2}}
    assert first["format"] == "sync", "bob rates async no"


def test_output_file_is_readable_like_any_file_the_user_writes(
    couples_csv: Path, tmp_path: Path
) -> None:
    out_path = tmp_path / "result.csv"
    assert match(couples_csv, "--output", out_path).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out_path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_csv_output_has_one_row_per_pair_and_per_unmatched(tmp_path: Path) -> None:
    rows = [*COUPLES_ROWS, ["erin", "ethics", "", "okay", "okay", "", "alice; bob; carol; dave"]]
    source = write_csv(tmp_path / "form.csv", COUPLES_HEADER, *rows)
    out_path = tmp_path / "pairs.csv"
    result = match(source, "-o", out_path)
    assert result.returncode == 0, result.stderr
    with out_path.open(newline="", encoding="utf-8") as file:
        written = list(csv.DictReader(file))
    pairs = [row for row in written if row["member_2"]]
    assert {frozenset({row["member_1"], row["member_2"]}) for row in pairs} == COUPLES
    assert all(float(row["score"]) > 0 for row in pairs)
    alice_bob = next(row for row in pairs if {row["member_1"], row["member_2"]} == {"alice", "bob"})
    assert alice_bob["mutual_want"] == "yes"
    assert "c1: alice 2, bob -2" in alice_bob["disagreements"]
    [left] = [row for row in written if not row["member_2"]]
    assert left["member_1"] == "erin"
    assert left["unmatched_reason"] == "no compatible partner"
    assert "Unmatched (1)" in result.stdout and "erin" in result.stdout


def test_odd_one_out_waits_or_joins_a_trio(tmp_path: Path) -> None:
    source = write_json(tmp_path / "pool.json", document(member("a"), member("b"), member("c")))
    waited = match(source, "--output", tmp_path / "wait.json", "--odd", "wait")
    assert waited.returncode == 0, waited.stderr
    report = json.loads((tmp_path / "wait.json").read_text(encoding="utf-8"))
    assert len(report["pairs"]) == 1
    assert [u["reason"] for u in report["unmatched"]] == ["odd one out"]

    trio = match(source, "--output", tmp_path / "trio.json", "--odd", "trio")
    assert trio.returncode == 0, trio.stderr
    report = json.loads((tmp_path / "trio.json").read_text(encoding="utf-8"))
    assert [sorted(p["members"]) for p in report["pairs"]] == [["a", "b", "c"]]
    assert report["unmatched"] == []


def test_cooldown_flag_overrides_the_file(tmp_path: Path) -> None:
    data = document(
        member("a"),
        member("b"),
        history=[{"members": ["a", "b"], "rounds_ago": 2}],
        config={"cooldown": 6},
    )
    source = write_json(tmp_path / "pool.json", data)
    kept_apart = match(source, "-o", tmp_path / "apart.json")
    report = json.loads((tmp_path / "apart.json").read_text(encoding="utf-8"))
    assert kept_apart.returncode == 0 and report["pairs"] == []
    assert {u["reason"] for u in report["unmatched"]} == {"everyone compatible met them recently"}

    allowed = match(source, "-o", tmp_path / "allowed.json", "--cooldown", "2")
    report = json.loads((tmp_path / "allowed.json").read_text(encoding="utf-8"))
    assert allowed.returncode == 0 and pair_sets(report) == {frozenset({"a", "b"})}


def test_same_seed_gives_the_same_result(tmp_path: Path) -> None:
    # Six interchangeable people: many optimal matchings, the seed picks one.
    people = [member(pid) for pid in "abcdef"]
    source = write_json(tmp_path / "pool.json", document(*people))
    for run in ("one", "two"):
        assert match(source, "-o", tmp_path / f"{run}.json", "--seed", "7").returncode == 0
    assert (tmp_path / "one.json").read_text() == (tmp_path / "two.json").read_text()


def test_paused_member_is_listed_as_unmatched(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "form.csv", ["id", "paused"], ["a", ""], ["b", ""], ["c", "yes"])
    result = match(source, "-o", tmp_path / "out.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert pair_sets(report) == {frozenset({"a", "b"})}
    assert report["unmatched"] == [{"id": "c", "reason": "paused"}]


def test_form_text_is_not_read_as_terminal_markup(tmp_path: Path) -> None:
    header = ["id", "claim:c1 [ethics] Rules like [bold] are [/] text"]
    source = write_csv(tmp_path / "form.csv", header, ["[red]x", "2"], ["y", "-2"])
    result = match(source)
    assert result.returncode == 0, result.stderr
    assert "[red]x + y" in result.stdout or "y + [red]x" in result.stdout


# --------------------------------------------------------------------------
# bad input: exit 2 and one line naming where, never a traceback


def assert_bad_input(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert result.stdout == ""


def test_bad_csv_cell_names_line_and_column(tmp_path: Path) -> None:
    rows = [[*row[:4], "maybe" if row[0] == "carol" else row[4], *row[5:]] for row in COUPLES_ROWS]
    source = write_csv(tmp_path / "form.csv", COUPLES_HEADER, *rows)
    assert_bad_input(
        match(source), 'line 4, column "async": expected great, okay or no, got "maybe"'
    )


def test_bad_csv_header_names_the_column(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "form.csv", ["id", "sycn"], ["a", "great"])
    assert_bad_input(match(source), 'line 1, column "sycn"', 'did you mean "sync"')


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    source = tmp_path / "pool.json"
    source.write_text('{\n  "participants": [\n    {"id": "a",}\n  ]\n}\n', encoding="utf-8")
    assert_bad_input(match(source), "pool.json: line 3, column ", "not valid JSON")


def test_engine_validation_error_is_shown_with_the_participant_line(tmp_path: Path) -> None:
    data = document(member("alice"), member("bob", topics=["astrology"]))
    source = write_json(tmp_path / "pool.json", data)
    result = match(source)
    assert_bad_input(result, 'participant "bob"', "astrology")
    line = next(n for n, text in enumerate(source.read_text().splitlines(), 1) if '"bob"' in text)
    assert f"line {line}: " in result.stderr


def test_bad_flags_are_usage_errors(couples_csv: Path) -> None:
    result = match(couples_csv, "--solver", "fastest")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    assert_bad_input(match(tmp_path / "nope.csv"), "no such file")


def test_output_must_be_csv_or_json(couples_csv: Path, tmp_path: Path) -> None:
    assert_bad_input(match(couples_csv, "-o", tmp_path / "out.xlsx"), ".csv or .json")


def test_output_directory_must_exist(couples_csv: Path, tmp_path: Path) -> None:
    assert_bad_input(match(couples_csv, "-o", tmp_path / "no" / "out.json"), "no such directory")


def test_large_pool_is_matched_with_the_engine_reporting_progress(tmp_path: Path) -> None:
    from tests.matching.factories import random_document

    pool = write_json(tmp_path / "big.json", random_document(1_000, 3))
    out_path = tmp_path / "big-result.json"
    result = match(pool, "--output", out_path, "--limit", "5")
    assert result.returncode == 0, result.stderr
    report = json.loads(out_path.read_text(encoding="utf-8"))
    matched = [m for pair in report["pairs"] for m in pair["members"]]
    assert len(matched) + len(report["unmatched"]) == 1_000


def test_looking_for_column_pairs_an_interviewer_with_an_interviewee(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "form.csv",
        ["id", "topics", "looking for"],
        ["ada", "ethics", "be interviewed"],
        ["ben", "ethics", "debate"],
        ["cy", "ethics", "Interview someone"],
        ["dee", "ethics", "dialogue"],
    )
    out_path = tmp_path / "pairs.csv"
    result = match(source, "-o", out_path, "--solver", "exact")
    assert result.returncode == 0, result.stderr
    with out_path.open(newline="", encoding="utf-8") as file:
        rows = {(row["member_1"], row["member_2"]): row for row in csv.DictReader(file)}
    assert set(rows) == {("ada", "cy"), ("ben", "dee")}
    assert rows[("ada", "cy")]["kind"] == "interview"
    assert rows[("ada", "cy")]["roles"] == "ada interviewee; cy interviewer"
    assert rows[("ben", "dee")]["kind"] == "dialogue"
    assert rows[("ben", "dee")]["roles"] == ""
    assert "cy interviews ada" in result.stdout


def test_nothing_both_are_looking_for_leaves_them_unmatched(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "form.csv",
        ["id", "looking for"],
        ["ada", "be interviewed"],
        ["ben", "be interviewed"],
    )
    result = match(source, "-o", tmp_path / "out.json")
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert report["pairs"] == []
    assert {u["reason"] for u in report["unmatched"]} == {"no compatible partner"}
