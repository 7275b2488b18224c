"""Bulk writes at COPY speed on PostgreSQL, executemany on SQLite.

Django's bulk_create costs ~100 microseconds a row; PostgreSQL's COPY loads the same rows 20-50x faster. Callers pass
a DataFrame whose columns are database column names of the model's table.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import orjson
import pandas as pd
from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

COPY_BATCH_ROWS = 500_000  # ~40 MB of CSV text a batch at 10 columns: bounded memory, few round trips


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def copy_frame(cursor, table: str, frame: pd.DataFrame) -> None:
    """PostgreSQL COPY of a frame's rows into `table` (the frame's columns are the table's column names), as CSV
    text in batches of COPY_BATCH_ROWS. The one COPY writer: every bulk path (models, temporary tables) uses it or
    `copy_rows`."""
    quoted = ", ".join(connection.ops.quote_name(c) for c in frame.columns)
    statement = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN WITH (FORMAT csv)"
    for start in range(0, len(frame), COPY_BATCH_ROWS):
        buffer = io.StringIO()
        frame.iloc[start : start + COPY_BATCH_ROWS].to_csv(buffer, header=False, index=False, na_rep="")
        with cursor.copy(statement) as copy:
            copy.write(buffer.getvalue())


def copy_rows(cursor, table: str, columns: list[str], rows: Iterable[Sequence]) -> None:
    """PostgreSQL COPY of rows of Python values (in `columns` order) into `table`, typed by psycopg row by row
    (for rows built in Python, such as JSON documents already dumped to text)."""
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def bulk_create_copied(objects: list[models.Model], *, ignore_conflicts: bool = False) -> int:
    """Insert unsaved model instances of one model (ids from the sequence), like bulk_create: by COPY on
    PostgreSQL, every value prepared by its field as bulk_create prepares it (auto_now_add, JSON, decimals);
    `ignore_conflicts` goes through a temporary table and INSERT ... ON CONFLICT DO NOTHING. Elsewhere Django's
    bulk_create. Returns how many were given. bulk_create on PostgreSQL sends each JSON document as a parameter
    (~0.4 ms a row with two JSON columns); COPY writes the same rows an order of magnitude faster."""
    if not objects:
        return 0
    model = type(objects[0])
    if not is_postgres():
        model.objects.bulk_create(objects, batch_size=2_000, ignore_conflicts=ignore_conflicts)
        return len(objects)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    prepare = [_json_text(f) if isinstance(f, models.JSONField) else _prepared(f) for f in fields]
    rows = ([to_db(f.pre_save(obj, True)) for f, to_db in zip(fields, prepare)] for obj in objects)
    _copy_into(model, [f.column for f in fields], rows, ignore_conflicts=ignore_conflicts)
    return len(objects)


def bulk_update_copied(objects: list[models.Model], fields: list[str]) -> int:
    """Set `fields` (attnames) of existing rows from these instances of one model, like bulk_update: on PostgreSQL
    the values, prepared by their fields (JSON, decimals), are copied into a temporary table and applied with one
    UPDATE ... FROM (bulk_update's CASE per column grows with the batch, in Python and in the database); elsewhere
    Django's bulk_update. auto_now fields are not touched: set them on the instances and name them. Returns how many
    were given."""
    if not objects:
        return 0
    model = type(objects[0])
    if not is_postgres():
        model.objects.bulk_update(objects, fields, batch_size=500)
        return len(objects)
    pk = model._meta.pk
    chosen = [model._meta.get_field(name) for name in fields]
    prepare = [_json_text(f) if isinstance(f, models.JSONField) else _prepared(f) for f in chosen]
    columns = [pk.column, *(f.column for f in chosen)]
    rows = (
        [obj.pk, *(to_db(getattr(obj, f.attname)) for f, to_db in zip(chosen, prepare))] for obj in objects
    )
    table = model._meta.db_table
    temp = f"{table}_updated"
    quote = connection.ops.quote_name
    quoted = ", ".join(quote(c) for c in columns)
    assignments = ", ".join(f"{quote(f.column)} = u.{quote(f.column)}" for f in chosen)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {quoted} FROM {quote(table)} WITH NO DATA"
        )
        copy_rows(cursor, temp, columns, rows)
        cursor.execute(f"ANALYZE {temp}")  # the planner knows nothing of a fresh temp table otherwise
        cursor.execute(
            f"UPDATE {quote(table)} AS t SET {assignments} FROM {temp} AS u WHERE t.{quote(pk.column)} = u.{quote(pk.column)}"
        )
        cursor.execute(f"DROP TABLE {temp}")
    return len(objects)


def copy_values(model: type[models.Model], rows: list[dict], *, ignore_conflicts: bool = False) -> int:
    """Insert rows given as dicts of field attname -> value (ids from the sequence), as bulk_create_copied inserts
    model instances but without building them: a refresh writes tens of thousands of decisions and outbox messages,
    where the instances and the per-field preparation cost more than the COPY. A field a row leaves out takes its
    default (auto_now and auto_now_add: one `now` for the call); JSON documents are dumped with the field's encoder
    and decimals prepared by their field; every other value goes to COPY as it is (give the field's Python type).
    Elsewhere (SQLite) Django's bulk_create of the same rows. Returns how many were given."""
    if not rows:
        return 0
    if not is_postgres():
        model.objects.bulk_create(
            [model(**row) for row in rows], batch_size=2_000, ignore_conflicts=ignore_conflicts
        )
        return len(rows)
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plan = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        else:
            default = f.get_default()  # as a new instance has it ("" for a text field without a default)
        if isinstance(f, models.JSONField):
            to_db = _json_text(f)
        elif isinstance(f, models.DecimalField):
            to_db = _prepared(f)
        else:
            to_db = None
        # a default is prepared once for the call; a given value row by row
        plan.append((f.attname, to_db, to_db(default) if to_db else default))
    values = (
        [
            (to_db(row[name]) if to_db else row[name]) if name in row else default
            for name, to_db, default in plan
        ]
        for row in rows
    )
    _copy_into(model, [f.column for f in fields], values, ignore_conflicts=ignore_conflicts)
    return len(rows)


def _copy_into(
    model: type[models.Model], columns: list[str], rows: Iterable[Sequence], *, ignore_conflicts: bool
):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if not ignore_conflicts:
            copy_rows(cursor, table, columns, rows)
            return
        temp = f"{table}_copied"
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {quoted} FROM {table} WITH NO DATA"
        )
        copy_rows(cursor, temp, columns, rows)
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {temp} ORDER BY ctid ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"DROP TABLE {temp}")


