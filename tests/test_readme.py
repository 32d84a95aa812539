"""README's examples are real: its checklist validates and scores, its SQL runs on the schema."""
import re
from pathlib import Path

import duckdb

from pipeline.checklist import parse_checklist
from pipeline.contract import transcript_from_json
from pipeline.score import score_transcript
from pipeline.store import Store

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


def test_readme_sql_examples_run_on_the_schema(tmp_path: Path):
    with Store(tmp_path / "qa.duckdb"):
        pass
    [queries] = blocks("sql")
    with duckdb.connect(str(tmp_path / "qa.duckdb"), read_only=True) as con:
        for query in filter(None, (q.strip() for q in queries.split(";"))):
            con.execute(query).fetchall()
