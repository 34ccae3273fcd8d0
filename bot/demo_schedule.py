"""The demo's second half: the prompt schedule played on a fast clock after the round.

The real dispatcher runs the real jobs on the demo's `FixedClock`, moved forward six hours at
a time; members' side of it is scripted (who writes, who presses which wrap-up button, who
moves on a claim). The report shows each prompt, nudge, check-in and wrap-up as the platform
received it, the stance re-asks and who moved, one published transcript, and the outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from rich.console import Console
from rich.markup import escape
from sqlalchemy import select

from bot.clock import FixedClock
from bot.commands import Commands
from bot.core import activity
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core
from bot.platforms.local import LocalPlatform
from bot.scheduler.dispatcher import Dispatcher, Settings
from bot.scheduler.handlers import HANDLERS
from bot.storage.models import Community, Dialogue, DialogueMember, Job, Member

STEP = timedelta(hours=6)
HORIZON = timedelta(days=10)
PROMPT_NAMES = {
    "nudge": "nudge",
    "crux": "mid-point crux prompt",
    "meet live": "did-you-meet check-in",
    "wrap up": "wrap-up with buttons",
    "closed": "closing note",
}


@dataclass
class Seat:
    user_id: str
    name: str


@dataclass
class Playing:
    dialogue_id: int
    thread_id: str
    title: str
    seats: list[Seat]
    disagreements: list[dict[str, object]]


async def _open_dialogues(core: Core, community: CommunityRef) -> list[Playing]:
    async with core.db.transaction() as session:
        found = await session.scalar(
            select(Community).where(
                Community.platform == community.platform,
                Community.external_id == community.external_id,
            )
        )
        assert found is not None
        rows = list(
            await session.scalars(
                select(Dialogue)
                .where(Dialogue.community_id == found.id, Dialogue.state == "open")
                .order_by(Dialogue.id)
            )
        )
        out = []
        for dialogue in rows:
            seats = (
                await session.execute(
                    select(Member.external_id, Member.display_name)
                    .join(DialogueMember, DialogueMember.member_id == Member.id)
                    .where(DialogueMember.dialogue_id == dialogue.id)
                    .order_by(DialogueMember.position)
                )
            ).all()
            assert dialogue.thread_id is not None
            out.append(
                Playing(
                    dialogue.id,
                    dialogue.thread_id,
                    " & ".join(name or uid for uid, name in seats),
                    [Seat(uid, name or uid) for uid, name in seats],
                    list((dialogue.explanation or {}).get("disagreements") or []),
                )
            )
        return out


async def _reask(commands: Commands, actor: Callable[[Seat], Actor], p: Playing) -> list[str]:
    """The first member moves one step toward the partner on the top disagreement; the partner
    answers the same as before. Returns what the mover was shown."""
    item = p.disagreements[0]
    stances = dict(item.get("stances") or {})  # type: ignore[call-overload]
    mover, other = p.seats[0], p.seats[1]
    if mover.user_id not in stances or other.user_id not in stances:
        return []
    before, theirs = int(stances[mover.user_id]), int(stances[other.user_id])
    claim = str(item.get("claim", "")).removeprefix("c")
    after = before + (1 if theirs > before else -1)
    reply = await commands.press(actor(mover), f"dm:stance:{p.dialogue_id}:{claim}:{after}")
    await commands.press(actor(other), f"dm:stance:{p.dialogue_id}:{claim}:{theirs}")
    return [f"{mover.name} on “{item.get('text')}”: {reply.text}"]


def _what(text: str) -> str:
    for needle, name in PROMPT_NAMES.items():
        if needle in text:
            return name
    return "message"


async def play(core: Core, console: Console, clock: FixedClock, community: CommunityRef) -> None:
    platform = core.platform(community.platform)
    assert isinstance(platform, LocalPlatform)
    playing = await _open_dialogues(core, community)
    if not playing:
        return
    commands = Commands(core)
    start = clock.now()
    seen_thread = {p.thread_id: len(platform.threads[p.thread_id].messages) for p in playing}
    seen_direct = {key: len(log) for key, log in platform.direct.items()}
    console.print()
    console.print(
        f"[bold]The schedule, played on a fast clock[/bold] ({len(playing)} open dialogues, "
        f"{STEP.total_seconds() / 3600:.0f} h steps)"
    )

    async def write(p: Playing, seat: Seat, text: str) -> None:
        platform.member_writes(p.thread_id, seat.user_id, text)
        await activity.record_message(core, community, p.thread_id, seat.user_id, clock.now())

    def actor(seat: Seat) -> Actor:
        return Actor(community, seat.user_id, seat.name)

    # Who talks: the first dialogue properly (and it is published), the second only one side
    # (the other is nudged), the last never (ghosted); everyone else says hello on day one.
    published = playing[0]
    ghosts = playing[-1] if len(playing) > 2 else None
    featured = [p for p in (published, *playing[1:3], ghosts) if p is not None]
    topic = str((published.disagreements or [{}])[0].get("text") or "our topic")
    script = [
        (published, 0.5, f"Let me start with “{topic}”: here is why I lean the way I do."),
        (published, 1.0, "Interesting. My experience points the other way, for two reasons."),
        (published, 2.5, "Fair. Which of those reasons would change your mind if it failed?"),
        (published, 3.5, "My crux: whether the evidence we have generalises at all."),
        (published, 4.0, "Then we agree on more than I thought; I have moved a little."),
    ]
    said: set[tuple[int, str]] = set()
    for seat in published.seats:
        await write(published, seat, f"Hello, I am {seat.name}.")
    if len(playing) > 1:
        await write(playing[1], playing[1].seats[0], "Hi! Keen to hear your view.")
    dispatcher = Dispatcher(core, HANDLERS, owner="demo", settings=Settings(max_sleep=HORIZON))
    await dispatcher.start()
    wrapped: set[int] = set()
    moved: list[str] = []
    try:
        while clock.now() - start < HORIZON:
            clock.advance(seconds=STEP.total_seconds())
            await dispatcher.settled()
            day = (clock.now() - start) / timedelta(days=1)
            others: dict[str, int] = {}
            for p in playing:
                messages = platform.threads[p.thread_id].messages
                for message in messages[seen_thread[p.thread_id] :]:
                    if message.author != "bot":
                        continue
                    if p in featured:
                        first = message.text.splitlines()[0]
                        console.print(
                            f"  day {day:4.2f}  {escape(p.title)}: {_what(message.text)} — "
                            f"{escape(first[:100])}"
                            + (f" [{len(message.buttons)} buttons]" if message.buttons else "")
                        )
                    else:
                        others[_what(message.text)] = others.get(_what(message.text), 0) + 1
                seen_thread[p.thread_id] = len(messages)
            for what, n in others.items():
                console.print(f"  day {day:4.2f}  …and {what} in {n} other dialogue(s)")
            for p, at, text in script:
                if at <= day and (p.dialogue_id, text) not in said:
                    said.add((p.dialogue_id, text))
                    await write(p, p.seats[len(said) % 2], text)
            reasks = 0
            for key, log in platform.direct.items():
                new = log[seen_direct.get(key, 0) :]
                reasks += sum(1 for m in new if m.text.startswith("Where do you stand now"))
                for m in new:
                    if not m.text.startswith("Where do you stand now"):
                        gist = " ".join(m.text.split())[:90]
                        console.print(f"  day {day:4.2f}  DM to {key[1]}: {escape(gist)}…")
                seen_direct[key] = len(log)
            if reasks:
                console.print(f"  day {day:4.2f}  stance re-asks sent privately: {reasks}")
            for p in playing[1:]:
                if p is ghosts:
                    continue
                for seat in p.seats:
                    wrote = any(
                        m.author == seat.user_id for m in platform.threads[p.thread_id].messages
                    )
                    # The second side of dialogue 2 is late (and nudged); others say hello.
                    if not wrote and (p is not playing[1] or day >= 1.5):
                        await write(p, seat, "Sorry for the delay, here is my take.")
            for index, p in enumerate(playing):
                if p.dialogue_id in wrapped or p is ghosts:
                    continue
                if not any("wrap up" in m.text for m in platform.threads[p.thread_id].messages):
                    continue
                wrapped.add(p.dialogue_id)
                answer = "did_not" if index == 2 and p is not ghosts else "talked"
                for n, seat in enumerate(p.seats):
                    await commands.press(actor(seat), f"dm:wrapup:{answer}:{p.dialogue_id}")
                    await commands.press(actor(seat), f"dm:wrapup:rate{4 + n % 2}:{p.dialogue_id}")
                    if p is published:
                        await commands.press(actor(seat), f"dm:wrapup:publish:{p.dialogue_id}")
                if index % 2 == 0 and len(moved) < 4 and p.disagreements:
                    moved += await _reask(commands, actor, p)
            async with core.db.transaction() as session:
                left = await session.scalar(
                    select(Dialogue.id).where(
                        Dialogue.id.in_([p.dialogue_id for p in playing]),
                        Dialogue.state != "closed",
                    )
                )
            if left is None:
                break
    finally:
        await dispatcher.stop()

    console.print()
    console.print("[bold]Stance re-asks at wrap-up[/bold] (what each member saw)")
    for line in moved:
        console.print(f"  • {escape(line)}")
    transcript = next(
        (
            m.text
            for m in platform.direct.get((community.external_id, published.seats[0].user_id), [])
            if "ready to post" in m.text
        ),
        None,
    )
    if transcript:
        console.print()
        console.print(f"[bold]Published transcript[/bold] ({escape(published.title)}, both agreed)")
        body = transcript.split("\n\n", 1)[1]
        for line in body.splitlines()[:24]:
            console.print(f"    │ {escape(line)}")
    console.print()
    console.print("[bold]Closed dialogues[/bold]")
    async with core.db.transaction() as session:
        outcomes = dict(
            (
                await session.execute(
                    select(Dialogue.id, Dialogue.outcome).where(
                        Dialogue.id.in_([p.dialogue_id for p in playing])
                    )
                )
            ).all()
        )
        cancelled = await session.scalar(
            select(Job.id).where(Job.last_error.like("cancelled:%")).limit(1)
        )
    for p in playing:
        console.print(f"  • {escape(p.title)}: {outcomes.get(p.dialogue_id) or 'still open'}")
    if cancelled is not None:
        console.print("  (jobs that no longer made sense were cancelled with a recorded reason)")
