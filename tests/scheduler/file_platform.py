"""A platform several processes share: every message lands in one SQLite file. It honours
idempotency keys as the real adapters must (the key is looked up before sending), and counts
every call, so a test can tell "sent once" from "asked twice, reconciled"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.platforms.base import Message, ThreadMessage

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (n INTEGER PRIMARY KEY, key TEXT, target TEXT);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, key TEXT UNIQUE, target TEXT, text TEXT
);
"""


class FilePlatform:
    name = "local"

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as conn:
            conn.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def _send(self, target: str, text: str, key: str | None) -> str:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO calls (key, target) VALUES (?, ?)", (key, target))
            if key is not None:
                found = conn.execute("SELECT id FROM messages WHERE key = ?", (key,)).fetchone()
                if found:
                    conn.execute("COMMIT")
                    return f"M{found[0]}"
            cursor = conn.execute(
                "INSERT INTO messages (key, target, text) VALUES (?, ?, ?)", (key, target, text)
            )
            conn.execute("COMMIT")
            return f"M{cursor.lastrowid}"
        finally:
            conn.close()

    async def open_private_thread(
        self,
        community_id: str,
        member_ids: list[str],
        title: str,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        return "T" + self._send(f"thread:{community_id}", title, idempotency_key)

    async def post(
        self, thread_id: str, message: Message, *, idempotency_key: str | None = None
    ) -> str:
        return self._send(thread_id, message.text, idempotency_key)

    async def send_direct(
        self,
        community_id: str,
        user_id: str,
        message: Message,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        return self._send(f"dm:{user_id}", message.text, idempotency_key)

    async def archive_thread(self, thread_id: str) -> None:
        return None

    async def read_messages(self, thread_id: str) -> list[ThreadMessage]:
        return []

    # --- what the test reads ----------------------------------------------------------------

    def messages(self) -> list[tuple[str | None, str, str]]:
        with self._connect() as conn:
            return list(conn.execute("SELECT key, target, text FROM messages ORDER BY id"))

    def calls(self) -> list[tuple[str | None, str]]:
        with self._connect() as conn:
            return list(conn.execute("SELECT key, target FROM calls ORDER BY n"))
