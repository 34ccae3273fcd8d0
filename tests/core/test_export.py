"""`/dialogue-admin export`: pool and rounds as CSV, moderators only, formula-safe."""

from __future__ import annotations

import csv
import io

import pytest

from bot.core import blocks
from bot.core.app import Core
from bot.core.dialogues import PairMembers, pair
from bot.core.errors import Forbidden
from bot.core.export import POOL_COLUMNS, ROUNDS_COLUMNS, ExportCsv, export_csv, safe_cell
from tests.core.conftest import MOD, run_round, two_disagreeing
from tests.factories import Seeded, actor, signed_up


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_pool_export_has_a_row_per_member(core: Core, seeded: Seeded) -> None:
    c = seeded.claims
    await two_disagreeing(core, seeded)
    await signed_up(
        core,
        "mallory",
        name='=HYPERLINK("http://evil")',
        about="@SUM(A1:A9)",
        stances={c[0]: -2},
        availability=[("mon", "18:00", "21:00")],
        show_in_browse=False,
    )

    exported = await export_csv(core, ExportCsv(MOD))

    pool = rows(exported.pool_csv)
    assert list(pool[0]) == list(POOL_COLUMNS)
    by_user = {r["user_id"]: r for r in pool}
    assert set(by_user) == {"alice", "bob", "mallory"}
    assert by_user["alice"]["stances"] == f"c{c[0]}=2; c{c[1]}=1"
    assert by_user["alice"]["topics"] == "ai-timelines"
    assert by_user["alice"]["about"] == "Agent foundations person"
    assert by_user["mallory"]["display_name"] == '\'=HYPERLINK("http://evil")'
    assert by_user["mallory"]["about"] == "'@SUM(A1:A9)"
    assert by_user["mallory"]["availability"] == "mon 18:00-21:00"
    assert by_user["mallory"]["stances"] == f"c{c[0]}=-2"
    # Beside the other form answers: who keeps out of /dialogue browse (default yes).
    assert list(POOL_COLUMNS).index("show_in_browse") == list(POOL_COLUMNS).index("publish_ok") + 1
    assert (by_user["alice"]["show_in_browse"], by_user["mallory"]["show_in_browse"]) == (
        "yes",
        "no",
    )


async def test_rounds_export_lists_dialogues_and_who_was_left_out(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    await signed_up(core, "carol", name="Carol")
    await blocks.block(core, blocks.BlockMember(actor(user="carol", name="Carol"), "alice"))
    await blocks.block(core, blocks.BlockMember(actor(user="carol", name="Carol"), "bob"))
    done = await run_round(core)
    await pair(core, PairMembers(MOD, "carol", "bob", force=True))

    exported = await export_csv(core, ExportCsv(MOD))

    table = rows(exported.rounds_csv)
    assert list(table[0]) == list(ROUNDS_COLUMNS)
    assert [(r["round"], r["row"], r["members"]) for r in table] == [
        ("1", "dialogue", "alice; bob"),
        ("1", "unmatched", "carol"),
        ("", "dialogue", "carol; bob"),
    ]
    first, left, manual = table
    assert first["dialogue_id"] == str(done.pairs[0].dialogue_id)
    assert (first["kind"], first["state"], first["shared_topics"]) == (
        "round",
        "open",
        "AI timelines",
    )
    assert left["reason"] == "no compatible partner"
    assert (manual["kind"], manual["forced"]) == ("manual", "yes")
    # Blocks are private: nothing in either file says who blocked whom.
    assert "block" not in exported.pool_csv.lower()


async def test_only_moderators_export(core: Core, seeded: Seeded) -> None:
    await signed_up(core, "alice")
    with pytest.raises(Forbidden):
        await export_csv(core, ExportCsv(actor(user="alice")))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (-2, -2),
        (None, ""),
        (True, "yes"),
    ],
)
def test_text_cells_cannot_start_a_formula(value: object, cell: object) -> None:
    assert safe_cell(value) == cell
