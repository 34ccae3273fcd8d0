"""Create calls Discord must carry out at most once: a thread, a private channel.

Discord has no nonce for these routes, and discord.py retries every 500/502/504/524 with the
same payload; a 5xx from Discord's proxy on a request its backend did carry out then makes a
second thread. Inside `at_most_once()` the retry is stopped before it is sent (an aiohttp
trace on the client's session) and the caller hears `OutcomeUnknown`: it looks up whether the
first call took effect before it tries again. 429s are still retried: they never take effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import SimpleNamespace

import aiohttp
import discord

RATE_LIMITED = 429


class OutcomeUnknown(Exception):
    """A create call was sent and no answer says whether Discord carried it out."""


@dataclass
class _Attempts:
    # (method, url) -> status of the last answer; present once the request has been sent.
    answered: dict[tuple[str, str], int | None] = field(default_factory=dict)


_attempts: ContextVar[_Attempts | None] = ContextVar("discord_at_most_once", default=None)


async def _on_request_start(
    session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestStartParams
) -> None:
    attempts = _attempts.get()
    if attempts is None:
        return
    key = (params.method, str(params.url))
    if key in attempts.answered and attempts.answered[key] != RATE_LIMITED:
        # discord.py is about to repeat a request that may have taken effect.
        raise OutcomeUnknown(f"{params.method} {params.url.path} answered {attempts.answered[key]}")
    attempts.answered[key] = None


async def _on_request_end(
    session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    attempts = _attempts.get()
    if attempts is not None:
        attempts.answered[(params.method, str(params.url))] = params.response.status


def guard_retries(trace: aiohttp.TraceConfig | None = None) -> aiohttp.TraceConfig:
    """The trace the client's HTTP session needs for `at_most_once` (discord.py's `http_trace`)."""
    trace = trace or aiohttp.TraceConfig()
    trace.on_request_start.append(_on_request_start)
    trace.on_request_end.append(_on_request_end)
    return trace


@contextmanager
def at_most_once() -> Iterator[None]:
    """Requests made inside are sent once (429s aside); a 5xx, a timeout or a dropped
    connection becomes `OutcomeUnknown`. Discord's 4xx answers pass through as they are."""
    token = _attempts.set(_Attempts())
    try:
        yield
    except OutcomeUnknown:
        raise
    except discord.DiscordServerError as error:
        raise OutcomeUnknown(f"Discord answered {error.status}") from error
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        raise OutcomeUnknown(f"no answer from Discord: {error!r}") from error
    finally:
        _attempts.reset(token)
