"""`callqa sql`: a query on the published copy, read-only, as a table, CSV, JSON or Markdown.

Only reading statements run (SELECT, and what DuckDB reads as one: SHOW, DESCRIBE, SUMMARIZE,
WITH ... SELECT; and EXPLAIN). Everything else is refused before anything runs, and the
connection is opened read-only with external access off, so a query cannot write the database,
nor read or write other files (COPY ... TO, read_csv, ATTACH).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

from .domain import CallError

FORMATS = ("table", "csv", "json", "markdown")
READING = {"SELECT", "EXPLAIN"}


class QueryError(CallError):
    """Bad SQL (with DuckDB's message and position) or a statement that would write."""


@dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def run(db: Path, sql: str) -> list[Result]:
    """Each statement's result, in order; nothing runs unless every statement only reads."""
    import duckdb  # here, not above: `callqa score` builds the parser, which names FORMATS

    if not sql.strip():
        raise QueryError("no query given (an argument, or on stdin)")
    try:
        con = duckdb.connect(str(db), read_only=True, config={"enable_external_access": False})
    except duckdb.Error as e:
        raise QueryError(f"{db}: cannot open the published database: {e}") from None
    with con:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as e:
            raise QueryError(str(e)) from None
        for n, st in enumerate(statements, 1):
            kind = st.type.name
            if kind not in READING:
                raise QueryError(f"statement {n} is {kind}: callqa sql only reads (SELECT, WITH, SHOW, "
                                 f"DESCRIBE, EXPLAIN); nothing was run")
        out = []
        for st in statements:
            try:
                cur = con.execute(st)
                rows = cur.fetchall()
            except duckdb.Error as e:
                raise QueryError(str(e)) from None
            out.append(Result(tuple(d[0] for d in cur.description or ()), tuple(rows)))
        return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e15 else repr(value)
    return str(value)


def _plain(value: Any) -> Any:
    """JSON's kind of value: numbers stay numbers, dates and times become ISO text."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def render(result: Result, fmt: str) -> str:
    cols, rows = result.columns, result.rows
    if fmt == "json":
        return json.dumps([{c: _plain(v) for c, v in zip(cols, r)} for r in rows], ensure_ascii=False, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        writer.writerows([_text(v) for v in r] for r in rows)
        return buf.getvalue().rstrip("\n")
    cells = [[_text(v).replace("\n", " ") for v in r] for r in rows]
    if fmt == "markdown":
        def line(values: Sequence[str]) -> str:
            return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"
        return "\n".join([line(cols), line(["---"] * len(cols)), *map(line, cells)])
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(cols)]
    numeric = [all(isinstance(r[i], (int, float, Decimal)) or r[i] is None for r in rows) for i in range(len(cols))]

    def row(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([row(cols), rule, *map(row, cells), f"({len(rows)} row{'s' if len(rows) != 1 else ''})"])