def _prepared(field: models.Field):
    return lambda value: field.get_db_prep_save(value, connection)


def _json_text(field: models.JSONField):
    """A JSON document as the text COPY reads: json.dumps with the field's encoder, as the field itself dumps it;
    without one (most fields) `json_text`, the same document several times faster."""
    if field.encoder is not None:
        return lambda value: None if value is None else json.dumps(value, cls=field.encoder)
    return lambda value: None if value is None else json_text(value)


def _plain_default(value):
    """What json.dumps writes that orjson leaves to `default`: subclasses of float (numpy's float64) as floats."""
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_text(value, default=_plain_default) -> str:
    """A document as JSON text for a jsonb column, with orjson (a refresh dumps hundreds of thousands of documents:
    json.dumps was a tenth of its CPU). The column stores the parsed document, so what reads it back gets what
    json.dumps would have given: the same keys (non-string keys as json.dumps writes them), strings, numbers
    (floats as their shortest round-trip digits, as repr) and nesting (tuples as arrays); subclasses of str and int
    (choices, enums) as their values. Only NaN and infinities differ: null here, where json.dumps wrote text that
    PostgreSQL refuses. `default` converts what else the caller's documents hold (Decimal, dates)."""
    return orjson.dumps(value, default=default, option=orjson.OPT_NON_STR_KEYS).decode()


def bulk_insert_frame(model: type[models.Model], frame: pd.DataFrame) -> int:
    """Insert every row of `frame` into the model's table; returns the number of rows written."""
    if frame.empty:
        return 0
    frame = _integers_kept_whole(model, _with_defaults(model, frame))
    table = model._meta.db_table
    columns = list(frame.columns)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if is_postgres():
            copy_frame(cursor, table, _floats_rounded(model, frame))
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({placeholders})"
            frame = _sqlite_values(model, frame)
            rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
            cursor.executemany(sql, list(rows))
    return len(frame)


def _with_defaults(model: type[models.Model], frame: pd.DataFrame) -> pd.DataFrame:
    """Fill the columns the frame leaves out with the model field's default (auto_now fields with now)."""
    missing = {}
    for f in model._meta.concrete_fields:
        if f.column in frame.columns or f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            missing[f.column] = timezone.now()
        elif f.has_default():
            missing[f.column] = f.get_default()
    if not missing:
        return frame
    frame = frame.copy()
    for column, value in missing.items():
        frame[column] = [value] * len(frame) if isinstance(value, dict | list) else value
    return frame


FLOAT_DECIMALS = 6  # engine statistics; printing 17-digit floats is 3-4x slower than the COPY itself


