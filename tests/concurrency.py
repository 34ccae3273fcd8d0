"""Making two calls meet inside a service, to test what happens when requests race."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any


def meeting_point(
    step: Callable[..., Awaitable[Any]], parties: int = 2, patience: float = 0.5
) -> Callable[..., Awaitable[Any]]:
    """`step`, but each call waits (at most `patience` seconds) until `parties` calls have
    arrived, so they all read the database before any of them goes on to write."""
    arrived = asyncio.Event()
    waiting = 0

    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        nonlocal waiting
        waiting += 1
        if waiting == parties:
            arrived.set()
        # On a backend that serialises transactions the others never arrive: go on alone.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), patience)
        return await step(*args, **kwargs)

    return wrapped
