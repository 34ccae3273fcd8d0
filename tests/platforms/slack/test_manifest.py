"""slack-manifest.yml asks for what the app uses: the same scopes, commands and events."""

from __future__ import annotations

import re
from pathlib import Path

from bot.platforms.slack.app import BOT_SCOPES

MANIFEST = (Path(__file__).parents[3] / "slack-manifest.yml").read_text()


def listed_under(key: str) -> list[str]:
    block = re.search(rf"^(\s*){key}:\n((?:\1\s+- .*\n)+)", MANIFEST, re.M)
    assert block is not None, key
    return re.findall(r"- ([\w:.]+)", block.group(2))


def test_manifest_scopes_are_the_ones_the_install_asks_for() -> None:
    assert sorted(listed_under("bot")) == sorted(BOT_SCOPES)


def test_manifest_has_both_commands_and_the_events_the_listeners_handle() -> None:
    assert re.findall(r"- command: (/[\w-]+)", MANIFEST) == ["/dialogue", "/dialogue-admin"]
    events = set(listed_under("bot_events"))
    assert {"app_home_opened", "app_uninstalled", "tokens_revoked", "message.groups"} <= events
