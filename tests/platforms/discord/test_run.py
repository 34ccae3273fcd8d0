"""`matchmaker run` with DISCORD_TOKEN: connects where the variables say, logs each guild,
stops cleanly on SIGTERM; a refused token is a clear message, not a traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from .fake_discord import TOKEN, FakeDiscord


async def _matchmaker(tmp_path: Path, fake: FakeDiscord, token: str) -> asyncio.subprocess.Process:
    script = Path(sys.executable).parent / "matchmaker"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))},
        "DISCORD_TOKEN": token,
        "DISCORD_API_BASE_URL": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
    }
    return await asyncio.create_subprocess_exec(
        str(script),
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _line_with(process: asyncio.subprocess.Process, text: str, seen: list[str]) -> None:
    assert process.stderr is not None
    while True:
        line = (await process.stderr.readline()).decode()
        assert line, f"matchmaker ended before saying {text!r}:\n{''.join(seen)}"
        seen.append(line)
        if text in line:
            return


async def test_run_connects_logs_each_guild_and_stops_cleanly_on_sigterm(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    fake.add_guild("Research Guild")
    fake.add_guild("Forecasting Club")
    fake.advertised_gateway = "ws://127.0.0.1:9/not-here"  # DISCORD_GATEWAY_URL must win
    process = await _matchmaker(tmp_path, fake, TOKEN)
    seen: list[str] = []
    try:
        await asyncio.wait_for(_line_with(process, "Research Guild", seen), 60)
        await asyncio.wait_for(_line_with(process, "Forecasting Club", seen), 60)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(_line_with(process, "matchmaker: stopped", seen), 30)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert len(fake.identifies) == 1
    assert not any("Traceback" in line for line in seen), "".join(seen)


async def test_run_with_a_refused_token_says_so(fake: FakeDiscord, tmp_path: Path) -> None:
    process = await _matchmaker(tmp_path, fake, "wrong-token")
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "DISCORD_TOKEN: Discord refused the token" in err.decode()