def _floats_rounded(model: type[models.Model], frame: pd.DataFrame) -> pd.DataFrame:
    """FloatField columns rounded to FLOAT_DECIMALS places before they are printed for COPY."""
    columns = [
        f.column
        for f in model._meta.concrete_fields
        if isinstance(f, models.FloatField) and f.column in frame.columns
    ]
    return frame.round(dict.fromkeys(columns, FLOAT_DECIMALS)) if columns else frame


def _integers_kept_whole(model: type[models.Model], frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer columns (a foreign key with gaps) as pandas Int64, so CSV says 7, not 7.0."""
    integer_columns = [
        f.column
        for f in model._meta.concrete_fields
        if f.column in frame.columns
        and f.get_internal_type()
        in (
            "IntegerField",
            "BigIntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "SmallIntegerField",
            "BigAutoField",
            "AutoField",
            "ForeignKey",
        )
        and (
            f.get_internal_type() != "ForeignKey"
            or f.target_field.get_internal_type() in ("BigAutoField", "AutoField", "IntegerField")
        )
        and frame[f.column].dtype.kind not in "iu"
    ]
    if not integer_columns:
        return frame
    frame = frame.copy()
    for column in integer_columns:
        frame[column] = pd.array(pd.to_numeric(frame[column], errors="coerce"), dtype="Int64")
    return frame


def _memoized(convert):
    """A column holds few distinct dates (a day per row of a week, one `now`): convert each distinct value once."""
    seen: dict = {}

    def cached(value):
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = convert(value)
            return result
        except TypeError:  # unhashable
            return convert(value)

    return cached


def _sqlite_datetime(value):
    if value is None or pd.isna(value):
        return None
    return connection.ops.adapt_datetimefield_value(pd.Timestamp(value).to_pydatetime())


def _sqlite_date(value):
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)[:10]


def _sqlite_values(model: type[models.Model], frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and datetimes in the text form Django's SQLite backend stores (the sqlite3 adapters are deprecated)."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    frame = frame.copy()
    for column in frame.columns:
        field = fields.get(column)
        if isinstance(field, models.DateTimeField):
            convert = _memoized(_sqlite_datetime)
            frame[column] = [convert(v) for v in frame[column]]
        elif isinstance(field, models.DateField):
            convert = _memoized(_sqlite_date)
            frame[column] = [convert(v) for v in frame[column]]
        elif isinstance(field, models.JSONField):
            frame[column] = [v if isinstance(v, str) else json.dumps(v) for v in frame[column]]
        elif isinstance(field, models.TimeField | models.DecimalField):
            frame[column] = [None if v is None else str(v) for v in frame[column]]
    return frame


def tables_analyze(
    *model_classes: type[models.Model], vacuum: Sequence[type[models.Model]] = ()
) -> list[str]:
    """Fresh planner statistics for the tables a bulk refresh wrote: PostgreSQL here runs with autovacuum off, so
    nothing else gathers them and a query planned on a table's old row count can pick a plan for a table a hundredth
    its size. The tables in `vacuum` get VACUUM (ANALYZE), which also sets the visibility map that index-only scans
    need, except inside a transaction (tests), where VACUUM cannot run and they get ANALYZE alone. Returns the
    statements run (none on SQLite, whose planner keeps no such statistics)."""
    if not is_postgres():
        return []
    vacuumed = {m._meta.db_table for m in vacuum} if not connection.in_atomic_block else set()
    statements = [
        f"{'VACUUM (ANALYZE)' if table in vacuumed else 'ANALYZE'} {connection.ops.quote_name(table)}"
        for table in dict.fromkeys(m._meta.db_table for m in (*vacuum, *model_classes))
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements


def reset_sequences(*model_classes: type[models.Model]) -> None:
    """After inserting explicit ids, move the id sequences past the highest id (PostgreSQL only)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@contextmanager
def constraints_deferred(*model_classes: type[models.Model]) -> Iterator[None]:
    """PostgreSQL: drop the secondary indexes, unique, check and foreign-key constraints of these tables, load, then
    recreate them from their exact catalog definitions.

    A bulk index build and one validating join per foreign key are several times faster than maintaining every index
    and queueing a deferred trigger per row. Run inside a transaction: a failure rolls the DDL back with the data.
    Elsewhere (SQLite) this does nothing.
    """
    if not is_postgres():
        yield
        return
    tables = [m._meta.db_table for m in model_classes]
    with connection.cursor() as cursor:
        cursor.execute(
            "SET CONSTRAINTS ALL IMMEDIATE"
        )  # fire checks already queued: ALTER refuses pending events
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u', 'c') ORDER BY contype DESC",
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for index, _definition in indexes:
            cursor.execute(f"DROP INDEX {index}")
    yield
    with connection.cursor() as cursor:
        for _index, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in reversed(constraints):  # unique before foreign keys that may need them
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
            )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
