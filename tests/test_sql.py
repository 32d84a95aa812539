"""`callqa sql` as a manager uses it: the published copy of a real database, each output format,
bad SQL with its position, and statements that would write refused with nothing run."""
from __future__ import annotations

import io
import json
import sys

import duckdb
import pytest

from pipeline.cli import main
from test_review import db  # noqa: F401 - the fixture

QUERY = "SELECT call_id, score, critical_failure FROM latest_scores WHERE call_id IN ('c1', 'c4') ORDER BY call_id"


def sql(capsys, db, *args: str, stdin: str | None = None) -> tuple[int, str, str]:  # noqa: F811
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        rc = main(["sql", *args, "--db", str(db)])
    finally:
        sys.stdin = sys.__stdin__
    out = capsys.readouterr()
    return rc, out.out, out.err


def expected(db) -> list[tuple]:  # noqa: F811
    with duckdb.connect(str(db.with_name("callqa.published.duckdb")), read_only=True) as con:
        return con.execute(QUERY).fetchall()


def test_each_format_shows_the_published_rows(db, capsys):  # noqa: F811
    (c1, s1, f1), (c4, s4, f4) = expected(db)
    rc, out, _ = sql(capsys, db, QUERY)
    lines = out.splitlines()
    assert rc == 0 and lines[0].split() == ["call_id", "score", "critical_failure"]
    assert lines[2].split() == [c1, f"{s1:g}", str(f1)] and lines[-1] == "(2 rows)"
    rc, out, _ = sql(capsys, db, QUERY, "--format", "csv")
    assert out.splitlines() == ["call_id,score,critical_failure", f"{c1},{s1:g},{f1}", f"{c4},{s4:g},{f4}"]
    rc, out, _ = sql(capsys, db, "--format", "json", stdin=QUERY)  # the query on stdin
    assert json.loads(out) == [{"call_id": c1, "score": s1, "critical_failure": f1},
                               {"call_id": c4, "score": s4, "critical_failure": f4}]
    rc, out, _ = sql(capsys, db, QUERY, "--format", "markdown")
    assert out.splitlines()[:3] == ["| call_id | score | critical_failure |", "| --- | --- | --- |",
                                    f"| {c1} | {s1:g} | {f1} |"]


def test_bad_sql_gets_the_error_and_its_position(db, capsys):  # noqa: F811
    rc, out, err = sql(capsys, db, "SELECT call_id FORM calls")
    assert rc == 2 and out == ""
    assert 'syntax error at or near "calls"' in err and "LINE 1: SELECT call_id FORM calls" in err and "^" in err
    rc, _, err = sql(capsys, db, "SELECT no_such_column FROM calls")
    assert rc == 2 and "no_such_column" in err


@pytest.mark.parametrize("statement, kind", [
    ("DELETE FROM calls", "DELETE"),
    ("UPDATE calls SET status = 'ok'", "UPDATE"),
    ("DROP VIEW latest_scores", "DROP"),
    ("SELECT 1; CREATE TABLE t AS SELECT 1", "CREATE"),
    ("COPY calls TO 'calls.csv'", "COPY"),
    ("ATTACH 'other.duckdb'", "ATTACH"),
])
def test_a_statement_that_writes_is_refused_and_nothing_runs(db, capsys, tmp_path, monkeypatch, statement, kind):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    before = expected(db)
    rc, out, err = sql(capsys, db, statement)
    assert rc == 2 and out == "" and f"is {kind}: callqa sql only reads" in err and "nothing was run" in err
    assert expected(db) == before and not (tmp_path / "calls.csv").exists() and not (tmp_path / "other.duckdb").exists()


def test_other_files_cannot_be_read(db, capsys):  # noqa: F811
    rc, _, err = sql(capsys, db, "SELECT * FROM read_csv('/etc/hostname')")
    assert rc == 2 and "file system operations are disabled" in err


def test_no_published_copy_says_how_to_get_one(tmp_path, capsys):
    rc = main(["sql", "SELECT 1", "--db", str(tmp_path / "none.duckdb")])
    assert rc == 2 and "no published copy" in capsys.readouterr().err


def test_weekly_and_monthly_views_add_up_the_daily_one(db):  # noqa: F811
    with duckdb.connect(str(db), read_only=True) as con:
        for view, unit in (("manager_weekly", "week"), ("manager_monthly", "month")):
            assert con.execute(f"SELECT manager_id, period_start, calls, failed, scored FROM {view} ORDER BY ALL").fetchall() == \
                con.execute(f"SELECT manager_id, CAST(date_trunc('{unit}', day) AS DATE), sum(calls), sum(failed), "
                            f"sum(scored) FROM manager_daily GROUP BY ALL ORDER BY ALL").fetchall()
        weeks = con.execute("SELECT DISTINCT isodow(period_start) FROM manager_weekly").fetchall()
    assert weeks == [(1,)]  # weeks start on Monday


def test_the_evidence_view_names_each_quote_and_its_call_page(db, tmp_path):  # noqa: F811
    from pipeline.report import call_href, render_reports

    out = render_reports(db, tmp_path / "out").parent
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT call_id, item_id, verdict, speaker, start_s, quote, page FROM evidence").fetchall()
        quotes = con.execute("SELECT count(*) FROM evidence_quotes").fetchone()[0]
    assert len(rows) == quotes and rows
    for call_id, _, verdict, speaker, start_s, quote, page in rows:
        assert page == call_href(call_id) and (out / page).is_file()
        assert verdict in ("pass", "fail", "na") and speaker in ("agent", "customer", "unknown") and quote
