"""Ack times of the Slack app under load, in each mode, against the local fake Slack.

Three processes, as in production, where Slack is not on our CPU:

* the app, as it is deployed: `matchmaker run` (SQLite database, the variables of one mode,
  SLACK_API_URL at the fake);
* the fake Slack Web API (users.info, views.open, response_url, oauth.v2.access ...), the
  tests' FakeSlack served by this script in a child process (`--serve-fake`);
* this process: Slack's side of the requests. N members each send `/dialogue signup` and,
  once that is acknowledged, `/dialogue status`, all N at once. HTTP: signed POSTs, timed
  from sending the request to reading the answer. Socket Mode: envelopes over a websocket
  this process serves (the fake's apps.connections.open points the app here), timed from
  sending the envelope to receiving the app's ack.

Modes: `http-oauth` (many workspaces: the workspace installed through the real OAuth flow,
every request authorized from the installation store), `http-token` (one SLACK_BOT_TOKEN over
HTTP) and `socket`. Reference in the same run: a bare bolt AsyncApp whose listener only acks,
driven the same way over each transport, so the ratio is what our app adds. The machine's 2
cores are shared by the three processes (and whatever else runs): CPU seconds per request of
each process are printed beside the wall times.

    .venv/bin/python bench/bench_slack.py              # 200 members per mode
    .venv/bin/python bench/bench_slack.py --count 50 --modes socket
    .venv/bin/python bench/bench_slack.py --profile    # + where the app's CPU goes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import re
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path[:1]:
    sys.path.insert(0, str(REPO))

from aiohttp import ClientSession, TCPConnector, web  # noqa: E402

from tests.platforms.slack import payloads  # noqa: E402
from tests.platforms.slack.fake_slack import FakeSlack  # noqa: E402

TEAM = "T0BENCH"
APP_TOKEN = "xapp-bench"
CLIENT_ID, CLIENT_SECRET = "111.222", "bench-client-secret"
MODES = ("http-oauth", "http-token", "socket")
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
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
# `matchmaker run` with cProfile switched on by SIGUSR1 and dumped by SIGUSR2, so the profile
# covers the burst, not start-up (the signal handlers run on the main thread, the loop's).
PROFILED_APP = """
import cProfile, signal, sys
from bot.cli.main import main
profiler, out = cProfile.Profile(), sys.argv[1]
signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
def dump(*_):
    profiler.disable()
    profiler.dump_stats(out)
signal.signal(signal.SIGUSR2, dump)
sys.argv = ["matchmaker", "run"]
sys.exit(main())
"""
BEFORE_APP = """
import sys
from bot.cli.main import main
sys.argv = ["matchmaker", "run"]
sys.exit(main())
"""
MATCHMAKER = Path(sys.executable).parent / "matchmaker"


# --- the fake Web API, in its own process -------------------------------------------------


TRIGGER_LIFETIME = 3.0  # Slack refuses views.open with a trigger id older than this


class TimedFake(FakeSlack):
    """The tests' fake, with Slack's trigger id lifetime: this script writes the time it sent
    each command into its trigger id, and a modal opened too late is refused, as Slack does."""

    def __init__(self) -> None:
        super().__init__()
        self.late: set[str] = set()  # trigger ids refused as expired
        self.forms = 0  # signup forms shown (views.open, or views.update of a loading modal)

    def _m_views_open(self, team: Any, args: dict[str, Any]) -> dict[str, Any]:
        trigger = str(args.get("trigger_id", ""))
        parts = trigger.split(":")
        if len(parts) == 3 and time.time() - float(parts[1]) > TRIGGER_LIFETIME:
            self.late.add(trigger)
            return {"ok": False, "error": "expired_trigger_id"}
        self._count_form(args)
        return super()._m_views_open(team, args)

    def _m_views_update(self, team: Any, args: dict[str, Any]) -> dict[str, Any]:
        self._count_form(args)
        return super()._m_views_update(team, args)

    def _count_form(self, args: dict[str, Any]) -> None:
        if isinstance(args.get("view"), dict) and args["view"].get("callback_id") == "signup":
            self.forms += 1


async def serve_fake(socket_url: str) -> None:
    """Child process: the tests' FakeSlack, plus a control page for this script."""
    fake = TimedFake()
    fake.socket_url = socket_url
    await fake.start()
    fake.add_team(TEAM)
    fake.app_tokens.add(APP_TOKEN)

    async def users(request: web.Request) -> web.Response:
        for user in await request.json():
            fake.add_user(TEAM, user)
        return web.json_response({"ok": True})

    async def oauth_code(request: web.Request) -> web.Response:
        given = await request.json()
        fake.oauth_codes[given["code"]] = given["answer"]
        return web.json_response({"ok": True})

    async def counts(request: web.Request) -> web.Response:
        return web.json_response(
            {"forms": fake.forms, "responses": len(fake.responses), "late": len(fake.late)}
        )

    control = web.Application()
    control.router.add_post("/users", users)
    control.router.add_post("/oauth_code", oauth_code)
    control.router.add_get("/counts", counts)
    runner = web.AppRunner(control)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    control_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(json.dumps({"api": fake.api_url, "base": fake.base, "control": control_port}))
    sys.stdout.flush()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()
    await fake.stop()


