"""The words the bot answers commands with: core result views rendered as short plain text.

Shared by every platform adapter (local, Discord, Slack): an ephemeral Discord reply, a Slack
`response_url` answer and the local chat all show the same text. Light formatting only (`•`
lists, no Markdown that one platform would print literally). People are named by the caller
(`who`), because a mention looks different on each platform. Replies can contain
member-written text (topic names, "about"); adapters deliver them without pinging anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from bot.core import browse
from bot.core.browse import BrowseEntry, BrowsePage
from bot.core.community_config import ConfigView
from bot.core.curation import ClaimView, TopicView
from bot.core.dialogues import CloseResult, FeedbackResult, PairResult
from bot.core.export import CsvExport
from bot.core.forms import (
    FORM_STEPS,
    LOOKING_FOR_LABELS,
    LOOKING_FOR_QUESTION,
    LOOKING_FOR_SHORT,
    FormView,
)
from bot.core.intro import FORMAT_WORDS, ROLE_WORDS, stance_words
from bot.core.membership import LeaveResult, MemberStatus
from bot.core.rounds import PairView, PreviewResult, RoundResult, UnmatchedView
from bot.core.stats import PoolStats
from bot.core.status import MemberStatusView
from bot.core.wants import INTAKE_FORMATS, IntakeResult, UnwantResult, WantResult
from bot.platforms.base import Button

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def when(moment: datetime | None) -> str:
    """'Mon 12 Jan 2026, 15:00 UTC'; inside the bot every time is UTC."""
    if moment is None:
        return "not set"
    return moment.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC")


def _bullets(lines: Iterable[str], empty: str = "  (none)") -> list[str]:
    items = [f"• {line}" for line in lines]
    return items or [empty]


def looking_for_text(values: Iterable[str]) -> str:
    """ "a dialogue, to be interviewed"."""
    return ", ".join(LOOKING_FOR_SHORT.get(v, v) for v in values) or "a dialogue"


def _looking_for_question() -> list[str]:
    return [
        f"{LOOKING_FOR_QUESTION} Any of:",
        *_bullets(f"{value}: {label}" for value, label in LOOKING_FOR_LABELS.items()),
    ]


def kind_text(kind: str, roles: Mapping[str, str], name_of: Mapping[str, str]) -> str:
    """ "dialogue", or "interview: Bob interviews Alice"."""
    if kind != "interview" or not roles:
        return kind
    askers = [name_of.get(uid, uid) for uid, role in roles.items() if role == "interviewer"]
    asked = [name_of.get(uid, uid) for uid, role in roles.items() if role == "interviewee"]
    verb = "interviews" if len(askers) == 1 else "interview"
    return f"interview: {' & '.join(askers)} {verb} {' & '.join(asked)}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


# --- the interest form -----------------------------------------------------------------------


def form_summary(view: FormView, claims: Sequence[ClaimView] = ()) -> str:
    """A member's own answers, as `/dialogue profile` shows them."""
    texts = {c.id: c.text for c in claims}
    state = "complete (in the pool)" if view.status == "complete" else "draft (not submitted)"
    lines = [f"Your interest form: {state}."]
    if view.status != "complete" and view.step:
        lines.append(f"Resume at step: {view.step} (steps: {', '.join(FORM_STEPS)}).")
    lines.append(f"Topics: {', '.join(view.topics) or '(none yet)'}")
    if view.suggested_topics:
        lines.append(f"Suggested, awaiting review: {', '.join(view.suggested_topics)}")
    lines.append("Stances:")
    lines += _bullets(
        f"#{claim_id} {texts.get(claim_id, '(claim no longer asked)')}: "
        f"{value:+d} ({stance_words(value)})"
        for claim_id, value in sorted(view.stances.items())
    )
    lines.append(f"Format: live (sync) {view.format_sync}, over days (async) {view.format_async}")
    lines.append(f"Timezone: {view.timezone}")
    windows = ", ".join(f"{w.day} {w.start}–{w.end}" for w in view.availability)
    lines.append(f"Availability: {windows or '(none given)'}")
    lines.append(f"Looking for: {looking_for_text(view.looking_for)}")
    lines.append(f"Disagreement: {view.appetite}")
    lines.append(f"About (shown to your partner): {view.about or '(empty)'}")
    if view.private_notes:
        lines.append(f"Notes for moderators: {view.private_notes}")
    lines.append(f"Willing to publish: {'yes' if view.publish_ok else 'no'}")
    lines.append(f"Participation: {'every round' if view.participation == 'every' else 'once'}")
    lines.append(f"Show me in browse: {'yes' if view.show_in_browse else 'no'}")
    if view.missing:
        lines.append("Still needed before you can submit:")
        lines += _bullets(message for _, message in view.missing)
    return "\n".join(lines)


