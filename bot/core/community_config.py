"""Moderator configuration of a community: channel, round cadence, cooldown, prompts, weights.

`configure` is a partial update: a field left at `KEEP` is unchanged. Prompt schedule and
weights merge key by key into what is stored, and a key set to `None` goes back to the
default (the defaults themselves live with the code that reads them).
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.storage.models import Community

from . import cadence, lookup
from .actor import Actor, CommunityRef
from .app import Core
from .errors import BadInput
from .forms import is_clock_time, is_timezone


class Keep(enum.Enum):
    KEEP = "keep"


KEEP = Keep.KEEP

ODD_POLICIES = ("wait", "trio")
MAX_COOLDOWN = 52
MAX_SIGNUP_WINDOW_HOURS = 24 * 14
PROMPT_HOUR_KEYS = ("nudge_hours", "midpoint_hours", "wrapup_hours", "checkin_hours")
PROMPT_TEXT_KEYS = ("opening_text", "nudge_text", "midpoint_text", "wrapup_text", "checkin_text")
PROMPT_TEXT_MAX_CHARS = 1000
MAX_PROMPT_HOURS = 24 * 60
WEIGHT_KEYS = (
    "pair",
    "topic",
    "disagreement",
    "disagreement_focus",
    "mutual_want",
    "one_way_want",
    "format",
    "availability",
    "priority",
)
# The disagreement weights may be negative: a community can prefer agreement; the others
# only add.
SIGNED_WEIGHTS = ("disagreement", "disagreement_focus")


@dataclass(frozen=True, slots=True)
class Configure:
    actor: Actor
    dialogue_channel_id: str | Keep | None = KEEP
    # Where the scheduler tells moderators about jobs it gave up on.
    moderator_channel_id: str | Keep | None = KEEP
    cadence_weekday: int | Keep | None = KEEP  # 0 = Monday; None (with time None) = manual
    cadence_time: str | Keep | None = KEEP  # "HH:MM" in cadence_timezone
    cadence_timezone: str | Keep = KEEP
    signup_window_hours: int | Keep | None = KEEP
    cooldown: int | Keep = KEEP
    odd_policy: str | Keep = KEEP
    prompt_schedule: Mapping[str, Any] | Keep = KEEP
    weights: Mapping[str, Any] | Keep = KEEP
    moderator_group: str | Keep | None = KEEP  # a user group handle, e.g. "dialogue-mods"


@dataclass(frozen=True, slots=True)
class GetConfig:
    actor: Actor


@dataclass(frozen=True, slots=True)
class ConfigView:
    community_id: int
    name: str
    dialogue_channel_id: str | None
    cadence_weekday: int | None
    cadence_time: str | None
    cadence_timezone: str
    signup_window_hours: int | None
    cooldown: int
    odd_policy: str
    prompt_schedule: dict[str, Any] = field(default_factory=dict)  # flat keys, overrides only
    weights: dict[str, Any] = field(default_factory=dict)  # overrides only
    moderator_group: str | None = None

    moderator_channel_id: str | None = None


def _view(c: Community) -> ConfigView:
    return ConfigView(
        c.id,
        c.name,
        c.dialogue_channel_id,
        c.cadence_weekday,
        c.cadence_time,
        c.cadence_timezone,
        c.signup_window_hours,
        c.cooldown,
        c.odd_policy,
        flat_prompt_schedule(c.prompt_schedule or {}),
        dict(c.weights),
        c.moderator_group,
        c.moderator_channel_id,
    )


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _prompt_key(key: str) -> tuple[str, str]:
    """'nudge_hours' -> ('nudge', 'hours'); unknown keys are the moderator's typo."""
    if key not in PROMPT_HOUR_KEYS + PROMPT_TEXT_KEYS:
        raise BadInput(
            f"Unknown prompt setting {key!r}; "
            f"use {', '.join(PROMPT_HOUR_KEYS + PROMPT_TEXT_KEYS)}.",
            field="prompt_schedule",
        )
    prompt, _, part = key.rpartition("_")
    return prompt, part


