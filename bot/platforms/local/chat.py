"""The local platform's inbound side: slash commands, form submissions and button presses from
members, turned into core commands, the same job the Discord and Slack adapters do.

Grammar (a leading `/` is optional; double quotes, straight or curly, group words):

    /dialogue signup | profile | status | resume | leave
    /dialogue feedback <1-5> [comment]
    /dialogue pause [YYYY-MM-DD]
    /dialogue want|unwant|block|unblock @user
    /dialogue-admin topics add <name> | topics remove|approve|reject <slug> | topics list
    /dialogue-admin claims add <text> | <topic-slug>[, <slug>…]
    /dialogue-admin claims remove <id> | claims list
    /dialogue-admin config [key=value …]
    /dialogue-admin round preview | round run
    /dialogue-admin pair @a @b [topic] [--force] | unpair @a
    /dialogue-admin pool | remove @user | reinstate @user | export

Errors a person can cause (`DomainError`, a bad argument) come back as a `Reply` with
`ok=False`; anything else is a bug and propagates.
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
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core
from bot.core.errors import BadInput, DomainError, NotFound

MEMBER_USAGE = {
    "signup": "/dialogue signup",
    "profile": "/dialogue profile",
    "status": "/dialogue status",
    "pause": "/dialogue pause [YYYY-MM-DD]",
    "resume": "/dialogue resume",
    "want": "/dialogue want @member",
    "unwant": "/dialogue unwant @member",
    "block": "/dialogue block @member",
    "unblock": "/dialogue unblock @member",
    "feedback": "/dialogue feedback <1-5> [comment]",
    "leave": "/dialogue leave",
}
ADMIN_USAGE = {
    "topics": "/dialogue-admin topics add <name> | remove <slug> | list | approve <slug> | "
    "reject <slug>",
    "claims": "/dialogue-admin claims add <text> | <topic-slug>[, <slug>…]  ·  "
    "claims remove <id>  ·  claims list",
    "config": "/dialogue-admin config [key=value …]  (keys: "
    + ", ".join(
        (
            "channel",
            "weekday",
            "time",
            "timezone",
            "signup_window_hours",
            "cooldown",
            "odd_policy",
            *community_config.PROMPT_HOUR_KEYS,
            *community_config.PROMPT_TEXT_KEYS,
            "weight.<name>",
        )
    )
    + "; 'none' resets)",
    "round": "/dialogue-admin round preview | round run",
    "pair": "/dialogue-admin pair @a @b [topic] [--force]",
    "unpair": "/dialogue-admin unpair @member",
    "pool": "/dialogue-admin pool",
    "remove": "/dialogue-admin remove @member",
    "reinstate": "/dialogue-admin reinstate @member",
    "export": "/dialogue-admin export",
}
FORM_KEYS = frozenset(
    {
        "topics",
        "suggested_topics",
        "stances",
        "sync",
        "async",
        "timezone",
        "availability",
        "appetite",
        "about",
        "private_notes",
        "publish_ok",
        "participation",
        "show_in_browse",
        "step",
        "submit",
    }
)
INTAKE_KEYS = frozenset({"topics", "format", "notes"})
RESET_WORDS = frozenset({"none", "default", "off", "clear", "-"})
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»"}
_MENTION = re.compile(r"^<@!?([^>|]+)(?:\|[^>]*)?>$")  # <@123>, <@!123>, Slack <@U1|name>


@dataclass(frozen=True, slots=True)
class Reply:
    """What the platform shows the sender; `field` names the form input at fault."""

    ok: bool
    text: str
    ephemeral: bool = True
    field: str | None = None


class UsageError(Exception):
    """The command was not understood: answered with its usage line, never raised out."""

    def __init__(self, usage: str) -> None:
        super().__init__(usage)
        self.usage = usage


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    value: str  # quotes removed
    start: int  # offset in the command text, so free text can be taken verbatim


def tokens(text: str) -> list[Token]:
    """Split on whitespace outside double quotes. An unclosed quote runs to the end of the
    text rather than failing: people type carelessly. Apostrophes are just letters."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, chars = i, []
        while i < n and not text[i].isspace():
            close = _QUOTES.get(text[i])
            if close is None:
                chars.append(text[i])
                i += 1
                continue
            end = text.find(close, i + 1)
            end = n if end < 0 else end
            chars.append(text[i + 1 : end])
            i = end + 1
        out.append(Token("".join(chars), start))
    return out


def unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def user_id_of(word: str) -> str:
    """'@alice', '<@alice>', '<@!123>', '<@U1|alice>' or a bare id -> the user id."""
    word = word.strip()
    found = _MENTION.match(word)
    if found:
        return found.group(1)
    return word.removeprefix("@")


@dataclass(frozen=True, slots=True)
class _Args:
    """The words after a (sub)command, and the raw text from each word on."""

    text: str
    words: list[Token]

    def __len__(self) -> int:
        return len(self.words)

    def __getitem__(self, index: int) -> str:
        return self.words[index].value

    def rest(self, index: int) -> str:
        """Everything from word `index` on, verbatim (quotes inside kept, outer ones off)."""
        if index >= len(self.words):
            return ""
        return unquote(self.text[self.words[index].start :])

    def shift(self) -> _Args:
        return _Args(self.text, self.words[1:])


def _one_user(args: _Args, usage: str) -> str:
    if len(args) != 1 or not user_id_of(args[0]):
        raise UsageError(usage)
    return user_id_of(args[0])


def _mention(user_id: str) -> str:
    return f"@{user_id}"


# --- the adapter -----------------------------------------------------------------------------

Handler = Callable[[Actor, _Args], Awaitable[Reply]]


class LocalChat:
    """One community's inbound chat on the local platform."""

    def __init__(self, core: Core, community: CommunityRef, moderators: set[str]) -> None:
        self.core = core
        self.community = community
        self.moderators = set(moderators)
        self._member: dict[str, Handler] = {
            "signup": self._signup,
            "profile": self._profile,
            "status": self._status,
            "pause": self._pause,
            "resume": self._resume,
            "want": self._want,
            "unwant": self._unwant,
            "block": self._block,
            "unblock": self._unblock,
            "feedback": self._feedback,
            "leave": self._leave,
        }
        self._admin: dict[str, Handler] = {
            "topics": self._topics,
            "claims": self._claims,
            "config": self._config,
            "round": self._round,
            "pair": self._pair,
            "unpair": self._unpair,
            "pool": self._pool,
            "remove": self._remove,
            "reinstate": self._reinstate,
            "export": self._export,
        }

    def actor(self, user_id: str, display_name: str = "") -> Actor:
        """The one place the local platform decides who is a moderator."""
        return Actor(self.community, user_id, display_name, is_moderator=user_id in self.moderators)

    # --- entry points ------------------------------------------------------------------------

    async def command(self, user_id: str, text: str, display_name: str = "") -> Reply:
        """A slash command exactly as the member typed it."""
        words = tokens(text)
        name = words[0].value.lstrip("/").lower() if words else ""
        args = _Args(text, words[1:])
        if name == "dialogue":
            table, usage = self._member, MEMBER_USAGE
        elif name == "dialogue-admin":
            table, usage = self._admin, ADMIN_USAGE
        else:
            both = replies.usage([*MEMBER_USAGE.values(), *ADMIN_USAGE.values()])
            return Reply(False, f"Unknown command.\n{both}")
        actor = self.actor(user_id, display_name)
        sub = args[0].lower() if len(args) else ""
        handler = table.get(sub)
        if handler is None:
            if sub in ("", "help"):
                return Reply(True, replies.usage(usage))
            return Reply(False, f"Unknown command {sub!r}.\n{replies.usage(usage)}")
        try:
            if table is self._admin:
                # Like Discord's default_member_permissions: the whole group is closed to
                # members. The core checks every moderator action again on its side.
                actor.require_moderator()
            return await handler(actor, args.shift())
        except UsageError as error:
            return Reply(False, replies.usage([error.usage]))
        except DomainError as error:
            return Reply(False, error.message, field=error.field)

    async def submit_form(
        self, user_id: str, answers: Mapping[str, Any], display_name: str = ""
    ) -> Reply:
        """A form submission (Discord modal, Slack view): save the answers, submit if asked."""
        actor = self.actor(user_id, display_name)
        try:
            save, submit = _save_answers(actor, answers)
            view = await forms.save_answers(self.core, save)
        except DomainError as error:
            # save_answers is one transaction: a refusal has stored nothing.
            return Reply(False, error.message, field=error.field)
        if not submit:
            return Reply(True, replies.answers_saved(view))
        try:
            view = await forms.submit(self.core, forms.SubmitForm(actor))
        except DomainError as error:
            # The answers themselves were valid and stay saved as a draft (partial progress
            # is kept by design); only entering the pool is refused.
            return Reply(False, f"Your answers are saved, but: {error.message}", field=error.field)
        return Reply(True, replies.answers_saved(view))

    async def press(
        self, user_id: str, custom_id: str, values: Mapping[str, Any] | None = None
    ) -> Reply:
        """A button press; `values` carries the inputs of the form the button opened."""
        actor = self.actor(user_id)
        dialogue_id = wants.intake_dialogue_id(custom_id)
        if dialogue_id is not None:
            try:
                return await self._intake(actor, dialogue_id, values)
            except DomainError as error:
                return Reply(False, error.message, field=error.field)
        return Reply(False, "Sorry, that button no longer does anything. Try /dialogue status.")

    # --- member commands ---------------------------------------------------------------------

    async def _signup(self, actor: Actor, args: _Args) -> Reply:
        _no_args(args, MEMBER_USAGE["signup"])
        view = await forms.start_or_resume(self.core, forms.StartOrResume(actor))
        topics = await curation.list_topics(self.core, curation.ListTopics(actor))
        claims = await curation.list_claims(self.core, curation.ListClaims(actor))
        # Suggestions are listed for moderators only; the form offers active topics.
        active = [t for t in topics if t.status == "active"]
        return Reply(True, replies.signup_form(view, active, claims))

    async def _profile(self, actor: Actor, args: _Args) -> Reply:
        _no_args(args, MEMBER_USAGE["profile"])
        view = await forms.profile(self.core, forms.ShowProfile(actor))
        claims = await curation.list_claims(self.core, curation.ListClaims(actor))
        return Reply(True, replies.form_summary(view, claims))

    async def _status(self, actor: Actor, args: _Args) -> Reply:
        _no_args(args, MEMBER_USAGE["status"])
        view = await status.status(self.core, status.ShowStatus(actor))
        return Reply(True, replies.member_status(view))

    async def _pause(self, actor: Actor, args: _Args) -> Reply:
        words = [w.value for w in args.words]
        if words and words[0].lower() == "until":
            words = words[1:]
        if len(words) > 1:
            raise UsageError(MEMBER_USAGE["pause"])
        until = await self._start_of_day(actor, words[0]) if words else None
        result = await membership.pause(self.core, membership.Pause(actor, until))
        return Reply(True, replies.pause_status(result))

    async def _start_of_day(self, actor: Actor, text: str) -> datetime:
        """Midnight at the start of that date in the member's own timezone (UTC if unknown)."""
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise BadInput(
                f"{text!r} is not a date; write it like 2026-02-01.", field="until"
            ) from None
        try:
            zone = (await forms.profile(self.core, forms.ShowProfile(actor))).timezone
        except NotFound:
            zone = "UTC"
        # Converted at the edge: inside the bot every time is UTC.
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)

    async def _resume(self, actor: Actor, args: _Args) -> Reply:
        _no_args(args, MEMBER_USAGE["resume"])
        result = await membership.resume(self.core, membership.Resume(actor))
        return Reply(True, replies.pause_status(result))

    async def _want(self, actor: Actor, args: _Args) -> Reply:
        target = _one_user(args, MEMBER_USAGE["want"])
        result = await wants.want(self.core, wants.WantMember(actor, target))
        return Reply(True, replies.want_result(result, _mention(target)))

    async def _unwant(self, actor: Actor, args: _Args) -> Reply:
        target = _one_user(args, MEMBER_USAGE["unwant"])
        result = await wants.unwant(self.core, wants.UnwantMember(actor, target))
        return Reply(True, replies.unwant_result(result, _mention(target)))

    async def _block(self, actor: Actor, args: _Args) -> Reply:
        target = _one_user(args, MEMBER_USAGE["block"])
        result = await blocks.block(self.core, blocks.BlockMember(actor, target))
        return Reply(True, replies.blocked(_mention(target), result.changed))

    async def _unblock(self, actor: Actor, args: _Args) -> Reply:
        target = _one_user(args, MEMBER_USAGE["unblock"])
        result = await blocks.unblock(self.core, blocks.UnblockMember(actor, target))
        return Reply(True, replies.unblocked(_mention(target), result.changed))

    async def _feedback(self, actor: Actor, args: _Args) -> Reply:
        if not len(args) or not re.fullmatch(r"[+-]?\d+", args[0]):
            raise UsageError(MEMBER_USAGE["feedback"])
        result = await dialogues.feedback(
            self.core, dialogues.GiveFeedback(actor, int(args[0]), args.rest(1))
        )
        return Reply(True, replies.feedback_saved(result))

    async def _leave(self, actor: Actor, args: _Args) -> Reply:
        _no_args(args, MEMBER_USAGE["leave"])
        result = await membership.leave(self.core, membership.Leave(actor))
        return Reply(True, replies.left(result))

    async def _intake(
        self, actor: Actor, dialogue_id: int, values: Mapping[str, Any] | None
    ) -> Reply:
        if values is None:
            # The button itself: show the short topic/format form it opens.
            topics = await curation.list_topics(self.core, curation.ListTopics(actor))
            active = [t for t in topics if t.status == "active"]
            return Reply(True, replies.intake_form(dialogue_id, active))
        _known_keys(values, INTAKE_KEYS)
        result = await wants.submit_intake(
            self.core,
            wants.SubmitIntake(
                actor,
                dialogue_id,
                topics=_strings(values.get("topics"), "topics"),
                format=_text(values.get("format"), "format"),
                notes=_text(values.get("notes"), "notes"),
            ),
        )
        return Reply(True, replies.intake_saved(result))

    # --- moderator commands ------------------------------------------------------------------

    async def _topics(self, actor: Actor, args: _Args) -> Reply:
        usage = ADMIN_USAGE["topics"]
        verb = args[0].lower() if len(args) else ""
        if verb == "list":
            _no_args(args.shift(), usage)
            topics = await curation.list_topics(self.core, curation.ListTopics(actor))
            return Reply(True, replies.topic_list(topics))
        ref = args.rest(1)
        if not ref:
            raise UsageError(usage)
        if verb == "add":
            topic = await curation.add_topic(self.core, curation.AddTopic(actor, ref))
            return Reply(True, replies.topic_changed(topic, "added"))
        if verb == "remove":
            topic = await curation.remove_topic(self.core, curation.RemoveTopic(actor, ref))
            return Reply(True, replies.topic_changed(topic, "removed"))
        if verb == "approve":
            topic = await curation.approve_topic(self.core, curation.ApproveTopic(actor, ref))
            return Reply(True, replies.topic_changed(topic, "approved"))
        if verb == "reject":
            topic = await curation.reject_topic(self.core, curation.RejectTopic(actor, ref))
            return Reply(True, replies.topic_changed(topic, "rejected"))
        raise UsageError(usage)

    async def _claims(self, actor: Actor, args: _Args) -> Reply:
        usage = ADMIN_USAGE["claims"]
        verb = args[0].lower() if len(args) else ""
        if verb == "list":
            _no_args(args.shift(), usage)
            claims = await curation.list_claims(self.core, curation.ListClaims(actor))
            return Reply(True, replies.claim_list(claims))
        if verb == "remove":
            if len(args) != 2 or not args[1].lstrip("#c").isdigit():
                raise UsageError(usage)
            claim_id = int(args[1].lstrip("#c"))
            claim = await curation.remove_claim(self.core, curation.RemoveClaim(actor, claim_id))
            return Reply(True, replies.claim_changed(claim, "removed"))
        if verb == "add":
            raw = args.rest(1)
            # The last '|' separates the statement from its topics: a claim may contain '|'.
            text, bar, topic_list = raw.rpartition("|")
            topics = tuple(unquote(t) for t in topic_list.split(",") if t.strip())
            if not bar or not unquote(text) or not topics:
                raise UsageError(usage)
            claim = await curation.add_claim(
                self.core, curation.AddClaim(actor, unquote(text), topics)
            )
            return Reply(True, replies.claim_changed(claim, "added"))
        raise UsageError(usage)

    async def _config(self, actor: Actor, args: _Args) -> Reply:
        if not len(args):
            view = await community_config.get_config(self.core, community_config.GetConfig(actor))
            return Reply(True, replies.config_view(view))
        changes: dict[str, Any] = {}
        prompts: dict[str, Any] = {}
        weights: dict[str, Any] = {}
        for word in args.words:
            key, equals, value = word.value.partition("=")
            key = key.strip().lower()
            if not equals or not key:
                raise UsageError(ADMIN_USAGE["config"])
            value = value.strip()
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
            else:
                raise BadInput(
                    f"Unknown setting {key!r}.\n{replies.usage([ADMIN_USAGE['config']])}",
                    field=key,
                )
        if prompts:
            changes["prompt_schedule"] = prompts
        if weights:
            changes["weights"] = weights
        view = await community_config.configure(
            self.core, community_config.Configure(actor, **changes)
        )
        return Reply(True, "Saved.\n" + replies.config_view(view))

    async def _round(self, actor: Actor, args: _Args) -> Reply:
        verb = args[0].lower() if len(args) == 1 else ""
        if verb == "preview":
            preview = await rounds.preview(self.core, rounds.PreviewRound(actor))
            return Reply(True, replies.round_preview(preview))
        if verb == "run":
            result = await rounds.run(self.core, rounds.RunRound(actor))
            return Reply(True, replies.round_run(result))
        raise UsageError(ADMIN_USAGE["round"])

    async def _pair(self, actor: Actor, args: _Args) -> Reply:
        words = [w for w in args.words if w.value.lower() != "--force"]
        force = len(words) != len(args.words)
        if len(words) < 2:
            raise UsageError(ADMIN_USAGE["pair"])
        a, b = user_id_of(words[0].value), user_id_of(words[1].value)
        topic = " ".join(w.value for w in words[2:]).strip() or None
        result = await dialogues.pair(
            self.core, dialogues.PairMembers(actor, a, b, topic=topic, force=force)
        )
        return Reply(True, replies.paired(result, [_mention(a), _mention(b)]))

    async def _unpair(self, actor: Actor, args: _Args) -> Reply:
        who = _one_user(args, ADMIN_USAGE["unpair"])
        result = await dialogues.unpair(self.core, dialogues.Unpair(actor, who))
        return Reply(True, replies.unpaired(result, _mention(who)))

    async def _pool(self, actor: Actor, args: _Args) -> Reply:
        _no_args(args, ADMIN_USAGE["pool"])
        result = await stats.pool_stats(self.core, stats.ShowPoolStats(actor))
        return Reply(True, replies.pool_stats(result))

    async def _remove(self, actor: Actor, args: _Args) -> Reply:
        who = _one_user(args, ADMIN_USAGE["remove"])
        result = await membership.remove(self.core, membership.RemoveMember(actor, who))
        return Reply(True, replies.removed(result, _mention(who)))

    async def _reinstate(self, actor: Actor, args: _Args) -> Reply:
        who = _one_user(args, ADMIN_USAGE["reinstate"])
        result = await membership.reinstate(self.core, membership.ReinstateMember(actor, who))
        return Reply(True, replies.removed(result, _mention(who)))

    async def _export(self, actor: Actor, args: _Args) -> Reply:
        _no_args(args, ADMIN_USAGE["export"])
        files = await export.export_csv(self.core, export.ExportCsv(actor))
        return Reply(True, replies.export(files))