def signup_form(view: FormView, topics: Sequence[TopicView], claims: Sequence[ClaimView]) -> str:
    """What a signup form offers, with the member's saved answers so far."""
    lines = [
        "Welcome back: your saved answers are kept."
        if view.status == "draft" and view.step != FORM_STEPS[0]
        else "Let's sign you up for dialogues.",
        "Topics to choose from (up to 10):",
        *_bullets(f"{t.slug}: {t.name}" for t in topics),
        "Claims to rate from -2 (strongly disagree) to 2 (strongly agree), or skip:",
        *_bullets(f"#{c.id} {c.text}" for c in claims),
        *_looking_for_question(),
        "",
        form_summary(view, claims),
    ]
    return "\n".join(lines)


def answers_saved(view: FormView) -> str:
    if view.status == "complete":
        return "Your answers are saved and you are in the pool for the next round."
    lines = [f"Saved. You can stop here and resume later at step: {view.step}."]
    if view.missing:
        lines.append("Still needed before you can submit:")
        lines += _bullets(message for _, message in view.missing)
    return "\n".join(lines)


# --- member commands -------------------------------------------------------------------------


def member_status(view: MemberStatusView) -> str:
    lines = []
    if view.form_status is None:
        lines.append("You have not started the signup form (/dialogue signup).")
    elif view.form_status == "draft":
        lines.append("Your signup form is not submitted yet (/dialogue signup to continue).")
    if view.status == "paused":
        until = f" until {when(view.paused_until)}" if view.paused_until else ""
        lines.append(f"You are paused{until}; /dialogue resume to come back.")
    elif view.status == "removed":
        lines.append("A moderator has taken you out of the pool.")
    else:
        lines.append("You are in the pool.")
    if view.looking_for:
        lines.append(f"Looking for: {looking_for_text(view.looking_for)}.")
    current = view.current
    if current is None:
        lines.append("No dialogue in progress.")
    else:
        partners = ", ".join(p.name for p in current.partners) or "nobody"
        kind = {"mutual_want": "mutual-want dialogue", "manual": "dialogue set up by a moderator"}
        label = kind.get(current.kind, "dialogue")
        if current.conversation_kind == "interview":
            label = label.replace("dialogue", "interview", 1)
            if current.role in ROLE_WORDS:
                partners += f" (you are the {ROLE_WORDS[current.role]})"
        if current.state == "open":
            lines.append(f"Current {label} with {partners}, open since {when(current.opened_at)}.")
            if current.waiting_for:
                lines.append(f"It is waiting for {current.waiting_for}.")
            if current.next_prompt is not None:
                step, at = current.next_prompt
                lines.append(f"Next from the bot: {PROMPT_WORDS.get(step, step)}, {when(at)}.")
        else:
            lines.append(f"A {label} with {partners} is about to open.")
    if view.waiting_on:
        others = [p.name for p in view.waiting_on]
        if view.you_owe_intake:
            lines.append("It is waiting for your topic and format choice (the button in your DMs).")
        else:
            lines.append(f"It is waiting for {', '.join(others)} to choose topics and format.")
    if view.next_round_at is not None:
        lines.append(f"Next round: {when(view.next_round_at)}.")
    else:
        lines.append("Rounds are run by the moderators; no date is set.")
    return "\n".join(lines)