def _merge_prompts(current: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    # Stored as {"nudge": {"hours": 24, "text": "..."}}, the shape the prompt scheduler
    # (`dialogues.prompt_hours`) reads; moderators speak in flat keys like `nudge_hours`.
    merged: dict[str, Any] = {}
    for name, entry in current.items():
        # Older or hand-written rows may hold a bare number of hours, or null/false (off).
        merged[name] = dict(entry) if isinstance(entry, dict) else entry
        if _number(entry):
            merged[name] = {"hours": entry}
    for key, value in changes.items():
        prompt, part = _prompt_key(key)
        if not isinstance(merged.get(prompt), dict):
            merged[prompt] = {}
        entry = merged[prompt]
        if value is None:
            entry.pop(part, None)
        elif part == "hours":
            if not _whole(value) or not 1 <= value <= MAX_PROMPT_HOURS:
                raise BadInput(
                    f"{key} must be a whole number of hours from 1 to {MAX_PROMPT_HOURS}.",
                    field="prompt_schedule",
                )
            entry[part] = value
        else:
            if not isinstance(value, str) or not value.strip():
                raise BadInput(f"{key} must be some text.", field="prompt_schedule")
            if len(value) > PROMPT_TEXT_MAX_CHARS:
                raise BadInput(
                    f"{key} can be at most {PROMPT_TEXT_MAX_CHARS} characters "
                    f"(it has {len(value)}).",
                    field="prompt_schedule",
                )
            entry[part] = value.strip()
    return {name: entry for name, entry in merged.items() if entry != {}}


def flat_prompt_schedule(stored: dict[str, Any]) -> dict[str, Any]:
    """{"nudge": {"hours": 24}} -> {"nudge_hours": 24}: the keys `Configure` takes."""
    flat = {}
    for name, entry in stored.items():
        if isinstance(entry, dict):
            for part, value in entry.items():
                flat[f"{name}_{part}"] = value
        elif _number(entry):
            flat[f"{name}_hours"] = entry
    return flat


def _merge_weights(current: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in changes.items():
        if key not in WEIGHT_KEYS:
            raise BadInput(
                f"Unknown weight {key!r}; use {', '.join(WEIGHT_KEYS)}.", field="weights"
            )
        if value is None:
            merged.pop(key, None)
            continue
        if not _number(value):
            raise BadInput(f"The weight {key} must be a number.", field="weights")
        if value < 0 and key not in SIGNED_WEIGHTS:
            raise BadInput(f"The weight {key} cannot be negative.", field="weights")
        merged[key] = value
    return merged


async def configure(core: Core, cmd: Configure) -> ConfigView:
    cmd.actor.require_moderator()
    async with core.db.transaction() as session:
        c = await lookup.get_community(session, cmd.actor.community)
        if cmd.dialogue_channel_id is not KEEP:
            channel = (cmd.dialogue_channel_id or "").strip() or None
            if channel is not None and len(channel) > 64:
                raise BadInput("That channel id is too long.", field="dialogue_channel_id")
            c.dialogue_channel_id = channel
        if cmd.moderator_channel_id is not KEEP:
            channel = (cmd.moderator_channel_id or "").strip() or None
            if channel is not None and len(channel) > 64:
                raise BadInput("That channel id is too long.", field="moderator_channel_id")
            c.moderator_channel_id = channel
        if cmd.cadence_weekday is not KEEP:
            if cmd.cadence_weekday is not None and (
                not _whole(cmd.cadence_weekday) or not 0 <= cmd.cadence_weekday <= 6
            ):
                raise BadInput(
                    "The round weekday must be 0 (Monday) to 6 (Sunday).", field="cadence_weekday"
                )
            c.cadence_weekday = cmd.cadence_weekday
        if cmd.cadence_time is not KEEP:
            if cmd.cadence_time is not None and not is_clock_time(cmd.cadence_time):
                raise BadInput(
                    f"Round time {cmd.cadence_time!r} should look like 15:00 (24-hour clock).",
                    field="cadence_time",
                )
            c.cadence_time = cmd.cadence_time
        if cmd.cadence_timezone is not KEEP:
            if not is_timezone(cmd.cadence_timezone):
                raise BadInput(
                    f"{cmd.cadence_timezone!r} is not a timezone name we know; use one like "
                    "Europe/Berlin.",
                    field="cadence_timezone",
                )
            c.cadence_timezone = cmd.cadence_timezone
        if (c.cadence_weekday is None) != (c.cadence_time is None):
            # Half a cadence would silently never run; say what is missing.
            raise BadInput(
                "Set both the weekday and the time of rounds (or clear both for manual rounds).",
                field="cadence_time" if c.cadence_time is None else "cadence_weekday",
            )
        if cmd.signup_window_hours is not KEEP:
            hours = cmd.signup_window_hours
            if hours is not None and (
                not _whole(hours) or not 1 <= hours <= MAX_SIGNUP_WINDOW_HOURS
            ):
                raise BadInput(
                    f"The signup window must be 1 to {MAX_SIGNUP_WINDOW_HOURS} hours.",
                    field="signup_window_hours",
                )
            c.signup_window_hours = hours
        if cmd.cooldown is not KEEP:
            if not _whole(cmd.cooldown) or not 0 <= cmd.cooldown <= MAX_COOLDOWN:
                raise BadInput(
                    f"The cooldown must be 0 to {MAX_COOLDOWN} rounds.", field="cooldown"
                )
            c.cooldown = cmd.cooldown
        if cmd.odd_policy is not KEEP:
            if cmd.odd_policy not in ODD_POLICIES:
                raise BadInput(
                    "The odd-one-out policy must be 'wait' (stays for next round) or 'trio'.",
                    field="odd_policy",
                )
            c.odd_policy = cmd.odd_policy
        if cmd.prompt_schedule is not KEEP:
            c.prompt_schedule = _merge_prompts(c.prompt_schedule or {}, cmd.prompt_schedule)
        if cmd.weights is not KEEP:
            c.weights = _merge_weights(c.weights or {}, cmd.weights)
        if cmd.moderator_group is not KEEP:
            c.moderator_group = _group_handle(cmd.moderator_group)
        await session.flush()
        # The next slot's round and reminder jobs follow the cadence just set.
        await cadence.plan(session, c, core.clock.now())
        return _view(c)


async def get_config(core: Core, cmd: GetConfig) -> ConfigView:
    cmd.actor.require_moderator()
    async with core.db.read() as session:
        return _view(await lookup.get_community(session, cmd.actor.community))


_HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


def _group_handle(value: str | None) -> str | None:
    handle = (value or "").strip().lstrip("@").lower() or None
    if handle is not None and not _HANDLE.match(handle):
        raise BadInput(
            f"{value!r} is not a user group handle; write it like dialogue-mods.",
            field="moderator_group",
        )
    return handle


async def moderator_group(core: Core, ref: CommunityRef) -> str | None:
    """The community's moderator user group, for the adapter deciding who moderates (so
    not itself a moderator action); None when unset or the community is unknown."""
    async with core.db.transaction() as session:
        community = await lookup.find_community(session, ref)
        return None if community is None else community.moderator_group
