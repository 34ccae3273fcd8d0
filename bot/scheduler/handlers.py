"""What each kind of job does. A handler returns None when its job is done, `Cancelled` when
it no longer makes sense, and raises to be retried (then parked).

Every platform call passes an idempotency key derived from the job (`ctx.key(...)`), so a
retry after a crash between the call and the commit reconciles instead of repeating it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from bot.core import cadence, dialogues, lifecycle, membership, rounds, wants
from bot.core.actor import CommunityRef
from bot.core.intro import IntroPerson, speaker_labels
from bot.core.pool import is_paused
from bot.core.transcript import lesswrong_markdown
from bot.platforms.base import Message, PlatformError
from bot.storage.models import Community, InterestForm, Job, Member

from .dispatcher import NOTICE_KIND, Cancelled, Handler, JobContext, Later
from .jobs import add_job

log = logging.getLogger(__name__)

CLOSING_NOTE = "This dialogue is now closed. Thank you both for taking part!"


def _dialogue_closed(state: lifecycle.DialogueState | None) -> Cancelled | None:
    if state is None:
        return Cancelled("the dialogue no longer exists")
    if state.state != "open" or state.thread_id is None:
        return Cancelled(f"the dialogue is {state.state}")
    return None


async def _state(ctx: JobContext) -> lifecycle.DialogueState | None:
    async with ctx.core.db.transaction() as session:
        return await lifecycle.load_state(session, int(ctx.payload["dialogue_id"]))


AFTER_EARLIER_STEP = timedelta(seconds=5)


async def _earlier_step_pending(ctx: JobContext) -> Later | None:
    """A dialogue's steps run in order, also across processes: the wrap-up waits while the
    nudge before it is still pending or running in another process. (The dispatcher runs one
    dialogue's jobs of one batch in order, so its own running ones do not count.)"""
    dialogue_id = int(ctx.payload["dialogue_id"])
    async with ctx.core.db.transaction() as session:
        earlier = await session.scalar(
            select(Job.id)
            .where(
                Job.dedupe_key.like(f"prompt:{dialogue_id}:%"),
                Job.id != ctx.id,
                Job.run_at < ctx.run_at,
                or_(
                    Job.state == "pending",
                    and_(Job.state == "running", Job.claimed_by != ctx.owner),
                ),
            )
            .limit(1)
        )
    if earlier is None:
        return None
    return Later(ctx.core.clock.now() + AFTER_EARLIER_STEP, f"after job {earlier}")


async def prompt(ctx: JobContext) -> Cancelled | Later | None:
    """nudge, midpoint, checkin, wrapup and close: the steps of an open dialogue."""
    name = str(ctx.payload["prompt"])
    waiting = await _earlier_step_pending(ctx)
    if waiting is not None:
        return waiting
    state = await _state(ctx)
    gone = _dialogue_closed(state)
    if gone is not None or state is None:
        return gone
    assert state.thread_id is not None
    platform = ctx.core.platform(state.platform)
    if name == "close":
        return await _close(ctx, state)
    if any(seat.removed for seat in state.seats):
        return Cancelled("a member was removed from the pool")
    if name == "nudge":
        silent = [seat.name for seat in state.seats if seat.last_message_at is None]
        if not silent:
            return Cancelled("everyone has written")
        text = lifecycle.prompt_message("nudge", state.schedule, silent, state.kind)
        await platform.post(state.thread_id, Message(text), idempotency_key=ctx.key())
    elif name == "midpoint":
        text = lifecycle.prompt_message("midpoint", state.schedule, [], state.kind)
        await platform.post(state.thread_id, Message(text), idempotency_key=ctx.key())
    elif name == "checkin":
        text = lifecycle.prompt_message("checkin", state.schedule, [], state.kind)
        buttons = lifecycle.checkin_buttons(state.dialogue_id)
        await platform.post(state.thread_id, Message(text, buttons), idempotency_key=ctx.key())
    elif name == "wrapup":
        await _wrapup(ctx, state)
    else:
        raise LookupError(f"unknown prompt {name!r}")
    return None


async def _wrapup(ctx: JobContext, state: lifecycle.DialogueState) -> None:
    assert state.thread_id is not None
    now = ctx.core.clock.now()
    # The close is planned first: a wrap-up that keeps failing still ends the dialogue.
    async with ctx.core.db.transaction() as session:
        await add_job(
            session,
            kind="prompt",
            run_at=now + lifecycle.CLOSE_AFTER_WRAPUP,
            dedupe_key=f"prompt:{state.dialogue_id}:close",
            community_id=state.community_id,
            payload={
                "dialogue_id": state.dialogue_id,
                "prompt": "close",
                "wrapup_at": now.isoformat(),
            },
            now=now,
        )
    platform = ctx.core.platform(state.platform)
    text = lifecycle.prompt_message(
        "wrapup", state.schedule, [], state.kind, reask=bool(state.disagreed_claims())
    )
    buttons = lifecycle.wrapup_buttons(state.dialogue_id)
    await platform.post(state.thread_id, Message(text, buttons), idempotency_key=ctx.key())
    # Each member privately, the claims the pair disagreed on (same -2..+2 scale).
    failures = []
    for claim_id, claim_text, stances in state.disagreed_claims():
        for seat in state.seats:
            message = Message(
                lifecycle.reask_text(claim_text, stances.get(seat.user_id)),
                lifecycle.stance_buttons(state.dialogue_id, claim_id),
            )
            try:
                await platform.send_direct(
                    state.community_external_id,
                    seat.user_id,
                    message,
                    idempotency_key=ctx.key(f"{seat.member_id}:{claim_id}"),
                )
            except PlatformError as error:
                failures.append(f"{seat.user_id}: {error}")
    if failures:
        # Retried as a whole; what was sent is not sent again (same keys).
        raise PlatformError("stance re-ask not delivered to " + "; ".join(failures))


async def _close(ctx: JobContext, state: lifecycle.DialogueState) -> None:
    assert state.thread_id is not None
    wrapup_at = ctx.payload.get("wrapup_at")
    outcome = lifecycle.decide_outcome(
        state, datetime.fromisoformat(wrapup_at) if isinstance(wrapup_at, str) else None
    )
    platform = ctx.core.platform(state.platform)
    await platform.post(state.thread_id, Message(CLOSING_NOTE), idempotency_key=ctx.key())
    await dialogues.close(ctx.core, state.dialogue_id, outcome)


async def publish(ctx: JobContext) -> Cancelled | None:
    """Both agreed to publish: the transcript, LessWrong dialogue style, to every member."""
    state = await _state(ctx)
    if state is None or state.thread_id is None:
        return Cancelled("the dialogue no longer exists")
    if not all(seat.publish_consent for seat in state.seats):
        return Cancelled("not everyone agrees to publish any more")
    platform = ctx.core.platform(state.platform)
    messages = await platform.read_messages(state.thread_id)
    people = [IntroPerson(seat.user_id, seat.name) for seat in state.seats]
    title = transcript_title(people, state)
    labels = speaker_labels(people, state.explanation)  # "Alice (interviewer)" in an interview
    markdown = lesswrong_markdown(
        title, [(p.user_id, labels[p.user_id]) for p in people], messages, opened_at=state.opened_at
    )
    text = "You both agreed to publish your dialogue. Here it is, ready to post:\n\n" + markdown
    for seat in state.seats:
        await platform.send_direct(
            state.community_external_id,
            seat.user_id,
            Message(text),
            idempotency_key=ctx.key(str(seat.member_id)),
        )
    return None


def transcript_title(people: list[IntroPerson], state: lifecycle.DialogueState) -> str:
    topics = [t.get("name") for t in state.explanation.get("shared_topics") or []]
    names = " and ".join(p.name for p in people)
    return f"{names} on {topics[0]}" if topics and topics[0] else f"A dialogue: {names}"


async def open_dialogue(ctx: JobContext) -> Cancelled | None:
    """Retry opening a dialogue the platform refused (a member unreachable, a 5xx)."""
    opened = await dialogues.try_open_dialogue(ctx.core, int(ctx.payload["dialogue_id"]))
    if opened.state == "closed":
        return Cancelled("the dialogue was closed")
    if opened.error is not None:
        raise PlatformError(f"cannot open dialogue {opened.dialogue_id}: {opened.error}")
    return None


async def mutual_want_timeout(ctx: JobContext) -> Cancelled | None:
    if not await wants.intake_timed_out(ctx.core, int(ctx.payload["dialogue_id"])):
        return Cancelled("the dialogue no longer waits for its intake")
    return None


async def mutual_want_dm(ctx: JobContext) -> Cancelled | None:
    told = await wants.notify_mutual(
        ctx.core,
        int(ctx.payload["dialogue_id"]),
        str(ctx.payload["user_id"]),
        str(ctx.payload.get("partner") or ""),
        ctx.key(),
    )
    return None if told else Cancelled("the mutual want no longer waits for its intake")


async def unmatched_dm(ctx: JobContext) -> Cancelled | None:
    assert ctx.community_id is not None
    told = await rounds.notify_unmatched(
        ctx.core,
        ctx.community_id,
        str(ctx.payload["user_id"]),
        str(ctx.payload["reason"]),
        ctx.key(),
    )
    return None if told else Cancelled("the member left or was removed")


async def pause_end(ctx: JobContext) -> Cancelled | None:
    until = datetime.fromisoformat(str(ctx.payload["until"]))
    if not await membership.end_pause(ctx.core, int(ctx.payload["member_id"]), until, ctx.key()):
        return Cancelled("the pause was changed or lifted")
    return None


async def _community(ctx: JobContext) -> Community | None:
    async with ctx.core.db.transaction() as session:
        return await session.get(Community, ctx.community_id) if ctx.community_id else None


async def round_slot(ctx: JobContext) -> Cancelled | None:
    """A cadence slot: run the round (keyed by the slot) and plan the next slot."""
    slot = datetime.fromisoformat(str(ctx.payload["slot"]))
    community = await _community(ctx)
    if community is None:
        return Cancelled("the community no longer exists")
    if not cadence.is_slot(community, slot):
        return Cancelled("the round cadence changed")
    now = ctx.core.clock.now()
    if (now - slot).total_seconds() > 60:
        log.warning("community %s: running the %s round late, at %s", community.id, slot, now)
    ref = CommunityRef(community.platform, community.external_id)
    await rounds.run(
        ctx.core,
        rounds.RunRound(
            rounds.scheduler_actor(ref), idempotency_key=f"cadence:{cadence.slot_key(slot)}"
        ),
    )
    async with ctx.core.db.transaction() as session:
        fresh = await session.get_one(Community, community.id)
        await cadence.plan(session, fresh, max(now, slot))
    return None


def reminder_text(community: Community, slot: datetime) -> str:
    zone = ZoneInfo(community.cadence_timezone or "UTC")
    hours = community.signup_window_hours or cadence.DEFAULT_REMINDER_HOURS
    when = "tomorrow" if hours == 24 else f"in {hours} hours"
    local = slot.astimezone(zone)
    return (
        f"A dialogue round starts {when} ({local:%A %d %B, %H:%M} {zone.key}). "
        "If you can't make it, use `/dialogue pause`; to change your answers, "
        "`/dialogue profile`."
    )


async def round_reminder(ctx: JobContext) -> Cancelled | None:
    """The day before a slot: tell the pool a round is coming."""
    slot = datetime.fromisoformat(str(ctx.payload["slot"]))
    community = await _community(ctx)
    if community is None:
        return Cancelled("the community no longer exists")
    if not cadence.is_slot(community, slot):
        return Cancelled("the round cadence changed")
    now = ctx.core.clock.now()
    async with ctx.core.db.transaction() as session:
        members = list(
            await session.scalars(
                select(Member)
                .join(InterestForm, InterestForm.member_id == Member.id)
                .where(
                    Member.community_id == community.id,
                    Member.status != "removed",
                    InterestForm.status == "complete",
                )
                .order_by(Member.id)
            )
        )
    platform = ctx.core.platform(community.platform)
    text = reminder_text(community, slot)
    failures = []
    for member in members:
        if is_paused(member, now):
            continue
        try:
            await platform.send_direct(
                community.external_id,
                member.external_id,
                Message(text),
                idempotency_key=ctx.key(str(member.id)),
            )
        except PlatformError as error:
            failures.append(f"{member.external_id}: {error}")
    if failures:
        raise PlatformError("round reminder not delivered to " + "; ".join(failures))
    return None


async def moderator_notice(ctx: JobContext) -> Cancelled | None:
    """Tell the moderators, once, that a job was parked, or what an adapter found wrong
    (payload `text`, e.g. a permission the bot lacks)."""
    community = await _community(ctx)
    if community is None or not community.moderator_channel_id:
        return Cancelled("no moderator channel is set; /dialogue-admin pool lists parked jobs")
    text = ctx.payload.get("text") or (
        f"The bot gave up on a scheduled {ctx.payload.get('job_kind')} "
        f"(job {ctx.payload.get('job_id')}) after repeated failures: "
        f"{ctx.payload.get('error')}. `/dialogue-admin pool` lists parked jobs."
    )
    await ctx.core.platform(community.platform).post(
        community.moderator_channel_id, Message(text), idempotency_key=ctx.key()
    )
    return None


HANDLERS: dict[str, Handler] = {
    "prompt": prompt,
    "publish": publish,
    "open_dialogue": open_dialogue,
    "mutual_want_timeout": mutual_want_timeout,
    wants.DM_KIND: mutual_want_dm,
    "unmatched_dm": unmatched_dm,
    "pause_end": pause_end,
    "round": round_slot,
    "round_reminder": round_reminder,
    NOTICE_KIND: moderator_notice,
}