def want_result(result: WantResult, who: str) -> str:
    if result.mutual:
        return (
            f"It's mutual: you and {who} both want a dialogue. Check your direct messages to "
            "choose topics and format."
        )
    # Identical wording whether or not the other side blocked: a want must reveal nothing.
    return f"Noted, privately. If {who} ticks you too, you will both hear about it."


def unwant_result(result: UnwantResult, who: str) -> str:
    if not result.removed:
        return f"You had no tick for {who}."
    text = f"Your tick for {who} is removed."
    if result.cancelled_dialogue_id is not None:
        text += " The mutual-want dialogue that was waiting to open is called off."
    return text


def blocked(who: str, changed: bool) -> str:
    if not changed:
        return f"You had already blocked {who}."
    return f"Blocked {who}: you will never be paired. They are not told."


def unblocked(who: str, changed: bool) -> str:
    return f"Unblocked {who}." if changed else f"You had not blocked {who}."


def pause_status(status: MemberStatus) -> str:
    if status.status == "paused":
        if status.paused_until is None:
            return "Paused until you /dialogue resume. Rounds will skip you."
        return f"Paused until {when(status.paused_until)}. Rounds will skip you until then."
    return "Welcome back: you are in the pool again."


def left(result: LeaveResult) -> str:
    text = "You have left, and everything we held about you in this community is deleted."
    if result.closed_dialogues:
        text += f" {len(result.closed_dialogues)} dialogue(s) in progress were ended."
    return text


def feedback_saved(result: FeedbackResult) -> str:
    return f"Thanks: you rated dialogue #{result.dialogue_id} {result.rating}/5."


# --- browse ----------------------------------------------------------------------------------

# A page must fit one chat message (Discord allows 2,000 characters): entries are clipped,
# and clipped harder until the page fits.
BROWSE_TEXT_CHARS = 1900
# (about, claim text, shared topics shown), loosest first; the last drops the details.
BROWSE_DETAIL = ((160, 80, 6), (100, 50, 4), (60, 35, 3), (0, 0, 0))
BROWSE_NAME_CHARS = 60
BUTTON_LABEL_CHARS = 80  # Discord's limit
KIND_WORDS = {
    browse.KIND_DIALOGUE: "dialogue",
    browse.KIND_YOU_INTERVIEW: "you interview them",
    browse.KIND_THEY_INTERVIEW: "they interview you",
}


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _browse_entry(number: int, entry: BrowseEntry, detail: tuple[int, int, int]) -> list[str]:
    about_chars, claim_chars, topic_count = detail
    kinds = " or ".join(KIND_WORDS.get(k, k) for k in entry.kinds) or "no kind in common"
    head = f"{number}. {_clip(entry.display_name, BROWSE_NAME_CHARS)} ({kinds})"
    if entry.about and about_chars:
        head += f": “{_clip(entry.about, about_chars)}”"
    lines = [head]
    if entry.shared_topics and topic_count:
        shown = list(entry.shared_topics[:topic_count])
        more = len(entry.shared_topics) - len(shown)
        lines.append(
            f"   Topics you share: {', '.join(shown)}" + (f" and {more} more" if more else "")
        )
    if entry.claims_in_common and claim_chars:
        plural = "claim" if entry.claims_in_common == 1 else "claims"
        line = f"   {entry.claims_in_common} {plural} you both answered"
        if entry.disagreements:
            line += "; furthest apart: " + "; ".join(
                f"“{_clip(g.text, claim_chars)}” (you {stance_words(g.mine)}, "
                f"they {stance_words(g.theirs)})"
                for g in entry.disagreements
            )
        lines.append(line)
    if entry.wanted:
        lines.append("   ✓ You ticked them (only you can see this)")
    return lines


