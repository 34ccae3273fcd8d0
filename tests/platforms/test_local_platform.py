"""The local platform honours the `Platform` protocol as Discord and Slack must: idempotency
keys give one effect, and a thread reads back in order with the bot's messages marked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FixedClock
from bot.platforms.base import Message, PlatformError
from bot.platforms.local import LocalPlatform


@pytest.fixture
def platform() -> LocalPlatform:
    return LocalPlatform(FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))


async def test_a_repeated_post_with_the_same_key_is_sent_once(platform: LocalPlatform) -> None:
    thread = await platform.open_private_thread("g", ["a", "b"], "A & B")
    first = await platform.post(thread, Message("Day 3: what is your crux?"), idempotency_key="k1")
    again = await platform.post(thread, Message("Day 3: what is your crux?"), idempotency_key="k1")
    other = await platform.post(thread, Message("Day 3: what is your crux?"), idempotency_key="k2")
    assert first == again != other
    assert len(platform.threads[thread].messages) == 2


async def test_keyed_threads_and_direct_messages_have_one_effect(platform: LocalPlatform) -> None:
    one = await platform.open_private_thread("g", ["a", "b"], "A & B", idempotency_key="d1")
    two = await platform.open_private_thread("g", ["a", "b"], "A & B", idempotency_key="d1")
    assert one == two and len(platform.threads) == 1
    await platform.send_direct("g", "a", Message("unmatched"), idempotency_key="u1")
    await platform.send_direct("g", "a", Message("unmatched"), idempotency_key="u1")
    assert len(platform.direct["g", "a"]) == 1


async def test_a_failed_keyed_call_can_be_retried(platform: LocalPlatform) -> None:
    platform.unreachable.add("a")
    with pytest.raises(PlatformError):
        await platform.send_direct("g", "a", Message("hi"), idempotency_key="u1")
    platform.unreachable.clear()
    await platform.send_direct("g", "a", Message("hi"), idempotency_key="u1")
    assert len(platform.direct["g", "a"]) == 1


async def test_read_messages_keeps_order_authors_and_times(platform: LocalPlatform) -> None:
    thread = await platform.open_private_thread("g", ["a", "b"], "A & B")
    await platform.post(thread, Message("Welcome"))
    platform.clock.advance(minutes=5)  # type: ignore[attr-defined]
    platform.member_writes(thread, "a", "I think theory wins")
    platform.clock.advance(minutes=5)  # type: ignore[attr-defined]
    platform.member_writes(thread, "b", "Experiments, surely")
    read = await platform.read_messages(thread)
    assert [(m.author_id, m.is_bot, m.text) for m in read] == [
        ("bot", True, "Welcome"),
        ("a", False, "I think theory wins"),
        ("b", False, "Experiments, surely"),
    ]
    assert [m.sent_at.minute for m in read] == [0, 5, 10]
    with pytest.raises(PlatformError):
        await platform.read_messages("T404")
