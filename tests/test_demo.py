"""`matchmaker demo`: the sample community through the real services, one round, a report.

The report is checked against the sample itself: who is paired, who is not and why.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo import demo
from bot.sample import SampleCommunity, load_sample

HEADER = re.compile(r"^(Pair \d+|Mutual want): .+ \(([^()]+)\) · ", re.MULTILINE)
UNMATCHED = re.compile(r"^  • .+ \(([^()]+)\): (.+?) — ", re.MULTILINE)


@pytest.fixture(scope="module")
def sample() -> SampleCommunity:
    return load_sample()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = io.StringIO()
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    assert asyncio.run(demo(url, out)) == 0
    return out.getvalue()


def _pairs(report: str, kind: str) -> list[tuple[str, ...]]:
    return [
        tuple(m.group(2).split(", "))
        for m in HEADER.finditer(report)
        if m.group(1).startswith(kind)
    ]


def _unmatched(report: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in UNMATCHED.finditer(report)}


def test_every_active_member_is_paired_or_told_why(report: str, sample: SampleCommunity) -> None:
    in_round = [uid for pair in _pairs(report, "Pair") for uid in pair]
    unmatched = _unmatched(report)
    assert len(in_round) == len(set(in_round)), "nobody is in two round pairs"
    assert not set(in_round) & set(unmatched)
    for member in sample.members:
        assert member.id in in_round or member.id in unmatched, member.id


def test_paused_members_are_listed_as_paused(report: str, sample: SampleCommunity) -> None:
    unmatched = _unmatched(report)
    paused = [m.id for m in sample.members if m.paused]
    assert paused
    for uid in paused:
        assert unmatched[uid] == "paused"


def test_every_reason_for_being_unmatched_shows(report: str) -> None:
    reasons = sorted(_unmatched(report).values())
    assert "no compatible partner" in reasons
    assert "everyone compatible met them recently" in reasons
    assert reasons.count("odd one out") == 1


def test_mutual_wants_get_their_dialogue(report: str, sample: SampleCommunity) -> None:
    mutual = {frozenset(p) for p in _pairs(report, "Mutual want")}
    assert sample.mutual_wants()
    for a, b in sample.mutual_wants():
        assert frozenset((a, b)) in mutual


def test_blocked_pairs_are_never_paired(report: str, sample: SampleCommunity) -> None:
    together = {frozenset(p) for p in _pairs(report, "")}
    for a, b in sample.blocked_pairs():
        assert frozenset((a, b)) not in together


def test_recent_partners_are_not_paired_again(report: str, sample: SampleCommunity) -> None:
    together = {frozenset(p) for p in _pairs(report, "Pair")}
    for meeting in sample.history:
        if meeting.rounds_ago < sample.cooldown:
            assert frozenset(meeting.members) not in together


def test_each_dialogue_shows_its_explanation_and_opening(report: str) -> None:
    pairs = len(_pairs(report, ""))
    assert pairs >= 25
    assert report.count("Opening message, private thread T") == pairs
    assert report.count("  Shared topics: ") == pairs
    assert report.count("**To start:**") == pairs
    assert "Top disagreements:" in report
    assert "strongly agree (+2)" in report
    assert "No opening message" not in report


def test_report_names_the_sample_and_round(report: str, sample: SampleCommunity) -> None:
    assert sample.name in report
    past = max(h.rounds_ago for h in sample.history)
    assert f"Round {past + 1}: " in report
    assert f"{len(sample.history)} dialogues in {past} past rounds" in report


def test_demo_is_repeatable(report: str, tmp_path: Path) -> None:
    out = io.StringIO()
    assert asyncio.run(demo(f"sqlite+aiosqlite:///{tmp_path / 'again.db'}", out)) == 0

    def body(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if not line.startswith("Database:"))

    assert body(out.getvalue()) == body(report)


def test_console_script_runs_the_demo(tmp_path: Path) -> None:
    pytest.importorskip("bot.cli.main")
    script = shutil.which("matchmaker", path=str(Path(sys.executable).parent))
    command = [script, "demo"] if script else [sys.executable, "-m", "bot.cli.main", "demo"]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Pair 1: " in done.stdout
    # With no URL the demo uses a fresh file in the working directory.
    assert (tmp_path / "matchmaker-demo.db").exists()


def test_mutual_want_members_sit_the_round_out(report: str, sample: SampleCommunity) -> None:
    in_round = {uid for pair in _pairs(report, "Pair") for uid in pair}
    unmatched = _unmatched(report)
    for a, b in sample.mutual_wants():
        for uid in (a, b):
            assert uid not in in_round
            assert unmatched[uid] == "already in a dialogue"


def test_report_ends_with_the_moderators_pool_summary(report: str, sample: SampleCommunity) -> None:
    summary = report[report.index("Pool summary") :]
    assert f"forms: {len(sample.members)} complete" in summary
    for claim in sample.claims:
        assert claim.text in summary


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_demo_runs_on_postgresql_without_printing_the_password(database_url: str) -> None:
    secret_url = database_url.replace("@", ":s3cret-pw@", 1)  # trust auth ignores it
    out = io.StringIO()
    assert asyncio.run(demo(secret_url, out)) == 0
    report = out.getvalue()
    assert "s3cret-pw" not in report and ":***@" in report
    assert "Pair 1: " in report


def test_the_schedule_plays_after_the_round(report: str) -> None:
    schedule = report[report.index("The schedule, played on a fast clock") :]
    for step in (
        "nudge",
        "mid-point crux prompt",
        "did-you-meet check-in",
        "wrap-up with buttons",
        "closing note",
        "stance re-asks sent privately",
    ):
        assert step in schedule, step
    moves = schedule[schedule.index("Stance re-asks at wrap-up") :]
    assert moves.count("(you moved)") >= 2
    transcript = schedule[schedule.index("Published transcript") :]
    assert "│ ## " in transcript and "crux?" not in transcript.split("Closed dialogues")[0]
    outcomes = schedule[schedule.index("Closed dialogues") :]
    for outcome in ("talked", "did_not", "ghosted"):
        assert f": {outcome}" in outcomes


def test_an_interview_pair_shows_its_roles_and_opening(
    report: str, sample: SampleCommunity
) -> None:
    interviewees = {m.id for m in sample.members if "interview_me" in m.looking_for}
    interviewers = {m.id for m in sample.members if "interview_them" in m.looking_for}
    names = {m.id: m.display_name for m in sample.members}
    shown = re.findall(r"^  Kind: interview · (.+) \(interview(?:er|ee)\), (.+) \(", report, re.M)
    assert shown, "no interview pair in the demo's round"
    for pair in _pairs(report, "Pair"):
        asked = set(pair) & interviewees
        if not asked:
            continue
        (interviewee,) = asked
        (interviewer,) = set(pair) - asked
        assert interviewer in interviewers
        opening = (
            f"You have been paired for an interview: **{names[interviewer]} interviews "
            f"{names[interviewee]}**."
        )
        assert opening in report
        assert f"{names[interviewer]}, open with a question for {names[interviewee]}" in report
    assert "pairs by kind: " in report


def test_the_demo_browses_and_a_tick_from_browse_completes_a_mutual_want(report: str) -> None:
    section = report[report.index("Browse: ") :]
    assert section.index("Suggested for you:") < section.index("Everyone else, by name:")
    assert "[I'd dialogue with " in section and "[Next ▶]" in section
    assert "It's mutual" in section
    assert section.count("both said you would like a dialogue with each other") == 2
