"""QA leads overrule verdicts: `callqa review` against a real DuckDB file, the effective verdicts
in the views, the history, the rendered call page, and a review made while a run holds the file."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.checklist import load_checklist
from pipeline.cli import main
from pipeline.domain import Review
from pipeline.report import ReportOptions, call_href, render_reports
from pipeline.review import ReviewError, checked
from pipeline.publish import publish
from pipeline.store import Store
from test_report import CHECKLIST, Page
from test_store import fill

TARGETS = [{"checklist_id": "sales_call", "item_id": "politeness", "machine_verdict": "fail", "verdict": "fail"}]
OK = {"status": "ok", "error": None}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The sample department (test_store.py), with the sales checklist registered."""
    path = tmp_path / "callqa.duckdb"
    with Store(path) as store:
        fill(store)
        store.register_checklist(load_checklist(CHECKLIST))
    publish(path)
    return path


def scores(db: Path, call_id: str) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT score, machine_score, critical_failure, flagged, reviewed_items, n_pass, n_fail "
                           "FROM latest_scores WHERE call_id = ?", [call_id]).fetchone()


def review_rows(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT call_id, item_id, verdict, machine_verdict, reviewer, note FROM reviews "
                           "ORDER BY reviewed_at").fetchall()


@pytest.mark.parametrize("review, status, message", [
    (Review("c4", "politeness", "maybe", "Olga"), OK, "verdict 'maybe' is not one of pass, fail, na"),
    (Review("c4", "politeness", "pass", "  "), OK, "needs the reviewer's name"),
    (Review("c9", "politeness", "pass", "Olga"), None, "no call 'c9'"),
    (Review("c4", "polite", "pass", "Olga"), OK, "has no item 'polite'; its items: politeness"),
    (Review("c4", "politeness", "pass", "Olga", checklist_id="support_call"), OK, "in checklist support_call"),
])
def test_a_bad_review_is_refused_with_the_reason(review, status, message):
    with pytest.raises(ReviewError, match=message):
        checked(review, TARGETS, status)


def test_an_item_scored_by_two_checklists_needs_one_named():
    both = TARGETS + [{**TARGETS[0], "checklist_id": "support_call"}]
    with pytest.raises(ReviewError, match="several checklists .*--checklist"):
        checked(Review("c4", "politeness", "pass", "Olga"), both, OK)
    assert checked(Review("c4", "politeness", "pass", "Olga", checklist_id="support_call"), both, OK).checklist_id == "support_call"


