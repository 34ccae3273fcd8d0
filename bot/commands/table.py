"""What each sub-command does: one entry per (group, name), shared by every adapter.

An entry has the usage line, a parser from the text grammar (local chat, Slack) to keyword
arguments, and the handler that makes the core call and renders the reply. Discord's typed
options skip the parser and call the handler with the same keywords. Handlers raise
`UsageError` for arguments they cannot use and let `DomainError` through; the dispatcher
answers both.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot import replies
from bot.core import (
    blocks,
    browse,
    community_config,
    curation,
    dialogues,
    export,
    forms,
    membership,
    rounds,
    stats,
    status,
    wants,
)
from bot.core.actor import Actor
from bot.core.app import Core
from bot.core.errors import BadInput, NotFound

from .grammar import Args, UsageError, unquote, user_id_of
from .reply import File, Reply

MEMBER = "dialogue"
ADMIN = "dialogue-admin"

RESET_WORDS = frozenset({"none", "default", "off", "clear", "-"})
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CONFIG_KEYS = (
    "channel",
    "moderator_channel",
    "weekday",
    "time",
    "timezone",
    "signup_window_hours",
    "cooldown",
    "odd_policy",
    "moderator_group",
    *community_config.PROMPT_HOUR_KEYS,
    *community_config.PROMPT_TEXT_KEYS,
    "weight.<name>",
)


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler needs besides the actor: the core, and how this platform writes a
    mention (`@alice` locally, `<@123>` on Discord and Slack)."""

    core: Core
    mention: Callable[[str], str]


Handler = Callable[..., Awaitable[Reply]]
Parser = Callable[[Args, str], dict[str, Any]]


def _no_arguments(args: Args, usage: str) -> dict[str, Any]:
    args.none(usage)
    return {}


def _one_member(args: Args, usage: str) -> dict[str, Any]:
    return {"member": args.one_user(usage)}


@dataclass(frozen=True, slots=True)
class SubCommand:
    group: str
    name: str
    usage: str
    run: Handler  # async (ctx, actor, **kwargs) -> Reply
    parse: Parser = _no_arguments
    # May take longer than a platform waits for an answer: adapters acknowledge first.
    slow: bool = False


TABLE: dict[tuple[str, str], SubCommand] = {}


def command(
    group: str, name: str, usage: str, *, parse: Parser = _no_arguments, slow: bool = False
) -> Callable[[Handler], Handler]:
    def register(run: Handler) -> Handler:
        TABLE[group, name] = SubCommand(group, name, usage, run, parse, slow)
        return run

    return register


def usages(group: str) -> list[str]:
    return [entry.usage for (g, _), entry in TABLE.items() if g == group]


# --- member commands -------------------------------------------------------------------------


@command(MEMBER, "signup", "/dialogue signup")
async def signup(ctx: Context, actor: Actor) -> Reply:
    # One transaction: the form (started on first use), the active topics and the claims.
    signup = await forms.open_signup(ctx.core, forms.OpenSignup(actor))
    return Reply(True, replies.signup_form(signup.form, signup.topics, signup.claims), view=signup)


@command(MEMBER, "profile", "/dialogue profile")
async def profile(ctx: Context, actor: Actor) -> Reply:
    view = await forms.profile(ctx.core, forms.ShowProfile(actor))
    claims = await curation.list_claims(ctx.core, curation.ListClaims(actor))
    return Reply(True, replies.form_summary(view, claims), view=view)


@command(MEMBER, "status", "/dialogue status")
async def show_status(ctx: Context, actor: Actor) -> Reply:
    view = await status.status(ctx.core, status.ShowStatus(actor))
    return Reply(True, replies.member_status(view), view=view)


def _parse_pause(args: Args, usage: str) -> dict[str, Any]:
    words = [w.value for w in args.words]
    if words and words[0].lower() == "until":
        words = words[1:]
    if len(words) > 1:
        raise UsageError(usage)
    return {"until": words[0] if words else None}


