"""Tables the Slack adapter keeps: slack_sdk's installation and OAuth-state tables, and the
deliveries already handled (so a delivery Slack retries has no second effect).

slack_sdk's SQLAlchemy stores describe their tables with `build_*_table(metadata, name)`; we
build them on our own metadata, so Alembic creates them (never `create_all`) and the
migration check sees them like every other table.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base

INSTALLATIONS = "slack_installations"
BOTS = "slack_bots"
OAUTH_STATES = "slack_oauth_states"

installations = SQLAlchemyInstallationStore.build_installations_table(Base.metadata, INSTALLATIONS)
bots = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS)
oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, OAUTH_STATES)


class SlackDelivery(Base):
    """One request from Slack already taken in, by its identity (event id, trigger id…)."""

    __tablename__ = "slack_deliveries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime]
