"""Bulk writes for the roster import and the synthetic seed.

A city roster is 250,000 rows. Peewee's `insert_many` and `in_()` build an expression node and
render SQL text for every value, which costs seconds at that size; one prepared statement run over
all rows (app/backend.py: `executemany` on SQLite, COPY or `execute_values` on PostgreSQL) costs
a fraction. The model still names the table, columns and defaults, so what lands in the table is
what Peewee would have written."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from peewee import Database, Field, Model

from app.backend import backend

T = TypeVar("T")

BATCH = 5000  # rows per statement page, values per IN (…) list: below every driver's limit


def chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def large_cache(db: Database) -> AbstractContextManager[None]:
    """A page cache fit for a bulk write (256 MB on SQLite), returned when it is done."""
    return backend(db).large_cache()


@contextmanager
def indexes_after_load(db: Database, models: Sequence[type[Model]]) -> Iterator[None]:
    """Drop the non-unique indexes of `models` for a bulk load and build each once after it:
    one sort per index instead of 100,000 random inserts into every one. Unique indexes stay, as
    the load looks rows up by them and they guard its correctness. Call it inside the load's
    transaction (DDL is transactional on both backends: a failed load keeps its indexes)."""
    indexes = [i for m in models for i in m._meta.fields_to_index() if not i._unique]
    for index in indexes:
        db.execute_sql(f"DROP INDEX IF EXISTS {_quoted(index._name)}")
    yield
    for index in indexes:
        db.execute(index)  # CREATE INDEX IF NOT EXISTS


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def bulk_insert(
    db: Database,
    model: type[Model],
    fields: Sequence[Field],
    rows: Iterable[Sequence[Any]],
    *,
    conflict: Sequence[Field] = (),
    update: Sequence[Field] | None = None,
) -> int:
    """Insert tuples (in the order of `fields`) inside the caller's transaction.

    Values must be what the driver stores as is (str, int, bool, datetime, None; no enum
    members): converting 7 million values through Peewee would cost more than the insert. Fields
    left out get their model defaults, as Peewee's own inserts do (the columns have none). With
    `conflict`, a row whose key exists updates the `update` columns instead (none: it is skipped).
    """
    table = _quoted(model._meta.table_name)
    given = {f.name for f in fields}
    defaults = [(f, d) for f, d in model._meta.defaults.items() if f.name not in given]
    columns = [_quoted(f.column_name) for f in [*fields, *(f for f, _ in defaults)]]
    if defaults:
        rows = [(*row, *(d() if callable(d) else d for _, d in defaults)) for row in rows]
    elif not isinstance(rows, Sequence):
        rows = list(rows)
    if not rows:
        return 0
    on_conflict = ""
    if conflict:
        target = ", ".join(_quoted(f.column_name) for f in conflict)
        names = [_quoted(f.column_name) for f in update or ()]
        sets = ", ".join(f"{name} = EXCLUDED.{name}" for name in names)
        on_conflict = f" ON CONFLICT ({target}) " + (
            f"DO UPDATE SET {sets}" if sets else "DO NOTHING"
        )
    backend(db).insert_rows(table, columns, rows, on_conflict)
    return len(rows)


def delete_in(model: type[Model], key: Field, values: Iterable[Any]) -> int:
    """DELETE … WHERE key IN (…), in pages (plain SQL, for the same reason as id_map)."""
    db = model._meta.database
    wanted = list(values)
    sql = f"DELETE FROM {_quoted(model._meta.table_name)} WHERE {_quoted(key.column_name)} IN "
    deleted = 0
    for batch in chunks(wanted):
        cursor = db.execute_sql(f"{sql}({', '.join(db.param for _ in batch)})", list(batch))
        deleted += cursor.rowcount
    return deleted


def id_map(model: type[Model], key: Field, values: Iterable[Hashable]) -> dict[Any, int]:
    """{key value: primary key} for the given key values, fetched in IN-list pages (plain SQL:
    Peewee would build an expression node per value)."""
    db = model._meta.database
    wanted = list(dict.fromkeys(values))
    table = _quoted(model._meta.table_name)
    sql = f"SELECT {_quoted(key.column_name)}, {_quoted(model._meta.primary_key.column_name)} "
    sql += f"FROM {table} WHERE {_quoted(key.column_name)} IN "
    found: dict[Any, int] = {}
    for batch in chunks(wanted):
        marks = ", ".join(db.param for _ in batch)
        found.update(db.execute_sql(f"{sql}({marks})", list(batch)).fetchall())
    return found