def browse_page(page: BrowsePage) -> str:
    """One page of `/dialogue browse`: suggestions first, then everyone else by name."""
    where = f" interested in {page.topic_name}" if page.topic_name else ""
    if not page.total:
        return (
            f"Nobody{where} to show yet: people appear here once they have signed up "
            "(and unless they chose not to be listed)."
        )
    text = ""
    for detail in BROWSE_DETAIL:
        text = _browse_text(page, where, detail)
        if len(text) <= BROWSE_TEXT_CHARS:
            break
    return text


def _browse_text(page: BrowsePage, where: str, detail: tuple[int, int, int]) -> str:
    lines = [
        f"People{where} you could talk with: page {page.page} of {page.pages} "
        f"({page.total} in all)."
    ]
    first = (page.page - 1) * browse.PAGE_SIZE + 1
    heading = None
    for offset, entry in enumerate(page.entries):
        wanted = "Suggested for you:" if entry.suggested else "Everyone else, by name:"
        if wanted != heading:
            heading = wanted
            lines.append(heading)
        lines += _browse_entry(first + offset, entry, detail)
    lines.append(
        "Ticks are private: if someone you tick ticks you too, you both hear about it; "
        "otherwise nobody ever learns of it."
    )
    return "\n".join(lines)


def browse_toggle(user_id: str, wanted: bool, name: str | None = None) -> Button:
    """The persistent toggle for one person: "I'd dialogue with them", or "Untick" once ticked."""
    if wanted:
        label, custom_id = (f"Untick {name}" if name else "Untick"), browse.unwant_custom_id
    else:
        label, custom_id = f"I'd dialogue with {name or 'them'}", browse.want_custom_id
    return Button(custom_id(user_id), _clip(label, BUTTON_LABEL_CHARS))


def browse_buttons(page: BrowsePage) -> tuple[Button, ...]:
    buttons = [browse_toggle(e.user_id, e.wanted, e.display_name) for e in page.entries]
    if page.has_previous:
        buttons.append(Button(browse.page_custom_id(page.page - 1, page.topic_id), "◀ Previous"))
    if page.has_next:
        buttons.append(Button(browse.page_custom_id(page.page + 1, page.topic_id), "Next ▶"))
    return tuple(buttons)


def intake_form(dialogue_id: int, topics: Sequence[TopicView]) -> str:
    return "\n".join(
        [
            f"Choose what to talk about in mutual-want dialogue #{dialogue_id}.",
            "Topics (one or more):",
            *_bullets(f"{t.slug}: {t.name}" for t in topics),
            f"Format: {', '.join(INTAKE_FORMATS)}",
            *_looking_for_question(),
            "(Leave it out to use what your interest form says.)",
            "Notes for your partner (optional).",
        ]
    )


def intake_saved(result: IntakeResult) -> str:
    if result.opened:
        return "You are both in: your dialogue is open. Say hello in the new thread."
    return "Thanks. The dialogue opens when your partner has chosen too (or after a while)."


# --- moderator commands ----------------------------------------------------------------------


def topic_list(topics: Sequence[TopicView]) -> str:
    active = [t for t in topics if t.status == "active"]
    suggested = [t for t in topics if t.status == "suggested"]
    lines = ["Topics:", *_bullets(f"{t.slug}: {t.name}" for t in active)]
    if suggested:
        lines.append("Suggested, awaiting review (approve or reject):")
        lines += _bullets(
            f"{t.slug}: {t.name}" + (f" (by {t.suggested_by})" if t.suggested_by else "")
            for t in suggested
        )
    return "\n".join(lines)


def topic_changed(topic: TopicView, verb: str) -> str:
    return f"Topic {topic.name!r} ({topic.slug}) {verb}."


def claim_list(claims: Sequence[ClaimView]) -> str:
    return "\n".join(
        ["Claims:", *_bullets(f"#{c.id} {c.text} [{', '.join(c.topics)}]" for c in claims)]
    )


