"""A throwaway PostgreSQL server for the test session.

`TEST_POSTGRES_URL` (an asyncpg URL to a server where we may create databases) wins; otherwise
the PostgreSQL binaries on this machine (Debian's `postgresql` package) start a private
cluster on a random port in a temporary directory, as the `postgres` user when run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def available() -> bool:
    return bool(os.environ.get("TEST_POSTGRES_URL")) or _bin("initdb") is not None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an admin URL `postgresql+asyncpg://user@127.0.0.1:port/postgres`."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        yield url
        return
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("PostgreSQL binaries not found (install Debian's postgresql package)")
    as_user: list[str] = []
    user = os.environ.get("USER", "postgres")
    if os.geteuid() == 0:
        # initdb refuses to run as root; Debian's package creates the `postgres` user.
        as_user, user = ["runuser", "-u", "postgres", "--"], "postgres"
    root = Path(tempfile.mkdtemp(prefix="matchmaker-pg-"))
    data = root / "data"
    port = _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*as_user, *cmd], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = root / "log"
            detail = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{cmd[0]} failed:\n{done.stdout}{done.stderr}{detail}")

    # Cleanup covers a failed initdb or start too: no temporary cluster or server is left.
    try:
        if as_user:
            shutil.chown(root, user="postgres")
        run(initdb, "-D", str(data), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8")
        run(
            pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off",
            "start",
        )  # fmt: skip
        yield f"postgresql+asyncpg://{user}@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)
