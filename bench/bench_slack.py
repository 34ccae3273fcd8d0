"""Ack times of the Slack app under load, in each mode, against the local fake Slack.

The app runs as it is deployed, `matchmaker run` in its own process (SQLite database, the
variables of one mode, SLACK_API_URL at the fake); this process is Slack: the fake Web API
and N members who each send `/dialogue signup` and, once that is acknowledged, `/dialogue
status`, all N at once. HTTP: signed POSTs, timed to the HTTP answer. Socket Mode: envelopes
over the fake's websocket, timed to the app's ack. Reference in the same run: a bare bolt
AsyncApp whose listener only acks, driven the same way, so the ratio is what our app adds.
The fake Web API that our app's work calls (users.info, views.open, response_url) runs in
this process too, so that work also delays this process reading the acks: for our app the
figures are an upper bound, which the bare reference (no Web API calls) does not carry.

    .venv/bin/python bench/bench_slack.py              # 200 members per mode
    .venv/bin/python bench/bench_slack.py --count 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path[:1]:
    sys.path.insert(0, str(REPO))

from aiohttp import ClientSession, TCPConnector  # noqa: E402

from tests.platforms.slack import payloads  # noqa: E402
from tests.platforms.slack.fake_slack import FakeSlack  # noqa: E402

TEAM = "T0BENCH"
APP_TOKEN = "xapp-bench"
MATCHMAKER = Path(sys.executable).parent / "matchmaker"
PLATFORM_VARIABLES = (
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)
# The reference: bolt with a listener that only acknowledges, served like ours.
BARE_APP = """
import asyncio, os, sys
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from bot.platforms.slack.client import web_client

app = AsyncApp(client=web_client(os.environ["SLACK_API_URL"], os.environ["SLACK_BOT_TOKEN"]),
               signing_secret=os.environ.get("SLACK_SIGNING_SECRET", ""),
               request_verification_enabled=bool(os.environ.get("SLACK_SIGNING_SECRET")))

@app.command("/dialogue")
async def only_ack(ack):
    await ack()

async def main():
    if os.environ.get("SLACK_APP_TOKEN"):
        await AsyncSocketModeHandler(app, os.environ["SLACK_APP_TOKEN"]).connect_async()
    else:
        runner = web.AppRunner(app.web_app())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", int(os.environ["SLACK_PORT"])).start()
    await asyncio.Event().wait()

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def start_app(
    bare: bool, mode: str, fake: FakeSlack, token: str, db: Path, port: int
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    env.update(
        SLACK_API_URL=fake.api_url,
        SLACK_BOT_TOKEN=token,
        DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
    )
    if mode == "socket":
        env["SLACK_APP_TOKEN"] = APP_TOKEN
    else:
        env.update(SLACK_SIGNING_SECRET=payloads.SECRET, SLACK_PORT=str(port))
    command = [sys.executable, "-c", BARE_APP] if bare else [str(MATCHMAKER), "run"]
    log = (db.parent / f"{db.stem}.log").open("w")  # the app's own warnings and errors
    return await asyncio.create_subprocess_exec(
        *command, env=env, cwd=db.parent, stdout=asyncio.subprocess.DEVNULL, stderr=log
    )


async def wait_http(port: int) -> None:
    for _ in range(600):  # the server process is starting: poll its port, 50 ms apart
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the app did not start listening")


async def drive(mode: str, fake: FakeSlack, port: int, users: list[str]) -> list[float]:
    """Each member: signup, then status once signup was acknowledged. Ack times in s."""
    content = "application/x-www-form-urlencoded"
    url = f"http://127.0.0.1:{port}/slack/events"
    async with ClientSession(connector=TCPConnector(limit=0)) as http:

        async def send(user: str, text: str) -> float:
            body = payloads.slash(TEAM, user, text, response_url=fake.response_url())
            start = time.perf_counter()
            if mode == "socket":
                await fake.deliver("slash_commands", body)
            else:
                data = payloads.form_body(body)
                headers = payloads.signed_headers(data, content)
                async with http.post(url, data=data, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
            return time.perf_counter() - start

        async def member(user: str) -> list[float]:
            return [await send(user, "signup"), await send(user, "status")]

        results = await asyncio.gather(*(member(u) for u in users))
    return [t for pair in results for t in pair]


async def run(bare: bool, mode: str, fake: FakeSlack, token: str, tmp: Path, count: int):
    port = free_port()
    name = "bare" if bare else "ours"
    db = tmp / f"{name}-{mode}.db"
    users = [f"U{name[0].upper()}{mode[0].upper()}{i:04d}" for i in range(count)]
    for user in users:
        fake.add_user(TEAM, user)
    fake._connected.clear()
    before_open, before_resp = len(fake.called("views.open")), len(fake.responses)
    process = await start_app(bare, mode, fake, token, db, port)
    try:
        if mode == "socket":
            await asyncio.wait_for(fake._connected.wait(), 120)
        else:
            await wait_http(port)
        # One member first, alone: bolt's first request verifies the token (auth.test), and
        # a burst would otherwise send hundreds of those at once; the burst measures steady acks.
        warm = f"UWARM{name}{mode}"
        fake.add_user(TEAM, warm)
        await drive(mode, fake, port, [warm])
        before_open, before_resp = len(fake.called("views.open")), len(fake.responses)
        started = time.perf_counter()
        times = await drive(mode, fake, port, users)
        if not bare:  # wait for the work behind the acks: every modal and every answer
            try:
                await asyncio.wait_for(
                    fake.wait_for(
                        lambda: (
                            len(fake.called("views.open")) - before_open >= count
                            and len(fake.responses) - before_resp >= count
                        )
                    ),
                    300,
                )
            except TimeoutError:
                opened = len(fake.called("views.open")) - before_open
                answered = len(fake.responses) - before_resp
                print(f"  work not finished after 300 s: {opened} modals, {answered} answers")
        total = time.perf_counter() - started
    finally:
        process.terminate()
        await process.wait()
        problems = [
            line
            for line in db.with_suffix(".log").read_text().splitlines()
            if " ERROR " in line or "Traceback" in line
        ]
        if problems:
            print(f"  the app logged {len(problems)} errors, e.g. {problems[0][:200]}")
        if mode == "socket" and fake._sockets:
            for ws in list(fake._sockets):
                await ws.close()
    return times, total


def line(label: str, times: list[float]) -> str:
    p50, p99 = statistics.median(times) * 1000, percentile(times, 99) * 1000
    return f"{label:26} n={len(times):4}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"


async def main(count: int) -> None:
    fake = FakeSlack()
    fake_wait = 600.0
    import tests.platforms.slack.fake_slack as fs

    fs.WAIT_SECONDS = fake_wait
    await fake.start()
    team = fake.add_team(TEAM)
    fake.app_tokens.add(APP_TOKEN)
    print(f"{count} members at once per mode, each: /dialogue signup then /dialogue status")
    print("app: `matchmaker run` in its own process on SQLite; the machine's 2 cores are shared")
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("http", "socket"):
            ours, total = await run(False, mode, fake, team.token, Path(tmp), count)
            bare, _ = await run(True, mode, fake, team.token, Path(tmp), count)
            ratio = percentile(ours, 99) / percentile(bare, 99)
            print(line(f"{mode}: Dialogue Matchmaker", ours))
            print(line(f"{mode}: bare bolt (ack only)", bare) + f"   p99 ratio {ratio:.2f}")
            print(f"{'':26} all signup modals and status answers sent in {total:.1f} s")
    await fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    asyncio.run(main(parser.parse_args().count))
