"""A new row as one INSERT, loaded in the session, without the ORM's flush.

On the hot path (a crowd signing up) `session.add(obj)` + `flush()` costs several times the
INSERT it runs: the unit of work sorts, cascades and post-processes every flush. `insert_loaded`
runs the INSERT at once (a statement built once per table, so SQLAlchemy's compiled cache
serves it) and hands back the mapped object as a persistent row of the session, as if it had
been loaded: changing its attributes later is an ordinary UPDATE at the next flush.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ClassManager, make_transient_to_detached

from .models import Base
from .prepared import Prepared, SessionStatements, Statements

B = TypeVar("B", bound=Base)


@cache
def _shape(
    cls: type[Base],
) -> tuple[Prepared, frozenset[str], frozenset[str], ClassManager[Any]]:
    """The INSERT (of every column but the generated ones, prepared: bot/storage/prepared.py),
    every column attribute, the ones the database may generate (a lone integer primary key),
    and the class's ORM manager."""
    mapper = sa_inspect(cls)
    table = mapper.local_table
    generated = frozenset(
        mapper.get_property_by_column(c).key
        for c in table.primary_key.columns
        if c is table.autoincrement_column
    )
    columns = frozenset(p.key for p in mapper.column_attrs)
    # Column keys, which `values` uses, are the attribute keys on these mappings (checked).
    assert all(mapper.get_property_by_column(c).key == c.key for c in table.columns)
    statement = Prepared(insert(table), keys=tuple(sorted(columns - generated)))
    return statement, columns, generated, mapper.class_manager


async def insert_loaded(session: AsyncSession, cls: type[B], values: dict[str, Any]) -> B:
    """Insert one `cls` row with `values` (every column but a generated key: nothing may be
    left to a default, or reading it later would need a query) and return it, persistent."""
    inserted = await _insert(SessionStatements(session), cls, values)
    # The instance as the ORM's own loading makes one (`_attach`): its attributes put straight
    # into its dict, not set one by one through the instrumented attributes (`cls(**values)`),
    # whose change events were a third of this function's work; the state is committed
    # there anyway, so no history is lost.
    return _attach(session, _shape(cls)[3], inserted)


async def insert_row(statements: Statements, cls: type[B], values: dict[str, Any]) -> B:
    """`insert_loaded` in a unit of work without a session (`Database.write_rows`): the row
    as a plain `cls` object in no session, to read (its generated key filled in)."""
    return plain(cls, await _insert(statements, cls, values))


def plain(cls: type[B], values: dict[str, Any]) -> B:
    """A `cls` object holding `values` (a row as read or inserted), in no session: to read
    its attributes where a unit of work has no session (`Database.write_rows`)."""
    row = _shape(cls)[3].new_instance()
    row.__dict__.update(values)
    return cast(B, row)


async def _insert(
    statements: Statements, cls: type[Base], values: dict[str, Any]
) -> dict[str, Any]:
    """Insert the row; `values` with the key the database generated."""
    statement, columns, generated, _ = _shape(cls)
    missing = columns - values.keys() - generated
    if missing or not values.keys() <= columns:
        raise ValueError(
            f"insert({cls.__name__}): missing {sorted(missing)}, "
            f"unknown {sorted(values.keys() - columns)}"
        )
    result = await statements.run(statement, values)
    if generated:
        values = {**values, **dict.fromkeys(generated, result.lastrowid)}
    return values


def attach_loaded(session: AsyncSession, cls: type[B], values: dict[str, Any]) -> B:
    """`cls`'s row as just read (every column attribute in `values`, as the ORM converts
    them), made a persistent object of `session` as if the ORM had loaded it: for a hot read
    run as plain columns (bot/storage/prepared.py) whose caller needs the mapped object. Only
    in a session that does not hold this row yet: the ORM would hand back its own object."""
    _, columns, _, manager = _shape(cls)
    if values.keys() != columns:
        raise ValueError(f"attach_loaded({cls.__name__}): not every column: {sorted(values)}")
    return _attach(session, manager, values)


def _attach(session: AsyncSession, manager: ClassManager[Any], values: dict[str, Any]) -> Any:
    row = manager.new_instance()
    row.__dict__.update(values)
    # Every attribute now holds what the database holds: a detached copy of the row, then
    # attached to the session like one it had loaded.
    make_transient_to_detached(row)
    session.add(row)
    return row
