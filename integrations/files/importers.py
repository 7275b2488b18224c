"""File imports (CSV/XLSX) through the inbox: all or nothing per file, with a validation report.

    message = file_import(kind="balances", data=path.read_bytes(), filename=path.name, actor=user)
    message.status, message.summary, message.errors  # errors: [{"row", "column", "cell", "message", "value"}]

`import_table` is the shared core: ERP pages and webhook events with the same record shapes go through it too.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from datetime import date, timedelta

import pandas as pd

from ..inbound import Outcome, Rejected, register
from ..inbox import inbox_ingest, inbox_receive
from ..models import InboxMessage
from ..normalize import Resolver
from ..progress import inbox_progress_set
from . import apply as appliers
from . import balances, demand, orders, returns, shipping, wms
from .reader import FileFormatError, RawTable, decode_text, is_xlsx, read_file_bytes, text_check
from .specs import SPECS
from .validate import DECIMAL_RE, Problems, typed_frame

FILE_SOURCE = "file"
FORMATS = ("long", "wide-monthly")
WHOLE_RE = r"^[+]?\d+(?:\.0*)?$"

_MODULES = {
    "balances": balances,
    "demand": demand,
    "open_purchase_orders": orders,
    "open_sales_orders": orders,
    "wms_tasks": wms,
    "labor_capacity": wms,
    "carrier_cutoffs": shipping,
    "returns": returns,
}
KINDS = {
    kind: (
        getattr(_MODULES.get(kind, appliers), f"prepare_{kind}"),
        getattr(_MODULES.get(kind, appliers), f"apply_{kind}"),
    )
    for kind in SPECS
}


def import_table(
    kind: str, table: RawTable, ctx: appliers.ImportContext, *, what: str = "the file", progress=None
) -> dict:
    """Validate the whole table, then apply it; raises Rejected (nothing applied) with every problem found.
    `progress(percent, stage)`, when given, hears when the writing starts."""
    spec = SPECS[kind]
    problems = Problems(table)
    frame = typed_frame(table, spec, problems)
    ctx.present = set(table.frame.columns)
    prepare, apply = KINDS[kind]
    if problems:
        # one pass: the codes of the rows that converted are still resolved, so an unknown SKU is reported with
        # the bad cells and the missing column, not in a second upload
        _prepare_for_report(prepare, frame, ctx, problems)
    else:
        prepare(frame, ctx, problems)
    if problems:
        raise Rejected(problems.sentence(what), problems.sorted_items() + _more(problems))
    if frame.empty:
        return {"rows": 0}
    if progress:
        progress(60, f"writing {len(frame):,} rows")
    return apply(frame, ctx)


def _prepare_for_report(
    prepare, frame: pd.DataFrame, ctx: appliers.ImportContext, problems: Problems
) -> None:
    """Resolve the references of a table that already has problems, only to report the unknown codes too. A
    cross-row check that needs a value an earlier problem left empty may fail: what it would add is then reported
    by the next upload (the table is refused either way, nothing is written: the inbox transaction rolls back)."""
    with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
        prepare(frame, ctx, problems)


def _more(problems: Problems) -> list[dict]:
    hidden = problems.count - len(problems.items)
    return [{"message": f"... and {hidden} more problem(s) not listed"}] if hidden > 0 else []


# -- the wide monthly demand format ----------------------------------------------------------------------------


def first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def wide_monthly_to_long(
    table: RawTable, *, location: str, sku_prefix: str, resolver: Resolver, create_missing: bool
) -> RawTable:
    """First column a month (YYYY-MM), one column per part number -> rows of (sku, location, period, quantity).

    A month is stored at its first Monday. Empty cells are missing months (no row); zeros are zero demand.
    """
    problems = Problems(table)
    frame = table.frame
    if frame.shape[1] < 2:
        problems.file("the wide-monthly format needs a month column and at least one part-number column")
        raise Rejected(problems.sentence(), problems.items)
    if not location:
        problems.file("the wide-monthly format needs the location the demand belongs to (--location CODE)")
        raise Rejected(problems.sentence(), problems.items)
    month_column = frame.columns[0]
    months = frame[month_column].astype(str).str.strip()
    shaped = months.str.match(r"^\d{4}-\d{2}(?:-01)?$")
    periods: dict[int, date] = {}
    seen: dict[str, int] = {}
    for row, text in months.items():
        if not shaped.loc[row] or not 1 <= int(text[5:7]) <= 12 or not 1990 <= int(text[:4]) <= 2100:
            problems.add(row, month_column, "is not a month (YYYY-MM)", text)
            continue
        if text[:7] in seen:
            problems.add(
                row, month_column, f"month {text[:7]} appears twice: rows {seen[text[:7]]} and {row}"
            )
            continue
        seen[text[:7]] = row
        periods[row] = first_monday(int(text[:4]), int(text[5:7]))
    parts = list(frame.columns[1:])
    skus = [f"{sku_prefix}{p}" for p in parts]
    for part, sku in zip(parts, skus):
        if len(sku) > 40:
            problems.add(1, part, f"part number '{sku}' is longer than a SKU may be (40 characters)")
    if not create_missing:
        ids = resolver.item_ids(pd.Series(skus))
        for part, sku, item_id in zip(parts, skus, ids):
            if pd.isna(item_id):
                problems.add(1, part, f"unknown SKU '{sku}' (use --create-missing to create it)")
        if pd.isna(resolver.location_ids(pd.Series([location])).iloc[0]):
            problems.file(f"unknown location '{location}' (use --create-missing to create it)")
    cells = frame[parts].astype(str).apply(lambda c: c.str.strip())
    stacked = cells.stack()  # noqa: PD013 - (row, column) pairs name each cell
    stacked = stacked[stacked != ""]
    whole = stacked.str.match(WHOLE_RE)
    for (row, part), text in stacked[~whole].items():
        if re.match(r"^-\d+(?:\.\d*)?$", text):
            problems.add(row, part, "cannot be negative", text)
        elif text.startswith(("=", "@", "+", "-")):
            problems.add(
                row, part, "holds a formula or formula-like text; formulas are never evaluated", text
            )
        elif re.match(DECIMAL_RE, text):
            problems.add(row, part, "is not a whole number of units", text)
        else:
            problems.add(row, part, "is not a number", text)
    if problems:
        raise Rejected(problems.sentence(), problems.items + _more(problems))
    rows = [
        (f"{sku_prefix}{part}", location, periods[row].isoformat(), str(int(float(text))))
        for (row, part), text in stacked.items()
        if row in periods
    ]
    long = pd.DataFrame(rows, columns=["sku", "location", "period", "quantity"], dtype=object)
    long.index = pd.RangeIndex(1, len(long) + 1)
    return RawTable(
        frame=long,
        original_columns=list(long.columns),
        origin="records",
        notes=[
            f"wide-monthly: {len(periods)} months x {len(parts)} parts -> {len(long)} demand rows, "
            f"each month stored at its first Monday"
        ],
    )


# -- the inbox handler and the service -------------------------------------------------------------------------


def payload_bytes(message: InboxMessage) -> bytes:
    if message.meta.get("encoding") == "base64":
        return base64.b64decode(message.payload)
    return message.payload.encode("utf-8")


@register("file.")
def handle_file(message: InboxMessage, _context) -> Outcome:
    kind = message.kind.split(".", 1)[1]
    if kind not in SPECS:
        raise Rejected(f"'{kind}' is not an importable kind (known: {', '.join(SPECS)})")
    options = message.meta.get("options", {})
    fmt = options.get("format", "long")
    filename = message.meta.get("filename", "")
    resolver = Resolver(message.source)

    def progress(percent: int, stage: str) -> None:
        inbox_progress_set(message.pk, percent, stage)

    progress(5, "reading the file")
    try:
        table = read_file_bytes(payload_bytes(message), filename, normalize=fmt != "wide-monthly")
    except FileFormatError as exc:
        raise Rejected(f"the file was rejected, nothing was applied: {exc}", [{"message": str(exc)}]) from exc
    if fmt == "wide-monthly":
        if kind != "demand":
            raise Rejected("the wide-monthly format is only for demand history")
        table = wide_monthly_to_long(
            table,
            location=options.get("location", ""),
            sku_prefix=options.get("sku_prefix", ""),
            resolver=resolver,
            create_missing=bool(options.get("create_missing")),
        )
    ctx = appliers.ImportContext(
        source=message.source,
        resolver=resolver,
        present=set(),
        options=options,
        label=filename or message.external_id[:12],
    )
    progress(25, f"checking {len(table.frame):,} rows")
    summary = import_table(kind, table, ctx, progress=progress)
    progress(95, "recording the outcome")
    notes = table.notes + ctx.notes
    return Outcome(
        summary={"kind": kind, "file": filename, **summary, "notes": notes},
        issues=ctx.issues,
        item_location_ids=ctx.item_location_ids,
        wms_location_days=ctx.wms_location_days,
    )


def file_receive(
    *, kind: str, data: bytes, filename: str = "", options: dict | None = None, source: str = FILE_SOURCE
) -> tuple[InboxMessage, bool]:
    """Store one file of `kind` as a received inbox message, to be processed by a worker (inbox_process_task):
    what the upload screen does, so a large file never runs inside the request. Returns (message, new): the same
    bytes with the same options again are a replay of the stored message (new False)."""
    kind, options, digest, payload, meta = _file_message(kind, data, filename, options)
    return inbox_receive(
        source=source, external_id=f"{kind}:{digest}", kind=f"file.{kind}", payload=payload, meta=meta
    )


def _file_message(kind: str, data: bytes, filename: str, options: dict | None):
    if kind not in SPECS:
        raise ValueError(f"unknown kind '{kind}': one of {', '.join(SPECS)}")
    options = {k: v for k, v in (options or {}).items() if v not in (None, "", False)}
    if options.get("format", "long") not in FORMATS:
        raise ValueError(f"unknown format '{options['format']}': one of {', '.join(FORMATS)}")
    digest = hashlib.sha256(kind.encode() + json.dumps(options, sort_keys=True).encode() + data).hexdigest()
    meta = {"filename": filename, "options": options, "bytes": len(data)}
    if is_xlsx(data, filename):
        payload = base64.b64encode(data).decode("ascii")
        meta["encoding"] = "base64"
    else:
        payload, encoding = decode_text(data)
        meta["encoding"] = encoding
        text_check(payload)  # a NUL cannot be stored (PostgreSQL text): refused before, naming row and column
    return kind, options, digest, payload, meta


def file_import(
    *,
    kind: str,
    data: bytes,
    filename: str = "",
    options: dict | None = None,
    actor=None,
    source: str = FILE_SOURCE,
) -> InboxMessage:
    """Import one file of `kind` (see FORMATS.md) through the inbox. The same bytes with the same options again
    are a replay: nothing happens and the first import's message is returned."""
    kind, options, digest, payload, meta = _file_message(kind, data, filename, options)
    message, _processed = inbox_ingest(
        source=source,
        external_id=f"{kind}:{digest}",
        kind=f"file.{kind}",
        payload=payload,
        meta=meta,
        actor=actor,
    )
    return message