@command(MEMBER, "pause", "/dialogue pause [YYYY-MM-DD]", parse=_parse_pause)
async def pause(ctx: Context, actor: Actor, until: str | None = None) -> Reply:
    moment = await _start_of_day(ctx.core, actor, until) if until else None
    result = await membership.pause(ctx.core, membership.Pause(actor, moment))
    return Reply(True, replies.pause_status(result))


async def _start_of_day(core: Core, actor: Actor, text: str) -> datetime:
    """Midnight at the start of that date in the member's own timezone (UTC if unknown)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            f"{text!r} is not a date; write it like 2026-02-01.", field="until"
        ) from None
    try:
        zone = (await forms.profile(core, forms.ShowProfile(actor))).timezone
    except NotFound:
        zone = "UTC"
    # Converted at the edge: inside the bot every time is UTC.
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


@command(MEMBER, "resume", "/dialogue resume")
async def resume(ctx: Context, actor: Actor) -> Reply:
    result = await membership.resume(ctx.core, membership.Resume(actor))
    return Reply(True, replies.pause_status(result))


@command(MEMBER, "want", "/dialogue want @member", parse=_one_member)
async def want(ctx: Context, actor: Actor, member: str) -> Reply:
    result = await wants.want(ctx.core, wants.WantMember(actor, member))
    return Reply(True, replies.want_result(result, ctx.mention(member)))


@command(MEMBER, "unwant", "/dialogue unwant @member", parse=_one_member)
async def unwant(ctx: Context, actor: Actor, member: str) -> Reply:
    result = await wants.unwant(ctx.core, wants.UnwantMember(actor, member))
    return Reply(True, replies.unwant_result(result, ctx.mention(member)))


@command(MEMBER, "block", "/dialogue block @member", parse=_one_member)
async def block(ctx: Context, actor: Actor, member: str) -> Reply:
    result = await blocks.block(ctx.core, blocks.BlockMember(actor, member))
    return Reply(True, replies.blocked(ctx.mention(member), result.changed))


@command(MEMBER, "unblock", "/dialogue unblock @member", parse=_one_member)
async def unblock(ctx: Context, actor: Actor, member: str) -> Reply:
    result = await blocks.unblock(ctx.core, blocks.UnblockMember(actor, member))
    return Reply(True, replies.unblocked(ctx.mention(member), result.changed))


def _parse_feedback(args: Args, usage: str) -> dict[str, Any]:
    if not len(args) or not re.fullmatch(r"[+-]?\d+", args[0]):
        raise UsageError(usage)
    return {"rating": int(args[0]), "comment": args.rest(1)}


@command(MEMBER, "feedback", "/dialogue feedback <1-5> [comment]", parse=_parse_feedback)
async def feedback(ctx: Context, actor: Actor, rating: int, comment: str = "") -> Reply:
    result = await dialogues.feedback(ctx.core, dialogues.GiveFeedback(actor, rating, comment))
    return Reply(True, replies.feedback_saved(result))


@command(MEMBER, "leave", "/dialogue leave")
async def leave(ctx: Context, actor: Actor) -> Reply:
    result = await membership.leave(ctx.core, membership.Leave(actor))
    return Reply(True, replies.left(result))


def _parse_browse(args: Args, usage: str) -> dict[str, Any]:
    """`[topic] [page]`: the topic may be several words ("AI timelines"); a last word that is
    a number is the page."""
    words = [w.value for w in args.words]
    page = 1
    if words and words[-1].isdigit():
        page = int(words.pop())
    topic = " ".join(words).strip() or None
    return {"topic": topic, "page": page}


# Slow: it reads and scores the whole pool (about 3 s at 10,000 members, bench/bench_browse.py).
@command(MEMBER, "browse", "/dialogue browse [topic] [page]", parse=_parse_browse, slow=True)
async def browse_pool(ctx: Context, actor: Actor, topic: str | None = None, page: int = 1) -> Reply:
    return browse_reply(await browse.browse(ctx.core, browse.Browse(actor, topic=topic, page=page)))


def browse_reply(page: browse.BrowsePage) -> Reply:
    """A page of browse: the text, a toggle per person and the paging buttons. The paging
    button answers with this same reply, for its page."""
    return Reply(True, replies.browse_page(page), buttons=replies.browse_buttons(page), view=page)


# --- moderator commands ----------------------------------------------------------------------

TOPICS_USAGE = (
    "/dialogue-admin topics add <name> | remove <slug> | list | approve <slug> | reject <slug>"
)


def _parse_topics(args: Args, usage: str) -> dict[str, Any]:
    action = args[0].lower() if len(args) else ""
    if action == "list":
        args.shift().none(usage)
        return {"action": action}
    return {"action": action, "name": args.rest(1) or None}


@command(ADMIN, "topics", TOPICS_USAGE, parse=_parse_topics)
async def topics(ctx: Context, actor: Actor, action: str, name: str | None = None) -> Reply:
    if action == "list":
        listed = await curation.list_topics(ctx.core, curation.ListTopics(actor))
        return Reply(True, replies.topic_list(listed))
    changes: dict[str, tuple[Callable[..., Any], type]] = {
        "add": (curation.add_topic, curation.AddTopic),
        "remove": (curation.remove_topic, curation.RemoveTopic),
        "approve": (curation.approve_topic, curation.ApproveTopic),
        "reject": (curation.reject_topic, curation.RejectTopic),
    }
    if action not in changes or not name or not name.strip():
        raise UsageError(TOPICS_USAGE)
    service, cmd = changes[action]
    topic = await service(ctx.core, cmd(actor, name.strip()))
    past = {"add": "added", "remove": "removed", "approve": "approved", "reject": "rejected"}
    return Reply(True, replies.topic_changed(topic, past[action]))


CLAIMS_USAGE = (
    "/dialogue-admin claims add <text> | <topic-slug>[, <slug>…]  ·  "
    "claims remove <id>  ·  claims list"
)


def _claim_number(word: str) -> int | None:
    word = word.strip().lstrip("#c")
    return int(word) if word.isdigit() else None


def _parse_claims(args: Args, usage: str) -> dict[str, Any]:
    action = args[0].lower() if len(args) else ""
    if action == "list":
        args.shift().none(usage)
        return {"action": action}
    if action == "remove":
        number = _claim_number(args[1]) if len(args) == 2 else None
        if number is None:
            raise UsageError(usage)
        return {"action": action, "claim": number}
    if action == "add":
        # The last '|' separates the statement from its topics: a claim may contain '|'.
        text, bar, topic_list = args.rest(1).rpartition("|")
        if not bar:
            raise UsageError(usage)
        return {"action": action, "text": unquote(text), "topics": topic_list}
    raise UsageError(usage)


@command(ADMIN, "claims", CLAIMS_USAGE, parse=_parse_claims)
async def claims(
    ctx: Context,
    actor: Actor,
    action: str,
    text: str | None = None,
    topics: str | None = None,
    claim: int | None = None,
) -> Reply:
    if action == "list":
        listed = await curation.list_claims(ctx.core, curation.ListClaims(actor))
        return Reply(True, replies.claim_list(listed))
    if action == "remove":
        if claim is None:
            raise UsageError(CLAIMS_USAGE)
        removed = await curation.remove_claim(ctx.core, curation.RemoveClaim(actor, claim))
        return Reply(True, replies.claim_changed(removed, "removed"))
    if action == "add":
        slugs = tuple(unquote(t) for t in (topics or "").split(",") if t.strip())
        if not text or not text.strip() or not slugs:
            raise UsageError(CLAIMS_USAGE)
        added = await curation.add_claim(ctx.core, curation.AddClaim(actor, text.strip(), slugs))
        return Reply(True, replies.claim_changed(added, "added"))
    raise UsageError(CLAIMS_USAGE)


CONFIG_USAGE = (
    "/dialogue-admin config [key=value …]  (keys: " + ", ".join(CONFIG_KEYS) + "; 'none' resets)"
)


def _parse_config(args: Args, usage: str) -> dict[str, Any]:
    settings: dict[str, str] = {}
    for word in args.words:
        key, equals, value = word.value.partition("=")
        if not equals or not key.strip():
            raise UsageError(usage)
        settings[key.strip().lower()] = value.strip()
    return {"settings": settings or None}


@command(ADMIN, "config", CONFIG_USAGE, parse=_parse_config)
async def config(ctx: Context, actor: Actor, settings: Mapping[str, str] | None = None) -> Reply:
    if not settings:
        view = await community_config.get_config(ctx.core, community_config.GetConfig(actor))
        return Reply(True, replies.config_view(view))
    changes = _config_changes(settings)
    view = await community_config.configure(ctx.core, community_config.Configure(actor, **changes))
    return Reply(True, "Saved.\n" + replies.config_view(view))


def _config_changes(settings: Mapping[str, str]) -> dict[str, Any]:
    """`key=value` words as `Configure` fields; 'none' (and friends) resets to the default."""
    changes: dict[str, Any] = {}
    prompts: dict[str, Any] = {}
    weights: dict[str, Any] = {}
    for raw_key, raw_value in settings.items():
        key, value = raw_key.strip().lower(), raw_value.strip()
        reset = value.lower() in RESET_WORDS or not value
        if key.startswith(("weight.", "weights.")):
            name = key.partition(".")[2]
            weights[name] = None if reset else _number(value, "weights", key)
        elif key in community_config.PROMPT_HOUR_KEYS:
            prompts[key] = None if reset else _number(value, "prompt_schedule", key)
        elif key in community_config.PROMPT_TEXT_KEYS:
            prompts[key] = None if reset else value
        elif key in ("channel", "dialogue_channel", "dialogue_channel_id"):
            changes["dialogue_channel_id"] = None if reset else value.lstrip("#")
        elif key in ("moderator_channel", "moderator_channel_id", "mod_channel"):
            changes["moderator_channel_id"] = None if reset else value.lstrip("#")
        elif key in ("weekday", "cadence_weekday", "day"):
            changes["cadence_weekday"] = None if reset else _weekday(value)
        elif key in ("time", "cadence_time"):
            changes["cadence_time"] = None if reset else value
        elif key in ("timezone", "tz", "cadence_timezone"):
            changes["cadence_timezone"] = value
        elif key in ("signup_window", "signup_window_hours"):
            changes["signup_window_hours"] = (
                None if reset else _number(value, "signup_window_hours", key)
            )
        elif key == "cooldown":
            changes["cooldown"] = _number(value, "cooldown", key)
        elif key in ("odd", "odd_policy"):
            changes["odd_policy"] = value.lower()
        elif key in ("moderator_group", "moderators"):
            changes["moderator_group"] = None if reset else value
        else:
            raise BadInput(f"Unknown setting {key!r}.\n{replies.usage([CONFIG_USAGE])}", field=key)
    if prompts:
        changes["prompt_schedule"] = prompts
    if weights:
        changes["weights"] = weights
    return changes


def _number(value: str, field: str, key: str) -> int | float:
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        raise BadInput(f"{key} must be a number, not {value!r}.", field=field) from None


def _weekday(value: str) -> int:
    word = value.strip().lower()
    if word.isdigit():
        return int(word)  # the core checks 0..6
    for number, name in enumerate(WEEKDAY_NAMES):
        # "mon" and "Monday" name Monday; "monkey" names nothing.
        if word in (name, name[:3]):
            return number
    raise BadInput(
        f"{value!r} is not a weekday; use mon…sun or 0 (Monday) to 6.", field="cadence_weekday"
    )


ROUND_USAGE = "/dialogue-admin round preview | round run"


def _parse_round(args: Args, usage: str) -> dict[str, Any]:
    if len(args) != 1:
        raise UsageError(usage)
    return {"action": args[0].lower()}


@command(ADMIN, "round", ROUND_USAGE, parse=_parse_round, slow=True)
async def round_(ctx: Context, actor: Actor, action: str, key: str | None = None) -> Reply:
    if action == "preview":
        preview = await rounds.preview(ctx.core, rounds.PreviewRound(actor))
        return Reply(True, replies.round_preview(preview), view=preview)
    if action == "run":
        # `key` is the platform's id of this request (an interaction id), so a retried
        # delivery of the same press runs the round once.
        result = await rounds.run(ctx.core, rounds.RunRound(actor, idempotency_key=key))
        return Reply(True, replies.round_run(result), view=result)
    raise UsageError(ROUND_USAGE)


PAIR_USAGE = (
    "/dialogue-admin pair @a @b [topic] [--force] [--dialogue | --interview] [--interviewer @a]"
)
PAIR_KIND_FLAGS = {"--dialogue": "dialogue", "--interview": "interview"}


def _parse_pair(args: Args, usage: str) -> dict[str, Any]:
    words = []
    force = False
    kind: str | None = None
    interviewer: str | None = None
    rest = iter(args.words)
    for word in rest:
        flag = word.value.lower()
        if flag == "--force":
            force = True
        elif flag in PAIR_KIND_FLAGS:
            if kind is not None and kind != PAIR_KIND_FLAGS[flag]:
                raise UsageError(usage)
            kind = PAIR_KIND_FLAGS[flag]
        elif flag == "--interviewer":
            who = next(rest, None)
            if who is None or not user_id_of(who.value):
                raise UsageError(usage)
            interviewer = user_id_of(who.value)
        elif flag.startswith("--"):
            raise UsageError(usage)
        else:
            words.append(word)
    if len(words) < 2:
        raise UsageError(usage)
    topic = " ".join(w.value for w in words[2:]).strip() or None
    return {
        "a": user_id_of(words[0].value),
        "b": user_id_of(words[1].value),
        "topic": topic,
        "force": force,
        "kind": kind,
        "interviewer": interviewer,
    }


@command(ADMIN, "pair", PAIR_USAGE, parse=_parse_pair, slow=True)
async def pair(
    ctx: Context,
    actor: Actor,
    a: str,
    b: str,
    topic: str | None = None,
    force: bool = False,
    kind: str | None = None,
    interviewer: str | None = None,
) -> Reply:
    result = await dialogues.pair(
        ctx.core,
        dialogues.PairMembers(
            actor, a, b, topic=topic, force=force, kind=kind, interviewer=interviewer
        ),
    )
    return Reply(True, replies.paired(result, [ctx.mention(a), ctx.mention(b)]), view=result)


@command(ADMIN, "unpair", "/dialogue-admin unpair @member", parse=_one_member, slow=True)
async def unpair(ctx: Context, actor: Actor, member: str) -> Reply:
    result = await dialogues.unpair(ctx.core, dialogues.Unpair(actor, member))
    return Reply(True, replies.unpaired(result, ctx.mention(member)))


@command(ADMIN, "pool", "/dialogue-admin pool", slow=True)
async def pool(ctx: Context, actor: Actor) -> Reply:
    result = await stats.pool_stats(ctx.core, stats.ShowPoolStats(actor))
    return Reply(True, replies.pool_stats(result), view=result)


@command(ADMIN, "remove", "/dialogue-admin remove @member", parse=_one_member)
async def remove(ctx: Context, actor: Actor, member: str) -> Reply:
    result = await membership.remove(ctx.core, membership.RemoveMember(actor, member))
    return Reply(True, replies.removed(result, ctx.mention(member)))


@command(ADMIN, "reinstate", "/dialogue-admin reinstate @member", parse=_one_member)
async def reinstate(ctx: Context, actor: Actor, member: str) -> Reply:
    result = await membership.reinstate(ctx.core, membership.ReinstateMember(actor, member))
    return Reply(True, replies.removed(result, ctx.mention(member)))


@command(ADMIN, "export", "/dialogue-admin export", slow=True)
async def export_(ctx: Context, actor: Actor) -> Reply:
    csvs = await export.export_csv(ctx.core, export.ExportCsv(actor))
    files = (
        File("pool.csv", csvs.pool_csv.encode(), "text/csv"),
        File("rounds.csv", csvs.rounds_csv.encode(), "text/csv"),
    )
    return Reply(True, replies.export(csvs), files=files, view=csvs)
