"""communities.choices_version: bumped by the database on every change to a community's
topics, claims or claim topics, so a process may keep the signup form's choices and know,
in the same snapshot, whether they are still current

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table the form's choices are read from (bot/core/curation.py: form_choices); each
# row carries its community's id.
TABLES = ("topics", "claims", "claim_topics")

_BUMP = "UPDATE communities SET choices_version = choices_version + 1 WHERE id = {row}.community_id"

# PostgreSQL: one trigger function for the three tables.
_PG_FUNCTION = f"""
CREATE FUNCTION bump_choices_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {_BUMP.format(row="OLD")};
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.community_id <> OLD.community_id) THEN
        {_BUMP.format(row="NEW")};
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.add_column(
        "communities",
        sa.Column("choices_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_choices_version AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION bump_choices_version()"
            )
        return
    for table in TABLES:
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            body = "; ".join(_BUMP.format(row=row) for row in rows)
            op.execute(
                f"CREATE TRIGGER {table}_choices_version_{event.lower()} AFTER {event} "
                f"ON {table} BEGIN {body}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_choices_version ON {table}")
        op.execute("DROP FUNCTION bump_choices_version()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_choices_version_{event}")
    with op.batch_alter_table("communities") as batch:
        batch.drop_column("choices_version")