def claim_changed(claim: ClaimView, verb: str) -> str:
    return f"Claim #{claim.id} {verb}: {claim.text} [{', '.join(claim.topics)}]"


def config_view(view: ConfigView) -> str:
    if view.cadence_weekday is None or view.cadence_time is None:
        cadence = "manual (no weekly round)"
    else:
        cadence = (
            f"weekly, {WEEKDAYS[view.cadence_weekday]} {view.cadence_time} {view.cadence_timezone}"
        )
    window = f"{view.signup_window_hours} h" if view.signup_window_hours else "none"
    lines = [
        f"Settings for {view.name}:",
        f"• dialogue channel: {view.dialogue_channel_id or 'not set'}",
        f"• moderator channel (scheduler notices): {view.moderator_channel_id or 'not set'}",
        f"• rounds: {cadence}",
        f"• signup window: {window}",
        f"• cooldown: {view.cooldown} rounds",
        f"• odd one out: {view.odd_policy}",
        "• moderators: admins and owners"
        + (f", and the user group @{view.moderator_group}" if view.moderator_group else ""),
    ]
    for key, value in sorted(view.prompt_schedule.items()):
        lines.append(f"• {key}: {value}")
    for key, value in sorted(view.weights.items()):
        lines.append(f"• weight.{key}: {value}")
    return "\n".join(lines)


def _pair(pair: PairView) -> list[str]:
    names = " & ".join(m.name for m in pair.members)
    score = "" if pair.score is None else f" (score {pair.score:.2f})"
    lines = [f"• {names}{score}"]
    if pair.shared_topics:
        lines.append(f"    topics: {', '.join(pair.shared_topics)}")
    for d in pair.disagreements[:2]:
        stances = " vs ".join(f"{s.name} {s.words}" for s in d.stances)
        lines.append(f"    differ on “{d.text}”: {stances}")
    if pair.format in FORMAT_WORDS:
        lines.append(f"    format: {pair.format}")
    if pair.kind == "interview":
        lines.append(
            f"    {kind_text(pair.kind, pair.roles, {m.user_id: m.name for m in pair.members})}"
        )
    if pair.mutual_want:
        lines.append("    mutual want")
    return lines


def _unmatched(unmatched: Sequence[UnmatchedView]) -> list[str]:
    if not unmatched:
        return []
    return ["Not matched:", *_bullets(f"{u.name}: {u.reason}" for u in unmatched)]


def round_preview(result: PreviewResult) -> str:
    lines = [
        f"Preview of round {result.round_number} (nothing is stored): {result.pool_size} in "
        f"the pool, {len(result.pairs)} pair(s), total score {result.total_score:.2f}.",
    ]
    for pair in result.pairs:
        lines += _pair(pair)
    lines += _unmatched(result.unmatched)
    return "\n".join(lines)


def round_run(result: RoundResult) -> str:
    head = (
        f"Round {result.number} is {result.status}: {len(result.pairs)} dialogue(s) from a pool "
        f"of {result.pool_size}."
    )
    if not result.created_now:
        head = f"Round {result.number} had already run; nothing new was made. " + head
    lines = [head]
    for pair in result.pairs:
        lines += _pair(pair)
    lines += _unmatched(result.unmatched)
    if result.failed:
        lines.append("Could not open yet (still pending; a later run retries):")
        lines += _bullets(f"dialogue #{f.dialogue_id}: {f.error}" for f in result.failed)
    return "\n".join(lines)


def paired(result: PairResult, names: Sequence[str]) -> str:
    who = " & ".join(names)
    lines = [f"Paired {who} (dialogue #{result.dialogue_id})."]
    if result.kind == "interview":
        lines.append(
            "As an "
            + kind_text(result.kind, result.roles, dict(zip(result.members, names, strict=False)))
            + "."
        )
    if result.forced:
        lines.append("Forced despite a block; this is logged.")
    if result.score is None:
        lines.append("The engine would not have paired them (no score).")
    if result.opened.error is not None:
        lines.append(f"The thread could not be opened yet: {result.opened.error}")
    return "\n".join(lines)