@dataclass
class FakeProcess:
    process: asyncio.subprocess.Process
    api_url: str
    base: str
    control: str
    http: ClientSession
    _ids: int = 0

    def response_url(self) -> str:
        self._ids += 1
        return f"{self.base}/respond/bench{self._ids}"

    async def post(self, path: str, data: Any) -> None:
        async with self.http.post(self.control + path, json=data) as response:
            assert response.status == 200, response.status

    async def counts(self) -> dict[str, int]:
        async with self.http.get(self.control + "/counts") as response:
            return await response.json()


async def start_fake(socket_url: str, http: ClientSession) -> FakeProcess:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve-fake",
        socket_url,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    ready = json.loads(await asyncio.wait_for(process.stdout.readline(), 60))
    control = f"http://127.0.0.1:{ready['control']}"
    return FakeProcess(process, ready["api"], ready["base"], control, http)


# --- measuring ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads: aiosqlite's included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass
class Result:
    times: list[float]  # ack times, s
    work_seconds: float  # burst start until every modal and answer reached the fake
    cpu: dict[str, float]  # process -> CPU s over that time
    requests: int
    late_modals: int  # signup modals opened after their trigger id expired


async def start_app(
    bare: bool,
    mode: str,
    fake: FakeProcess,
    db: Path,
    port: int,
    profile: Path | None,
    tree: Path | None = None,
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    env.update(
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(tree or REPO),
        SLACK_PORT=str(port),
    )
    if mode == "socket":
        env.update(SLACK_BOT_TOKEN=f"xoxb-{TEAM}", SLACK_APP_TOKEN=APP_TOKEN)
    elif mode == "http-token" or bare:
        env.update(SLACK_BOT_TOKEN=f"xoxb-{TEAM}", SLACK_SIGNING_SECRET=payloads.SECRET)
    else:
        env.update(
            SLACK_SIGNING_SECRET=payloads.SECRET,
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
        )
    if bare:
        command = [sys.executable, "-c", BARE_APP]
    elif tree is not None:  # the same entry point, imported from the other checkout
        command = [sys.executable, "-c", BEFORE_APP]
    elif profile is not None:
        command = [sys.executable, "-c", PROFILED_APP, str(profile)]
    else:
        command = [str(MATCHMAKER), "run"]
    log = (db.parent / f"{db.stem}.log").open("w")  # the app's own warnings and errors
    return await asyncio.create_subprocess_exec(
        *command, env=env, cwd=db.parent, stdout=asyncio.subprocess.DEVNULL, stderr=log
    )


async def wait_http(port: int) -> None:
    for _ in range(1200):  # the server process is starting: poll its port, 50 ms apart
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the app did not start listening")


async def install(http: ClientSession, fake: FakeProcess, port: int) -> None:
    """The workspace installs the app through the OAuth pages, as an admin would."""
    code = f"code-{TEAM}"
    answer = {
        "ok": True,
        "app_id": "A0APP",
        "authed_user": {"id": "UINSTALLER"},
        "scope": "commands,chat:write",
        "token_type": "bot",
        "access_token": f"xoxb-{TEAM}",
        "bot_user_id": f"UBOT{TEAM}",
        "team": {"id": TEAM, "name": "Bench"},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    await fake.post("/oauth_code", {"code": code, "answer": answer})
    base = f"http://127.0.0.1:{port}"
    async with http.get(f"{base}/slack/install", allow_redirects=False) as page:
        state = re.search(r"state=([^&\"']+)", await page.text() or page.headers["Location"])
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    assert state is not None
    url = f"{base}/slack/oauth_redirect?code={code}&state={state.group(1)}"
    async with http.get(url, headers={"Cookie": cookie}, allow_redirects=False) as done:
        assert done.status == 200, (done.status, await done.text())


class Sender:
    """Slack's side of one run: signed POSTs, or envelopes on the app's websocket.

    HTTP goes over bare asyncio streams, one kept-alive connection per member (opened inside
    the first request's timing): aiohttp's client cost this process about 0.4 ms of CPU per
    request, several times what the websocket costs, and one busy event loop here reads the
    answers late however fast the app sent them."""

    def __init__(self, mode: str, fake: FakeProcess, sockets: FakeSlack, port: int) -> None:
        self.mode, self.fake, self.sockets, self.port = mode, fake, sockets, port
        self.sent = 0
        self.head = (
            "POST /slack/events HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
        )

    def body(self, user: str, text: str) -> dict[str, Any]:
        self.sent += 1
        trigger = f"trig:{time.time():.6f}:{self.sent}"  # TimedFake reads the time back
        url = self.fake.response_url()
        return payloads.slash(TEAM, user, text, response_url=url, trigger_id=trigger)

    async def deliver(self, user: str, text: str) -> float:
        body = self.body(user, text)
        start = time.perf_counter()
        await self.sockets.deliver("slash_commands", body)
        return time.perf_counter() - start

    async def post(self, user: str, texts: tuple[str, ...]) -> list[float]:
        times = []
        writer: asyncio.StreamWriter | None = None
        try:
            for text in texts:
                data = payloads.form_body(self.body(user, text))
                signed = payloads.signed_headers(data, "application/x-www-form-urlencoded")
                request = (
                    f"{self.head}X-Slack-Request-Timestamp: {signed['x-slack-request-timestamp']}"
                    f"\r\nX-Slack-Signature: {signed['x-slack-signature']}\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n{data}"
                ).encode()
                start = time.perf_counter()
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                times.append(time.perf_counter() - start)
                assert head.startswith(b"HTTP/1.1 200"), head[:40]
        finally:
            if writer is not None:
                writer.close()
        return times

    async def drive(self, users: list[str]) -> list[float]:
        """Each member: signup, then status once signup was acknowledged. Ack times in s."""

        async def member(user: str) -> list[float]:
            if self.mode == "socket":
                return [await self.deliver(user, "signup"), await self.deliver(user, "status")]
            return await self.post(user, ("signup", "status"))

        results = await asyncio.gather(*(member(u) for u in users))
        return [t for pair in results for t in pair]


async def run(
    bare: bool,
    mode: str,
    fake: FakeProcess,
    sockets: FakeSlack,
    tmp: Path,
    count: int,
    profile: Path | None = None,
    tree: Path | None = None,
) -> Result:
    port = free_port()
    name = "bare" if bare else "before" if tree else "ours"
    db = tmp / f"{name}-{mode}.db"
    tag = {"bare": "B", "before": "P", "ours": "O"}[name] + mode[0].upper() + mode[-1].upper()
    users = [f"U{tag}{i:04d}" for i in range(count)]
    warm = f"UWARM{name}{mode}".upper()
    await fake.post("/users", [*users, warm])
    sockets._connected.clear()
    process = await start_app(bare, mode, fake, db, port, profile, tree)
    try:
        async with ClientSession(connector=TCPConnector(limit=0)) as http:
            if mode == "socket":
                await asyncio.wait_for(sockets._connected.wait(), 120)
            else:
                await wait_http(port)
            if mode == "http-oauth" and not bare:
                await install(http, fake, port)
            sender = Sender(mode, fake, sockets, port)
            # One member first, alone: bolt's first request verifies the token (auth.test),
            # and a burst would otherwise send hundreds of those at once; the burst measures
            # steady acks. Then wait for its work, so the burst starts from a quiet app.
            quiet = await fake.counts()
            await sender.drive([warm])
            want = await wait_work(fake, bare, 1, quiet)
            late_before = want["late"]
            if profile is not None:
                process.send_signal(signal.SIGUSR1)
            cpu_before = {"app": cpu_seconds(process.pid), "fake": cpu_seconds(fake.process.pid)}
            here_before = time.process_time()
            started = time.perf_counter()
            times = await sender.drive(users)
            done = await wait_work(fake, bare, count, want)
            work_seconds = time.perf_counter() - started
            cpu = {
                "app": cpu_seconds(process.pid) - cpu_before["app"],
                "fake Slack Web API": cpu_seconds(fake.process.pid) - cpu_before["fake"],
                "load generator": time.process_time() - here_before,
            }
            if profile is not None:
                process.send_signal(signal.SIGUSR2)
                for _ in range(200):  # it writes the file from its signal handler
                    if await asyncio.to_thread(profile.exists):
                        break
                    await asyncio.sleep(0.05)
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
        for ws in list(sockets._sockets):
            await ws.close()
    return Result(times, work_seconds, cpu, len(times), done["late"] - late_before)


async def wait_work(
    fake: FakeProcess, bare: bool, count: int, before: dict[str, int]
) -> dict[str, int]:
    """Until the fake has every modal and status answer of `count` members (ours only)."""
    deadline = time.perf_counter() + 300
    while True:
        now = await fake.counts()
        # A member whose trigger expired sees no form (and gets an apology instead).
        shown = now["forms"] - before["forms"] + now["late"] - before["late"]
        done = shown >= count and now["responses"] - before["responses"] >= count
        if bare or done:
            return now
        if time.perf_counter() > deadline:
            print(f"  work not finished after 300 s: {now} (before {before})")
            return now
        await asyncio.sleep(0.05)


def line(label: str, result: Result) -> str:
    times = result.times
    p50, p99 = statistics.median(times) * 1000, percentile(times, 99) * 1000
    return f"{label:30} n={len(times):4}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"


def cpu_line(result: Result) -> str:
    parts = ", ".join(
        f"{name} {seconds / result.requests * 1000:.2f}" for name, seconds in result.cpu.items()
    )
    return f"{'':30} CPU ms per request: {parts}"


# Where the app's CPU goes, by the package of the function that spent it (cProfile tottime).
PACKAGES = (
    ("hmac/hashlib (signature check)", ("hmac.py", "hashlib", "slack_sdk/signature")),
    ("slack_bolt (middleware, listeners)", ("slack_bolt/",)),
    ("slack_sdk (Web API client, stores)", ("slack_sdk/",)),
    ("aiohttp (server and client)", ("aiohttp/", "multidict", "yarl/")),
    ("sqlalchemy", ("sqlalchemy/",)),
    ("aiosqlite/sqlite3 (calls into the thread)", ("aiosqlite/", "sqlite3")),
    ("our core (bot/core, bot/commands)", ("bot/core/", "bot/commands/", "bot/storage/")),
    ("our Slack adapter (bot/platforms/slack)", ("bot/platforms/slack/",)),
    ("scheduler", ("bot/scheduler/",)),
    ("asyncio event loop", ("asyncio/", "selectors.py", "uvloop")),
    ("json", ("json/", "_json")),
    ("slack_sdk.models (Block Kit)", ()),
)


def profile_split(path: Path, requests: int) -> list[str]:
    stats = pstats.Stats(str(path))
    if os.environ.get("BENCH_KEEP_PROFILE"):
        stats.dump_stats(os.environ["BENCH_KEEP_PROFILE"])
    by: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        where = f"{filename}:{function}"
        label = next((name for name, marks in PACKAGES if any(m in where for m in marks)), "other")
        if label == "slack_sdk (Web API client, stores)" and "slack_sdk/models" in filename:
            label = "slack_sdk.models (Block Kit)"
        by[label] += tottime
    lines = [f"{'':30} profile (main thread, cProfile tottime; ms per request):"]
    for label, seconds in sorted(by.items(), key=lambda item: -item[1]):
        lines.append(f"{'':32}{label:44} {seconds / requests * 1000:6.2f}")
    lines.append(f"{'':32}{'total':44} {total / requests * 1000:6.2f}")
    return lines


async def main(
    count: int, modes: list[str], rounds: int, profile: bool, before: Path | None
) -> None:
    sockets = FakeSlack()  # only its websocket: Slack's side of Socket Mode, in this process
    await sockets.start()
    import tests.platforms.slack.fake_slack as fs

    fs.WAIT_SECONDS = 600.0
    p99s: dict[str, list[float]] = defaultdict(list)
    ratios: dict[str, list[float]] = defaultdict(list)
    async with ClientSession() as control:
        fake = await start_fake(f"ws://127.0.0.1:{sockets.port}/socket", control)
        print(f"{count} members at once per mode, each: /dialogue signup then /dialogue status")
        print(
            "app: `matchmaker run` in its own process on SQLite; the fake Web API and this load"
            " generator in two others; the machine's 2 cores are shared by all three"
        )
        try:
            with tempfile.TemporaryDirectory() as tmp:
                # The first burst of a run came out slower whichever app took it (the fake's
                # and this process's first 200 connections): one bare burst, not shown.
                await run(True, "http", fake, sockets, Path(tmp), count)
                for number in range(rounds):
                    if rounds > 1:
                        print(f"round {number + 1} of {rounds}")
                    bare: dict[str, Result] = {}
                    for mode in modes:
                        transport = "socket" if mode == "socket" else "http"
                        path = Path(tmp) / f"{mode}-{number}.prof" if profile else None
                        ours = await run(False, mode, fake, sockets, Path(tmp), count, path)
                        if transport not in bare:
                            bare[transport] = await run(
                                True, transport, fake, sockets, Path(tmp), count
                            )
                        ratio = percentile(ours.times, 99) / percentile(bare[transport].times, 99)
                        p99s[mode].append(percentile(ours.times, 99) * 1000)
                        ratios[mode].append(ratio)
                        print(line(f"{mode}: Dialogue Matchmaker", ours))
                        print(cpu_line(ours))
                        print(
                            f"{'':30} every signup form and status answer at the fake"
                            f" {ours.work_seconds:.1f} s after the burst began;"
                            f" signups whose trigger id expired first: {ours.late_modals}"
                        )
                        if path is not None and path.exists():
                            print("\n".join(profile_split(path, ours.requests)))
                        print(
                            line(f"{transport}: bare bolt (ack only)", bare[transport])
                            + f"   p99 ratio {ratio:.2f}"
                        )
                        print(cpu_line(bare[transport]))
                        if before is not None:
                            old = await run(
                                False, mode, fake, sockets, Path(tmp), count, tree=before
                            )
                            change = percentile(ours.times, 99) / percentile(old.times, 99)
                            p99s[f"{mode} (before)"].append(percentile(old.times, 99) * 1000)
                            print(line(f"{mode}: before ({before.name})", old) + "")
                            print(cpu_line(old))
                            print(
                                f"{'':30} signups whose trigger id expired first:"
                                f" {old.late_modals}; p99 now / before {change:.2f}"
                            )
        finally:
            fake.process.terminate()
            await fake.process.wait()
            await sockets.stop()
    if rounds > 1:
        print(f"over {rounds} rounds (median; each round's figures in order):")
        for mode in modes:
            shown = " ".join(f"{v:.0f}" for v in p99s[mode])
            print(
                f"  {mode:12} p99 {statistics.median(p99s[mode]):7.1f} ms ({shown})"
                f"   ratio to bare bolt {statistics.median(ratios[mode]):.2f}"
            )
            if f"{mode} (before)" in p99s:
                old = p99s[f"{mode} (before)"]
                shown = " ".join(f"{v:.0f}" for v in old)
                print(f"  {mode:12} before: p99 {statistics.median(old):7.1f} ms ({shown})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-fake"]:
        asyncio.run(serve_fake(sys.argv[2]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--modes", default=",".join(MODES), help=f"any of {', '.join(MODES)}")
    parser.add_argument("--rounds", type=int, default=1, help="repeat, alternating ours/bare")
    parser.add_argument("--profile", action="store_true", help="cProfile the app in the burst")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout of the repo (e.g. `git archive` of an older commit): its app"
        " is run too, in the same rounds, for a before/after in one run",
    )
    given = parser.parse_args()
    chosen = [m.strip() for m in given.modes.split(",") if m.strip()]
    unknown = set(chosen) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))}")
    asyncio.run(main(given.count, chosen, given.rounds, given.profile, given.before))
