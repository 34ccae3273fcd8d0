"""Typed SQLAlchemy models. Every row belongs to one community; nothing crosses communities.

Schema changes go through Alembic (`migrations/`); `tests/storage/test_migrations.py` checks
that these models and the migrations agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can alter them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

FORMAT_RATINGS = ("great", "okay", "no")
APPETITES = ("seek", "neutral", "avoid")
# What a member looks for in a conversation (matching.model.LOOKING_FOR) and the kinds of
# conversation a pair can have, with the roles of an interview (MATCHING.md).
LOOKING_FOR = ("dialogue", "interview_me", "interview_them")
DEFAULT_LOOKING_FOR = ["dialogue"]
CONVERSATION_KINDS = ("dialogue", "interview")
ROLES = ("interviewer", "interviewee")
MAX_TOPICS_PER_FORM = 10
MAX_SUGGESTED_TOPICS = 3
ABOUT_MAX_CHARS = 500
NOTES_MAX_CHARS = 1000


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes; SQLite drops the zone, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Community(Base):
    """One Discord guild or one Slack workspace, with its moderator-set configuration."""

    __tablename__ = "communities"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        CheckConstraint("cooldown >= 0", name="cooldown_nonnegative"),
        CheckConstraint(_in("odd_policy", ("wait", "trio")), name="odd_policy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    dialogue_channel_id: Mapped[str | None] = mapped_column(String(64))
    # Where the scheduler tells moderators about jobs it gave up on (parked); null = nowhere.
    moderator_channel_id: Mapped[str | None] = mapped_column(String(64))
    # Round cadence: weekday 0=Monday, local time "HH:MM" in `cadence_timezone`; null = manual.
    cadence_weekday: Mapped[int | None] = mapped_column(Integer)
    cadence_time: Mapped[str | None] = mapped_column(String(5))
    cadence_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    signup_window_hours: Mapped[int | None] = mapped_column(Integer)
    cooldown: Mapped[int] = mapped_column(Integer, default=6)
    odd_policy: Mapped[str] = mapped_column(String(8), default="wait")
    prompt_schedule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A platform user group whose members are moderators (Slack handle); None: admins only.
    moderator_group: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    # Bumped by database triggers (migration 0006) on every change to this community's
    # topics, claims and claim topics: the signup form's choices as cached by a process are
    # current while it is the same (bot/core/curation.py: cached_form_choices).
    choices_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Member(Base):
    """A person in a community, known by their platform user id."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("community_id", "external_id"),
        UniqueConstraint("community_id", "id"),
        CheckConstraint(_in("status", ("active", "paused", "removed")), name="status"),
        CheckConstraint("priority >= 0", name="priority_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(8), default="active")
    paused_until: Mapped[datetime | None]
    # Raised when a round leaves the member out, reset when they are matched.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]

    form: Mapped[InterestForm | None] = relationship(
        back_populates="member", cascade="all, delete-orphan", uselist=False
    )


class Topic(Base):
    """A subject the community offers; members' suggestions wait as `suggested` for approval."""

    __tablename__ = "topics"
    __table_args__ = (
        UniqueConstraint("community_id", "slug"),
        UniqueConstraint("community_id", "id"),
        CheckConstraint(
            _in("status", ("active", "suggested", "rejected", "removed")), name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="active")
    suggested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]


class Claim(Base):
    """A statement members rate from -2 to +2; disagreement is measured on claims."""

    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("community_id", "id"),
        CheckConstraint(_in("status", ("active", "removed")), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(8), default="active")
    created_at: Mapped[datetime]


class ClaimTopic(Base):
    __tablename__ = "claim_topics"
    __table_args__ = (
        ForeignKeyConstraint(
            ["community_id", "claim_id"], ["claims.community_id", "claims.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["community_id", "topic_id"], ["topics.community_id", "topics.id"], ondelete="CASCADE"
        ),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    claim_id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(primary_key=True)


class InterestForm(Base):
    """A member's answers. `status='draft'` with `step` lets a member stop and resume."""

    __tablename__ = "interest_forms"
    __table_args__ = (
        ForeignKeyConstraint(
            ["community_id", "member_id"],
            ["members.community_id", "members.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(_in("status", ("draft", "complete")), name="status"),
        CheckConstraint(_in("format_sync", FORMAT_RATINGS), name="format_sync"),
        CheckConstraint(_in("format_async", FORMAT_RATINGS), name="format_async"),
        CheckConstraint(_in("appetite", APPETITES), name="appetite"),
        CheckConstraint(_in("participation", ("every", "once")), name="participation"),
    )

    member_id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(8), default="draft")
    step: Mapped[str | None] = mapped_column(String(32))
    format_sync: Mapped[str] = mapped_column(String(5), default="okay")
    format_async: Mapped[str] = mapped_column(String(5), default="okay")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # [{"day": "mon", "start": "18:00", "end": "21:00"}, ...] in `timezone`; empty = flexible.
    availability: Mapped[list[Any]] = mapped_column(default=list)
    appetite: Mapped[str] = mapped_column(String(8), default="seek")
    # A non-empty list of LOOKING_FOR values; forms from before the question read as dialogue.
    looking_for: Mapped[list[Any]] = mapped_column(
        default=lambda: list(DEFAULT_LOOKING_FOR), server_default=text("'[\"dialogue\"]'")
    )
    about: Mapped[str] = mapped_column(Text, default="")
    private_notes: Mapped[str] = mapped_column(Text, default="")
    publish_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    participation: Mapped[str] = mapped_column(String(5), default="every")
    # Listed in other members' `/dialogue browse`; a hidden member can still be ticked by
    # handle and matched in rounds. The server default fills forms made before the column.
    show_in_browse: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime]

    member: Mapped[Member] = relationship(back_populates="form")


class FormTopic(Base):
    __tablename__ = "form_topics"
    __table_args__ = (
        ForeignKeyConstraint(["member_id"], ["interest_forms.member_id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["community_id", "topic_id"], ["topics.community_id", "topics.id"], ondelete="CASCADE"
        ),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(primary_key=True)


class Stance(Base):
    """A member's current stance on a claim; a missing row means 'skipped'."""

    __tablename__ = "stances"
    __table_args__ = (
        ForeignKeyConstraint(
            ["community_id", "member_id"],
            ["members.community_id", "members.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["community_id", "claim_id"], ["claims.community_id", "claims.id"], ondelete="CASCADE"
        ),
        CheckConstraint("value BETWEEN -2 AND 2", name="value_range"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class _MemberPair:
    """Shared shape of want and block: a private, directed tick from one member to another."""

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]


def _member_pair_args(table: str) -> tuple[Any, ...]:
    return (
        ForeignKeyConstraint(
            ["community_id", "member_id"],
            ["members.community_id", "members.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["community_id", "target_id"],
            ["members.community_id", "members.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("member_id <> target_id", name="not_self"),
        Index(f"ix_{table}_target", "target_id"),
    )


class Want(_MemberPair, Base):
    """'I'd dialogue with X'. Mutual wants are matches."""

    __tablename__ = "wants"
    __table_args__ = _member_pair_args("wants")


class Block(_MemberPair, Base):
    """'Never pair me with X', in either direction."""

    __tablename__ = "blocks"
    __table_args__ = _member_pair_args("blocks")


class Round(Base):
    """One run of the engine. `opening` while its dialogues are being opened, then `committed`."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("community_id", "number"),
        UniqueConstraint("community_id", "idempotency_key"),
        UniqueConstraint("community_id", "id"),
        CheckConstraint(_in("status", ("opening", "committed")), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # The scheduled slot (or moderator request) this run answers; a second run with the same
    # key returns the first round instead of matching again.
    idempotency_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="opening")
    seed: Mapped[int] = mapped_column(Integer, default=0)
    solver: Mapped[str] = mapped_column(String(32), default="")
    total_score: Mapped[float] = mapped_column(Float, default=0.0)
    pool_size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    committed_at: Mapped[datetime | None]


class RoundUnmatched(Base):
    """Who a round left out and why (they get priority next round)."""

    __tablename__ = "round_unmatched"
    __table_args__ = (
        ForeignKeyConstraint(
            ["community_id", "round_id"], ["rounds.community_id", "rounds.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["community_id", "member_id"],
            ["members.community_id", "members.id"],
            ondelete="CASCADE",
        ),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(100))


class Dialogue(Base):
    """A pair (or trio) with its private thread and lifecycle.

    Rows outlive the members' data: when a member leaves, their `DialogueMember` row goes and
    the dialogue stays as an anonymous count (`size`, `outcome`) for statistics.
    """

    __tablename__ = "dialogues"
    __table_args__ = (
        ForeignKeyConstraint(
            ["community_id", "round_id"], ["rounds.community_id", "rounds.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("community_id", "id"),
        CheckConstraint(_in("kind", ("round", "manual", "mutual_want")), name="kind"),
        CheckConstraint(_in("state", ("pending", "open", "closed")), name="state"),
        CheckConstraint(
            "outcome IS NULL OR " + _in("outcome", ("talked", "did_not", "ghosted", "ended")),
            name="outcome",
        ),
        CheckConstraint("size IN (2, 3)", name="size"),
        Index("ix_dialogues_community_state", "community_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # how it came about: round, manual, mutual_want
    # What kind of conversation it is (CONVERSATION_KINDS); an interview's roles are on its
    # members. Checked by the core, not a CHECK constraint: adding one to an existing SQLite
    # table means recreating it, and dropping `dialogues` would cascade to its members.
    conversation_kind: Mapped[str] = mapped_column(
        String(12), default="dialogue", server_default="dialogue"
    )
    state: Mapped[str] = mapped_column(String(8), default="pending")
    size: Mapped[int] = mapped_column(Integer, default=2)
    score: Mapped[float | None] = mapped_column(Float)
    # The engine's explanation (shared topics, disagreements, format, mutual want).
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    topic: Mapped[str | None] = mapped_column(String(100))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    members: Mapped[list[DialogueMember]] = relationship(
        back_populates="dialogue", cascade="all, delete-orphan", order_by="DialogueMember.position"
    )


class DialogueMember(Base):
    __tablename__ = "dialogue_members"
    __table_args__ = (
        ForeignKeyConstraint(
            ["community_id", "dialogue_id"],
            ["dialogues.community_id", "dialogues.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["community_id", "member_id"],
            ["members.community_id", "members.id"],
            ondelete="CASCADE",
        ),
        Index("ix_dialogue_members_member", "member_id"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    dialogue_id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # In an interview: "interviewer" or "interviewee" (ROLES); None in a dialogue.
    role: Mapped[str | None] = mapped_column(String(12))
    # Mutual-want intake (topics/format) before the dialogue opens.
    intake: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    publish_consent: Mapped[bool | None] = mapped_column(Boolean)
    # The member's wrap-up answer: talked | did_not (None: not answered).
    wrapup_answer: Mapped[str | None] = mapped_column(String(8))
    last_message_at: Mapped[datetime | None]

    dialogue: Mapped[Dialogue] = relationship(back_populates="members")


class StanceChange(Base):
    """Wrap-up re-asks: a member's stance on a claim before and after a dialogue."""

    __tablename__ = "stance_changes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["community_id", "dialogue_id"],
            ["dialogues.community_id", "dialogues.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["community_id", "member_id"],
            ["members.community_id", "members.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["community_id", "claim_id"], ["claims.community_id", "claims.id"], ondelete="CASCADE"
        ),
        CheckConstraint("before BETWEEN -2 AND 2", name="before_range"),
        CheckConstraint("after BETWEEN -2 AND 2", name="after_range"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    dialogue_id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(primary_key=True)
    before: Mapped[int] = mapped_column(Integer)
    after: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        ForeignKeyConstraint(
            ["community_id", "dialogue_id"],
            ["dialogues.community_id", "dialogues.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["community_id", "member_id"],
            ["members.community_id", "members.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    dialogue_id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(primary_key=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Job(Base):
    """A persisted timer (prompt, nudge, wrap-up, round run). Claimed by exactly one process.

    States: `pending` (waits for `run_at`), `running` (leased), `done` (ran, or cancelled:
    `last_error` then starts with "cancelled:"), `failed` (parked after too many attempts).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        CheckConstraint(_in("state", ("pending", "running", "done", "failed")), name="state"),
        Index("ix_jobs_due", "state", "run_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    run_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    dedupe_key: Mapped[str] = mapped_column(String(200))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    # A running job belongs to `claimed_by` until then; afterwards any process may retry it.
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


# The Slack adapter's tables share this metadata (and so the migrations and their check).
from . import slack_tables as _slack_tables  # noqa: E402, F401