def unpaired(result: CloseResult, who: str) -> str:
    archived = " and its thread archived" if result.archived else ""
    return f"Ended {who}'s dialogue #{result.dialogue_id}{archived}."


def removed(status: MemberStatus, who: str) -> str:
    if status.status == "removed":
        return f"{who} is out of the pool. Their data stays; reinstate brings them back."
    return f"{who} is back in the pool."


PROMPT_WORDS = {
    "nudge": "a nudge if someone has not written",
    "midpoint": "the mid-point crux question",
    "checkin": "the did-you-meet check-in",
    "wrapup": "the wrap-up",
    "close": "closing the dialogue",
}


def pool_stats(stats: PoolStats) -> str:
    m, f, o = stats.members, stats.forms, stats.outcomes
    lines = [
        f"Members: {sum(m.values())} ({m['active']} active, {m['paused']} paused, "
        f"{m['removed']} removed)",
        f"Forms: {f['complete']} complete, {f['draft']} draft, {f['none']} not started",
        "Formats: "
        + "; ".join(
            f"{kind} " + ", ".join(f"{rating} {n}" for rating, n in counts.items())
            for kind, counts in stats.formats.items()
        ),
        "Looking for: "
        + ", ".join(f"{looking_for_text([v])} {n}" for v, n in stats.looking_for.items()),
        "Topics:",
        *_bullets(f"{t.name}: {t.members}" for t in stats.topics),
        "Claims (answers, pairs disagreeing / answering, divisiveness):",
        *_bullets(
            f"#{c.claim_id} {c.text}: {c.answers}, {c.pairs_disagreeing}/{c.pairs_answered}, "
            f"{_percent(c.divisiveness)}"
            for c in stats.claims
        ),
        "Rounds:",
        *_bullets(
            f"{r.number} ({r.created_at:%d %b %Y}, {r.status}): {r.pairs} pair(s), "
            f"{r.unmatched} unmatched"
            for r in stats.rounds
        ),
        "Pairs by kind: " + ", ".join(f"{n} {kind}" for kind, n in stats.pairs_by_kind.items()),
        f"Dialogues: {o.pending} pending, {o.open} open, {o.talked} talked, {o.did_not} did "
        f"not, {o.ghosted} ghosted, {o.ended} ended early; "
        f"completion {_percent(o.completion_rate)}",
    ]
    if stats.stance_moves:
        lines.append(f"Stances moved ({stats.members_moved} member(s) moved):")
        lines += _bullets(
            f"#{s.claim_id} {s.text}: {s.moved}/{s.asked} moved "
            f"({s.toward_agree} toward agree, {s.toward_disagree} toward disagree)"
            for s in stats.stance_moves
        )
    if stats.parked_jobs:
        lines.append(f"Parked jobs ({len(stats.parked_jobs)}), given up after repeated failures:")
        lines += _bullets(
            f"job {j.job_id} {j.kind} (due {j.run_at:%d %b %H:%M} UTC, {j.attempts} attempts): "
            f"{j.error}"
            for j in stats.parked_jobs
        )
    return "\n".join(lines)


def export(files: CsvExport) -> str:
    # Platforms that can attach files will send these as pool.csv and rounds.csv.
    return "\n".join(
        [
            "pool.csv:",
            "```",
            files.pool_csv.rstrip("\n"),
            "```",
            "rounds.csv:",
            "```",
            files.rounds_csv.rstrip("\n"),
            "```",
        ]
    )


def usage(lines: Mapping[str, str] | Sequence[str], heading: str = "Usage:") -> str:
    items = list(lines.values()) if isinstance(lines, Mapping) else list(lines)
    return "\n".join([heading, *(f"  {line}" for line in items)])
