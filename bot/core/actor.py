"""Who is acting, and where: the first field of every command.

The adapter decides `is_moderator` from the platform's rights (Discord manage-server, Slack
admin or moderator group) in one place per platform; the core checks it on every moderator
action, so a hidden command is never the only guard.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden


@dataclass(frozen=True, slots=True)
class CommunityRef:
    platform: str  # "discord" | "slack" | "local"
    external_id: str  # guild id / team id


@dataclass(frozen=True, slots=True)
class Actor:
    community: CommunityRef
    user_id: str  # platform user id
    display_name: str = ""
    is_moderator: bool = False

    def require_moderator(self) -> None:
        if not self.is_moderator:
            raise Forbidden("Only moderators can do that.")
