"""interest_forms.show_in_browse: members may hide themselves from /dialogue browse

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing forms are shown, as new ones are by default.
    with op.batch_alter_table("interest_forms") as batch:
        batch.add_column(
            sa.Column("show_in_browse", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("interest_forms") as batch:
        batch.drop_column("show_in_browse")
