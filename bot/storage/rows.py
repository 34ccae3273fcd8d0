"""A new row as one INSERT, loaded in the session, without the ORM's flush.

On the hot path (a crowd signing up) `session.add(obj)` + `flush()` costs several times the
INSERT it runs: the unit of work sorts, cascades and post-processes every flush. `insert_loaded`
runs the INSERT at once (a statement built once per table, so SQLAlchemy's compiled cache
serves it) and hands back the mapped object as a persistent row of the session, as if it had
been loaded: changing its attributes later is an ordinary UPDATE at the next flush.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Insert, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ClassManager, make_transient_to_detached

from .models import Base

B = TypeVar("B", bound=Base)


@cache
def _shape(
    cls: type[Base],
) -> tuple[Insert, frozenset[str], frozenset[str], tuple[str, ...], ClassManager[Any]]:
    """The INSERT, every column attribute, the ones the database may generate (a lone integer
    primary key), the primary key's attributes in order, and the class's ORM manager."""
    mapper = sa_inspect(cls)
    table = mapper.local_table
    keys = tuple(mapper.get_property_by_column(c).key for c in table.primary_key.columns)
    generated = frozenset(
        mapper.get_property_by_column(c).key
        for c in table.primary_key.columns
        if c is table.autoincrement_column
    )
    columns = frozenset(p.key for p in mapper.column_attrs)
    return insert(table), columns, generated, keys, mapper.class_manager


async def insert_loaded(session: AsyncSession, cls: type[B], values: dict[str, Any]) -> B:
    """Insert one `cls` row with `values` (every column but a generated key: nothing may be
    left to a default, or reading it later would need a query) and return it, persistent."""
    statement, columns, generated, keys, manager = _shape(cls)
    missing = columns - values.keys() - generated
    if missing or not values.keys() <= columns:
        raise ValueError(
            f"insert_loaded({cls.__name__}): missing {sorted(missing)}, "
            f"unknown {sorted(values.keys() - columns)}"
        )
    result = await session.execute(statement, values)
    # The instance as the ORM's own loading makes one: its attributes put straight into its
    # dict, not set one by one through the instrumented attributes (`cls(**values)`), whose
    # change events were a third of this function's work; the state is committed just below
    # anyway, so no history is lost.
    row: B = manager.new_instance()
    row.__dict__.update(values)
    for key, value in zip(keys, result.inserted_primary_key or (), strict=True):
        if key not in values:
            row.__dict__[key] = value
    # Every attribute now holds what the database holds: a detached copy of the row, then
    # attached to the session like one it had loaded.
    make_transient_to_detached(row)
    session.add(row)
    return row
