"""scheduler: job leases, wrap-up answers, moderator channel

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A claimed job belongs to `claimed_by` until `lease_until`; after that any process may
    # take it again (its owner died mid-job).
    op.add_column("jobs", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    # What a member pressed at wrap-up: talked | did_not.
    op.add_column(
        "dialogue_members", sa.Column("wrapup_answer", sa.String(length=8), nullable=True)
    )
    # Where the scheduler tells moderators about parked jobs.
    op.add_column(
        "communities", sa.Column("moderator_channel_id", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("communities", "moderator_channel_id")
    op.drop_column("dialogue_members", "wrapup_answer")
    op.drop_column("jobs", "lease_until")
