"""`matchmaker demo`: the whole product with no credentials, on the local platform.

It builds the shipped sample community (`bot/sample.py`) through the real core services, the
way moderators and members would: topics and claims, one interest form per member, wants,
blocks, pauses, and a few past rounds for the cooldown. Then it runs one round, which opens
a private thread per pair on the in-memory `LocalPlatform`, and prints a report: every pair
with why it was made and the opening message the platform received, everyone left unmatched
with the reason, and a pool summary.

Database: with no URL the demo uses a fresh SQLite file, `./matchmaker-demo.db`, deleted and
recreated on every run so the output is the same each time; it never touches `DATABASE_URL`
(that may be the real bot's database). A URL that is passed is used as given: it is upgraded
and the demo community (local platform, id `sample`) is replaced if an earlier run left it.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FixedClock
from bot.commands import Commands
from bot.core import (
    blocks,
    browse,
    curation,
    dialogues,
    forms,
    membership,
    rounds,
    stats,
    wants,
)
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core
from bot.core.intro import STANCE_WORDS, explain_unmatched, roles_of, speaker_label
from bot.platforms.local import LocalPlatform
from bot.sample import SampleCommunity, SampleMember, load_sample
from bot.storage.database import Database, shown_url
from bot.storage.migrate import upgrade
from bot.storage.models import (
    Community,
    Dialogue,
    DialogueMember,
    Member,
    Round,
    RoundUnmatched,
)

DEMO_DB_FILE = "matchmaker-demo.db"
DEMO_COMMUNITY = CommunityRef("local", "sample")
MODERATOR = Actor(DEMO_COMMUNITY, "moderator", "Moderator", is_moderator=True)
# The demo's round runs on a Monday afternoon; past rounds ran weekly before it.
DEMO_START = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)
ROUND_INTERVAL = timedelta(weeks=1)


def default_demo_url(directory: Path | None = None) -> str:
    """A fresh SQLite file for the demo: any earlier one (and its journal) is deleted."""
    path = (directory or Path.cwd()) / DEMO_DB_FILE
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path}"


def _unsynced_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The demo database is disposable: skipping fsync turns ~10 s of commits into well under 1 s.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def member_actor(member: SampleMember) -> Actor:
    return Actor(DEMO_COMMUNITY, member.id, member.display_name)


# --- building the sample community through the core ------------------------------------------


@dataclass
class Seeded:
    """Where the sample's ids ended up in the database."""

    community_id: int
    claim_ids: dict[str, int] = field(default_factory=dict)  # sample claim id -> Claim.id
    past_rounds: int = 0
    past_dialogues: int = 0