def test_an_override_changes_the_score_and_keeps_its_history(db: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    # c4: p p f f f, 40, a critical failure (politeness, rude).
    assert scores(db, "c4") == (40.0, 40.0, True, True, 0, 2, 3)
    assert main(["review", "c4", "politeness", "pass", "--reviewer", "Olga", "--note", "quoting the customer",
                 "--db", str(db), "--out", str(out)]) == 0
    assert "stored: call c4 politeness: fail -> pass by Olga" in capsys.readouterr().out
    assert scores(db, "c4") == (60.0, 40.0, False, False, 1, 3, 2)
    # A second reviewer disagrees: the newest review stands, the first stays in the history.
    assert main(["review", "c4", "politeness", "fail", "--reviewer", "Pavel", "--db", str(db), "--out", str(out)]) == 0
    assert scores(db, "c4") == (40.0, 40.0, True, True, 1, 2, 3)
    assert review_rows(db) == [("c4", "politeness", "pass", "fail", "Olga", "quoting the customer"),
                               ("c4", "politeness", "fail", "fail", "Pavel", "")]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT item_id, reviewed, agreed, agreement FROM review_agreement").fetchall() == \
            [("politeness", 1, 1, 100.0)]
        assert con.execute("SELECT * FROM reviewer_agreement").fetchall() == [("Olga", "Pavel", 1, 0, 0.0)]
    # The published copy and the re-rendered report follow.
    with duckdb.connect(str(db.with_name("callqa.published.duckdb")), read_only=True) as con:
        assert con.execute("SELECT score FROM latest_scores WHERE call_id = 'c4'").fetchone() == (40.0,)
    page = Page((out / call_href("c4")).read_text(encoding="utf-8"))
    polite = page.row("Polite throughout")
    assert polite[1:4] == ["fail", "fail", polite[3]] and polite[3].startswith("fail Pavel,")
    history = [r for r in page.rows if len(r) == 6 and r[1] in ("Olga", "Pavel")]
    assert [(r[1], r[3], r[4], r[5]) for r in history] == [("Olga", "fail", "pass", "quoting the customer"),
                                                            ("Pavel", "fail", "fail", "")]
    index = Page((out / "index.html").read_text(encoding="utf-8"))
    # Machine and reviewers: item, reviewed, upheld, agreement; then the calibration of the two.
    assert ["Polite throughout", "1", "1", "100.0%"] in index.rows
    assert index.row("Olga · Pavel") == ["Olga · Pavel", "1", "0", "0.0%"]
    # The call's verdicts and reviews on the command line.
    assert main(["review", "c4", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "sales_call.politeness: fail" in shown and "Olga: politeness fail -> pass (quoting the customer)" in shown


@pytest.mark.parametrize("argv, message", [
    (["c9", "politeness", "pass", "--reviewer", "Olga"], "no call 'c9' in the database"),
    (["c5", "politeness", "pass", "--reviewer", "Olga"], "c5 has no verdicts to review (status failed: not audio"),
    (["c4", "politeness", "pass"], "needs the reviewer's name"),
    (["c4", "politeness"], "give the verdict after the item"),
])
def test_bad_input_on_the_command_line_writes_nothing(db: Path, capsys, argv, message):
    assert main(["review", *argv, "--db", str(db), "--no-report"]) == 2
    assert message in capsys.readouterr().err
    assert review_rows(db) == []


def test_a_verdict_outside_pass_fail_na_is_refused_by_the_parser(db: Path, capsys):
    with pytest.raises(SystemExit):
        main(["review", "c4", "politeness", "maybe", "--reviewer", "Olga", "--db", str(db)])
    assert "invalid choice: 'maybe'" in capsys.readouterr().err


HOLD = """
import sys, time
from pipeline.store import Store
with Store(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_review_made_while_a_run_holds_the_database_is_stored_by_its_next_writer(db: Path, capsys):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), "60"], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert main(["review", "c3", "introduced", "pass", "--reviewer", "Olga", "--db", str(db)]) == 0
        assert "queued: call c3 introduced: fail -> pass by Olga" in capsys.readouterr().out
        # Checked against the published copy: a bad review is refused even now.
        assert main(["review", "c3", "intro", "pass", "--reviewer", "Olga", "--db", str(db)]) == 2
        assert "has no item 'intro'" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    with Store(db) as store:  # the next writer (a run, a rescore, a review)
        assert store.queued_reviews_stored == 1
    assert review_rows(db) == [("c3", "introduced", "pass", "fail", "Olga", "")]
    with Store(db):  # stored once, the queue empty
        pass
    assert len(review_rows(db)) == 1
    assert scores(db, "c3")[:2] == (60.0, 40.0)


def test_the_review_queue_holds_flagged_calls_a_seeded_sample_and_the_least_sure_first(db: Path, tmp_path: Path):
    from pipeline.report import review_queue

    def queue(sample: int, seed: int = 0) -> list[tuple]:
        with Store(db, read_only=True) as store:
            return [(c["call_id"], c["why"]) for c in review_queue(store, ReportOptions(sample, seed))]

    # c3 (40) and c4 (critical) are flagged; c1 and c2 (Anna, one week) are not.
    assert sorted(queue(0)) == [("c3", "flagged"), ("c4", "flagged")]
    one = queue(1)
    assert len(one) == 3 and one == queue(1)  # one of Anna's two calls, the same draw every time
    assert {c for c, _ in queue(2)} == {"c1", "c2", "c3", "c4"}
    assert len({tuple(sorted(queue(1, seed))) for seed in range(8)}) == 2  # seeds draw either call
    # Evidence the recogniser heard poorly puts c3's verdicts in doubt: first in the queue.
    with Store(db) as store:
        store.query("UPDATE segments SET avg_logprob = -1.3 WHERE call_id = 'c3'")
    with Store(db, read_only=True) as store:
        first = review_queue(store, ReportOptions(0, 0))[0]
    assert (first["call_id"], first["doubt"]) == ("c3", 0.8)
    # A call a reviewer judged leaves the queue; the page lists the rest.
    assert main(["review", "c4", "politeness", "fail", "--reviewer", "Olga", "--db", str(db), "--no-report"]) == 0
    assert queue(0) == [("c3", "flagged")]
    page = Page((render_reports(db, tmp_path / "out", ReportOptions(0, 0)).parent / "review.html").read_text())
    assert [r[:2] + r[4:5] for r in page.rows[1:]] == [["0.80", "flagged", "c3"]]


def test_a_review_renders_its_call_page_again_and_keeps_the_others(db, tmp_path):
    out = tmp_path / "out"
    render_reports(db, out)

    def inode(call: str) -> int:
        return (out / call_href(call)).stat().st_ino

    before = {c: inode(c) for c in ("c1", "c4")}
    render_reports(db, out)  # nothing changed: the page is the old file, linked
    assert {c: inode(c) for c in ("c1", "c4")} == before
    assert main(["review", "c4", "politeness", "pass", "--reviewer", "Olga", "--db", str(db), "--out", str(out)]) == 0
    assert inode("c1") == before["c1"] and inode("c4") != before["c4"]
    assert Page((out / call_href("c4")).read_text(encoding="utf-8")).row("Polite throughout")[3].startswith("pass Olga,")
    # Another template or language is another page: everything is rendered again.
    render_reports(db, out, ReportOptions(language="ru"))
    assert inode("c1") != before["c1"]
