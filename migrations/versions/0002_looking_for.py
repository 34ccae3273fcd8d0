"""conversation kinds: what a member is looking for, a dialogue's kind and its members' roles

Existing forms read as looking for a dialogue and existing dialogues are dialogues (server
defaults), so nothing written before this migration changes meaning. No CHECK constraints:
on SQLite adding one means recreating the table, and recreating `dialogues` would cascade
to its members; the core validates the values.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "interest_forms",
        sa.Column(
            "looking_for", sa.JSON(), nullable=False, server_default=sa.text("'[\"dialogue\"]'")
        ),
    )
    op.add_column(
        "dialogues",
        sa.Column(
            "conversation_kind", sa.String(length=12), nullable=False, server_default="dialogue"
        ),
    )
    op.add_column("dialogue_members", sa.Column("role", sa.String(length=12), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35), not a batch table copy, for the reason above.
    op.drop_column("dialogue_members", "role")
    op.drop_column("dialogues", "conversation_kind")
    op.drop_column("interest_forms", "looking_for")