async def _replace_demo_community(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(
            delete(Community).where(
                Community.platform == DEMO_COMMUNITY.platform,
                Community.external_id == DEMO_COMMUNITY.external_id,
            )
        )


async def seed_curation(core: Core, sample: SampleCommunity) -> Seeded:
    """The community with its topics and claims, as a moderator sets it up."""
    view = await curation.setup_community(core, DEMO_COMMUNITY, sample.name)
    seeded = Seeded(view.id)
    for topic in sample.topics:
        made = await curation.add_topic(core, curation.AddTopic(MODERATOR, topic.name))
        if made.slug != topic.slug:
            raise RuntimeError(f"sample topic {topic.slug!r} became {made.slug!r}")
    for claim in sample.claims:
        made_claim = await curation.add_claim(
            core, curation.AddClaim(MODERATOR, claim.text, claim.topics)
        )
        seeded.claim_ids[claim.id] = made_claim.id
    return seeded


async def sign_up_members(core: Core, sample: SampleCommunity, seeded: Seeded) -> None:
    """Every member's complete interest form: start, save the answers, submit."""
    for member in sample.members:
        who = member_actor(member)
        await forms.start_or_resume(core, forms.StartOrResume(who, timezone_hint=member.timezone))
        await forms.save_answers(
            core,
            forms.SaveAnswers(
                who,
                topics=member.topics,
                stances={seeded.claim_ids[c]: v for c, v in member.stances.items()},
                format_sync=member.format_sync,
                format_async=member.format_async,
                timezone=member.timezone,
                availability=tuple(
                    forms.Window(w.day, w.start, w.end) for w in member.availability
                ),
                looking_for=member.looking_for,
                appetite=member.appetite,
                about=member.about,
                publish_ok=member.publish_ok,
                participation=member.participation,
            ),
        )
        await forms.submit(core, forms.SubmitForm(who))


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportPair:
    dialogue_id: int
    kind: str  # round | manual | mutual_want
    names: tuple[str, ...]
    user_ids: tuple[str, ...]
    score: float | None
    explanation: dict[str, Any]
    thread_id: str | None
    opening: str | None  # the first message the platform received in the thread


@dataclass(frozen=True)
class ReportUnmatched:
    name: str
    user_id: str
    reason: str


@dataclass(frozen=True)
class RoundReport:
    number: int
    solver: str
    total_score: float
    pool_size: int
    pairs: list[ReportPair]
    unmatched: list[ReportUnmatched]
    mutual_wants: list[ReportPair]  # opened outside the round, when both ticked each other


async def _demo_community(session: AsyncSession) -> Community:
    community = await session.scalar(
        select(Community).where(
            Community.platform == DEMO_COMMUNITY.platform,
            Community.external_id == DEMO_COMMUNITY.external_id,
        )
    )
    assert community is not None, "the demo community was not created"
    return community


async def _report_pairs(
    session: AsyncSession,
    platform: LocalPlatform,
    members: dict[int, Member],
    dialogues: list[Dialogue],
) -> list[ReportPair]:
    seats: dict[int, list[int]] = {}
    for row in await session.scalars(
        select(DialogueMember)
        .where(DialogueMember.dialogue_id.in_([d.id for d in dialogues]))
        .order_by(DialogueMember.dialogue_id, DialogueMember.position)
    ):
        seats.setdefault(row.dialogue_id, []).append(row.member_id)
    pairs = []
    for dialogue in dialogues:
        people = [members[m] for m in seats.get(dialogue.id, [])]
        thread = platform.threads.get(dialogue.thread_id or "")
        bot_messages = [m.text for m in thread.messages if m.author == "bot"] if thread else []
        pairs.append(
            ReportPair(
                dialogue_id=dialogue.id,
                kind=dialogue.kind,
                names=tuple(p.display_name or p.external_id for p in people),
                user_ids=tuple(p.external_id for p in people),
                score=dialogue.score,
                explanation=dict(dialogue.explanation or {}),
                thread_id=dialogue.thread_id,
                opening=bot_messages[0] if bot_messages else None,
            )
        )
    return pairs


async def read_round(core: Core, platform: LocalPlatform, round_number: int) -> RoundReport:
    """The committed round as stored, with the opening message each thread received, and the
    mutual-want dialogues opened since the previous round."""
    async with core.db.transaction() as session:
        community = await _demo_community(session)
        round_ = await session.scalar(
            select(Round).where(Round.community_id == community.id, Round.number == round_number)
        )
        assert round_ is not None, f"round {round_number} was not stored"
        members = {
            m.id: m
            for m in await session.scalars(
                select(Member).where(Member.community_id == community.id)
            )
        }
        in_round = list(
            await session.scalars(select(Dialogue).where(Dialogue.round_id == round_.id))
        )
        mutual = list(
            await session.scalars(
                select(Dialogue)
                .where(Dialogue.community_id == community.id, Dialogue.kind == "mutual_want")
                .order_by(Dialogue.id)
            )
        )
        pairs = await _report_pairs(session, platform, members, in_round)
        mutual_pairs = await _report_pairs(session, platform, members, mutual)
        left_out = list(
            await session.scalars(
                select(RoundUnmatched).where(RoundUnmatched.round_id == round_.id)
            )
        )
    pairs.sort(key=lambda p: (-(p.score or 0), p.user_ids))
    unmatched = sorted(
        (
            ReportUnmatched(
                members[u.member_id].display_name or members[u.member_id].external_id,
                members[u.member_id].external_id,
                u.reason,
            )
            for u in left_out
        ),
        key=lambda u: (REASON_ORDER.get(u.reason, 9), u.name),
    )
    return RoundReport(
        number=round_.number,
        solver=round_.solver,
        total_score=round_.total_score,
        pool_size=round_.pool_size,
        pairs=pairs,
        unmatched=unmatched,
        mutual_wants=mutual_pairs,
    )


REASON_ORDER = {
    "no compatible partner": 0,
    "everyone compatible met them recently": 1,
    "odd one out": 2,
    "paused": 3,
}
FULL_OPENINGS = 3  # pairs whose whole opening message is printed; the rest get its gist


def _stance(value: int) -> str:
    return f"{STANCE_WORDS.get(value, value)} ({value:+d})"


def _indent(text: str, prefix: str = "    │ ") -> str:
    return "\n".join((prefix + line).rstrip() for line in text.splitlines())


def render_pair(
    console: Console, label: str, pair: ReportPair, names: dict[str, str], *, full: bool
) -> None:
    ex = pair.explanation
    tags = []
    if ex.get("mutual_want"):
        tags.append("mutual want")
    elif ex.get("one_way_want"):
        tags.append("one-way want")
    score = f"score {pair.score:.1f}" if pair.score is not None else "no engine score"
    console.print()
    console.print(
        f"[bold cyan]{label}[/bold cyan]: [bold]{escape(' & '.join(pair.names))}[/bold] "
        f"({escape(', '.join(pair.user_ids))}) · {score}"
        + (f" · [magenta]{' · '.join(tags)}[/magenta]" if tags else "")
    )
    roles = roles_of(ex)
    if roles:
        who = ", ".join(
            f"{escape(speaker_label(names.get(uid, uid), role))}" for uid, role in roles.items()
        )
        console.print(f"  Kind: [magenta]interview[/magenta] · {who}")
    else:
        console.print("  Kind: dialogue")
    shared = [t["name"] for t in ex.get("shared_topics") or []]
    console.print(f"  Shared topics: {escape(', '.join(shared) or 'none')}")
    disagreements = ex.get("disagreements") or []
    if disagreements:
        console.print("  Top disagreements:")
        for item in disagreements:
            stances = " vs ".join(
                f"{escape(names.get(uid, uid))} {_stance(v)}"
                for uid, v in (item.get("stances") or {}).items()
            )
            text = escape(item.get("text") or item.get("claim", ""))
            console.print(f"    • “{text}”: {stances}")
    else:
        console.print("  Top disagreements: none on claims both answered")
    fmt = ex.get("format") or (
        "either (both chose it in the intake)" if pair.kind == "mutual_want" else "not set"
    )
    overlap = ex.get("availability_overlap") or []
    when = ""
    if fmt == "sync":
        windows = ", ".join(f"{w['day']} {w['start']}–{w['end']}" for w in overlap)
        when = f" · both available (UTC) {windows}" if overlap else " · a member is flexible"
    console.print(f"  Format: {escape(fmt + when)}")
    if pair.opening is None:
        console.print(f"  [red]No opening message was posted (thread {pair.thread_id}).[/red]")
        return
    if full:
        console.print(f"  Opening message, private thread {pair.thread_id}:")
        console.print(escape(_indent(pair.opening)))
    else:
        lines = pair.opening.splitlines()
        start = next((ln for ln in lines if ln.startswith("**To start:**")), lines[-1])
        console.print(f"  Opening message, private thread {pair.thread_id}:")
        console.print(escape(_indent(f"{lines[0]}\n…\n{start}")))


def render_round(console: Console, report: RoundReport, names: dict[str, str]) -> None:
    if report.mutual_wants:
        console.print(
            "[bold]Mutual wants[/bold]: both ticked each other, so their dialogue opened right "
            "away, outside the round (after each answered the short topic/format intake)"
        )
        for pair in report.mutual_wants:
            render_pair(console, "Mutual want", pair, names, full=False)
        console.print()
    console.print(
        f"[bold]Round {report.number}[/bold]: {len(report.pairs)} dialogues opened, "
        f"{len(report.unmatched)} members unmatched, pool of {report.pool_size}, "
        f"total score {report.total_score:.1f} (solver {escape(report.solver)})"
    )
    for n, pair in enumerate(report.pairs, 1):
        # An interview's opening is unlike a dialogue's: always show it whole.
        full = n <= FULL_OPENINGS or pair.explanation.get("kind") == "interview"
        render_pair(console, f"Pair {n}", pair, names, full=full)
    console.print()
    console.print("[bold]Unmatched[/bold] (told why by DM; paused members are not messaged)")
    if not report.unmatched:
        console.print("  nobody")
    for person in report.unmatched:
        console.print(
            f"  • {escape(person.name)} ({escape(person.user_id)}): "
            f"[yellow]{person.reason}[/yellow] — {escape(explain_unmatched(person.reason))}"
        )


def render_header(
    console: Console, sample: SampleCommunity, seeded: Seeded, database_url: str
) -> None:
    paused = sum(m.paused for m in sample.members)
    mutual = len(sample.mutual_wants())
    one_way = sum(len(m.wants) for m in sample.members) - 2 * mutual
    console.print("[bold]Dialogue Matchmaker demo[/bold] · local platform, no credentials")
    console.print(
        f"Community “{escape(sample.name)}”: {len(sample.members)} members, "
        f"{len(sample.topics)} topics, {len(sample.claims)} claims; "
        f"{mutual} mutual wants, {one_way} one-way wants, "
        f"{len(sample.blocked_pairs())} blocks, {paused} paused"
    )
    console.print(
        f"History: {seeded.past_dialogues} dialogues in {seeded.past_rounds} past rounds "
        f"(cooldown {sample.cooldown} rounds)"
    )
    console.print(f"Database: {escape(shown_url(database_url))}")
    console.print()


# --- entry points -----------------------------------------------------------------------------


async def demo(database_url: str | None = None, out: TextIO = sys.stdout, fast: bool = True) -> int:
    """Build the sample community, run one round on the local platform, print the report.

    `fast` plays the prompt schedule on a fast clock (when the scheduler exists) instead of
    waiting in real time. Returns the process exit code.
    """
    url = database_url or default_demo_url()
    console = Console(file=out, soft_wrap=True, highlight=False, emoji=False)
    sample = load_sample()
    db = Database(url)
    if db.is_sqlite:
        event.listen(db.engine.sync_engine, "connect", _unsynced_sqlite)
    try:
        await db.check_connection()
        await upgrade(db)
        await _replace_demo_community(db)
        clock = FixedClock(DEMO_START - ROUND_INTERVAL * _past_round_count(sample))
        platform = LocalPlatform(clock)
        core = Core(db=db, clock=clock, platforms={platform.name: platform})
        seeded = await seed_curation(core, sample)
        seeded.past_rounds = await run_past_rounds(core, sample, clock)
        clock.set(DEMO_START - timedelta(days=3))
        await sign_up_members(core, sample, seeded)
        await seed_meetings(core, sample, seeded, clock)
        clock.set(DEMO_START - timedelta(days=1))
        await seed_relations(core, sample)
        await apply_pauses(core, sample)
        clock.set(DEMO_START)
        number = await run_round(core)
        report = await read_round(core, platform, number)
        names = {m.id: m.display_name for m in sample.members}
        render_header(console, sample, seeded, url)
        render_round(console, report, names)
        await render_pool_summary(core, console)
        await show_browse(core, console, platform, sample)
        await play_prompts(core, console, clock, fast=fast)
    finally:
        await db.dispose()
    return 0


def run_demo(database_url: str | None, out: TextIO) -> int:
    """Synchronous entry point for `matchmaker demo`."""
    return asyncio.run(demo(database_url, out))


def _past_round_count(sample: SampleCommunity) -> int:
    return max((h.rounds_ago for h in sample.history), default=0)


# --- relations, history, pauses and the round --------------------------------------------------


@dataclass(frozen=True)
class MutualWantDialogue:
    dialogue_id: int
    members: tuple[str, str]


async def seed_relations(core: Core, sample: SampleCommunity) -> list[MutualWantDialogue]:
    """Blocks, then wants. A mutual want opens a dialogue right away (LessWrong style): both
    members answer the short intake (topics they share, either format) and it opens."""
    for member in sample.members:
        for target in member.blocks:
            await blocks.block(core, blocks.BlockMember(member_actor(member), target))
    opened: list[MutualWantDialogue] = []
    for member in sample.members:
        for target in member.wants:
            result = await wants.want(core, wants.WantMember(member_actor(member), target))
            if result.mutual and result.dialogue_id is not None:
                opened.append(MutualWantDialogue(result.dialogue_id, (target, member.id)))
    for match in opened:
        people = [sample.member(uid) for uid in match.members]
        shared = tuple(t for t in people[0].topics if t in people[1].topics) or people[0].topics
        for person in people:
            await wants.submit_intake(
                core,
                wants.SubmitIntake(member_actor(person), match.dialogue_id, shared, "either"),
            )
    return opened


async def run_past_rounds(core: Core, sample: SampleCommunity, clock: FixedClock) -> int:
    """Rounds 1..N-1, weekly before the demo's round, run while nobody had signed up yet."""
    past = _past_round_count(sample)
    for number in range(1, past + 1):
        clock.set(_round_time(past, number))
        result = await rounds.run(
            core, rounds.RunRound(MODERATOR, idempotency_key=f"demo:round:{number}")
        )
        if result.number != number:
            raise RuntimeError(f"expected past round {number}, the service made {result.number}")
    return past


async def seed_meetings(
    core: Core, sample: SampleCommunity, seeded: Seeded, clock: FixedClock
) -> None:
    """The sample's past meetings, so the cooldown has something to enforce.

    The round service cannot be told whom to pair, so each meeting `rounds_ago` k is made the
    way a moderator would: a manual pair made just after past round N-k and closed as `talked`
    five days later. `bot.core.pool` counts a closed manual dialogue as belonging to the latest
    round when it was made, so the engine sees exactly the sample's history. The clock is
    moved back to each of those weeks and returned afterwards.
    """
    now = clock.now()
    past = seeded.past_rounds
    for meeting in sorted(sample.history, key=lambda h: -h.rounds_ago):
        clock.set(_round_time(past, past + 1 - meeting.rounds_ago) + timedelta(hours=1))
        made = await dialogues.pair(
            core, dialogues.PairMembers(MODERATOR, meeting.members[0], meeting.members[1])
        )
        clock.advance(days=5)
        await dialogues.close(core, made.dialogue_id, "talked")
        seeded.past_dialogues += 1
    clock.set(now)


def _round_time(past_rounds: int, number: int) -> datetime:
    return DEMO_START - ROUND_INTERVAL * (past_rounds + 1 - number)


async def apply_pauses(core: Core, sample: SampleCommunity) -> None:
    for member in sample.members:
        if member.paused:
            await membership.pause(core, membership.Pause(member_actor(member)))


async def run_round(core: Core) -> int:
    result = await rounds.run(core, rounds.RunRound(MODERATOR, idempotency_key="demo:round"))
    return result.number


async def render_pool_summary(core: Core, console: Console) -> None:
    """The moderator's `pool` view (bot.core.stats), as `/dialogue-admin pool` shows it."""
    summary = await stats.pool_stats(core, stats.ShowPoolStats(MODERATOR))
    console.print()
    console.print("[bold]Pool summary[/bold] (what /dialogue-admin pool shows)")
    members = ", ".join(f"{n} {status}" for status, n in summary.members.items())
    console.print(f"  Members: {members}; forms: {summary.forms['complete']} complete")
    for fmt in ("sync", "async"):
        split = summary.formats.get(fmt, {})
        console.print(
            f"  {fmt:>5}: " + ", ".join(f"{split.get(r, 0)} {r}" for r in ("great", "okay", "no"))
        )
    looking = ", ".join(f"{n} {value}" for value, n in summary.looking_for.items())
    kinds = ", ".join(f"{n} {kind}" for kind, n in summary.pairs_by_kind.items())
    console.print(f"  Looking for: {looking}; pairs by kind: {kinds}")
    topics = sorted(summary.topics, key=lambda t: -t.members)
    console.print("  Topics: " + ", ".join(f"{escape(t.name)} {t.members}" for t in topics))
    console.print("  Claims (answers · share of round pairs that disagree):")
    for claim in summary.claims:
        share = "–" if claim.divisiveness is None else f"{claim.divisiveness:.0%}"
        console.print(f"    • {claim.answers:>3} · {share:>4}  {escape(claim.text)}")
    last = summary.rounds[0] if summary.rounds else None
    if last is not None:
        console.print(
            f"  Rounds: {len(summary.rounds)}; latest #{last.number}: "
            f"{last.pairs} dialogues, {last.unmatched} unmatched"
        )
    outcomes = summary.outcomes
    rate = "–" if outcomes.completion_rate is None else f"{outcomes.completion_rate:.0%}"
    console.print(
        f"  Dialogues: {outcomes.open} open, {outcomes.talked} talked, "
        f"{outcomes.did_not} did not, {outcomes.ghosted} ghosted; completion {rate}"
    )


async def _one_way_ticks(core: Core, sample: SampleCommunity) -> list[tuple[str, str]]:
    """(ticker, target): one-way ticks between two members who could still become a mutual
    want now (no block, no dialogue of theirs pending or open)."""
    found = []
    blocked = {frozenset(pair) for pair in sample.blocked_pairs()}
    async with core.db.transaction() as session:
        community = await _demo_community(session)
        for member in sample.members:
            for target in member.wants:
                if member.id in sample.member(target).wants:
                    continue
                if frozenset((member.id, target)) in blocked:
                    continue
                a = await session.scalar(
                    select(Member.id).where(
                        Member.community_id == community.id, Member.external_id == member.id
                    )
                )
                b = await session.scalar(
                    select(Member.id).where(
                        Member.community_id == community.id, Member.external_id == target
                    )
                )
                assert a is not None and b is not None
                if not await wants.dialogues_between(
                    session, community.id, a, b, states=("pending", "open")
                ):
                    found.append((member.id, target))
    return found


async def _listed(core: Core, who: Actor) -> set[str]:
    """Everyone on every page of `who`'s browse."""
    listed: set[str] = set()
    number, pages = 1, 1
    while number <= pages:
        page = await browse.browse(core, browse.Browse(who, page=number))
        listed |= {e.user_id for e in page.entries}
        number, pages = number + 1, page.pages
    return listed


async def show_browse(
    core: Core, console: Console, platform: LocalPlatform, sample: SampleCommunity
) -> None:
    """One member's `/dialogue browse` (suggested partners first), then a tick from it that
    completes a mutual want: through the shared command layer, as a chat adapter calls it."""
    # A one-way tick the target can see in browse (a one-round member whose round is done
    # has left the pool, so is not listed).
    pick = None
    for candidate in await _one_way_ticks(core, sample):
        if candidate[0] in await _listed(core, member_actor(sample.member(candidate[1]))):
            pick = candidate
            break
    if pick is None:
        return
    ticker, viewer = sample.member(pick[0]), sample.member(pick[1])
    commands = Commands(core)
    who = member_actor(viewer)
    console.print()
    console.print(
        f"[bold]Browse[/bold]: {escape(viewer.display_name)} types /dialogue browse "
        "(ticks are private; suggestions are the engine's highest scores for them)"
    )
    reply = await commands.text(who, "/dialogue browse")
    console.print(escape(_indent(reply.text)))
    console.print("    buttons: " + escape(" · ".join(f"[{b.label}]" for b in reply.buttons)))
    # Page on (with the page's own "Next" button) to the person they would like to talk with.
    toggle = f"browse:want:{ticker.id}"
    while toggle not in [b.custom_id for b in reply.buttons]:
        following = [b for b in reply.buttons if b.label.startswith("Next")]
        if not following:
            return
        reply = await commands.press(who, following[0].custom_id)
    page = reply.view
    console.print(
        f"  On page {getattr(page, 'page', '?')} {escape(viewer.display_name)} presses "
        f"“I'd dialogue with {escape(ticker.display_name)}”; "
        f"{escape(ticker.display_name)} had already ticked them, privately:"
    )
    ticked = await commands.press(who, toggle)
    console.print(escape(_indent(ticked.text)))
    for person in (viewer, ticker):
        messages = platform.direct.get((DEMO_COMMUNITY.external_id, person.id), [])
        if messages:
            console.print(f"  DM to {escape(person.display_name)}:")
            console.print(escape(_indent(messages[-1].text)))


async def play_prompts(core: Core, console: Console, clock: FixedClock, *, fast: bool) -> None:
    """The prompt schedule after the round, played by the real scheduler on the fast clock
    (`bot.demo_schedule`). `fast` is the only mode: the demo never waits in real time."""
    from bot.demo_schedule import play

    await play(core, console, clock, DEMO_COMMUNITY)
