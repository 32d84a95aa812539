"""README's examples are real: its checklist validates and scores, its SQL returns what it promises."""
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from pipeline.checklist import parse_checklist
from pipeline.contract import transcript_from_json
from pipeline.domain import Manager
from pipeline.score import score_transcript
from pipeline.store import Store
from test_store import C1, C2, C3, ev, ok_result

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_checklist_example_validates_and_scores():
    [example] = [b for b in blocks("yaml") if b.startswith("id: ")]
    checklist = parse_checklist(example, "README.md")
    transcript = transcript_from_json({"language": "en", "segments": [
        {"speaker": "agent", "start": 0, "end": 3, "text": "good afternoon this is anna from sunrise"},
        {"speaker": "agent", "start": 3, "end": 5, "text": "is this a good time"},
        {"speaker": "customer", "start": 5, "end": 7, "text": "yes go ahead"},
        {"speaker": "agent", "start": 7, "end": 9, "text": "thank you"}]})
    verdicts = {v.item_id: v.verdict for v in score_transcript(transcript, checklist).items}
    assert verdicts == {"introduced": "pass", "asked_convenient": "pass", "handled_objections": "na",
                        "politeness": "pass"}


def readme_queries() -> dict[str, str]:
    """README's SQL examples by their leading comment ("-- My last two weeks" -> its query)."""
    [text] = blocks("sql")
    queries = {}
    for query in filter(None, (q.strip() for q in text.split(";"))):
        title, _, body = query.partition("\n")
        assert title.startswith("-- "), query
        queries[title[3:]] = body
    return queries


def test_readme_sql_examples_return_the_expected_rows(tmp_path: Path):
    """Two calls of manager '101' yesterday (60 and 100), one of '102' the day before (40, flagged)."""
    yesterday, before = date.today() - timedelta(days=1), date.today() - timedelta(days=2)
    k1 = ok_result("k1", "101", f"{yesterday}T10:00:00", C2, {
        "introduced": ("pass", "greeting with name and company", ev(C2[0])),
        "asked_convenient": ("fail", "no question about talking now in the opening"),
        "handled_objections": ("fail", "price objection got no answer", ev(C2[2])),
        "recorded_outcome": ("pass", "callback on Thursday", ev(C2[3])),
        "politeness": ("pass", "thanked the customer", ev(C2[3]))}, language="ru")
    k2 = ok_result("k2", "101", f"{yesterday}T12:00:00", C1, {
        "introduced": ("pass", "greeting", ev(C1[0])), "asked_convenient": ("pass", "asked", ev(C1[0])),
        "handled_objections": ("na", "no objection raised"), "recorded_outcome": ("pass", "callback", ev(C1[4])),
        "politeness": ("pass", "thanked", ev(C1[4]))})
    k3 = ok_result("k3", "102", f"{before}T09:30:00", C3, {
        "introduced": ("fail", "'Hello?' is no introduction", ev(C3[0])), "asked_convenient": ("fail", "no question"),
        "handled_objections": ("pass", "apologised", ev(C3[1]), ev(C3[2])),
        "recorded_outcome": ("fail", "'soon' is no time", ev(C3[4])), "politeness": ("pass", "thanked", ev(C3[4]))})
    db = tmp_path / "qa.duckdb"
    with Store(db) as store:
        store.upsert_managers([Manager("101", "Anna Petrova"), Manager("102", "Ivan Sokolov")])
        for result in (k1, k2, k3):
            store.write_call(result, "run-1")

    queries = readme_queries()
    with duckdb.connect(str(db), read_only=True) as con:
        def run(title: str) -> list[tuple]:
            return con.execute(queries[title]).fetchall()

        assert run("My last two weeks") == [(yesterday, 2, 80.0, 0)]
        assert run("Me against the team, per checklist item") == [
            ("introduced", 100.0, 66.7), ("asked_convenient", 50.0, 33.3), ("handled_objections", 0.0, 50.0),
            ("recorded_outcome", 100.0, 66.7), ("politeness", 100.0, 100.0)]
        failed = {(call_id, item, reason, tuple(q["text"] for q in quotes))
                  for call_id, _, item, reason, quotes in run("What I failed, with the quotes")}
        assert failed == {("k1", "asked_convenient", "no question about talking now in the opening", ()),
                          ("k1", "handled_objections", "price objection got no answer", ("Это дорого для нас.",))}
        assert run("This week's calls to review") == [
            ("k3", "Ivan Sokolov", datetime.fromisoformat(f"{before}T09:30:00"), 40.0, False)]
        assert run("Every unanswered objection, quoted") == [("k1", 8.4, "Это дорого для нас.")]


def test_readme_names_only_files_inside_the_repository():
    repo = Path(__file__).resolve().parent.parent
    named = set(re.findall(r"`([\w./-]+\.(?:md|yaml|py|sql|csv))`", README))
    assert "docs/domain.md" in named
    for name in named:
        path = (repo / name).resolve()
        assert path.is_relative_to(repo), f"README points outside the repository: {name}"
        assert path.exists() or "/" not in name, f"README names a missing file: {name}"