# --- argument and answer conversion ----------------------------------------------------------


def _no_args(args: _Args, usage: str) -> None:
    if len(args):
        raise UsageError(usage)


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


def _known_keys(answers: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(answers) - known)
    if unknown:
        raise BadInput(
            f"This form has no question {unknown[0]!r}; it asks: {', '.join(sorted(known))}.",
            field=unknown[0],
        )


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput("Write this answer as text.", field=field)
    return value


def _optional_text(answers: Mapping[str, Any], key: str) -> str | None:
    return None if answers.get(key) is None else _text(answers[key], key)


def _strings(value: Any, field: str) -> tuple[str, ...]:
    """A multi-select: a list of strings, or comma-separated text from a plain input."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise BadInput("Choose from the list.", field=field)


def _claim_id(key: Any) -> int:
    # Select menus and JSON give string keys ("12", "c12", "#12"); the core wants ints.
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.lstrip("#c").isdigit():
        return int(key.lstrip("#c"))
    raise BadInput(f"{key!r} is not a claim number.", field="stances")


def _stance(value: Any) -> Any:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("", "skip"):
            return None
        if re.fullmatch(r"[+-]?\d+", word):
            return int(word)
    return value  # anything else is the core's to judge (and refuse with its message)


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "no", "false"):
        return value.strip().lower() in ("yes", "true")
    return value


def _windows(value: Any) -> tuple[forms.Window, ...]:
    if not isinstance(value, list | tuple):
        raise BadInput("Give availability as a list of weekly windows.", field="availability")
    out = []
    for item in value:
        if not isinstance(item, Mapping) or not all(
            isinstance(item.get(k), str) for k in ("day", "start", "end")
        ):
            raise BadInput(
                "Each availability window needs a day, a start and an end, like mon 18:00–21:00.",
                field="availability",
            )
        out.append(forms.Window(item["day"], item["start"], item["end"]))
    return tuple(out)


def _save_answers(actor: Actor, answers: Mapping[str, Any]) -> tuple[forms.SaveAnswers, bool]:
    """The form's answer keys as a `SaveAnswers`, and whether the member pressed submit."""
    _known_keys(answers, FORM_KEYS)
    stances = answers.get("stances")
    if stances is not None and not isinstance(stances, Mapping):
        raise BadInput("Stances go per claim number.", field="stances")
    topics = answers.get("topics")
    suggested = answers.get("suggested_topics")
    availability = answers.get("availability")
    submit = _bool(answers.get("submit", False))
    if not isinstance(submit, bool):
        raise BadInput("Submit is yes or no.", field="submit")
    save = forms.SaveAnswers(
        actor,
        step=_optional_text(answers, "step"),
        topics=None if topics is None else _strings(topics, "topics"),
        suggested_topics=None if suggested is None else _strings(suggested, "suggested_topics"),
        stances=None if stances is None else {_claim_id(k): _stance(v) for k, v in stances.items()},
        format_sync=_optional_text(answers, "sync"),
        format_async=_optional_text(answers, "async"),
        timezone=_optional_text(answers, "timezone"),
        availability=None if availability is None else _windows(availability),
        appetite=_optional_text(answers, "appetite"),
        about=_optional_text(answers, "about"),
        private_notes=_optional_text(answers, "private_notes"),
        participation=_optional_text(answers, "participation"),
        publish_ok=None if answers.get("publish_ok") is None else _bool(answers["publish_ok"]),
        show_in_browse=None
        if answers.get("show_in_browse") is None
        else _bool(answers["show_in_browse"]),
    )
    return save, submit
