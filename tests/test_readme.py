"""README's examples are real: its checklist validates and scores, its SQL returns what it promises."""
import re
from collections import Counter
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


def test_readme_questions_are_answered_from_the_demo_database(demo):
    """Each question README lists, asked of the published copy of the real demo run, against the
    answer worked out here from the raw rows."""
    queries = readme_queries()
    with duckdb.connect(str(demo.db.with_name("demo.published.duckdb")), read_only=True) as con:
        def run(title: str) -> list[tuple]:
            return con.execute(queries[title]).fetchall()

        scores = con.execute("SELECT call_id, manager_id, day, score, duration_s, checklist_id FROM latest_scores"
                             ).fetchall()
        verdicts = con.execute("SELECT call_id, manager_id, item_id, position, verdict, quotes FROM latest_verdicts"
                               ).fetchall()
        segments = con.execute("SELECT call_id, idx, speaker, text FROM segments ORDER BY call_id, idx").fetchall()
        week = lambda day: day - timedelta(days=day.weekday())  # noqa: E731
        mean = lambda xs: round(sum(xs) / len(xs), 1)  # noqa: E731
        mine = [s for s in scores if s[1] == "101"]
        assert len(mine) == 3 and any(v[4] == "fail" for v in verdicts if v[1] == "101")

        latest = max(week(s[2]) for s in mine)
        assert run("My average in the latest week, against the team") == [(
            latest, sum(week(s[2]) == latest for s in mine),
            mean([s[3] for s in mine if week(s[2]) == latest and s[3] is not None]),
            mean([s[3] for s in scores if week(s[2]) == latest and s[3] is not None]))]

        fails = Counter(v[2] for v in verdicts if v[1] == "101" and v[4] == "fail")
        [(item, n, applicable, _)] = run("The item I fail most")
        assert n == max(fails.values()) == fails[item]
        assert applicable == sum(v[2] == item and v[4] != "na" for v in verdicts if v[1] == "101")

        worst = sorted((s[3], s[0]) for s in mine if s[3] is not None)[:10]
        rows = run("My worst ten calls, with the evidence")
        assert list(dict.fromkeys(r[0] for r in rows)) == [call for _, call in worst]
        assert {(r[0], r[2], r[5]) for r in rows if r[2]} == {
            (v[0], v[2], q["text"]) for v in verdicts if v[1] == "101" and v[4] == "fail" for q in v[5]}

        assert run("The trend by week") == [
            (w, len(xs), mean([s[3] for s in xs if s[3] is not None]), 0)
            for w, xs in sorted(groupby_week(mine, week).items())]

        # The demo's first call: "Sounds too expensive for me." and a payment plan in answer.
        said = run("Calls where the customer said «дорого» or \"too expensive\", and what the agent answered")
        assert "1763630100.1" in {r[0] for r in said}
        by_call = {}
        for call_id, idx, speaker, text in segments:
            by_call.setdefault(call_id, []).append((idx, speaker, text))
        for call_id, _, customer, agent in said:
            assert re.search(r"expens|дорог", customer.lower())
            [idx] = [i for i, sp, t in by_call[call_id] if t == customer and sp == "customer"]
            assert agent == next(t for i, sp, t in by_call[call_id] if i > idx and sp == "agent")

        quotes = Counter(" ".join(re.findall(r"[^\W_]+", q["text"].lower().replace("ё", "е")))
                         for v in verdicts if v[2] == "handled_objections" for q in v[5] if q["speaker"] == "customer")
        assert len(quotes) >= 3
        assert [(o, n) for o, n, _ in run("The most common objections in the latest month")] == sorted(
            quotes.items(), key=lambda kv: (-kv[1], kv[0]))[:10]

        no_outcome = {v[0] for v in verdicts if v[2] == "recorded_outcome" and v[4] == "fail"}
        long = sorted(((s[4], s[0]) for s in scores if s[0] in no_outcome and s[4] > 0.3 * 60), reverse=True)
        rows = run("Calls longer than N minutes (here 0.3) without an outcome")
        assert [r[0] for r in rows] == [call for _, call in long] and rows


def groupby_week(scores, week) -> dict:
    weeks: dict = {}
    for s in scores:
        weeks.setdefault(week(s[2]), []).append(s)
    return weeks
