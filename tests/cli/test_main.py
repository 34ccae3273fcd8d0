"""The `matchmaker` console script, run as a person would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PLATFORM_VARIABLES = (
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "DATABASE_URL",
)


def matchmaker(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # The console script `pip install -e .` put beside this interpreter.
    script = Path(sys.executable).parent / "matchmaker"
    assert script.exists(), "install the project first: pip install -e ."
    clean = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    return subprocess.run(
        [str(script), *args],
        cwd=tmp_path,  # so no developer's .env is read
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_without_credentials_names_the_variables_and_points_to_demo(tmp_path: Path) -> None:
    result = matchmaker(tmp_path, "run")
    assert result.returncode != 0
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        assert name in result.stderr
    assert "matchmaker demo" in result.stderr
    assert not (tmp_path / "matchmaker.db").exists(), "nothing to run, so nothing is created"


def test_db_upgrade_then_current_reports_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    assert matchmaker(tmp_path, "db", "current", DATABASE_URL=url).stdout.startswith("empty")
    upgraded = matchmaker(tmp_path, "db", "upgrade", DATABASE_URL=url)
    assert upgraded.returncode == 0, upgraded.stderr
    current = matchmaker(tmp_path, "db", "current", DATABASE_URL=url)
    assert current.returncode == 0
    assert "up to date" in current.stdout


def test_env_file_is_read_from_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'fromenv.db'}\n")
    assert matchmaker(tmp_path, "db", "upgrade").returncode == 0
    assert (tmp_path / "fromenv.db").exists()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", "postgresql://localhost/x", "DATABASE_URL: must be an async"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: must be one of"),
    ],
)
def test_invalid_configuration_is_a_clear_message(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    result = matchmaker(tmp_path, "db", "current", **{variable: value})
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_credentials_migrates_and_says_adapters_are_not_built(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    result = matchmaker(tmp_path, "run", SLACK_BOT_TOKEN="x", SLACK_APP_TOKEN="y", DATABASE_URL=url)
    assert result.returncode != 0
    assert "Slack" in result.stderr and "not built yet" in result.stderr
    assert "up to date" in matchmaker(tmp_path, "db", "current", DATABASE_URL=url).stdout


@pytest.mark.parametrize(
    "args",
    [
        ("demo", "--database-url", "not a url"),
        ("demo", "--database-url", "sqlite:///sync-driver.db"),
        ("demo", "--database-url", "sqlite+aiosqlite:///no/such/dir/demo.db"),
        ("demo", "--database-url", "postgresql+asyncpg://nobody@127.0.0.1:1/x"),
    ],
)
def test_demo_with_an_unusable_database_is_a_clear_message(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = matchmaker(tmp_path, *args)
    assert result.returncode == 1
    assert result.stderr.startswith("matchmaker: ")
    assert "database" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["upgrade", "current"])
@pytest.mark.parametrize(
    "url",
    ["sqlite+aiosqlite:///no/such/dir/bot.db", "postgresql+asyncpg://nobody:secret@127.0.0.1:1/x"],
)
def test_db_command_on_an_unreachable_database_is_a_clear_message(
    tmp_path: Path, command: str, url: str
) -> None:
    result = matchmaker(tmp_path, "db", command, DATABASE_URL=url)
    assert result.returncode == 1
    assert "cannot connect to the database" in result.stderr
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr, "the password is not printed"
